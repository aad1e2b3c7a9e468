"""A provider's token or device code with CR/LF or terminal escapes: refused, never printed.

`curl -H "$(workbench token p --format header)"` sent an injected header when the provider's
access token held CR/LF, and escape sequences in a token or a device `user_code` reached the
terminal. A token with a space, control or non-ASCII character is refused when it arrives (one
line, nothing stored), and nothing the CLI prints carries a control character. Visible ASCII
beyond RFC 6750's b64token (Salesforce's `!`, `|`, `:`) is what real providers issue: it works.
"""

from __future__ import annotations

import pytest

from tests.hostile.input_harness import Answer, ScriptedProvider, keyring_env, wb

CONTROL = {chr(c) for c in range(0x20)} | {"\x7f"}


@pytest.fixture
def env(workbench_home, tmp_path) -> dict[str, str]:
    return {"WORKBENCH_HOME": str(workbench_home), **keyring_env(tmp_path / "keyring.json")}


@pytest.fixture
def provider():
    with ScriptedProvider() as server:
        yield server


def _client_credentials(provider: ScriptedProvider, env: dict[str, str], access_token: str) -> None:
    provider.routes["/oauth/token"] = Answer(
        200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}
    )
    run = wb(
        "profile", "add", "p", "--preset", "oauth2-client-credentials", "--base-url", provider.url,
        "--set", "client_id=app", "--secret", "client_secret=s3cret", env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


HOSTILE_TOKENS = {
    "crlf header injection": "abc\r\nX-Injected: 1",
    "lone LF": "abc\nX-Injected: 1",
    "terminal escape": "abc\x1b]0;pwned\x07\x1b[2J",
    "NUL": "abc\x00def",
    "space inside": "abc def",
    "non-ASCII": "abc\u202edef",
}


@pytest.mark.parametrize("token", list(HOSTILE_TOKENS.values()), ids=list(HOSTILE_TOKENS))
def test_a_token_with_spaces_or_control_characters_is_refused_and_not_printed(provider, env, token):
    _client_credentials(provider, env, token)

    run = wb("token", "p", "--format", "header", env=env)

    line = run.one_error_line()
    assert "token" in line and "RFC 6749" in line
    assert run.stdout == ""
    assert not CONTROL & set(run.stderr.replace("\n", "")), repr(run.stderr)
    again = wb("token", "p", env=env)  # nothing was stored: the next run asks the provider again
    assert again.returncode != 0 and provider.hits("/oauth/token") == 2


@pytest.mark.parametrize(
    "token",
    ["gho_16C7e42F292c6912E7710c838347Ae178B4a-._~+/==", "00D5g000004GxyZ!AQ4AQFh.x|y:z"],
    ids=["b64token", "salesforce-style"],
)
def test_an_ordinary_opaque_token_still_works(provider, env, token):
    _client_credentials(provider, env, token)

    run = wb("token", "p", "--format", "header", env=env)

    assert run.returncode == 0, run.stderr
    assert run.stdout == f"Authorization: Bearer {token}\n"


def _device_profile(provider: ScriptedProvider, env: dict[str, str], document: dict[str, object]) -> None:
    provider.routes["/device"] = Answer(200, document)
    run = wb(
        "profile", "add", "tv", "--preset", "oauth2-device-code", "--base-url", provider.url,
        "--set", "client_id=tv-app",
        "--set", f"device_authorization_endpoint={provider.url}/device",
        "--set", f"token_endpoint={provider.url}/token", env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_a_device_user_code_with_terminal_escapes_never_reaches_the_terminal(provider, env):
    provider.routes["/token"] = Answer(400, {"error": "access_denied"})
    _device_profile(
        provider,
        env,
        {
            "device_code": "dc-1",
            "user_code": "WDJB\x1b]0;owned\x07\x1b[2J-MJHT",
            "verification_uri": provider.url + "/activate\x1b[31m",
            "interval": 5,
            "expires_in": 600,
        },
    )

    run = wb("login", "tv", "--no-browser", "--timeout", "20", env=env, timeout=40)

    assert run.returncode != 0
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr, repr(run.stderr)
    assert "Traceback" not in run.stderr


def test_a_device_interval_below_five_seconds_is_floored(provider, env):
    """RFC 8628 §3.5: 5 s when the server says nothing sensible. An interval of 0.001 made
    1,729 polls in 5 s; with the floor, a 4 s login cannot poll more than once."""
    provider.routes["/token"] = Answer(400, {"error": "authorization_pending"})
    _device_profile(
        provider,
        env,
        {
            "device_code": "dc-1",
            "user_code": "WDJB-MJHT",
            "verification_uri": provider.url + "/activate",
            "interval": 0.001,
            "expires_in": 600,
        },
    )

    run = wb("login", "tv", "--no-browser", "--timeout", "4", env=env, timeout=40)

    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert provider.hits("/token") <= 1, provider.hits("/token")


@pytest.mark.parametrize("command", [["token", "p", "--format", "header"], ["exec", "p", "--", "env"]])
def test_a_pasted_token_with_line_breaks_is_never_handed_on(env, command):
    """A token that arrived without a provider to check it (pasted, or imported from a teammate's
    collection) is checked where it leaves: no header line split, no variable with CR/LF."""
    added = wb(
        "profile", "add", "p", "--preset", "bearer", "--base-url", "http://127.0.0.1:9",
        "--secret", "access_token=abc\r\nX-Injected: 1", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    run = wb(*command, env=env)

    line = run.one_error_line()
    assert "control characters" in line
    assert "X-Injected" not in run.stdout
