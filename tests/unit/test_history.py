"""Request history (SQLite): names and outcomes, never secrets; bounded; can be turned off and cleared;
today's history.jsonl is migrated once; a damaged file never breaks a request."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading

import jwt as pyjwt
import pytest

from workbench.core.errors import StorageError
from workbench.core.storage.history import History, redact_url


def test_history_lives_in_workbench_home_by_default(workbench_home):
    history = History()
    history.record(
        profile="tm", method="post", url="https://api.x/v1/auth/token/refresh", status=200, elapsed=0.12345,
        size=321,
    )  # fmt: skip
    assert history.path == workbench_home / "history.sqlite3"
    (entry,) = history.entries()
    assert entry["profile"] == "tm"
    assert entry["method"] == "POST"
    assert entry["url"] == "https://api.x/v1/auth/token/refresh"
    assert entry["status"] == 200
    assert entry["duration"] == entry["elapsed"] == 0.1235
    assert entry["size"] == 321
    assert entry["error"] is None
    assert entry["time"].endswith("Z")
    with sqlite3.connect(history.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_entries_are_newest_first_and_filter_by_profile(tmp_path):
    history = History(tmp_path / "h.db")
    for i in range(5):
        history.record(
            profile="a" if i % 2 else "b", method="GET", url=f"https://x/{i}", status=200, elapsed=0.1
        )
    assert [e["url"] for e in history.entries()] == [f"https://x/{i}" for i in (4, 3, 2, 1, 0)]
    assert [e["url"] for e in history.entries("a")] == ["https://x/3", "https://x/1"]
    assert len(history.entries(limit=2)) == 2
    assert history.profiles() == ["a", "b"]


def test_search_matches_url_method_status_and_treats_wildcards_literally(tmp_path):
    history = History(tmp_path / "h.db")
    history.record(profile="a", method="GET", url="https://x/users/42", status=200, elapsed=0.1)
    history.record(profile="a", method="DELETE", url="https://x/users_all", status=404, elapsed=0.1)
    history.record(profile="b", method="POST", url="https://x/orders", status=500, elapsed=0.1)
    assert [e["url"] for e in history.search("users")] == ["https://x/users_all", "https://x/users/42"]
    assert [e["method"] for e in history.search("delete")] == ["DELETE"]
    assert [e["status"] for e in history.search("500")] == [500]
    assert [e["url"] for e in history.search("s_a")] == ["https://x/users_all"]  # '_' is not a wildcard
    assert history.search("%") == []
    assert [e["profile"] for e in history.search("x/", profile="b")] == ["b"]


def test_query_values_and_credentials_in_urls_are_not_stored(tmp_path):
    history = History(tmp_path / "h.db")
    token = pyjwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
    history.record(
        profile="p",
        method="GET",
        url=f"https://user:pa55@api.x/v1/items/{token}?api_key=sk_live_123&page=2#access_token=abc",
        status=401,
        elapsed=0.5,
    )
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for leaked in ("sk_live_123", "pa55", "user:", token, "access_token=abc"):
        assert leaked.encode() not in raw
    (entry,) = history.entries()
    assert entry["url"] == "https://api.x/v1/items/[redacted]?api_key=[redacted]&page=[redacted]#[redacted]"


def test_error_text_is_redacted_with_known_secret_values(tmp_path):
    history = History(tmp_path / "h.db")
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
    assert entry["status"] is None and entry["duration"] is None


def test_the_history_file_is_private(tmp_path):
    history = History(tmp_path / "h.db")
    history.record(profile="p", method="GET", url="https://x", status=200, elapsed=0.1)
    assert stat.S_IMODE(os.stat(history.path).st_mode) == 0o600


def test_history_keeps_only_the_newest_entries(tmp_path):
    history = History(tmp_path / "h.db", max_entries=20)
    for i in range(300):
        history.record(profile="p", method="GET", url=f"https://x/{i}", status=200, elapsed=0.01)
    entries = history.entries(limit=1000)
    assert len(entries) == 20
    assert [int(e["url"].rsplit("/", 1)[1]) for e in entries] == list(range(299, 279, -1))


def test_writes_from_many_threads_and_two_instances_all_land(tmp_path):
    path = tmp_path / "h.db"
    histories = [History(path), History(path)]

    def work(n: int) -> None:
        for i in range(40):
            histories[n % 2].record(
                profile=f"t{n}", method="GET", url=f"https://x/{n}/{i}", status=200, elapsed=0.0
            )

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert histories[0].count() == 240


def test_turning_history_off_stops_recording_for_every_instance(tmp_path):
    path = tmp_path / "h.db"
    History(path).record(profile="p", method="GET", url="https://x/1", status=200, elapsed=0.1)
    History(path).set_enabled(False)
    other = History(path)
    assert other.enabled is False
    assert other.record(profile="p", method="GET", url="https://x/2", status=200, elapsed=0.1) is False
    assert [e["url"] for e in other.entries()] == ["https://x/1"]
    other.set_enabled(True)
    other.record(profile="p", method="GET", url="https://x/3", status=200, elapsed=0.1)
    assert other.count() == 2


def test_clearing_one_profile_keeps_the_others_and_clearing_all_empties_the_file(tmp_path):
    history = History(tmp_path / "h.db")
    history.record(profile="a", method="GET", url="https://x/secret-looking-path-a", status=200, elapsed=0.1)
    history.record(profile="b", method="GET", url="https://x/b", status=200, elapsed=0.1)
    assert history.clear("a") == 1
    assert [e["profile"] for e in history.entries()] == ["b"]
    assert history.clear() == 1
    assert history.entries() == []
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"secret-looking-path-a" not in raw


def test_the_jsonl_history_is_migrated_once(tmp_path):
    legacy = tmp_path / "history.jsonl"
    lines = [
        {"time": "2026-11-30T10:00:00.000Z", "profile": "old", "method": "get", "url": "https://x/1?k=v",
         "status": 200, "elapsed": 0.2, "error": None},
        "not json",
        {"time": "2026-11-30T10:00:01.000Z", "profile": "old", "method": "POST", "url": "https://x/2",
         "status": None, "elapsed": None, "error": "timed out"},
    ]  # fmt: skip
    legacy.write_text("\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines) + "\n")
    history = History(tmp_path / "history.sqlite3")
    entries = history.entries()
    assert [(e["url"], e["status"], e["error"]) for e in entries] == [
        ("https://x/2", None, "timed out"),
        ("https://x/1?k=[redacted]", 200, None),
    ]
    assert entries[1]["time"] == "2026-11-30T10:00:00.000Z"
    assert not legacy.exists() and (tmp_path / "history.jsonl.migrated").exists()
    assert History(tmp_path / "history.sqlite3").count() == 2  # not again


def test_a_damaged_file_is_one_clear_error_on_reading_and_clear_replaces_it(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not a database" * 100)
    history = History(path)
    with pytest.raises(StorageError, match="cannot be read"):
        history.entries()
    assert history.clear() == 0
    history.record(profile="p", method="GET", url="https://x", status=200, elapsed=0.1)
    assert history.count() == 1


def test_redact_url_keeps_the_shape_of_a_plain_url():
    assert (
        redact_url("http://127.0.0.1:8080/true-markets/v1/auth/me")
        == "http://127.0.0.1:8080/true-markets/v1/auth/me"
    )
    assert redact_url("https://h/p?flag") == "https://h/p?flag=[redacted]"


def test_indexed_search_finds_what_a_table_scan_finds(tmp_path):
    history = History(tmp_path / "h.db")
    urls = [
        "https://a.test/Users/1",
        'https://a.test/q?x="quoted"',
        "https://b.test/orders/7",
        "https://a.test/u%_x",
    ]
    for i, url in enumerate(urls):
        history.record(profile=f"p{i % 2}", method="GET", url=url, status=200 + i, elapsed=0.1)
    assert history._indexed  # this build of SQLite has FTS5 with the trigram tokenizer
    for text in ("users", '"quoted"', "ORDERS/7", "%_x", "202", "p1 ", "get", "zzz", "a.test"):
        indexed = [e["id"] for e in history.search(text)]
        history._indexed = False
        scanned = [e["id"] for e in history.search(text)]
        history._indexed = True
        assert indexed == scanned, text
    assert [e["url"] for e in history.search("users", profile="p0")] == ["https://a.test/Users/1"]


def test_a_version_1_file_gets_its_search_index_built(tmp_path):
    path = tmp_path / "h.db"
    History(path).record(profile="p", method="GET", url="https://x/findme", status=200, elapsed=0.1)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE requests_search")
        conn.execute("PRAGMA user_version = 1")
    history = History(path)
    assert [e["url"] for e in history.search("findme")] == ["https://x/findme"]
    assert history._indexed
