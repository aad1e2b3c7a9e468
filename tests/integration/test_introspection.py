"""Introspection (RFC 7662) from the CLI, `decode --introspect PROFILE`, against the sandbox's OAuth
emulators over real loopback HTTP: active and inactive tokens, an opaque refresh token, a DPoP
profile (a plain client-authenticated POST), one clear line when there is nothing to ask, and the
token kept out of the history."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from tests.integration.conftest import one_line_error, run_cli


def _add(name: str, spec: dict, preset: str, *, introspection: bool = True) -> None:
    argv = ["profile", "add", name, "--preset", preset, "--base-url", spec["base_url"]]
    for key, value in spec["vars"].items():
        if key != "introspection_endpoint" or introspection:
            argv += ["--set", f"{key}={value}"]
    for key, value in spec["secrets"].items():
        argv += ["--secret", f"{key}={value}"]
    run = run_cli(*argv)
    assert run.returncode == 0, run.stderr


@pytest.fixture
def cc(secret_service, sandbox, workbench_home):
    _add("cc", sandbox.demo_profiles()["oauth2-client-credentials"], "oauth2-client-credentials")
    return "cc"


def test_an_active_token_shows_what_the_issuer_knows_in_the_decode_format(cc, sandbox):
    token = run_cli("token", cc).stdout.strip()
    run = run_cli("decode", token, "--introspect", cc)
    assert run.returncode == 0, run.stderr
    decoded, _, introspected = run.stdout.partition("Introspection (cc: ")
    assert decoded.startswith("Header") and "No warnings" in decoded  # decode's own output, unchanged
    assert introspected.startswith(sandbox.base_url("oauth2-client-credentials") + "/oauth/introspect)")
    rows = dict(line.split(None, 1) for line in introspected.splitlines()[1:])
    assert rows["active"] == "true"
    assert rows["scope"] == "read write" and rows["client_id"] == "workbench-demo"
    assert re.search(r"UTC \(in (59 min|1 h)\)$", rows["exp"]) and rows["token_type"] == "Bearer"
    assert sandbox.calls("oauth2-client-credentials", "verify") == 1  # one POST, no proof, no retry


def test_the_json_output_keeps_decodes_keys_and_adds_the_introspection(cc):
    token = run_cli("token", cc).stdout.strip()
    run = run_cli("decode", token, "--introspect", cc, "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert list(document)[:8] == [
        "header", "payload", "alg", "signature_valid", "expires_at", "issued_at", "expired", "warnings"
    ]  # fmt: skip
    answer = document["introspection"]
    assert (
        answer["active"] is True and answer["profile"] == cc and answer["token_type_hint"] == "access_token"
    )
    assert answer["claims"]["client_id"] == "workbench-demo"
    assert answer["expires_at"] == document["expires_at"] and 3500 < answer["expires_in"] <= 3600


def test_an_inactive_token_says_active_false_plainly_and_exits_3(cc, sandbox):
    expired = sandbox.issue_token("oauth2-client-credentials", lifetime=-60)
    run = run_cli("decode", expired, "--introspect", cc)
    assert run.returncode == 3
    assert "active  false — the issuer does not accept this token" in run.stdout
    assert run.stderr.strip() == "workbench: the issuer says the token is not active (introspection)"
    as_json = run_cli("decode", expired, "--introspect", cc, "--json")
    assert as_json.returncode == 3 and json.loads(as_json.stdout)["introspection"]["active"] is False


def test_an_opaque_refresh_token_is_only_introspected_with_its_hint(secret_service, sandbox, workbench_home):
    spec = sandbox.demo_profiles()["oauth2-refresh-token"]
    _add("rt", spec, "oauth2-refresh-token")
    refresh = spec["secrets"]["refresh_token"]
    run = run_cli("decode", refresh, "--introspect", "rt", "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["type"] == "opaque" and document["header"] is None
    assert document["introspection"]["token_type_hint"] == "refresh_token"  # the stored one: said so
    assert document["introspection"]["claims"]["token_type"] == "refresh_token"
    text = run_cli("decode", refresh, "--introspect", "rt").stdout
    assert text.startswith("Not a JWT (an opaque token)") and "active      true" in text


def test_a_dpop_profile_introspects_with_client_authentication_alone(secret_service, sandbox, workbench_home):
    _add("dp", sandbox.demo_extra_profiles()["oauth2-dpop"], "oauth2-client-credentials")
    token = run_cli("token", "dp").stdout.strip()
    run = run_cli("decode", token, "--introspect", "dp", "--json")
    assert run.returncode == 0, run.stderr
    claims = json.loads(run.stdout)["introspection"]["claims"]
    assert claims["token_type"] == "DPoP" and set(claims["cnf"]) == {"jkt"}
    text = run_cli("decode", token, "--introspect", "dp").stdout
    assert f"cnf         jkt {claims['cnf']['jkt']}" in text
    # The profile is named: the token's binding is compared with its DPoP key, as in the Inspector.
    decoded = text.partition("Introspection (dp: ")[0]
    assert f"bound to this profile's DPoP key ({claims['cnf']['jkt']})" in decoded
    alone = run_cli("decode", token).stdout  # no profile named: the binding, and nothing compared
    assert f"bound to DPoP key {claims['cnf']['jkt']} (no profile named to compare it with)" in alone


def test_no_introspection_endpoint_is_one_line_before_any_request(secret_service, sandbox, workbench_home):
    _add(
        "bare",
        sandbox.demo_profiles()["oauth2-client-credentials"],
        "oauth2-client-credentials",
        introspection=False,
    )
    before = sandbox.calls("oauth2-client-credentials")
    line = one_line_error(run_cli("decode", "abc.def", "--introspect", "bare"))
    assert "names no introspection endpoint (RFC 7662); nothing was sent" in line
    assert "--set introspection_endpoint=URL" in line
    assert sandbox.calls("oauth2-client-credentials") == before
    other = run_cli(
        "profile", "add", "tot", "--preset", "bearer", "--base-url", sandbox.url, "--secret", "access_token=x"
    )
    assert other.returncode == 0, other.stderr
    assert "only the OAuth presets" in one_line_error(run_cli("decode", "abc", "--introspect", "tot"))


def test_the_token_sent_for_introspection_is_in_no_history_file(cc, workbench_home):
    token = run_cli("token", cc).stdout.strip()
    assert run_cli("decode", token, "--introspect", cc).returncode == 0
    for path in workbench_home.rglob("*"):
        if path.is_file() and path.suffix == ".sqlite":
            with sqlite3.connect(path) as db:
                dump = "\n".join(db.iterdump())
            assert token not in dump
        elif path.is_file():
            assert token not in path.read_text(errors="replace")
