"""Hold SIGINT and SIGTERM while a rotated refresh token is on its way to the keychain.

Once a provider has rotated a refresh token, the old one is dead and the new one lives
only in this process until the vault has it. Ctrl-C or a `kill` (SIGTERM) in that
window would lose it, and with it the profile. `deferred_signals()` swaps in handlers
that only note the signal; on leaving the block the previous handlers come back and a
noted signal is delivered again (`signal.raise_signal`), so Ctrl-C still ends the
program, just after the write. SIGKILL cannot be held by anyone.

A held Ctrl-C says so on stderr (`notice`): a provider that hangs would otherwise hold it for
the whole request timeout with no word. A second Ctrl-C is the user insisting: it quits at
once (`ForcedInterrupt`, a KeyboardInterrupt saying what may be lost).

Python runs signal handlers in the main thread only, and only the main thread may
change them: elsewhere (GUI workers) the block does nothing. Handlers are swapped, not
masked with `pthread_sigmask`: a mask is per thread, and the kernel would hand a
process-directed signal to any other thread that leaves it unmasked (httpx's or the
history writer's), whose C handler would still interrupt the main thread.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ForcedInterrupt(KeyboardInterrupt):
    """A second Ctrl-C inside a `deferred_signals` block: quit now. `str()` says what may be lost."""


@contextmanager
def deferred_signals(
    signals: tuple[signal.Signals, ...] = HELD_SIGNALS, *, notice: str = "", forced: str = ""
) -> Iterator[list[int]]:
    """Within the block, SIGINT/SIGTERM are noted, not acted on; they take effect on leaving it.

    `notice` is printed to stderr at the first held Ctrl-C; a second Ctrl-C raises
    `ForcedInterrupt(forced)` at once. Yields the list of signals noted so far (for tests and
    logs). Re-entrant: an inner block inside an outer one holds nothing itself and the outer
    one delivers.
    """
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread() or getattr(_state, "active", False):
        yield noted
        return

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)
        if signum != signal.SIGINT:
            return
        if noted.count(signal.SIGINT) >= 2:
            noted.clear()  # delivered here, not again on leaving the block
            raise ForcedInterrupt(forced)
        if notice:
            print(f"workbench: {notice}", file=sys.stderr, flush=True)

    previous: dict[int, Any] = {}
    try:
        for sig in signals:
            previous[sig] = signal.signal(sig, note)
    except (ValueError, OSError):  # not the main interpreter, or a platform without that signal
        _restore(previous)
        yield noted
        return
    _state.active = True
    try:
        yield noted
    finally:
        _state.active = False
        _restore(previous)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)


def _restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        # None: the handler was installed outside Python; the default is the closest we can do.
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


class _State(threading.local):
    active = False


_state = _State()

__all__ = ["HELD_SIGNALS", "ForcedInterrupt", "deferred_signals"]
