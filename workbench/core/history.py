"""Request history: one JSON line per request, names and outcomes only.

`$WORKBENCH_HOME/history.jsonl` records which profile called what and how it
went: profile, method, URL (query values and userinfo removed, token-looking
path parts redacted), status, elapsed seconds, a redacted error line and a
timestamp. Never a header value, never a body.

The file is bounded: when it grows past `max_bytes` it is cut back to the last
`max_entries` lines. Appends and trims take a file lock so two processes (a CLI
call beside the GUI) neither interleave lines nor lose one to a trim.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from workbench.core.redact import redact, redact_url

log = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 500
DEFAULT_MAX_BYTES = 512 * 1024
MAX_URL_CHARS = 2000
MAX_ERROR_CHARS = 500
LOCK_TIMEOUT = 5.0


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class History:
    """Append-only, bounded, thread- and process-safe log of requests (see module docstring)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._path = path
        self._max_entries = max_entries
        self._max_bytes = max(max_bytes, 1024)
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        if self._path is None:
            from workbench.core.paths import history_path

            self._path = history_path()
        return self._path

    def _file_lock(self) -> Any:
        from filelock import FileLock

        return FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT)

    def record(
        self,
        *,
        profile: str,
        method: str,
        url: str,
        status: int | None,
        elapsed: float | None,
        error: str | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        """Append one entry. `secrets` (values) are scrubbed from the URL and the error text."""
        secrets = list(secrets)
        now = time.time()
        entry: dict[str, Any] = {
            "time": _iso(now),
            "profile": profile,
            "method": method.upper(),
            "url": redact_url(url, secrets)[:MAX_URL_CHARS],
            "status": status,
            "elapsed": None if elapsed is None else round(float(elapsed), 4),
            "error": None if error is None else " ".join(redact(error, secrets).split())[:MAX_ERROR_CHARS],
        }
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._file_lock():
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if size > self._max_bytes:
                self._trim(path)

    def _trim(self, path: Path) -> None:
        """Keep the newest lines: at most `max_entries`, and at most half of `max_bytes`
        (so a trim buys room for many appends instead of running on every one)."""
        lines = path.read_bytes().splitlines(keepends=True)
        kept: list[bytes] = []
        budget = self._max_bytes // 2
        for line in reversed(lines[-self._max_entries :]):
            if budget - len(line) < 0 and kept:
                break
            budget -= len(line)
            kept.append(line)
        kept.reverse()
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"".join(kept))
        finally:
            os.close(fd)
        os.replace(tmp, path)

    def entries(self, profile: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest entries first (optionally for one profile), at most `max_entries`.

        Unreadable lines are skipped. (Between trims the file may hold a few more lines
        than `max_entries`; they are not reported.)
        """
        limit = min(limit, self._max_entries)
        path = self.path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return []
        result: list[dict[str, Any]] = []
        for line in reversed(raw.splitlines()):
            if len(result) >= limit:
                break
            try:
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if not isinstance(entry, dict):
                continue
            if profile is not None and entry.get("profile") != profile:
                continue
            result.append(entry)
        return result

    def clear(self, profile: str | None = None) -> None:
        """Forget everything, or one profile's entries."""
        path = self.path
        with self._lock, self._file_lock():
            if profile is None:
                path.unlink(missing_ok=True)
                return
            try:
                lines = path.read_bytes().splitlines(keepends=True)
            except FileNotFoundError:
                return
            kept = []
            for line in lines:
                try:
                    if json.loads(line).get("profile") == profile:
                        continue
                except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                    continue
                kept.append(line)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(b"".join(kept))
            os.replace(tmp, path)


class HistoryWriter:
    """Appends history entries on a background thread, so a call never waits for the file.

    History is a convenience log; keeping its file lock and append off the request path
    is what makes a warm `call` cost what a bare HTTP request costs. `flush` waits until
    everything queued so far is written; `close` flushes and stops the thread. `history`
    is called (on the writer thread) when the first entry is written.
    """

    _STOP = object()

    def __init__(self, history: Callable[[], History]) -> None:
        self._history = history
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._mu = threading.Lock()

    def put(self, entry: dict[str, Any]) -> None:
        if self._thread is None:
            with self._mu:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="workbench-history", daemon=True)
                    self._thread.start()
        self._queue.put(entry)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self._history().record(**cast("dict[str, Any]", item))
            except Exception:  # history is a convenience; never let it take anything down
                log.exception("could not record history")

    def flush(self, timeout: float = 5.0) -> bool:
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        thread = self._thread
        if thread is None:
            return
        self._queue.put(self._STOP)
        thread.join(timeout)


__all__ = ["History", "HistoryWriter", "redact_url"]
