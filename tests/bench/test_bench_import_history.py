"""Benchmarks for issue 12: importing a 1,000-request collection (time and memory), and history
with 100,000 rows (`history --limit 50` and the History panel's search).

The history test's name promises a bound (the issue's "< 50 ms query"), so it asserts it on the
median of repeated queries; the import is a report: figures and ratios against a baseline
measured in the same run (`json.loads` of the same file), no assertion on time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from workbench.core.context import AppContext
from workbench.core.importers import read_plan
from workbench.core.importers.apply import apply_plan
from workbench.core.request.saved import SavedRequestStore
from workbench.core.storage.history import History
from workbench.core.storage.vault import MemoryKeyring, Vault

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 1000
HISTORY_ROWS = 100_000
QUERY_BOUND_MS = 50.0
REPEATS = int(os.environ.get("WORKBENCH_BENCH_ROUNDS", "30"))


@pytest.fixture
def report(capsys):
    def say(line: str) -> None:
        with capsys.disabled():
            print(f"\n[bench] {line}", flush=True)

    return say


def _collection(path: Path) -> Path:
    """A Postman v2.1 collection: 20 folders (each with a subfolder), 1,000 requests, variables, bodies."""
    folders = []
    n = 0
    for f in range(20):
        inner = []
        for _ in range(REQUESTS // 40):
            n += 1
            inner.append(
                {
                    "name": f"Create item {n}",
                    "request": {
                        "method": "POST",
                        "header": [
                            {"key": "Accept", "value": "application/json"},
                            {"key": "X-Trace", "value": "{{trace}}"},
                        ],
                        "body": {
                            "mode": "raw",
                            "options": {"raw": {"language": "json"}},
                            "raw": json.dumps({"n": n, "name": "it's {{name}}", "tags": ["a", "b"]}),
                        },
                        "url": {"raw": f"{{{{baseUrl}}}}/folders/{f}/items?page={n}"},
                    },
                }
            )
        outer = []
        for _ in range(REQUESTS // 40):
            n += 1
            outer.append(
                {"name": f"Get item {n}", "request": {"method": "GET", "url": f"{{{{baseUrl}}}}/items/{n}"}}
            )
        folders.append({"name": f"Folder {f}", "item": [*outer, {"name": "Writes", "item": inner}]})
    doc = {
        "info": {
            "name": "Big API",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
        "variable": [
            {"key": "baseUrl", "value": "https://big.example.test/v3"},
            {"key": "trace", "value": "bench"},
            {"key": "name", "value": "widget"},
            {"key": "token", "value": "pasted-token-for-the-benchmark-0123456789", "type": "secret"},
        ],
        "item": folders,
    }
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_report_import_of_a_1000_request_postman_collection(report, tmp_path, workbench_home):
    source = _collection(tmp_path / "big.postman_collection.json")
    raw = source.read_text()
    baseline = statistics.median(_timed(lambda: json.loads(raw)) for _ in range(5))
    ctx = AppContext(vault=Vault(MemoryKeyring()))

    started = time.perf_counter()
    plan = read_plan(str(source), presets=ctx.presets)
    parsed = time.perf_counter() - started
    outcome = apply_plan(plan, ctx)
    total = time.perf_counter() - started
    # Memory in a second, untimed pass (tracing slows Python down several times).
    tracemalloc.start()
    read_plan(str(source), presets=ctx.presets)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert len(plan.requests) == REQUESTS and outcome.profiles == ["big-api"] and outcome.requests == REQUESTS
    assert len(SavedRequestStore().list("big-api")) == REQUESTS
    size = source.stat().st_size
    written = (workbench_home / "requests" / "big-api.toml").stat().st_size
    report(
        f"import of {REQUESTS} requests ({size / 1024:.0f} KiB of JSON): parse + plan {parsed * 1000:.0f} ms "
        f"({parsed / baseline:.0f}x json.loads of the file, {baseline * 1000:.1f} ms), total with writing "
        f"{total * 1000:.0f} ms; peak traced memory of parse + plan {peak / 1048576:.1f} MiB "
        f"({peak / size:.1f}x the file); "
        f"saved-requests file {written / 1024:.0f} KiB"
    )

    cli_started = time.perf_counter()
    cli = subprocess.run(
        [sys.executable, "-m", "workbench", "import", str(source), "--dry-run"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "WORKBENCH_HOME": str(tmp_path / "cli-home")},
    )
    assert cli.returncode == 0, cli.stderr
    cli_wall = time.perf_counter() - cli_started
    report(
        f"`workbench import --dry-run` of the same file: {cli_wall * 1000:.0f} ms wall "
        "(process start included)"
    )


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def big_history(tmp_path_factory) -> History:
    return _fill(tmp_path_factory.mktemp("history") / "history.sqlite3")


def test_report_short_searches_scan_the_table(report, big_history):
    """`history --search` with 1-2 characters scans every row (the panel waits for a third)."""
    for text in ("zq", "4"):
        median, worst = _median_ms(lambda t=text: big_history.search(t, limit=500))
        report(
            f"CLI short search {text!r:<6} median {median:6.2f} ms, worst {worst:6.2f} ms "
            f"({HISTORY_ROWS} rows)"
        )
    assert big_history.search("zq") == []


def _fill(path: Path) -> History:
    history = History(path)
    history.record(profile="seed", method="GET", url="https://seed.test/", status=200, elapsed=0.01)
    now = time.time()
    rows = [
        (
            now - HISTORY_ROWS + i,
            f"profile-{i % 25}",
            ("GET", "POST", "PUT", "DELETE")[i % 4],
            f"https://api{i % 9}.example.test/v2/customers/{i}/orders?page=[redacted]",
            (200, 201, 404, 500)[i % 4],
            0.01 + (i % 100) / 1000,
            100 + i % 5000,
            "timed out" if i % 997 == 0 else None,
        )
        for i in range(HISTORY_ROWS)
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO requests (time, profile, method, url, status, duration, size, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("DELETE FROM requests_search")
        conn.execute(
            "INSERT INTO requests_search (rowid, hay) SELECT id, method || ' ' || ifnull(status, '') || ' ' "
            "|| profile || ' ' || url || ' ' || ifnull(error, '') FROM requests"
        )
    return History(path)


def _median_ms(fn) -> tuple[float, float]:
    times = sorted(_timed(fn) * 1000 for _ in range(REPEATS))
    return statistics.median(times), times[-1]


def test_history_with_100k_rows_limit_50_and_panel_search_stay_under_50ms(report, big_history, monkeypatch):
    history = big_history
    monkeypatch.setenv("WORKBENCH_HOME", str(history.path.parent))
    assert history.count() == HISTORY_ROWS + 1
    cases = {
        "history --limit 50": lambda: history.entries(limit=50),
        "history NAME --limit 50": lambda: history.entries("profile-7", limit=50),
        "panel: search a common text": lambda: history.search("customers/4", limit=500),
        "panel: search a rare text": lambda: history.search("timed out", limit=500),
        "panel: search with no match": lambda: history.search("no-such-thing", limit=500),
        "panel: search + profile filter": lambda: history.search("orders", profile="profile-3", limit=500),
        "panel: search + rare profile": lambda: history.search("orders", profile="seed", limit=500),
        "panel: profile list": history.profiles,
    }
    results = {name: _median_ms(fn) for name, fn in cases.items()}
    for name, (median, worst) in results.items():
        report(f"{name:<32} median {median:6.2f} ms, worst {worst:6.2f} ms ({HISTORY_ROWS} rows)")
    assert len(history.search("customers/4", limit=500)) == 500
    assert len(history.search("timed out", limit=500)) == HISTORY_ROWS // 997 + 1
    slow = {name: median for name, (median, _worst) in results.items() if median >= QUERY_BOUND_MS}
    assert slow == {}, f"queries over {QUERY_BOUND_MS} ms: {slow}"

    started = time.perf_counter()
    cli = subprocess.run(
        [sys.executable, "-m", "workbench", "history", "--limit", "50"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env=dict(os.environ),
    )
    wall = time.perf_counter() - started
    assert cli.returncode == 0 and len(cli.stdout.splitlines()) == 50, cli.stderr
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "workbench", "--version"], capture_output=True, cwd=ROOT, timeout=60
    )
    floor = time.perf_counter() - started
    report(
        f"`workbench history --limit 50` process: {wall * 1000:.0f} ms wall, "
        f"{wall / floor:.2f}x `workbench --version`"
    )
