"""The worker-pool bridge: run blocking work off the GUI thread, hand results back on it.

In the style of git-cola's ``qtutils.Task``/``RunTask`` and superqt's ``_qthreading``:

* a job is a :class:`Task` (a ``QRunnable``) that emits on its runner's
  :class:`TaskSignals` ``QObject``, created on the GUI thread with no widget parent;
  the :class:`TaskRunner` keeps every live task until its outcome has been delivered,
  so nothing is garbage-collected while a worker still runs it;
* the worker emits one ``finished`` (ok, value or exception); the runner (a ``QObject``
  living on the GUI thread) receives it through a *queued* connection and only then
  calls the caller's callback — on the GUI thread. One queued event per job keeps the
  GUI thread's share of 200 jobs in flight small;
* cancellation is cooperative (a ``threading.Event`` per task). A cancelled task's
  result is dropped, and so is any result whose owner widget has been destroyed;
* an exception becomes a ``failed`` delivery (never a crash, never silence): the
  runner hands it to the caller's ``on_failure`` or, when there is none, emits
  ``error_occurred`` with :func:`workbench.core.errors.user_message` text;
* on quit, :meth:`TaskRunner.shutdown` cancels everything, ``clear()``-s the queue
  and ``waitForDone(ms)``-s before the ``QApplication`` goes.

Workers never touch widgets: a job gets plain data (a profile name, a request
spec) and returns plain data.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from workbench.core.errors import user_message

if TYPE_CHECKING:
    from workbench.core.engine.token_engine import EngineEvent, TokenEngine

DEFAULT_MAX_THREADS = 8
# CPython passes the GIL on every `sys.getswitchinterval()` seconds (5 ms by default). With up
# to DEFAULT_MAX_THREADS pool threads running Python (httpx, JSON, templating) the GUI thread
# may wait several such turns in a row: a 20-30 ms stall with 200 requests in flight. At 1 ms
# it gets the GIL back within a few milliseconds, for a small cost in the workers' throughput.
GUI_SWITCH_INTERVAL = 0.001
DEFAULT_SHUTDOWN_WAIT_MS = 3000

SuccessCallback = Callable[[Any], None]
FailureCallback = Callable[[BaseException], None]


def prefer_gui_thread() -> None:
    """Shorten the interpreter's GIL switch interval for a process with a GUI thread to keep
    responsive (see GUI_SWITCH_INTERVAL). Process-wide: the window calls it once, at build."""
    import sys

    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)


class Cancelled(Exception):
    """Raised by a job that noticed its cancel event; the runner drops it quietly."""


class TaskSignals(QObject):
    """What workers report. One per runner, created on the GUI thread, no parent.

    Signals:
        finished(int, bool, object): task id, whether the job returned, and its return value
            or the exception it raised. Exactly one per task, emitted last: one queued event
            per job reaches the GUI thread.
    """

    finished = Signal(int, bool, object)


class Task(QRunnable):
    """One job. ``fn(*args, **kwargs)`` runs on a pool thread.

    When ``pass_cancel`` is true the job receives the task's cancel ``Event`` as
    its keyword argument ``cancel`` and should return early once it is set.

    Attributes:
        task_id: unique, increasing number.
        cancel_event: set by :meth:`cancel`; checked before results are delivered.
        signals: the :class:`TaskSignals` the worker emits on (its runner's).
        owner: the QObject whose callbacks receive the result (may be None).
    """

    _ids = itertools.count(1)

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        pass_cancel: bool = False,
        owner: QObject | None = None,
        signals: TaskSignals | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        # The runner owns lifetime (the live set), not Qt: never auto-delete.
        self.setAutoDelete(False)
        self.task_id = next(Task._ids)
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.pass_cancel = pass_cancel
        self.owner = owner
        self.cancel_event = threading.Event()
        self.signals = signals if signals is not None else TaskSignals()
        self.on_success: SuccessCallback | None = None
        self.on_failure: FailureCallback | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def run(self) -> None:  # runs on a pool thread
        if self.cancel_event.is_set():
            self._emit(False, Cancelled())
            return
        kwargs = dict(self.kwargs)
        if self.pass_cancel:
            kwargs["cancel"] = self.cancel_event
        try:
            result = self.fn(*self.args, **kwargs)
        except BaseException as exc:
            self._emit(False, exc)
        else:
            self._emit(True, result)

    def _emit(self, ok: bool, payload: object) -> None:
        # A job still running when the app quits (its runner waited DEFAULT_SHUTDOWN_WAIT_MS, then
        # Qt tore the objects down) finds its signals object deleted: nobody is left to deliver to.
        # Raising here would reach `sys.excepthook` on this pool thread, off the GUI thread.
        try:
            self.signals.finished.emit(self.task_id, ok, payload)
        except RuntimeError:
            self.cancel_event.set()


def _alive(obj: QObject | None) -> bool:
    if obj is None:
        return True
    import shiboken6

    return bool(shiboken6.isValid(obj))


class TaskRunner(QObject):
    """Runs :class:`Task` jobs on a private ``QThreadPool`` and delivers results on the GUI thread.

    Signals:
        error_occurred(str): a job without its own ``on_failure`` failed; the text is
            the user-facing message.
        busy_changed(int): number of live tasks changed.
        idle(): the last live task finished.
    """

    error_occurred = Signal(str)
    busy_changed = Signal(int)
    idle = Signal()

    def __init__(self, parent: QObject | None = None, *, max_threads: int = DEFAULT_MAX_THREADS) -> None:
        super().__init__(parent)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self._tasks: dict[int, Task] = {}
        self._lock = threading.Lock()  # guards _tasks against a concurrent shutdown
        self._closed = False
        self._watched_owners: set[int] = set()  # ids of owners whose `destroyed` we listen to
        # One signals object for every task (created here, on the GUI thread): workers emit on
        # it, the queued connection brings each outcome to on_finished on this thread.
        self._signals = TaskSignals()
        self._signals.finished.connect(self.on_finished, Qt.ConnectionType.QueuedConnection)

    # -- starting ---------------------------------------------------------------------------------
    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_success: SuccessCallback | None = None,
        on_failure: FailureCallback | None = None,
        owner: QObject | None = None,
        pass_cancel: bool = False,
        **kwargs: Any,
    ) -> Task:
        """Queue ``fn(*args, **kwargs)``; the callbacks run later on the GUI thread."""
        task = Task(fn, *args, pass_cancel=pass_cancel, owner=owner, signals=self._signals, **kwargs)
        task.on_success = on_success
        task.on_failure = on_failure
        if self._closed:
            task.cancel()
            return task
        with self._lock:
            self._tasks[task.task_id] = task
        if owner is not None and id(owner) not in self._watched_owners:
            self._watched_owners.add(id(owner))
            owner.destroyed.connect(self._on_owner_destroyed)
        self.pool.start(task)
        self.busy_changed.emit(len(self._tasks))
        return task

    @property
    def active_count(self) -> int:
        return len(self._tasks)

    def tasks(self) -> list[Task]:
        return list(self._tasks.values())

    # -- delivery (GUI thread) --------------------------------------------------------------------
    @Slot(int, bool, object)
    def on_finished(self, task_id: int, ok: bool, payload: object) -> None:
        """One job's outcome: deliver it (unless cancelled or its owner is gone), then retire it."""
        task = self._tasks.get(task_id)
        try:
            if task is not None and not task.cancelled and not self._closed and _alive(task.owner):
                if ok:
                    self._deliver(task, payload)
                elif not isinstance(payload, Cancelled):
                    assert isinstance(payload, BaseException)
                    self._report(task, payload)
        finally:
            with self._lock:
                self._tasks.pop(task_id, None)
                remaining = len(self._tasks)
            self.busy_changed.emit(remaining)
            if remaining == 0:
                self.idle.emit()

    def _deliver(self, task: Task, result: object) -> None:
        if task.on_success is None:
            return
        try:
            task.on_success(result)
        except Exception as exc:  # a bug in a result handler must not kill the event loop
            self._report(task, exc)

    def _report(self, task: Task, exc: BaseException) -> None:
        if task.on_failure is not None:
            try:
                task.on_failure(exc)
                return
            except Exception as inner:
                exc = inner
        self.error_occurred.emit(user_message(exc))

    @Slot(QObject)
    def _on_owner_destroyed(self, obj: QObject | None = None) -> None:
        # The owner is half-gone here; cancel whatever no longer has a live owner.
        if obj is not None:
            self._watched_owners.discard(id(obj))
        for task in self.tasks():
            if task.owner is not None and (task.owner is obj or not _alive(task.owner)):
                task.cancel()

    # -- cancelling and shutting down -------------------------------------------------------------
    def cancel_all(self) -> None:
        for task in self.tasks():
            task.cancel()

    def shutdown(self, wait_ms: int = DEFAULT_SHUTDOWN_WAIT_MS) -> bool:
        """Cancel all, drop queued jobs, wait for running ones. True if all finished in time."""
        self._closed = True
        self.cancel_all()
        self.pool.clear()
        finished = bool(self.pool.waitForDone(wait_ms))
        with self._lock:
            self._tasks.clear()
        return finished


class Generation:
    """A monotonic counter a panel bumps for each new request; stale results are ignored.

    ``token = gen.next()`` before starting; in the callback ``if not gen.is_current(token): return``.
    """

    def __init__(self) -> None:
        self._value = 0

    def next(self) -> int:
        self._value += 1
        return self._value

    @property
    def current(self) -> int:
        return self._value

    def is_current(self, value: int) -> bool:
        return value == self._value


class EngineEventBridge(QObject):
    """Re-emits ``TokenEngine`` events (delivered on worker threads) on the GUI thread.

    Signals:
        received(object): an ``EngineEvent``; connected slots run on the GUI thread
            because this object lives there and the emit comes from another thread.
    """

    received = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, engine: TokenEngine) -> None:
        self.detach()
        self._unsubscribe = engine.subscribe(self._from_engine)

    def _from_engine(self, event: EngineEvent) -> None:
        # May run on any thread; a signal emit is thread-safe and queued to the receivers' thread.
        try:
            self.received.emit(event)
        except RuntimeError:  # the bridge's C++ object is gone during shutdown
            pass

    def detach(self) -> None:
        if self._unsubscribe is not None:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
            unsubscribe()
