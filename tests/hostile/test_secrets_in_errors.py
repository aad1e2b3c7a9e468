"""Issue 17 item 17: a secret echoed back by a provider never reaches an error line, in any
encoding it went out in, whatever its length. Before, a `client_secret_post` secret echoed by
the provider was printed URL-encoded, and an 18-character bearer echoed in a 500 was printed."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, quote, quote_plus

import pytest

from tests.hostile.server import Reply, Seen

# Characters that change under every encoding it goes out in (form, percent, JSON, Basic).
SECRET = 'se+cr/et=x&y "z"'
CLIENT_ID = "cli:ent"


def _forms(value: str) -> set[str]:
    return {
        value,
        quote(value, safe=""),
        quote_plus(value),
        quote(value),
        value.replace('"', '\\"'),
        base64.b64encode(value.encode()).decode(),
        base64.urlsafe_b64encode(value.encode()).decode().rstrip("="),
    }


def _echo(seen: Seen) -> Reply:
    """A token endpoint that quotes back everything it was sent, the way careless servers do."""
    sent = f"{seen.headers.get('authorization', '')} {seen.body.decode()}"
    return Reply.json({"error": "invalid_client", "error_description": f"rejected: {sent}"}, status=401)


def _client_credentials(cli, add_profile, provider, client_auth: str) -> None:
    provider.route("/oauth/token", _echo)
    add_profile(
        "cc",
        "oauth2-client-credentials",
        provider.url,
        secrets={"client_secret": SECRET},
        sets={"client_id": CLIENT_ID, "client_auth": client_auth},
    )


def _assert_no_form_of(text: str, *values: str) -> None:
    for value in values:
        for form in _forms(value):
            assert form not in text, (form, text)


@pytest.mark.parametrize("client_auth", ["client_secret_post", "client_secret_basic"])
def test_a_client_secret_echoed_by_the_token_endpoint_is_redacted(cli, provider, add_profile, client_auth):
    _client_credentials(cli, add_profile, provider, client_auth)
    run = cli("token", "cc")
    line = run.error_line()
    assert "rejected" in line
    _assert_no_form_of(run.stderr, SECRET)
    basic = provider.seen[-1].headers.get("authorization", "")
    if basic:
        assert basic.split(" ", 1)[1] not in run.stderr
    else:
        assert ("client_secret", SECRET) in parse_qsl(provider.seen[-1].body.decode())


@pytest.mark.parametrize("token", ["tok-18-chars-abcde", "x9Q"])
def test_a_short_bearer_echoed_in_a_server_error_is_redacted(cli, provider, add_profile, token):
    provider.route("/data", Reply.json({"message": f"token {token} is not welcome here"}, status=500))
    add_profile("pasted", "bearer", provider.url, secrets={"access_token": token})
    run = cli("call", "pasted", "/data")
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    _assert_no_form_of(run.stderr, token)
