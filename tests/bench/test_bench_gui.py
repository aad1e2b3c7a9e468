"""GUI benchmarks: GUI-thread stalls under load, cold start to first paint, peak memory.

Each measures its figure against a baseline from the same run, prints it with its target
and fails only past a stated regression bound (timing on a shared machine is noisy; CI runs
them alone):

=====================================  ===========================  ================
figure                                 target                       fails past
=====================================  ===========================  ================
longest GUI-thread stall, 200 calls    <= 16 ms (best of 3 runs)    32 ms (2x)
first paint vs a minimal PySide6 app   <= 1.5x (best of 5)          2.0x
peak RSS of `gui --demo` vs minimal    <= 1.5x                      2.5x
peak RSS of `gui --demo` vs the floor  (reported)                   1.4x
=====================================  ===========================  ================

The floor is the minimal window plus what the demo cannot run without: httpx (every
provider call), cryptography (true-markets' ES256 client assertion, RS256/ES256 checks) and
jinja2 (profile templates), each used once. It alone is about 1.6x the minimal window, so
the 1.5x target cannot be met with these libraries; the second bound holds what is ours
(modules, widgets, the sandbox, the worker pool) to a stated share above that floor.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from tests.gui.conftest import (  # noqa: F401 - fixtures shared with the GUI tests
    OFFSCREEN_NOISE,
    clock,
    ctx,
    gui_settings,
    make_window,
    qsettings_in_tmp,
)

pytestmark = [pytest.mark.bench, pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 200
STARTUP_RUNS = 5
SUBMIT_BATCH = 20
STALL_RUNS = 3
STALL_TARGET_MS = 16.0
STALL_BOUND_MS = 2 * STALL_TARGET_MS
STARTUP_TARGET = 1.5
STARTUP_BOUND = 2.0
RSS_TARGET = 1.5
RSS_BOUND = 2.5
RSS_OVER_FLOOR_BOUND = 1.4


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's start: without what PySide6 and pytest put into this test
    process (PySide6 sets PYSIDE6_OPTION_PYTHON_ENUM on import, which changes a child's enums
    and adds ~14 MiB to it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSIDE6_", "PYTEST_"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        WORKBENCH_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        **extra,
    )
    return env


def verdict(value: float, target: float) -> str:
    return "MET" if value <= target else "NOT MET"


MINIMAL_WINDOW = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class Probe(QObject):
    seen = False
    def eventFilter(self, obj, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            QTimer.singleShot(0, self.report)
        return False
    def report(self):
        print(f"first-paint {time.time():.6f}", flush=True)
        app.exit(0)

app = QApplication(sys.argv)
probe = Probe()
app.installEventFilter(probe)
w = QMainWindow()
w.setWindowTitle("minimal")
w.resize(1200, 760)
w.show()
app.exec()
"""


class StallProbe:
    """A 1 ms QTimer on the GUI thread; the longest gap between ticks is the longest stall."""

    def __init__(self, interval_ms: int = 1) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.on_tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def on_tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now


@pytest.fixture
def sandbox_process():
    """The sandbox in its own process, like a remote provider: its threads do not share our GIL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.sandbox"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        info = json.loads(proc.stdout.readline())
        yield info
    finally:
        proc.terminate()
        proc.wait(10)


def _admin(url: str, path: str, body: dict) -> None:
    request = urllib.request.Request(  # noqa: S310 - the loopback sandbox's admin endpoint
        url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the loopback sandbox  # noqa: S310 - the loopback sandbox
        response.read()


def _one_stall_run(qtbot, window, context, url) -> dict[str, float]:
    """200 calls in flight (half hang 50 ms and fail); the GUI thread's longest gap meanwhile."""
    # "slow": the sandbox waits, then drops the connection unanswered (a provider that hangs).
    _admin(
        url,
        "/_sandbox/fault",
        {
            "preset": "token-of-trust",
            "endpoint": "api",
            "kind": "slow",
            "times": REQUESTS // 2,
            "delay": 0.05,
        },
    )
    done: list[object] = []
    failed: list[BaseException] = []
    probe = StallProbe()
    probe.start()
    t0 = time.perf_counter()
    # Enqueue in batches, one batch per event-loop turn, as the app enqueues work: the probe
    # measures the GUI thread while the requests are in flight, not one 200-job loop.
    submitted: list[float] = []

    def submit_batch(start: int = 0) -> None:
        for i in range(start, min(start + SUBMIT_BATCH, REQUESTS)):
            window.runner.start(
                context.engine.call,
                "tot",
                "GET",
                f"/api/echo?n={i}",
                owner=window,
                on_success=done.append,
                on_failure=failed.append,
            )
        if start + SUBMIT_BATCH < REQUESTS:
            QTimer.singleShot(0, lambda: submit_batch(start + SUBMIT_BATCH))
        else:
            submitted.append(time.perf_counter())

    submit_batch()
    qtbot.waitUntil(lambda: bool(submitted), timeout=60_000)
    qtbot.waitUntil(lambda: len(done) + len(failed) == REQUESTS, timeout=120_000)
    elapsed = time.perf_counter() - t0
    probe.stop()
    # Every outcome reached the GUI thread, as a result or as an error.
    assert len(done) + len(failed) == REQUESTS
    assert len(done) >= REQUESTS // 2
    gaps_ms = sorted(g * 1000 for g in probe.gaps)
    return {
        "longest": gaps_ms[-1],
        "p99": gaps_ms[int(len(gaps_ms) * 0.99) - 1],
        "median": statistics.median(gaps_ms),
        "elapsed": elapsed,
        "submit_ms": (submitted[0] - t0) * 1000,
        "answered": len(done),
    }


def test_bench_gui_thread_stall_with_200_requests_in_flight(
    qtbot,
    make_window,  # noqa: F811 - a fixture imported above, requested by name
    ctx,  # noqa: F811
    sandbox_process,
):
    spec = sandbox_process["presets"]["token-of-trust"]
    ctx.profiles.create(
        "tot",
        preset="token-of-trust",
        base_url=spec["base_url"],
        vars=spec["vars"],
        secret_names=list(spec["secrets"]),
    )
    for key, value in spec["secrets"].items():
        ctx.vault.store("tot", key, value)
    window = make_window(select="tot")
    ctx.engine.get_token("tot")  # warm: the bench measures requests, not the first mint
    qtbot.waitUntil(lambda: window.runner.active_count == 0, timeout=10_000)  # start-up jobs done

    # Baseline: the same probe with nothing in flight (machine noise, the window's own ticking).
    idle = StallProbe()
    idle.start()
    qtbot.wait(1000)
    idle.stop()
    idle_ms = max(idle.gaps) * 1000 if idle.gaps else float("nan")

    # Best of STALL_RUNS: another process taking the CPU for a moment is not the app's stall.
    runs = [_one_stall_run(qtbot, window, ctx, sandbox_process["url"]) for _ in range(STALL_RUNS)]
    best = min(runs, key=lambda r: r["longest"])
    longest = best["longest"]
    each = ", ".join(f"{r['longest']:.1f}" for r in runs)
    pool = window.runner.pool.maxThreadCount()
    print(
        f"\n[bench gui-stall] {REQUESTS} requests ({best['answered']} answered, the rest hung 50 ms "
        f"and failed) through a pool of {pool} threads in {best['elapsed']:.2f} s; "
        f"longest GUI-thread stall {longest:.1f} ms (best of {STALL_RUNS}: {each}), "
        f"p99 {best['p99']:.1f} ms, median {best['median']:.2f} ms; "
        f"target <= {STALL_TARGET_MS:.0f} ms: {verdict(longest, STALL_TARGET_MS)} "
        f"(ratio {longest / STALL_TARGET_MS:.2f}); idle baseline longest gap {idle_ms:.1f} ms; "
        f"fails past {STALL_BOUND_MS:.0f} ms"
    )
    assert longest <= STALL_BOUND_MS, f"longest GUI-thread stall {longest:.1f} ms > bound {STALL_BOUND_MS} ms"


def _first_paint_seconds(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.time()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    line = next(l for l in out.stdout.splitlines() if l.startswith("first-paint "))  # noqa: E741
    return float(line.split()[1]) - t0


def test_bench_cold_start_to_first_paint_vs_minimal_pyside6_window(tmp_path):
    env = child_env(tmp_path, WORKBENCH_STARTUP_PROBE="1")
    script = tmp_path / "minimal.py"
    script.write_text(MINIMAL_WINDOW)
    # An installed package has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module on every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "workbench")], check=True)
    minimal, app = [], []
    # Warm the OS file cache once so the first sample of either is not penalised.
    _first_paint_seconds([sys.executable, str(script)], env)
    for _ in range(STARTUP_RUNS):
        minimal.append(_first_paint_seconds([sys.executable, str(script)], env))
        app.append(_first_paint_seconds([sys.executable, "-m", "workbench"], env))
    # Best of each (as timeit does): a start slowed by another process is noise, not the app.
    m, a = min(minimal), min(app)
    ratio = a / m
    medians = f"{statistics.median(minimal):.3f} s and {statistics.median(app):.3f} s"
    print(
        f"\n[bench gui-startup] first paint, best of {STARTUP_RUNS} (medians {medians}): "
        f"minimal PySide6 window {m:.3f} s, "
        f"workbench {a:.3f} s, ratio {ratio:.2f}; "
        f"target <= {STARTUP_TARGET}: {verdict(ratio, STARTUP_TARGET)}; fails past {STARTUP_BOUND}"
    )
    assert ratio <= STARTUP_BOUND, f"first paint {ratio:.2f}x a minimal window > bound {STARTUP_BOUND}x"


MINIMAL_SCREENSHOT = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication(sys.argv)
w = QMainWindow()
w.setWindowTitle("minimal")
w.resize(1200, 760)
w.show()
def shot():
    w.grab().save(sys.argv[1])
    app.exit(0)
QTimer.singleShot(300, shot)
app.exec()
"""


DEPENDENCY_FLOOR = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import httpx
import jinja2.sandbox
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

app = QApplication(sys.argv)
w = QMainWindow()
w.setWindowTitle("floor")
w.resize(1200, 760)
w.show()
def shot():
    ec.generate_private_key(ec.SECP256R1()).sign(b"x", ec.ECDSA(hashes.SHA256()))
    jinja2.sandbox.ImmutableSandboxedEnvironment().from_string("{{ a }}").render(a=1)
    with httpx.Client():
        pass
    w.grab().save(sys.argv[1])
    app.exit(0)
QTimer.singleShot(300, shot)
app.exec()
"""


# Runs the measured program from a small, fresh interpreter: Linux carries a parent's memory
# high-water mark into a child it forks or vforks (it is recorded at exec), so a child of this
# large test process would report at least the test process's size.
RSS_LAUNCHER = r"""
import os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
pid = os.fork()
if pid == 0:
    os.dup2(log, 2)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.execv(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def _peak_rss_mib(argv: list[str], env: dict[str, str], log: Path) -> float:
    """The program's own peak resident set, in MiB (Linux reports KiB)."""
    out = subprocess.run(
        [sys.executable, "-c", RSS_LAUNCHER, str(log), *argv],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    peak_kib, code = (int(x) for x in out.stdout.split())
    assert code == 0, log.read_text(errors="replace")
    return peak_kib / 1024


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="a child's own peak RSS needs fork and wait4 (POSIX)")
def test_bench_gui_demo_peak_rss_vs_minimal_pyside6_window(tmp_path):
    env = child_env(tmp_path)
    script = tmp_path / "minimal.py"
    script.write_text(MINIMAL_SCREENSHOT)
    log = tmp_path / "stderr.txt"
    minimal = _peak_rss_mib([sys.executable, str(script), str(tmp_path / "minimal.png")], env, log)
    floor_script = tmp_path / "floor.py"
    floor_script.write_text(DEPENDENCY_FLOOR)
    floor = _peak_rss_mib([sys.executable, str(floor_script), str(tmp_path / "floor.png")], env, log)
    demo = _peak_rss_mib(
        [sys.executable, "-m", "workbench", "gui", "--demo", "--screenshot", str(tmp_path / "demo.png")],
        env,
        log,
    )
    ratio = demo / minimal
    over_floor = demo / floor
    print(
        f"\n[bench gui-memory] peak RSS: minimal PySide6 window {minimal:.1f} MiB, `gui --demo` "
        f"(every preset's profile, a token minted for each, screenshot) {demo:.1f} MiB, ratio {ratio:.2f}; "
        f"target <= {RSS_TARGET}: {verdict(ratio, RSS_TARGET)}; fails past {RSS_BOUND}. "
        f"Dependency floor (minimal window + httpx, cryptography, jinja2 used once) {floor:.1f} MiB, "
        f"{floor / minimal:.2f}x the minimal window by itself; `gui --demo` is {over_floor:.2f}x the floor, "
        f"fails past {RSS_OVER_FLOOR_BOUND}"
    )
    assert ratio <= RSS_BOUND, f"`gui --demo` peak RSS {ratio:.2f}x a minimal window > bound {RSS_BOUND}x"
    assert over_floor <= RSS_OVER_FLOOR_BOUND, (
        f"`gui --demo` peak RSS {over_floor:.2f}x the dependency floor > bound {RSS_OVER_FLOOR_BOUND}x"
    )
