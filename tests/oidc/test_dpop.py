"""DPoP (RFC 9449) against a certified OpenID provider (oidc-provider with DPoP on and a nonce
required on every proof; the client registered with `dpop_bound_access_tokens`).

Issue 22's report: against such a server not one DPoP header was sent and the error was "code
exchange failed (invalid_grant)". Here a profile with a DPoP key logs in (dpop_jkt on the
authorization request, proofs on the code exchange), refreshes (its refresh token is bound to the
key: a public client) and calls the userinfo endpoint with `Authorization: DPoP` and a proof.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.integration.conftest import run_cli
from tests.oidc.conftest import add_profile, login

pytestmark = pytest.mark.usefixtures("keychain")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_dpop_bound_public_client_logs_in_refreshes_and_calls_userinfo(oidc_server, browser):
    client = oidc_server.register(dpop_bound_access_tokens=True, refresh_without_offline_access=True)
    add_profile("dp", oidc_server.issuer, client, "--set", "scope=openid")
    made = run_cli("keygen", "--dpop", "--profile", "dp")
    assert made.returncode == 0, made.stderr
    jkt = made.stdout.split("jkt ", 1)[1].strip()

    run = login("dp", browser)
    assert run.returncode == 0, run.stderr
    assert query_of(browser.opened()[0])["dpop_jkt"] == jkt
    first = json.loads(run_cli("token", "dp", "--json").stdout)
    assert first["token_type"] == "DPoP"

    second = run_cli("token", "dp", "--refresh", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["token_type"] == "DPoP"

    me = run_cli("call", "dp", oidc_server.url("/me"))
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["sub"] == "alice"
    # The server saw DPoP, never Bearer, on its userinfo endpoint.
    schemes = {e["authorization"] for e in oidc_server.log() if e.get("path") == "/me"}
    assert schemes == {"DPoP"}


def test_the_issue_report_without_a_dpop_key_names_the_fix(oidc_server, browser):
    client = oidc_server.register(dpop_bound_access_tokens=True, refresh_without_offline_access=True)
    add_profile("plain", oidc_server.issuer, client, "--set", "scope=openid")
    run = login("plain", browser)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    (line,) = [x for x in run.stderr.splitlines() if x.startswith("workbench: error:")]
    assert "code exchange failed (invalid_grant" in line
    assert "the issuer offers DPoP" in line and "workbench keygen --dpop --profile plain" in line


def test_a_dpop_key_the_issuer_cannot_take_is_one_line_before_any_request(oidc_server, browser):
    client = oidc_server.register(dpop_bound_access_tokens=True)
    add_profile("rsa", oidc_server.issuer, client, "--set", "scope=openid")
    assert run_cli("keygen", "--dpop", "--alg", "RS256", "--profile", "rsa").returncode == 0
    offered = httpx.get(oidc_server.url("/.well-known/openid-configuration"), timeout=10).json()
    if "RS256" in offered["dpop_signing_alg_values_supported"]:
        pytest.skip("this oidc-provider takes RS256 DPoP proofs")
    run = login("rsa", browser)
    assert run.returncode != 0 and "issuer takes" in run.stderr and "nothing was sent" in run.stderr
    assert browser.opened() == [] and oidc_server.calls(client["client_id"], "/token") == []


def test_client_credentials_with_dpop_and_introspection_shows_the_binding(oidc_server):
    client = oidc_server.register(
        grant_types=["client_credentials"],
        response_types=[],
        redirect_uris=[],
        application_type="web",
        token_endpoint_auth_method="client_secret_basic",
        dpop_bound_access_tokens=True,
    )
    add_profile(
        "svc",
        oidc_server.issuer,
        client,
        "--set",
        "token_path=/token",
        "--set",
        "scope=",
        preset="oauth2-client-credentials",
    )
    jkt = run_cli("keygen", "--dpop", "--profile", "svc").stdout.split("jkt ", 1)[1].strip()
    token = run_cli("token", "svc", "--json")
    assert token.returncode == 0, token.stderr
    body = json.loads(token.stdout)
    assert body["token_type"] == "DPoP"
    seen = httpx.post(
        oidc_server.url("/token/introspection"),
        data={"token": body["access_token"]},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    ).json()
    assert seen["active"] is True and seen["cnf"] == {"jkt": jkt} and seen["token_type"] == "DPoP"


def test_par_when_the_client_requires_it_with_dpop(oidc_server, browser):
    client = oidc_server.register(
        require_pushed_authorization_requests=True,
        dpop_bound_access_tokens=True,
        refresh_without_offline_access=True,
    )
    add_profile("pushed", oidc_server.issuer, client, "--set", "scope=openid", "--set", "par=always")
    assert run_cli("keygen", "--dpop", "--profile", "pushed").returncode == 0
    run = login("pushed", browser)
    assert run.returncode == 0, run.stderr
    opened = query_of(browser.opened()[0])
    assert set(opened) == {"client_id", "request_uri"}  # nothing else travels through the browser
    asked, pushed = oidc_server.calls(client["client_id"], "/request")
    assert asked["error"] == "use_dpop_nonce"  # the proof on the PAR request needs the nonce too
    assert pushed["status"] == 201 and pushed["form"]["code_challenge_method"] == "S256"
    assert json.loads(run_cli("token", "pushed", "--json").stdout)["token_type"] == "DPoP"


def test_a_client_that_requires_par_without_it_is_refused_by_the_server(oidc_server, browser):
    client = oidc_server.register(require_pushed_authorization_requests=True)
    add_profile("plain-par", oidc_server.issuer, client, "--set", "scope=openid")
    run = login("plain-par", browser)
    assert run.returncode != 0 and "Traceback" not in run.stderr


@pytest.mark.parametrize("par", ["auto", "always"])
def test_jar_signed_request_object_with_the_profile_key(oidc_server, browser, tmp_path, par):
    keys = tmp_path / "keys"
    assert run_cli("keygen", "--alg", "ES256", "--out", str(keys)).returncode == 0
    jwk = json.loads((keys / "public.jwk.json").read_text())
    client = oidc_server.register(
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [jwk]},
        require_signed_request_object=True,
        request_object_signing_alg="ES256",
        refresh_without_offline_access=True,
    )
    name = f"jar-{par}"
    add_profile(
        name,
        oidc_server.issuer,
        client,
        "--set",
        "scope=openid",
        "--set",
        "jar=always",
        "--set",
        f"par={par}",
        "--secret",
        f"private_key=@{keys / 'private.pem'}",
    )
    run = login(name, browser)
    assert run.returncode == 0, run.stderr
    opened = query_of(browser.opened()[0])
    if par == "always":
        assert set(opened) == {"client_id", "request_uri"}
        (pushed,) = oidc_server.calls(client["client_id"], "/request")
        assert "request" in pushed["form"] and "code_challenge" not in pushed["form"]
    else:
        assert set(opened) == {"client_id", "response_type", "scope", "request"}
        import jwt

        claims = jwt.decode(
            opened["request"], jwt.PyJWK(jwk).key, algorithms=["ES256"], audience=oidc_server.issuer
        )
        assert claims["iss"] == client["client_id"] and claims["code_challenge_method"] == "S256"
        assert jwt.get_unverified_header(opened["request"])["typ"] == "oauth-authz-req+jwt"


def test_jar_without_a_private_key_is_one_line_before_any_request(oidc_server, browser):
    client = oidc_server.register(require_signed_request_object=True)
    add_profile("nojar", oidc_server.issuer, client, "--set", "scope=openid", "--set", "jar=always")
    run = login("nojar", browser)
    assert run.returncode != 0 and "signed with the profile's private_key, and it has none" in run.stderr
    assert browser.opened() == []


def test_client_secret_jwt_for_login_and_client_credentials(oidc_server, browser):
    client = oidc_server.register(
        token_endpoint_auth_method="client_secret_jwt",
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        refresh_without_offline_access=True,
    )
    add_profile("csj", oidc_server.issuer, client, "--set", "scope=openid")
    run = login("csj", browser)
    assert run.returncode == 0, run.stderr
    (exchange,) = oidc_server.calls(client["client_id"], "/token", grant_type="authorization_code")
    assertion = exchange["form"]["client_assertion"]
    import jwt

    claims = jwt.decode(
        assertion, client["client_secret"], algorithms=["HS256"], audience=oidc_server.url("/token")
    )
    assert claims["iss"] == claims["sub"] == client["client_id"]
    assert run_cli("token", "csj", "--refresh").returncode == 0

    add_profile(
        "csj-cc", oidc_server.issuer, client, "--set", "token_path=/token", preset="oauth2-client-credentials"
    )
    minted = run_cli("token", "csj-cc", "--json")
    assert minted.returncode == 0, minted.stderr
