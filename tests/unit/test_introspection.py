"""The introspection request and answer (RFC 7662), with a fake server: what is sent, how the answer
reads, and that the token never comes back in an error line or a shown claim."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx
import pytest

from workbench.core.errors import OAuthError, ProviderResponseError
from workbench.core.oauth.discovery import OAuthTransport
from workbench.core.oauth.introspection import Introspected, introspect, introspection_rows
from workbench.core.oauth.protocol import ClientCredentials
from workbench.core.operations.introspection import clean_token

ENDPOINT = "https://as.example/introspect"
TOKEN = "opaque-token-0123456789abcdef"
NOW = 1_700_000_000.0


def _ask(status: int, body: object, creds: ClientCredentials | None = None):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    creds = creds or ClientCredentials(client_id="app", method="client_secret_post", client_secret="s3cret")
    with OAuthTransport(transport=httpx.MockTransport(answer)) as http:
        result = introspect(http, ENDPOINT, creds, TOKEN, "access_token", now=NOW)
    return result, seen


def test_the_token_goes_in_the_body_with_its_hint_and_the_clients_authentication():
    (active, claims), seen = _ask(200, {"active": True, "scope": "read", "exp": NOW + 90})
    (request,) = seen
    form = dict(parse_qsl(request.content.decode()))
    assert form == {
        "token": TOKEN,
        "token_type_hint": "access_token",
        "client_id": "app",
        "client_secret": "s3cret",
    }
    assert TOKEN not in str(request.url) and "dpop" not in request.headers
    assert active is True and claims == {"scope": "read", "exp": NOW + 90}


def test_private_key_jwt_signs_an_assertion_for_the_introspection_endpoint():
    import jwt

    from workbench.core.jose.keys import generate_key_pair

    pem = generate_key_pair("ES256").private_pem()
    creds = ClientCredentials(client_id="app", method="private_key_jwt", private_key=pem)
    _, seen = _ask(200, {"active": False}, creds)
    form = dict(parse_qsl(seen[0].content.decode()))
    claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
    assert claims["aud"] == ENDPOINT and claims["iss"] == claims["sub"] == "app"


def test_an_error_that_echoes_the_token_or_the_secret_is_redacted():
    with pytest.raises(OAuthError) as caught:
        _ask(401, {"error": "invalid_client", "error_description": f"bad {TOKEN} with s3cret"})
    line = str(caught.value)
    assert (
        line.startswith("token introspection failed (invalid_client")
        and TOKEN not in line
        and "s3cret" not in line
    )


def test_an_answer_without_a_boolean_active_is_refused():
    with pytest.raises(ProviderResponseError, match="no true/false `active` member"):
        _ask(200, {"active": "yes"})


def test_claims_that_echo_the_token_are_not_shown():
    (_, claims), _ = _ask(200, {"active": True, "note": f"token {TOKEN}", "nested": {"t": TOKEN}})
    assert TOKEN not in json.dumps(claims)


def test_the_rows_put_active_first_and_say_when_times_are():
    answer = Introspected(
        profile="p",
        endpoint=ENDPOINT,
        active=True,
        claims={"zeta": 1, "exp": NOW + 600, "cnf": {"jkt": "abc"}, "scope": "a b", "aud": ["x", "y"]},
        checked_at=NOW,
        token_type_hint="access_token",
    )
    rows = introspection_rows(answer, NOW)
    assert [name for name, _ in rows] == ["active", "scope", "aud", "exp", "cnf", "zeta"]
    shown = dict(rows)
    assert shown["exp"].endswith("UTC (in 10 min)") and shown["cnf"] == "jkt abc" and shown["aud"] == "x y"
    document = answer.to_json()
    assert document["expires_in"] == 600 and document["expires_at"].endswith("Z")
    inactive = Introspected("p", ENDPOINT, False, {}, NOW, "access_token")
    assert introspection_rows(inactive, NOW) == [("active", "false — the issuer does not accept this token")]


@pytest.mark.parametrize(
    ("text", "token"), [("  Bearer abc  ", "abc"), ("DPoP abc", "abc"), ("abc\n", "abc")]
)
def test_a_pasted_token_loses_its_scheme_and_space(text, token):
    assert clean_token(text) == token


@pytest.mark.parametrize("text", ["", "   ", "a b c", "x" * (64 * 1024 + 1)])
def test_what_is_not_a_token_is_one_line(text):
    from workbench.core.errors import InputError

    with pytest.raises(InputError, match="not a token to introspect"):
        clean_token(text)
