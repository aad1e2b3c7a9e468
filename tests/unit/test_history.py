"""Request history keeps names and outcomes, never secrets, and never grows without bound."""

from __future__ import annotations

import json
import os
import stat
import threading

import jwt as pyjwt

from workbench.core.history import History, redact_url


def test_history_lives_in_workbench_home_by_default(workbench_home):
    history = History()
    history.record(
        profile="tm", method="post", url="https://api.x/v1/auth/token/refresh", status=200, elapsed=0.12345
    )
    assert history.path == workbench_home / "history.jsonl"
    (entry,) = history.entries()
    assert entry["profile"] == "tm"
    assert entry["method"] == "POST"
    assert entry["url"] == "https://api.x/v1/auth/token/refresh"
    assert entry["status"] == 200
    assert entry["elapsed"] == 0.1235
    assert entry["error"] is None
    assert entry["time"].endswith("Z")


def test_entries_are_newest_first_and_filter_by_profile(tmp_path):
    history = History(tmp_path / "h.jsonl")
    for i in range(5):
        history.record(
            profile="a" if i % 2 else "b", method="GET", url=f"https://x/{i}", status=200, elapsed=0.1
        )
    assert [e["url"] for e in history.entries()] == [f"https://x/{i}" for i in (4, 3, 2, 1, 0)]
    assert [e["url"] for e in history.entries("a")] == ["https://x/3", "https://x/1"]
    assert len(history.entries(limit=2)) == 2


def test_query_values_and_credentials_in_urls_are_not_stored(tmp_path):
    history = History(tmp_path / "h.jsonl")
    token = pyjwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
    history.record(
        profile="p",
        method="GET",
        url=f"https://user:pa55@api.x/v1/items/{token}?api_key=sk_live_123&page=2#access_token=abc",
        status=401,
        elapsed=0.5,
    )
    raw = (tmp_path / "h.jsonl").read_text()
    for leaked in ("sk_live_123", "pa55", "user:", token, "abc"):
        assert leaked not in raw
    (entry,) = history.entries()
    assert entry["url"] == "https://api.x/v1/items/[redacted]?api_key=[redacted]&page=[redacted]#[redacted]"


def test_error_text_is_redacted_with_known_secret_values(tmp_path):
    history = History(tmp_path / "h.jsonl")
    history.record(
        profile="p",
        method="POST",
        url="https://x/t",
        status=None,
        elapsed=None,
        error="refresh failed for hunter2-value\nBearer abcdefghijklmnop",
        secrets=["hunter2-value"],
    )
    (entry,) = history.entries()
    assert "hunter2-value" not in entry["error"] and "abcdefghijklmnop" not in entry["error"]
    assert "\n" not in entry["error"]
    assert entry["status"] is None and entry["elapsed"] is None


def test_the_history_file_is_private(tmp_path):
    history = History(tmp_path / "h.jsonl")
    history.record(profile="p", method="GET", url="https://x", status=200, elapsed=0.1)
    assert stat.S_IMODE(os.stat(history.path).st_mode) == 0o600


def test_history_is_trimmed_to_the_newest_entries(tmp_path):
    history = History(tmp_path / "h.jsonl", max_entries=20, max_bytes=4096)
    for i in range(300):
        history.record(profile="p", method="GET", url=f"https://x/{i}", status=200, elapsed=0.01)
    assert history.path.stat().st_size <= 4096 + 200
    entries = history.entries(limit=1000)
    assert 1 <= len(entries) <= 20
    assert entries[0]["url"] == "https://x/299"
    numbers = [int(e["url"].rsplit("/", 1)[1]) for e in entries]
    assert numbers == sorted(numbers, reverse=True) and numbers == list(range(299, 299 - len(numbers), -1))


def test_appends_from_many_threads_never_interleave(tmp_path):
    history = History(tmp_path / "h.jsonl", max_entries=10_000, max_bytes=10_000_000)

    def work(n: int) -> None:
        for i in range(40):
            history.record(profile=f"t{n}", method="GET", url=f"https://x/{n}/{i}", status=200, elapsed=0.0)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = history.path.read_text().splitlines()
    assert len(lines) == 240
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_a_damaged_line_is_skipped_not_fatal(tmp_path):
    path = tmp_path / "h.jsonl"
    history = History(path)
    history.record(profile="p", method="GET", url="https://x/1", status=200, elapsed=0.1)
    with path.open("a") as f:
        f.write('{"truncated": \n[1,2]\n')
    history.record(profile="p", method="GET", url="https://x/2", status=200, elapsed=0.1)
    assert [e["url"] for e in history.entries()] == ["https://x/2", "https://x/1"]


def test_clearing_one_profile_keeps_the_others(tmp_path):
    history = History(tmp_path / "h.jsonl")
    history.record(profile="a", method="GET", url="https://x/a", status=200, elapsed=0.1)
    history.record(profile="b", method="GET", url="https://x/b", status=200, elapsed=0.1)
    history.clear("a")
    assert [e["profile"] for e in history.entries()] == ["b"]
    history.clear()
    assert history.entries() == []


def test_redact_url_keeps_the_shape_of_a_plain_url():
    assert (
        redact_url("http://127.0.0.1:8080/true-markets/v1/auth/me")
        == "http://127.0.0.1:8080/true-markets/v1/auth/me"
    )
    assert redact_url("https://h/p?flag") == "https://h/p?flag=[redacted]"
