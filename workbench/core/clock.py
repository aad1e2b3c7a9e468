"""The one clock. All "now" in the product comes from here.

`Clock.now()` is the *provider's* idea of the current Unix time: local time plus
an offset learned from HTTP `Date` headers. Signed timestamps (true-markets'
±30 s window) and expiry countdowns both use it, so they agree with the server.
Tests use `FakeClock` and move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time

# A Date header has one-second resolution; ignore offsets smaller than this so
# a well-synced machine does not jitter by ±1 s.
DEFAULT_MIN_OFFSET = 2.0


class Clock:
    def __init__(self, *, min_offset: float = DEFAULT_MIN_OFFSET) -> None:
        self._offset = 0.0
        self._min_offset = min_offset
        self._lock = threading.Lock()

    def local_time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> float:
        """Server-corrected Unix time in seconds."""
        return self.local_time() + self._offset

    @property
    def offset(self) -> float:
        """Seconds the server is ahead of us (negative: behind)."""
        return self._offset

    def set_offset(self, offset: float) -> None:
        with self._lock:
            self._offset = offset

    def learn_from_date_header(self, value: str | None) -> bool:
        """Update the offset from an HTTP `Date` header. Returns True if the offset changed."""
        if not value:
            return False
        # Imported here: email.utils costs ~20 ms and every process builds a Clock.
        from email.utils import parsedate_to_datetime

        try:
            server = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        measured = server - self.local_time()
        with self._lock:
            if abs(measured) < self._min_offset:
                measured = 0.0
            # Round to whole seconds: the header cannot tell us more.
            measured = float(round(measured))
            changed = measured != self._offset
            self._offset = measured
        return changed


class FakeClock(Clock):
    """A clock tests move by hand. Starts at a fixed, realistic time unless told otherwise."""

    def __init__(self, start: float | None = None, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self._t = time.time() if start is None else start
        self._mono = 1000.0

    def local_time(self) -> float:
        return self._t

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._t += seconds
        self._mono += seconds

    def set_time(self, t: float) -> None:
        self._t = t
