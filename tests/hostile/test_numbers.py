"""Out-of-range numbers from a provider: clamped or refused, never lost tokens or broken output.

`expires_in` of 10^400 raised OverflowError after the provider had rotated the refresh token
(the new one was lost); 1e300 cached the token for ever (`Infinity` in the state file); a JWT
`exp` in milliseconds broke `token --json` and exec-credential on every run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.hostile.input_harness import Answer, ScriptedProvider, Seen, keyring_env, unsigned_jwt, wb

MAX_SANE_EXPIRES_IN = 10 * 366 * 86400  # whatever the clamp is, a token is not cached for decades


@pytest.fixture
def keyring_file(tmp_path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
def env(workbench_home, keyring_file) -> dict[str, str]:
    return {"WORKBENCH_HOME": str(workbench_home), **keyring_env(keyring_file)}


@pytest.fixture
def provider():
    with ScriptedProvider() as server:
        yield server


def _raw(body: str) -> Answer:
    return Answer(200, body.encode())


def _add(env: dict[str, str], *args: str) -> None:
    run = wb("profile", "add", *args, env=env)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("expires_in", ["1" + "0" * 400, "1e400"], ids=["10^400", "1e400"])
def test_a_rotated_refresh_token_survives_an_absurd_expires_in(provider, env, keyring_file, expires_in):
    def refresh(seen: Seen) -> Answer:
        if b"R1-original" in seen.body:
            rotated = '{"access_token": "AT-2", "refresh_token": "R2-rotated", "expires_in": %s}'
            return _raw(rotated % expires_in)
        if b"R2-rotated" in seen.body:
            return _raw('{"access_token": "AT-3", "refresh_token": "R3-rotated", "expires_in": 3600}')
        return Answer(400, {"error": "invalid_grant"})

    provider.routes["/oauth/token"] = refresh
    _add(env, "r", "--preset", "oauth2-refresh-token", "--base-url", provider.url,
         "--set", "client_id=app", "--secret", "refresh_token=R1-original")  # fmt: skip

    first = wb("token", "r", "--json", env=env)

    assert "Traceback" not in first.stderr and "internal error" not in first.stderr, first.stderr
    assert "R2-rotated" in keyring_file.read_text() or "R3-rotated" in keyring_file.read_text()
    if first.returncode == 0:
        shown = json.loads(first.stdout)["expires_in"]
        assert shown is None or 0 <= shown <= MAX_SANE_EXPIRES_IN
    second = wb("token", "r", "--refresh", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "AT-3"


@pytest.mark.parametrize("expires_in", ["1e300", "1e400", "1" + "0" * 400], ids=["1e300", "1e400", "10^400"])
def test_a_huge_expires_in_does_not_cache_the_token_for_ever(provider, env, workbench_home, expires_in):
    provider.routes["/oauth/token"] = _raw(f'{{"access_token": "AT-1", "expires_in": {expires_in}}}')
    _add(env, "c", "--preset", "oauth2-client-credentials", "--base-url", provider.url,
         "--set", "client_id=app", "--secret", "client_secret=s3cret")  # fmt: skip

    run = wb("token", "c", "--json", env=env)

    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["expires_in"] is not None and 0 < shown["expires_in"] <= MAX_SANE_EXPIRES_IN
    for path in workbench_home.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".toml"):
            text = path.read_text(errors="replace")
            assert "Infinity" not in text and "NaN" not in text and "e+300" not in text, path


def test_a_jwt_exp_in_milliseconds_keeps_token_json_and_exec_credential_working(provider, env):
    now = int(time.time())
    token = unsigned_jwt({"sub": "svc", "iat": now, "exp": (now + 3600) * 1000})
    provider.routes["/oauth/token"] = Answer(200, {"access_token": token, "token_type": "Bearer"})
    _add(env, "c", "--preset", "oauth2-client-credentials", "--base-url", provider.url,
         "--set", "client_id=app", "--secret", "client_secret=s3cret")  # fmt: skip

    as_json = wb("token", "c", "--json", env=env)
    cached = wb("token", "c", "--json", env=env)
    credential = wb("token", "c", "--format", "exec-credential", env=env)

    for run in (as_json, cached, credential):
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    for run in (as_json, cached):
        shown = json.loads(run.stdout)
        assert 0 < shown["expires_in"] <= 3600 + 60, shown
    status = json.loads(credential.stdout)["status"]
    assert status["token"] == token and status["expirationTimestamp"].startswith(time.strftime("%Y-"))
