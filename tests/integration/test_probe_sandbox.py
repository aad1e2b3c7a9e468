"""`probe` against the sandbox's emulators over real loopback HTTP.

The emulators play the providers' APIs. What they refuse, the probe must report as refused;
what they accept, it must report as accepted. Findings the probe makes about the emulators
themselves (kept as tests so a change to either side is seen):

* no emulator checks ``aud``: a token re-signed with the issuer's key for another audience
  is accepted by token-of-trust and the OAuth 2.0 emulator;
* api-key-sliding signs its JWTs with the client's own secret and checks no ``iss``: a
  token its client re-signs for another issuer is accepted.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.integration.conftest import add_profile, one_line_error, run_cli
from workbench.core.context import AppContext
from workbench.core.errors import InputError, ProviderError
from workbench.core.operations import KeyChoice
from workbench.core.operations.probe import probe_api
from workbench.core.request.saved import SavedRequest, SavedRequestStore
from workbench.core.storage.vault import MemoryKeyring, Vault

REFUSED_WITHOUT_KEY = {
    "expired", "not-yet-valid", "wrong-audience", "wrong-issuer",
    "alg-none", "signature-stripped", "other-key",
}  # fmt: skip


@pytest.fixture
def ctx(workbench_home):
    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def _profile(ctx, sandbox, preset, url="/api/echo"):
    add_profile(ctx.profiles, ctx.vault, sandbox, preset)
    SavedRequestStore().save(
        preset, SavedRequest(name="echo", method="GET", url=url, headers=(), body=None, body_type=None)
    )
    return preset


def _results(report):
    return {r.code: r for r in report.results}


@pytest.mark.parametrize(
    "preset", ["token-of-trust", "api-key-sliding", "oauth2-client-credentials", "true-markets"]
)
def test_without_the_issuer_key_every_variant_is_refused(ctx, sandbox, preset):
    _profile(ctx, sandbox, preset)
    report = probe_api(ctx, preset, "echo")
    assert report.baseline_status == 200
    results = _results(report)
    assert {code for code, r in results.items() if r.status == 401} == REFUSED_WITHOUT_KEY
    assert report.accepted == ()
    assert results["hs256-public-key"].status is None  # skipped, and says why
    assert results["hs256-public-key"].note


def test_finding_token_of_trust_and_oauth2_accept_a_token_for_another_audience(ctx, sandbox):
    for preset in ("token-of-trust", "oauth2-client-credentials"):
        _profile(ctx, sandbox, preset)
        issuer_secret = sandbox.provider(preset).secret
        report = probe_api(ctx, preset, "echo", issuer_key=KeyChoice(secret=issuer_secret))
        assert [r.code for r in report.accepted] == ["wrong-audience"], preset
        results = _results(report)
        assert all(results[c].status == 401 for c in ("expired", "not-yet-valid", "wrong-issuer")), preset
        assert results["expired"].signed_with.startswith("your issuer key")


def test_finding_api_key_sliding_accepts_a_token_its_client_signs_for_another_issuer(ctx, sandbox):
    _profile(ctx, sandbox, "api-key-sliding")
    client_secret = sandbox.demo_profiles()["api-key-sliding"]["secrets"]["client_secret"]
    report = probe_api(ctx, "api-key-sliding", "echo", issuer_key=KeyChoice(secret=client_secret.encode()))
    assert sorted(r.code for r in report.accepted) == ["wrong-audience", "wrong-issuer"]


def test_true_markets_is_not_confused_by_hs256_signed_with_its_public_key(ctx, sandbox):
    _profile(ctx, sandbox, "true-markets")
    public_jwk = json.dumps(sandbox.provider("true-markets").jwk)
    report = probe_api(ctx, "true-markets", "echo", public_key_text=public_jwk)
    confusion = _results(report)["hs256-public-key"]
    assert (confusion.status, confusion.accepted) == (401, False)


def test_probes_go_only_to_the_profiles_own_origin(ctx, sandbox):
    other = sandbox.demo_profiles()["oauth2-client-credentials"]["base_url"].replace("127.0.0.1", "localhost")
    _profile(ctx, sandbox, "token-of-trust", url=f"{other}/api/echo")
    with pytest.raises(InputError, match="probes go only to profile 'token-of-trust''s own origin"):
        probe_api(ctx, "token-of-trust", "echo")


def test_a_request_the_valid_token_cannot_pass_stops_the_probe(ctx, sandbox):
    _profile(ctx, sandbox, "token-of-trust", url="/no/such/route")
    with pytest.raises(
        ProviderError, match=r"refused profile 'token-of-trust''s valid token .* \(HTTP 404\)"
    ):
        probe_api(ctx, "token-of-trust", "echo")


@pytest.mark.keychain
def test_probe_on_the_command_line_reports_json_and_exits_1_on_a_finding(
    secret_service, sandbox, workbench_home
):
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore

    vault = Vault()
    name = f"tot-{uuid.uuid4().hex[:8]}"
    add_profile(ProfileStore(presets=PresetCatalog.load_default()), vault, sandbox, "token-of-trust", name)
    try:
        assert run_cli("request", "save", name, "echo", "/api/echo").returncode == 0
        clean = run_cli("probe", name, "--request", "echo")
        assert clean.returncode == 0, clean.stderr
        assert "valid token: HTTP 200 (baseline)" in clean.stdout and "ACCEPTED" not in clean.stdout
        secret = sandbox.provider("token-of-trust").secret
        found = run_cli(
            "probe", name, "--request", "echo", "--secret", "@env:ISSUER", "--secret-base64", "--json",
            env={"ISSUER": __import__("base64").b64encode(secret).decode()},
        )  # fmt: skip
        assert found.returncode == 1
        report = json.loads(found.stdout)
        assert report["accepted"] == ["wrong-audience"] and report["baseline_status"] == 200
        assert "the API accepted 1 token(s) it must refuse: wrong-audience" in found.stderr
        missing = run_cli("probe", name, "--request", "nope")
        assert "has no saved request 'nope'" in one_line_error(missing)
    finally:
        vault.delete_profile(name, ["api_key", "secret_key", "access_token"])
