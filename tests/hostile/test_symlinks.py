"""A hostile local process plants symbolic links where workbench writes: nothing is written
through them, and no target is created.

The links: `history.sqlite3` to another SQLite file or to a path that does not exist yet; a
profile's lock file to a path that does not exist yet; the temporary names of the OAuth
discovery cache and of `keygen --out`'s public files, which were predictable (`<pid>` in the
name), to a file of the user's.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from tests.hostile.conftest import ROOT
from workbench.sandbox import Sandbox

VICTIM_TEXT = "the user's own file\n"


@pytest.fixture
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def tot(cli, sandbox):
    """A token-of-trust profile of the sandbox, its secrets in the file keyring."""
    demo = sandbox.demo_profiles()["token-of-trust"]
    add = cli(
        "profile", "add", "tot", "--preset", "token-of-trust", "--base-url", demo["base_url"],
        "--set", f"app_domain={demo['vars']['app_domain']}",
        "--secret", "api_key=@env:WB_A", "--secret", "secret_key=@env:WB_S",
        env={"WB_A": demo["secrets"]["api_key"], "WB_S": demo["secrets"]["secret_key"]},
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    return "tot"


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}


@pytest.fixture
def other_database(tmp_path):
    """Another program's SQLite file, with one table of its own."""
    path = tmp_path / "elsewhere" / "notes.sqlite3"
    path.parent.mkdir()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    return path


def _one_error_line(run) -> str:
    assert run.returncode != 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    lines = [ln for ln in run.stderr.splitlines() if not ln.startswith("workbench: warning: ")]
    assert len(lines) == 1 and lines[0].startswith("workbench: error: "), run.stderr
    return lines[0]


def test_a_history_link_to_another_database_adds_no_tables_to_it(cli, tot, workbench_home, other_database):
    (workbench_home / "history.sqlite3").symlink_to(other_database)
    called = cli("call", tot, "/api/echo")
    listed = cli("history")
    assert _tables(other_database) == {"notes"}
    assert called.returncode == 0, called.stderr  # history is a convenience: the call itself works
    assert "symbolic link" in _one_error_line(listed)


def test_a_dangling_history_link_creates_nothing_where_it_points(cli, tot, workbench_home, tmp_path):
    target = tmp_path / "elsewhere" / "planted.sqlite3"
    target.parent.mkdir()
    (workbench_home / "history.sqlite3").symlink_to(target)
    called = cli("call", tot, "/api/echo")
    listed = cli("history")
    assert not target.exists()
    assert called.returncode == 0, called.stderr
    assert "symbolic link" in _one_error_line(listed)


def test_a_dangling_lock_link_creates_nothing_where_it_points(cli, tot, workbench_home, tmp_path):
    target = tmp_path / "elsewhere" / "planted.lock"
    target.parent.mkdir()
    locks = workbench_home / "locks"
    locks.mkdir(exist_ok=True)
    (locks / f"{tot}.lock").unlink(missing_ok=True)  # `profile add` held it
    (locks / f"{tot}.lock").symlink_to(target)
    token = cli("token", tot)
    changed = cli("profile", "set", tot, "--set", "app_domain=other.example")
    assert not target.exists()
    assert "symbolic link" in _one_error_line(token)
    assert "symbolic link" in _one_error_line(changed)


def test_keygen_out_writes_its_public_files_through_no_planted_temp_link(tmp_path):
    """The temp names were `.public.pem.tmp<pid>`: a link planted for the process's pid (here by
    the process itself before it execs workbench, so the pid is the one workbench gets)."""
    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    out = tmp_path / "keys"
    out.mkdir()
    plant = (
        "import os, sys\n"
        "out, victim = sys.argv[1], sys.argv[2]\n"
        "for name in ('public.pem', 'public.jwk.json'):\n"
        "    os.symlink(victim, os.path.join(out, f'.{name}.tmp{os.getpid()}'))\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'workbench', 'keygen', '--out', out])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", plant, str(out), str(victim)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert victim.read_text() == VICTIM_TEXT
    assert run.returncode == 0, run.stderr
    assert (out / "public.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert not (out / "public.pem").is_symlink()


def test_the_discovery_cache_writes_through_no_planted_temp_link(tmp_path):
    """The temp name was `state/NAME.oauth.<pid>.tmp`."""
    from workbench.core.oauth.discovery import DiscoveryCache
    from workbench.core.oauth.protocol import Endpoints

    victim = tmp_path / "victim.txt"
    victim.write_text(VICTIM_TEXT)
    state = tmp_path / "state"
    state.mkdir()
    (state / f"issuer.oauth.{os.getpid()}.tmp").symlink_to(victim)
    cache = DiscoveryCache(state)
    issuer = "https://issuer.example"
    cache.save("issuer", issuer, Endpoints(issuer=issuer, token_endpoint=f"{issuer}/token"))
    assert victim.read_text() == VICTIM_TEXT
    assert cache.load("issuer", issuer) == Endpoints(issuer=issuer, token_endpoint=f"{issuer}/token")
