"""`workbench history` through the real command line after real calls: what is listed and stored (never a
token, header or body), --off/--on for every process, --clear, the jsonl migration, a damaged file."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import files_text, run_cli
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain


@pytest.fixture
def profile(paymentsgate_in_keychain):
    return paymentsgate_in_keychain


def _history(*args: str) -> list[dict]:
    run = run_cli("history", "--json", *args)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_calls_are_listed_newest_first_with_status_duration_and_size_and_nothing_secret(
    profile, workbench_home
):
    assert run_cli("call", profile, "/api/echo?card=4111111111111111").returncode == 0
    assert run_cli("call", profile, "POST", "/api/echo", "--json-body", '{"pin": "9876"}').returncode == 0
    rows = _history()
    assert [(r["method"], r["status"]) for r in rows] == [("POST", 200), ("GET", 200)]
    first = rows[1]
    assert first["profile"] == profile and first["url"].endswith("/api/echo?card=[redacted]")
    assert first["size"] > 0 and 0 < first["duration"] < 30 and first["time"].endswith("Z")
    assert set(first) == {"time", "profile", "method", "url", "status", "duration", "size", "error"}
    assert [r["method"] for r in _history(profile, "--limit", "1")] == ["POST"]
    text = run_cli("history").stdout
    assert text.splitlines()[0].split()[1:4] == [profile, "POST", "200"]
    stored = files_text(workbench_home)
    token = Vault().load(profile, "access_token")
    for leaked in (token, "4111111111111111", "9876", "Authorization"):
        assert leaked not in stored


def test_history_off_stops_recording_in_other_processes_and_clear_forgets(profile):
    assert run_cli("call", profile, "/api/echo").returncode == 0
    off = run_cli("history", "--off")
    assert off.returncode == 0 and "history is off" in off.stderr
    assert run_cli("call", profile, "/api/echo").returncode == 0
    listed = run_cli("history")
    assert len(listed.stdout.splitlines()) == 1 and "history is off" in listed.stderr
    assert run_cli("history", "--on").returncode == 0
    assert run_cli("call", profile, "/api/echo").returncode == 0
    assert len(_history()) == 2
    cleared = run_cli("history", "--clear")
    assert "history cleared (2 requests)" in cleared.stderr
    assert _history() == []


def test_the_jsonl_history_of_earlier_versions_is_migrated(workbench_home):
    (workbench_home / "history.jsonl").write_text(
        json.dumps({"time": "2026-11-30T10:00:00.000Z", "profile": "old", "method": "GET",
                    "url": "https://x/1", "status": 204, "elapsed": 0.05, "error": None}) + "\n"
    )  # fmt: skip
    rows = _history()
    assert [(r["profile"], r["status"], r["time"]) for r in rows] == [
        ("old", 204, "2026-11-30T10:00:00.000Z")
    ]
    assert (workbench_home / "history.jsonl.migrated").exists()


def test_a_damaged_history_file_never_breaks_a_call_and_is_one_line_to_read(profile, workbench_home):
    (workbench_home / "history.sqlite3").write_bytes(b"not a database at all" * 64)
    called = run_cli("call", profile, "/api/echo")
    assert called.returncode == 0, called.stderr
    listed = run_cli("history")
    lines = listed.stderr.strip().splitlines()
    assert listed.returncode == 1 and len(lines) == 1 and "history --clear" in lines[0]
    assert run_cli("history", "--clear").returncode == 0
    assert _history() == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--limit", "0"], "between 1 and"),
        (["--limit", "x"], "not a whole number"),
        (["a/b"], "path separators"),
        (["--off", "--on"], "not allowed with"),
    ],
)
def test_bad_history_options_are_one_line(args, expected):
    run = run_cli("history", *args)
    assert run.returncode != 0
    (line,) = run.stderr.strip().splitlines()
    assert expected in line and "Traceback" not in run.stderr
