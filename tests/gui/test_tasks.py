"""The worker-pool bridge: results on the GUI thread, stale and cancelled results dropped, errors reported."""

from __future__ import annotations

import sys
import threading
import time

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from workbench.core.errors import ProviderError
from workbench.gui.tasks import EngineEventBridge, Generation, TaskRunner


def test_results_arrive_on_the_gui_thread(qtbot):
    runner = TaskRunner()
    seen = {}

    def job():
        seen["worker"] = threading.current_thread()
        return 42

    def on_success(value):
        seen["value"] = value
        seen["delivered_on"] = threading.current_thread()

    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.start(job, on_success=on_success)
    assert seen["value"] == 42
    assert seen["delivered_on"] is threading.main_thread()
    assert seen["worker"] is not threading.main_thread()
    runner.shutdown()


def test_a_failure_without_a_handler_becomes_a_user_message(qtbot):
    runner = TaskRunner()

    def job():
        raise ProviderError(
            "marketiger3d refresh failed (401 AUTHENTICATION): Invalid or expired refresh token"
        )

    with qtbot.waitSignal(runner.error_occurred, timeout=5000) as blocker:
        runner.start(job)
    assert blocker.args[0].endswith("Invalid or expired refresh token")
    runner.shutdown()


def test_an_unexpected_exception_is_reported_without_internals(qtbot):
    runner = TaskRunner()

    def job():
        raise KeyError("eyJsecret.token.value")

    with qtbot.waitSignal(runner.error_occurred, timeout=5000) as blocker:
        runner.start(job)
    assert "internal error (KeyError)" in blocker.args[0]
    assert "eyJ" not in blocker.args[0]
    runner.shutdown()


def test_a_cancelled_job_never_delivers(qtbot):
    runner = TaskRunner()
    release = threading.Event()
    delivered = []

    def job(cancel):
        release.wait(5)
        return "late"

    task = runner.start(job, pass_cancel=True, on_success=delivered.append, on_failure=delivered.append)
    task.cancel()
    release.set()
    qtbot.waitUntil(lambda: runner.active_count == 0, timeout=5000)
    qtbot.wait(50)
    assert delivered == []
    runner.shutdown()


def test_a_result_for_a_destroyed_widget_is_dropped(qtbot):
    runner = TaskRunner()
    widget = QWidget()
    release = threading.Event()
    delivered = []

    runner.start(lambda: release.wait(5) and "x", owner=widget, on_success=delivered.append)
    widget.deleteLater()
    qtbot.wait(20)  # let deleteLater run
    release.set()
    qtbot.waitUntil(lambda: runner.active_count == 0, timeout=5000)
    qtbot.wait(50)
    assert delivered == []
    runner.shutdown()


def test_generation_marks_older_requests_stale():
    gen = Generation()
    first = gen.next()
    second = gen.next()
    assert not gen.is_current(first)
    assert gen.is_current(second)


def test_shutdown_cancels_queued_jobs_and_waits_for_running_ones(qtbot):
    runner = TaskRunner(max_threads=2)
    started = []

    def job(cancel):
        started.append(1)
        for _ in range(100):
            if cancel.is_set():
                return "stopped"
            time.sleep(0.01)
        return "finished"

    for _ in range(20):
        runner.start(job, pass_cancel=True)
    qtbot.waitUntil(lambda: len(started) >= 2, timeout=5000)
    t0 = time.perf_counter()
    assert runner.shutdown(3000) is True
    assert time.perf_counter() - t0 < 1.0  # cooperative cancel, not 20 × 1 s
    assert len(started) <= 4  # queued jobs were cleared, not run
    assert runner.active_count == 0
    # After shutdown nothing new starts.
    task = runner.start(job, pass_cancel=True)
    assert task.cancelled


def test_a_job_outliving_its_runner_at_quit_ends_quietly_on_its_pool_thread(qtbot):
    """A job still running after shutdown's wait (a slow keychain under load, CI run 25) finds
    its signals object deleted by Qt's teardown; its last emit must not raise on the pool
    thread, where the exception would reach `sys.excepthook` off the GUI thread."""
    import shiboken6

    runner = TaskRunner(max_threads=1)
    started, release = threading.Event(), threading.Event()
    raised = []

    def job():
        started.set()
        release.wait(5)
        return "late"

    task = runner.start(job)
    assert started.wait(5)
    assert runner.shutdown(10) is False  # the job outlives the wait
    shiboken6.delete(task.signals)  # what the QApplication's teardown does to it
    previous = sys.excepthook
    sys.excepthook = lambda *args: raised.append(args)
    try:
        release.set()
        assert runner.pool.waitForDone(5000)
    finally:
        sys.excepthook = previous
    assert raised == []
    assert task.cancelled  # nothing was delivered, and nothing will be


def test_engine_events_from_worker_threads_arrive_on_the_gui_thread(qtbot):
    class FakeEngine:
        def __init__(self):
            self.callbacks = []

        def subscribe(self, cb):
            self.callbacks.append(cb)
            return lambda: self.callbacks.remove(cb)

    engine = FakeEngine()
    bridge = EngineEventBridge()
    bridge.attach(engine)
    received = []

    class Receiver(QObject):
        def on_event(self, event):
            received.append((event, threading.current_thread()))

    receiver = Receiver()
    bridge.received.connect(receiver.on_event)
    with qtbot.waitSignal(bridge.received, timeout=5000):
        threading.Thread(target=lambda: engine.callbacks[0]("minted")).start()
    qtbot.waitUntil(lambda: len(received) == 1)
    assert received[0] == ("minted", threading.main_thread())
    bridge.detach()
    assert engine.callbacks == []
