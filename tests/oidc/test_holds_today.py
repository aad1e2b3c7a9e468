"""`workbench login` / `token` / `profile rm` against a certified OpenID provider: what held before
issue 18 (PKCE, state, nonce, RFC 9207 `iss`, id_token checks, rotation, the device flow, every
client authentication method, revocation on `profile rm`).

Each test registers its own client at the session's oidc-provider (tests/oidc/server.mjs), creates
a profile with the CLI and runs the real CLI in subprocesses; tokens land in a real Secret Service.
Clients marked `refresh_without_offline_access` get a refresh token without `offline_access` (a
deployment choice), so these tests do not depend on the fixes of issue 18.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import run_cli
from tests.oauth.conftest import start_login
from tests.oidc.conftest import add_profile, login

pytestmark = pytest.mark.usefixtures("keychain")


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("workbench: error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_login_sends_pkce_state_and_nonce_and_refresh_rotates_across_processes(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")

    run = login("app", browser)
    assert run.returncode == 0, run.stderr
    assert "logged in to 'app' as alice" in run.stderr and run.stdout == ""
    authorize = query_of(browser.opened()[0])
    assert authorize["code_challenge_method"] == "S256" and len(authorize["code_challenge"]) == 43
    assert authorize["state"] and authorize["nonce"]
    assert authorize["redirect_uri"].startswith("http://127.0.0.1:") and authorize["redirect_uri"].endswith(
        "/callback"
    )
    (exchange,) = oidc_server.calls(cid, "/token", grant_type="authorization_code")
    assert exchange["status"] == 200 and len(exchange["form"]["code_verifier"]) >= 43
    assert browser.callbacks()[-1]["status"] == 200

    first = json.loads(run_cli("token", "app", "--json").stdout)
    assert first["obtained_by"] == "cache"
    (issued,) = oidc_server.live_refresh_tokens(cid)

    second = run_cli("token", "app", "--refresh", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["obtained_by"] == "refresh"
    assert json.loads(second.stdout)["access_token"] != first["access_token"]
    third = run_cli("token", "app", "--refresh", "--json")  # a third process, with the rotated token
    assert third.returncode == 0, third.stderr
    refreshes = oidc_server.calls(cid, "/token", grant_type="refresh_token")
    assert [r["status"] for r in refreshes] == [200, 200]
    assert refreshes[0]["form"]["refresh_token"] != refreshes[1]["form"]["refresh_token"]
    live = oidc_server.live_refresh_tokens(cid)
    assert len(live) == 1 and live[0]["jti"] != issued["jti"]  # rotated: the first one is consumed


def test_a_forged_state_is_refused_and_the_code_never_redeemed(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    browser.mode = "forge-state"
    run = run_cli("login", "app", "--timeout", "4", env=browser.env(), timeout=60)
    # Refused, and the login keeps waiting for the real answer until its timeout (issue 17).
    assert run.returncode != 0
    assert "1 request(s) with a wrong or missing state were refused" in error_line(run.stderr)
    assert browser.callbacks()[-1]["status"] == 400
    assert not oidc_server.calls(client["client_id"], "/token")
    assert run_cli("token", "app").returncode != 0


def test_an_answer_naming_another_issuer_is_refused_rfc9207(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    browser.mode = "forge-iss"
    run = login("app", browser)
    assert run.returncode != 0 and "another issuer" in error_line(run.stderr)
    assert not oidc_server.calls(client["client_id"], "/token")


def test_denied_consent_is_one_line_and_nothing_is_stored(oidc_server, browser):
    client = oidc_server.register()
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    browser.mode = "deny"
    run = login("app", browser)
    assert run.returncode != 0 and "access_denied" in error_line(run.stderr)
    assert run_cli("token", "app").returncode != 0


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_confidential_clients_authenticate_as_registered(oidc_server, browser, method):
    client = oidc_server.register(token_endpoint_auth_method=method, refresh_without_offline_access=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("app", browser).returncode == 0
    assert run_cli("token", "app", "--refresh").returncode == 0
    calls = oidc_server.calls(client["client_id"], "/token")
    assert [c["status"] for c in calls] == [200, 200]
    for call in calls:
        if method == "client_secret_basic":
            assert call["authorization"] == "Basic" and "client_secret" not in call["form"]
        else:
            assert call["authorization"] is None and call["form"]["client_secret"] == client["client_secret"]


def test_private_key_jwt_with_a_registered_key(oidc_server, browser, tmp_path):
    keys = tmp_path / "keys"
    assert run_cli("keygen", "--alg", "ES256", "--out", str(keys)).returncode == 0
    jwk = json.loads((keys / "public.jwk.json").read_text())
    client = oidc_server.register(
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [jwk]},
        refresh_without_offline_access=True,
    )
    add_profile(
        "app",
        oidc_server.issuer,
        client,
        "--set",
        "scope=openid",
        "--secret",
        f"private_key=@{keys / 'private.pem'}",
    )
    run = login("app", browser)
    assert run.returncode == 0, run.stderr
    (exchange,) = oidc_server.calls(client["client_id"], "/token")
    assert exchange["status"] == 200 and exchange["form"]["client_assertion_type"].endswith("jwt-bearer")


def test_device_flow_login_then_denied(oidc_server, browser):
    client = oidc_server.register(
        grant_types=["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        response_types=[],
        refresh_without_offline_access=True,
    )
    add_profile("tv", oidc_server.issuer, client, "--set", "scope=openid", preset="oauth2-device-code")
    for mode in ("approve", "deny"):
        browser.mode = mode
        running = start_login("tv", "--timeout", "60")
        line = running.wait_for(lambda text: text.startswith("or open "))
        assert browser.visit(line.removeprefix("or open ").strip()) == 0
        code, _out, err = running.finish(timeout=60)
        if mode == "approve":
            assert code == 0 and "logged in to 'tv' as alice" in err, err
        else:
            assert code != 0 and "denied" in error_line(err)
    polls = oidc_server.calls(client["client_id"], "/token")
    assert polls and all(p["form"]["grant_type"].endswith("device_code") for p in polls)


def test_profile_rm_revokes_the_refresh_token_at_the_issuer(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("app", browser).returncode == 0
    assert len(oidc_server.live_refresh_tokens(cid)) == 1
    removed = run_cli("profile", "rm", "app")
    assert removed.returncode == 0 and "revoked at the issuer" in removed.stderr
    assert oidc_server.live_refresh_tokens(cid) == []
    (revocation,) = oidc_server.calls(cid, "/token/revocation")
    assert revocation["status"] == 200 and revocation["form"]["token_type_hint"] == "refresh_token"
