"""Cooperative cancellation of a token request: "Cancel" stops the attempt's retries.

A front end passes an `Event` to `TokenEngine.get_token(..., cancel=event)`; while that call
runs, :func:`cancel_scope` makes the event the current one (a `ContextVar`, so it is this
call's own, whichever thread runs it). The engine's retry loop asks :func:`raise_if_cancelled`
before every attempt and waits out its back-off with :func:`pause`, which wakes at once when
the event is set: a cancelled request is never sent again. The attempt already on the wire
ends by its timeout; if it succeeds its answer is still stored (a rotated refresh token must
never be dropped), but nothing more is asked of the provider.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from workbench.core.errors import CancelledError

_current: ContextVar[threading.Event | None] = ContextVar("workbench_token_cancel", default=None)


@contextmanager
def cancel_scope(event: threading.Event | None) -> Iterator[None]:
    """Make `event` the current cancel event for the calls made inside (None: no change)."""
    if event is None:
        yield
        return
    token = _current.set(event)
    try:
        yield
    finally:
        _current.reset(token)


def raise_if_cancelled(what: str) -> None:
    event = _current.get()
    if event is not None and event.is_set():
        raise CancelledError(f"{what} cancelled; nothing more was sent")


def pause(seconds: float, sleep: Callable[[float], None], what: str) -> None:
    """Wait `seconds` before a retry; with a cancel event in scope, wake (and raise) at once
    when it is set."""
    event = _current.get()
    if event is None:
        sleep(seconds)
        return
    if event.wait(max(0.0, seconds)):
        raise CancelledError(f"{what} cancelled; nothing more was sent")


__all__ = ["cancel_scope", "pause", "raise_if_cancelled"]
