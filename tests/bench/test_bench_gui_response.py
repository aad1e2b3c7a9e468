"""GUI benchmark: showing a 5 MB JSON answer (pretty-printed) must not freeze the window.

=====================================  ===========================  ================
figure                                 target                       fails past
=====================================  ===========================  ================
longest GUI-thread stall while a 5 MB  <= 16 ms (best of 3 runs)    32 ms (2x)
JSON answer is pretty-printed and shown
=====================================  ===========================  ================

The stall is the longest gap between ticks of a 1 ms timer on the GUI thread (as in
test_bench_gui.py), from the answer's arrival until the view says it is shown. Before the
fix the whole body was parsed, re-indented and put into the editor on the GUI thread: about
3 s on this machine.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.bench.test_bench_gui import StallProbe, verdict
from tests.gui.conftest import (  # noqa: F401 - fixtures shared with the GUI tests
    OFFSCREEN_NOISE,
    clock,
    ctx,
    gui_settings,
    make_window,
    qsettings_in_tmp,
)
from workbench.core.engine.types import CallResult

pytestmark = [pytest.mark.bench, pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)]

RUNS = 3
STALL_TARGET_MS = 16.0
STALL_BOUND_MS = 2 * STALL_TARGET_MS


def five_mb_answer() -> CallResult:
    doc = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"], "v": i * 1.5} for i in range(71_000)]}
    body = json.dumps(doc).encode()
    assert len(body) >= 5_000_000
    return CallResult(
        status=200,
        reason="OK",
        headers=[("Content-Type", "application/json")],
        body=body,
        elapsed=0.1,
        url="https://api.example.com/big",
        method="GET",
        token_replaced=False,
        retried=False,
    )


def test_showing_a_5mb_json_answer_stalls_the_gui_thread_at_most_16ms(qtbot, make_window):  # noqa: F811 - the fixture imported above
    window = make_window()
    view = window.request_view.response_view
    answer = five_mb_answer()
    stalls = []
    for _ in range(RUNS):
        view.clear()
        qtbot.wait(100)
        probe = StallProbe()
        probe.start()
        started = time.perf_counter()
        with qtbot.waitSignal(view.shown, timeout=60_000):
            view.show_result(answer)
        took = time.perf_counter() - started
        probe.stop()
        assert view.text.toPlainText().startswith('{\n  "items": [\n    {\n      "id": 0,')
        stalls.append(max(probe.gaps) * 1000)
        print(f"5 MB JSON shown in {took:.2f} s; longest GUI-thread stall {stalls[-1]:.1f} ms")
    best = min(stalls)
    print(
        f"longest GUI-thread stall, best of {RUNS}: {best:.1f} ms "
        f"(target <= {STALL_TARGET_MS:.0f} ms: {verdict(best, STALL_TARGET_MS)}; "
        f"fails past {STALL_BOUND_MS:.0f} ms)"
    )
    assert best <= STALL_BOUND_MS
