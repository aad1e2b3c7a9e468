"""Single flight: N threads that need the same thing while one is fetching it wait for that one.

`SingleFlight.do(key, fn)` runs `fn` in the first caller (the leader). Callers that
arrive with the same key while it runs (followers) block until the leader is done
and then get *its* result, or its exception re-raised. When the leader finishes, the
key is released before anyone is woken, so a failed flight never poisons the key:
the next caller starts a fresh one.

The engine puts every mint/refresh of a profile through one of these, so fifty
threads asking for a token at once cost one provider call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from workbench.core.errors import FlightTimeoutError as FlightTimeoutError  # defined in the error tree

T = TypeVar("T")

# Followers wait at most this long for a leader by default. The leader itself is bounded by
# HTTP timeouts and lock timeouts, so this only trips when something below us hangs.
DEFAULT_WAIT_TIMEOUT = 300.0


@dataclass
class _Flight(Generic[T]):
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None
    followers: int = 0


class SingleFlight(Generic[T]):
    """Deduplicates concurrent calls per key. Thread-safe; reusable; keys are released on completion."""

    def __init__(self, *, wait_timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        self._mu = threading.Lock()
        self._flights: dict[Hashable, _Flight[T]] = {}
        self._wait_timeout = wait_timeout

    def in_flight(self, key: Hashable) -> bool:
        with self._mu:
            return key in self._flights

    def do(self, key: Hashable, fn: Callable[[], T], *, describe: str = "the request") -> T:
        with self._mu:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = _Flight()
                self._flights[key] = flight
            else:
                flight.followers += 1
        if not leader:
            if not flight.done.wait(self._wait_timeout):
                raise FlightTimeoutError(
                    f"gave up after {self._wait_timeout:.0f} s waiting for {describe} already under way"
                )
            if flight.error is not None:
                raise flight.error
            return flight.result  # type: ignore[return-value]  # set by the leader before done
        try:
            flight.result = fn()
            return flight.result
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            # Release the key first: anyone arriving after this point starts a new flight,
            # which is what we want after a failure (no poisoned key).
            with self._mu:
                if self._flights.get(key) is flight:
                    del self._flights[key]
            flight.done.set()
