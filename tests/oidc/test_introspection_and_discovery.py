"""Issue 22 items 5 and 6 against a certified OpenID provider (oidc-provider).

Introspection (RFC 7662): `decode --introspect PROFILE` asks the provider's introspection endpoint
with the profile's client authentication; its opaque access tokens are introspected only; a token
whose grant was revoked reads `active: false` (exit 3); a DPoP-bound token shows its `cnf.jkt`.

Discovery drives it: the provider mounted at /restricted offers only client_secret_post and
private_key_jwt. A profile asking for client_secret_basic there is one line naming what it offers,
before the browser opens or any token request; a profile that names no method gets the best one
the provider offers for what it stores (client_secret_post for a secret) and logs in.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.integration.conftest import run_cli
from tests.oidc.conftest import add_profile, login

pytestmark = pytest.mark.usefixtures("keychain")
RESTRICTED = "/restricted"


def test_the_restricted_provider_says_what_it_takes(oidc_server):
    document = httpx.get(oidc_server.url(f"{RESTRICTED}/.well-known/openid-configuration"), timeout=10).json()
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_post", "private_key_jwt"]


def test_a_client_auth_the_provider_does_not_offer_is_one_line_before_any_request(oidc_server, browser):
    client = oidc_server.register(mount=RESTRICTED, token_endpoint_auth_method="client_secret_post")
    issuer = oidc_server.url(RESTRICTED)
    add_profile("basic", issuer, {**client, "token_endpoint_auth_method": "client_secret_basic"})
    run = login("basic", browser)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("workbench: error: ") and "Traceback" not in run.stderr
    assert "client_auth client_secret_basic is not offered by the issuer" in line
    assert "(it takes client_secret_post, private_key_jwt)" in line and "nothing was sent" in line
    assert client["client_secret"] not in run.stderr
    assert browser.opened() == []
    assert [e for e in oidc_server.log(client["client_id"]) if e.get("path") in ("/auth", "/token")] == []


def test_a_profile_naming_no_method_gets_the_best_the_provider_offers(oidc_server, browser):
    client = oidc_server.register(mount=RESTRICTED, token_endpoint_auth_method="client_secret_post")
    issuer = oidc_server.url(RESTRICTED)
    added = run_cli(
        "profile", "add", "auto", "--preset", "oauth2-authorization-code", "--base-url", issuer,
        "--set", f"client_id={client['client_id']}", "--set", "scope=openid offline_access",
        "--secret", f"client_secret={client['client_secret']}",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    run = login("auto", browser)
    assert run.returncode == 0, run.stderr
    (exchange,) = oidc_server.calls(client["client_id"], "/token", grant_type="authorization_code")
    assert exchange["status"] == 200 and exchange["authorization"] is None  # in the body, not Basic
    refreshed = run_cli("token", "auto", "--refresh", "--json")
    assert refreshed.returncode == 0, refreshed.stderr


def test_decode_introspects_an_opaque_token_then_reads_inactive_once_revoked(oidc_server, browser):
    client = oidc_server.register(
        token_endpoint_auth_method="client_secret_basic", refresh_without_offline_access=True
    )
    add_profile("conf", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("conf", browser).returncode == 0
    token = run_cli("token", "conf").stdout.strip()
    run = run_cli("decode", token, "--introspect", "conf", "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["type"] == "opaque"  # oidc-provider's access tokens are opaque by default
    answer = document["introspection"]
    assert answer["endpoint"] == oidc_server.url("/token/introspection")
    assert answer["active"] is True and answer["claims"]["client_id"] == client["client_id"]
    assert answer["claims"]["sub"] == "alice" and "openid" in answer["claims"]["scope"].split()
    (asked,) = oidc_server.calls(client["client_id"], "/token/introspection")
    assert asked["authorization"] == "Basic" and asked["form"]["token_type_hint"] == "access_token"

    oidc_server.revoke_everything(client["client_id"])
    gone = run_cli("decode", token, "--introspect", "conf")
    assert gone.returncode == 3
    assert "active  false" in gone.stdout and "not active" in gone.stderr
    assert token not in gone.stderr


def test_a_dpop_bound_token_introspects_with_client_authentication_alone(oidc_server):
    client = oidc_server.register(
        grant_types=["client_credentials"],
        response_types=[],
        redirect_uris=[],
        application_type="web",
        token_endpoint_auth_method="client_secret_basic",
        dpop_bound_access_tokens=True,
    )
    add_profile(
        "svc-introspect", oidc_server.issuer, client,
        "--set", "token_path=/token", "--set", "scope=",
        "--set", "introspection_endpoint=/token/introspection",
        preset="oauth2-client-credentials",
    )  # fmt: skip
    jkt = run_cli("keygen", "--dpop", "--profile", "svc-introspect").stdout.split("jkt ", 1)[1].strip()
    minted = run_cli("token", "svc-introspect")
    assert minted.returncode == 0, minted.stderr
    run = run_cli("decode", minted.stdout.strip(), "--introspect", "svc-introspect")
    assert run.returncode == 0, run.stderr
    assert f"jkt {jkt}" in run.stdout and "DPoP" in run.stdout
    (asked,) = oidc_server.calls(client["client_id"], "/token/introspection")
    assert asked["status"] == 200 and asked["authorization"] == "Basic"  # no proof needed, none refused
