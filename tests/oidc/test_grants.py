"""Issue 22 item 4 against oidc-provider: the JWT bearer grant (RFC 7523 §2.1) and token exchange
(RFC 8693), each driven through the real CLI.

oidc-provider ships neither grant; tests/oidc/server.mjs registers both with its
`registerGrantType` extension API, and those two handlers are ours (the JWT bearer grant checks
the assertion with the client's registered JWKS; token exchange looks the subject token up
through oidc-provider's own AccessToken model). So every assertion is also decoded here by an
independent verifier, PyJWT with the public key, and every claim checked.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.integration.conftest import one_line_error, run_cli
from tests.oidc.conftest import add_profile, login

pytestmark = pytest.mark.usefixtures("keychain")

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def known(oidc_server, token: str) -> dict[str, Any]:
    """What oidc-provider knows of a token it issued (a test-only route of server.mjs)."""
    answer = httpx.post(oidc_server.url("/__test/access_token"), data={"token": token}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def keypair(tmp_path: Path, alg: str = "ES256") -> tuple[Path, dict[str, Any]]:
    out = tmp_path / f"keys-{alg}"
    assert run_cli("keygen", "--alg", alg, "--out", str(out)).returncode == 0
    return out, json.loads((out / "public.jwk.json").read_text())


def bearer_client(oidc_server, jwk: dict[str, Any]) -> dict[str, Any]:
    return oidc_server.register(
        grant_types=[JWT_BEARER],
        response_types=[],
        redirect_uris=[],
        application_type="web",
        token_endpoint_auth_method="none",
        jwks={"keys": [jwk]},
        scope="read write",
    )


def add_bearer_profile(name: str, oidc_server, client: dict[str, Any], keys: Path, *extra: str) -> None:
    run = run_cli(
        "profile", "add", name, "--preset", "oauth2-jwt-bearer", "--base-url", oidc_server.issuer,
        "--set", f"client_id={client['client_id']}", "--set", "token_path=/token",
        "--secret", f"private_key=@{keys / 'private.pem'}", *extra,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def check_assertion(assertion: str, public_key: Any, *, iss: str, sub: str, aud: str) -> dict[str, Any]:
    """The independent verifier: PyJWT with the public key checks the signature and every claim."""
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(
        assertion,
        public_key,
        algorithms=[header["alg"]],
        audience=aud,
        issuer=iss,
        options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
    )
    now = time.time()
    assert claims["sub"] == sub
    assert claims["iat"] <= now + 5 and 0 < claims["exp"] - claims["iat"] <= 300  # short-lived
    assert len(claims["jti"]) >= 16 and header["typ"] == "JWT" and header["kid"]
    return claims


def test_jwt_bearer_grant_mints_with_an_assertion_the_registered_key_signed(oidc_server, tmp_path):
    # The user's way: a profile first, then `keygen --profile` makes its key and prints the JWK
    # to register with the provider.
    added = run_cli(
        "profile", "add", "jb", "--preset", "oauth2-jwt-bearer", "--base-url", oidc_server.issuer,
        "--set", "token_path=/token", "--set", "scope=read", "--set", "assertion_subject=al",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    made = run_cli("keygen", "--profile", "jb")
    assert made.returncode == 0, made.stderr
    jwk = json.loads(made.stdout[made.stdout.index("{") :])  # after the public PEM
    client = bearer_client(oidc_server, jwk)
    assert run_cli("profile", "set", "jb", "--set", f"client_id={client['client_id']}").returncode == 0

    minted = run_cli("token", "jb", "--json")
    assert minted.returncode == 0, minted.stderr
    first = json.loads(minted.stdout)
    assert first["obtained_by"] == "mint" and first["expires_in"] > 200
    assert "issued_token_type" not in first  # only a token exchange names it

    (call,) = oidc_server.calls(client["client_id"], "/token", grant_type=JWT_BEARER)
    assert call["status"] == 200 and call["form"]["scope"] == "read"
    claims = check_assertion(
        call["form"]["assertion"],
        jwt.PyJWK(jwk).key,
        iss=client["client_id"],
        sub="al",
        aud=oidc_server.url("/token"),
    )
    assert jwt.get_unverified_header(call["form"]["assertion"])["kid"] == jwk["kid"]

    # What the provider issued is al's token (the assertion's sub), for the scope asked.
    info = known(oidc_server, first["access_token"])
    assert info["accountId"] == "al" and info["scope"] == "read"

    # No refresh token: a forced renewal mints again, with a fresh assertion (new jti).
    again = run_cli("token", "jb", "--refresh", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["obtained_by"] == "mint"
    second = oidc_server.calls(client["client_id"], "/token", grant_type=JWT_BEARER)[-1]
    renewed = jwt.decode(second["form"]["assertion"], options={"verify_signature": False})
    assert renewed["jti"] != claims["jti"]


def test_an_assertion_the_server_refuses_is_one_line_with_its_description(oidc_server, tmp_path):
    _keys, jwk = keypair(tmp_path)
    other, _ = keypair(tmp_path, "RS256")
    client = bearer_client(oidc_server, jwk)
    add_bearer_profile("jbx", oidc_server, client, other)  # signed with a key the client never registered
    run = run_cli("token", "jbx")
    line = one_line_error(run)
    assert "invalid_grant" in line and "assertion refused" in line
    assert run.stdout == ""
    assert not (Path(os.environ["WORKBENCH_HOME"]) / "state" / "jbx.json").exists()  # nothing stored


def user_profile(oidc_server, browser, name: str) -> dict[str, Any]:
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile(name, oidc_server.issuer, client, "--set", "scope=openid")
    run = login(name, browser)
    assert run.returncode == 0, run.stderr
    return client


def exchange_client(oidc_server) -> dict[str, Any]:
    return oidc_server.register(
        grant_types=[TOKEN_EXCHANGE, "client_credentials"],
        response_types=[],
        redirect_uris=[],
        application_type="web",
        token_endpoint_auth_method="client_secret_basic",
        scope="read write",
    )


def add_exchange_profile(name: str, oidc_server, client: dict[str, Any], *extra: str) -> None:
    run = run_cli(
        "profile", "add", name, "--preset", "oauth2-token-exchange", "--base-url", oidc_server.issuer,
        "--set", f"client_id={client['client_id']}", "--set", "token_path=/token",
        "--secret", f"client_secret={client['client_secret']}", *extra,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_token_exchange_on_behalf_of_a_logged_in_user(oidc_server, browser):
    user_profile(oidc_server, browser, "alice")
    service = exchange_client(oidc_server)
    add_exchange_profile(
        "obo", oidc_server, service, "--set", "subject_profile=alice", "--set", "scope=read",
        "--set", "audience=https://api.example.test",
    )  # fmt: skip

    run = run_cli("token", "obo", "--json")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["issued_token_type"] == ACCESS_TOKEN_TYPE and answer["obtained_by"] == "mint"

    alice = run_cli("token", "alice").stdout.strip()
    (sent,) = oidc_server.calls(service["client_id"], "/token", grant_type=TOKEN_EXCHANGE)
    form = sent["form"]
    assert form["subject_token"] == alice and form["subject_token_type"] == ACCESS_TOKEN_TYPE
    assert form["audience"] == "https://api.example.test" and form["scope"] == "read"
    assert "actor_token" not in form and sent["authorization"] == "Basic"
    info = known(oidc_server, answer["access_token"])
    assert info["accountId"] == "alice" and info["gty"] == "token_exchange"
    shown = run_cli("profile", "show", "obo").stdout
    assert "issued token type" in shown and "access_token" in shown


def test_token_exchange_with_an_actor_sends_the_actor_token(oidc_server, browser):
    user_profile(oidc_server, browser, "bob")
    service = exchange_client(oidc_server)
    cc = run_cli(
        "profile", "add", "svc", "--preset", "oauth2-client-credentials", "--base-url", oidc_server.issuer,
        "--set", f"client_id={service['client_id']}", "--set", "token_path=/token",
        "--secret", f"client_secret={service['client_secret']}",
    )  # fmt: skip
    assert cc.returncode == 0, cc.stderr
    both = ("--set", "subject_profile=bob", "--set", "actor_profile=svc")
    add_exchange_profile("act", oidc_server, service, *both)
    run = run_cli("token", "act", "--json")
    assert run.returncode == 0, run.stderr
    (sent,) = oidc_server.calls(service["client_id"], "/token", grant_type=TOKEN_EXCHANGE)
    assert sent["form"]["actor_token"] == run_cli("token", "svc").stdout.strip()
    assert sent["form"]["actor_token_type"] == ACCESS_TOKEN_TYPE
    token = json.loads(run.stdout)["access_token"]
    info = known(oidc_server, token)
    assert info["extra"]["act"] == {"sub": service["client_id"]}


def test_a_subject_profile_with_no_token_is_one_line_and_nothing_is_sent(oidc_server):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile("carol", oidc_server.issuer, client, "--set", "scope=openid")  # never logged in
    service = exchange_client(oidc_server)
    add_exchange_profile("nob", oidc_server, service, "--set", "subject_profile=carol")
    line = one_line_error(run_cli("token", "nob"))
    assert "exchanges the token of profile 'carol', which has none" in line
    assert "workbench login carol" in line
    assert oidc_server.calls(service["client_id"], "/token") == []


def test_a_cycle_or_a_missing_subject_profile_is_one_line_before_any_request(oidc_server):
    service = exchange_client(oidc_server)
    add_exchange_profile("ping", oidc_server, service, "--set", "subject_profile=pong")
    missing = one_line_error(run_cli("token", "ping"))
    assert "exchanges the token of profile 'pong', which does not exist" in missing
    # Saving the loop is refused; a file edited by hand is caught before the token request.
    refused = run_cli(
        "profile", "add", "pong", "--preset", "oauth2-token-exchange", "--base-url", oidc_server.issuer,
        "--set", "client_id=c", "--set", "subject_profile=ping",
    )  # fmt: skip
    assert "cycle (pong → ping → pong)" in one_line_error(refused)
    add_exchange_profile("pong", oidc_server, service, "--set", "subject_profile=alone")
    path = Path(os.environ["WORKBENCH_HOME"]) / "profiles" / "pong.toml"
    path.write_text(path.read_text().replace('"alone"', '"ping"'))
    cycle = one_line_error(run_cli("token", "ping"))
    assert "cycle (ping → pong → ping)" in cycle
    assert oidc_server.calls(service["client_id"], "/token") == []
