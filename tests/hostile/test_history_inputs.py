"""History and `call` inputs: no rendered secret in history, damaged history or absurd JSON in one line.

A profile whose request template puts a secret into the URL path had that secret stored in
the history in plaintext (history redacted query values and token-shaped path parts only).
A history file that is not SQLite printed a traceback on every `call`; `--json-body` nested
50,000 deep or holding a 5,000-digit number ended in "internal error".
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.hostile.input_harness import Answer, ScriptedProvider, keyring_env, wb

SECRET = "hunter2 Pl41n-path secret"


@pytest.fixture
def env(workbench_home, tmp_path) -> dict[str, str]:
    return {"WORKBENCH_HOME": str(workbench_home), **keyring_env(tmp_path / "keyring.json")}


@pytest.fixture
def provider():
    with ScriptedProvider() as server:
        server.routes["/oauth/token"] = Answer(200, {"access_token": "AT-1", "expires_in": 3600})
        yield server


def _profile(provider: ScriptedProvider, env: dict[str, str], workbench_home: Path) -> None:
    run = wb(
        "profile", "add", "p", "--preset", "oauth2-client-credentials", "--base-url", provider.url,
        "--set", "client_id=app", "--secret", f"client_secret={SECRET}", env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def _history_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.glob("history.sqlite3*") if p.is_file())


def test_a_secret_rendered_into_a_request_path_is_redacted_in_history(provider, env, workbench_home):
    _profile(provider, env, workbench_home)
    encoded = quote(SECRET)
    provider.routes[f"/mint/{encoded}/token"] = Answer(200, {"access_token": "AT-1", "expires_in": 3600})
    profile_file = workbench_home / "profiles" / "p.toml"
    profile_file.write_text(
        profile_file.read_text() + '\n[override.mint]\npath = "/mint/{{ secrets.client_secret }}/token"\n'
    )

    minted = wb("token", "p", env=env)
    listed = wb("history", "--json", env=env)

    assert minted.returncode == 0, minted.stderr
    assert provider.hits(f"/mint/{encoded}/token") == 1  # the secret did go out, in the path
    assert listed.returncode == 0, listed.stderr
    assert "/mint/" in listed.stdout and "/token" in listed.stdout
    stored = _history_bytes(workbench_home)
    for form in (SECRET, encoded, SECRET.replace(" ", "+"), "Pl41n-path"):
        assert form not in listed.stdout
        assert form.encode() not in stored, form


def test_a_history_file_that_is_not_sqlite_costs_call_one_warning_line(provider, env, workbench_home):
    _profile(provider, env, workbench_home)
    for name in ("history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"):
        (workbench_home / name).unlink(missing_ok=True)
    (workbench_home / "history.sqlite3").write_bytes(b"this is not a database\n" * 200)

    runs = [wb("call", "p", "GET", "/things", env=env) for _ in range(2)]

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == '{"ok": true}'
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) <= 1, run.stderr
        assert all(line.startswith("workbench: warning: ") and "history" in line for line in lines), lines
    assert "history --clear" in runs[0].stderr  # what to do about it


@pytest.mark.parametrize(
    "body",
    ["[" * 50_000 + "]" * 50_000, '{"n": ' + "7" * 5_000 + "}"],
    ids=["nested 50k deep", "5000-digit number"],
)
def test_an_absurd_json_body_is_one_clear_line(provider, env, workbench_home, body):
    _profile(provider, env, workbench_home)

    run = wb("call", "p", "POST", "/things", "--json-body", body, env=env)

    line = run.one_error_line()
    assert "--json-body" in line
    assert provider.hits("/things") == 0


def test_an_ordinary_json_body_with_a_big_but_sane_number_is_sent(provider, env, workbench_home):
    _profile(provider, env, workbench_home)

    run = wb("call", "p", "POST", "/things", "--json-body", '{"n": 123456789012345678901234567890}', env=env)

    assert run.returncode == 0, run.stderr
    sent = [s for s in provider.seen if s.path == "/things"]
    assert sent and b"123456789012345678901234567890" in sent[0].body


def test_a_secret_rendered_into_a_verify_path_is_redacted_in_history(provider, workbench_home):
    """The provider's own token check (`[verify]`) renders templates with secrets too."""
    from workbench.core.clock import Clock
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore
    from workbench.core.storage.vault import MemoryKeyring, Vault

    encoded = quote(SECRET)
    provider.routes[f"/verify/{encoded}"] = Answer(200, {"active": True})
    store = ProfileStore(presets=PresetCatalog.load_default())
    store.create(
        "v",
        preset="oauth2-client-credentials",
        base_url=provider.url,
        vars={"client_id": "app"},
        secret_names=["client_secret"],
        override={"verify": {"method": "GET", "path": "/verify/{{ secrets.client_secret }}", "auth": True}},
    )
    vault = Vault(MemoryKeyring())
    vault.store("v", "client_secret", SECRET)
    engine = TokenEngine(profiles=store, vault=vault, clock=Clock())
    try:
        engine.verify_remote("v")
        assert engine.flush_history()
    finally:
        engine.close()

    assert provider.hits(f"/verify/{encoded}") == 1
    stored = _history_bytes(workbench_home)
    assert b"/verify/" in stored
    for form in (SECRET, encoded, "Pl41n-path"):
        assert form.encode() not in stored, form
