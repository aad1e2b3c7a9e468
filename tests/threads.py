"""Run a callable from many threads released at the same instant (single-flight tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_together(n: int, fn: Callable[[], Any], *, timeout: float = 30) -> tuple[list[Any], list[Exception]]:
    """`fn()` in `n` threads behind one barrier; returns (results, errors)."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[Exception] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(fn())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors
