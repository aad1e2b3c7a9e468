"""Request history in SQLite: names and outcomes only, never a header or a body.

`$WORKBENCH_HOME/history.sqlite3` (stdlib `sqlite3`, WAL, so a CLI call and the GUI
write side by side) holds one row per request: time, profile, method, URL (userinfo
dropped, query values and token-looking path parts redacted), status, duration,
response size and a redacted error line.

* Bounded: at most `max_entries` rows (the oldest go first).
* A setting turns it off (`set_enabled(False)`, stored in the same file so every
  process honours it); `clear()` forgets everything or one profile's rows.
* Today's `history.jsonl` (the format before this one) is read into the table once and
  renamed `history.jsonl.migrated`.
* The file is private (0600). A damaged file never breaks a request: recording skips
  it; reading it is one `StorageError` saying what to do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from workbench.core.errors import StorageError, user_message
from workbench.core.redact import redact, redact_url
from workbench.core.storage.paths import history_db_path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

log = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 100_000
TRIM_EVERY = 500  # inserts between trims (a trim is one indexed DELETE)
MAX_URL_CHARS = 2000
MAX_ERROR_CHARS = 500
BUSY_TIMEOUT = 5.0
SCHEMA_VERSION = 2  # 2: the requests_search index
MIN_INDEXED_SEARCH = 3  # trigram index: shorter search text scans the table instead
PROFILE_SCAN_ROWS = 20_000  # a profile filter with at most this many rows scans them (its own index)
LEGACY_NAME = "history.jsonl"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    profile TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    duration REAL,
    size INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS requests_by_profile ON requests (profile, id);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_COLUMNS = "id, time, profile, method, url, status, duration, size, error"
# What a search looks in: one text per row in an FTS5 trigram index (substring search that
# stays interactive at 100,000 rows, newest first without sorting: rowid = requests.id).
_HAY = "method || ' ' || ifnull(status, '') || ' ' || profile || ' ' || url || ' ' || ifnull(error, '')"
_INDEX_ROW = f"INSERT INTO requests_search (rowid, hay) SELECT id, {_HAY} FROM requests WHERE id = ?"  # noqa: S608
_SEARCH_TABLE = "CREATE VIRTUAL TABLE requests_search USING fts5(hay, tokenize = 'trigram')"


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_iso(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    rid, t, profile, method, url, status, duration, size, error = row
    return {
        "id": rid,
        "time": _iso(t),
        "profile": profile,
        "method": method,
        "url": url,
        "status": status,
        "duration": duration,
        "elapsed": duration,  # the name the JSON-lines history used
        "size": size,
        "error": error,
    }


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _sent_forms(secrets: Iterable[str]) -> list[str]:
    """Each secret value as it may appear in a URL: as rendered, and percent-encoded the ways a
    template or httpx may have encoded it (`quote`, `quote_plus`, `/` kept or not)."""
    from urllib.parse import quote, quote_plus

    forms: list[str] = []
    for value in secrets:
        if value:
            forms += [value, quote(value, safe=""), quote(value)]
            forms += [quote_plus(value), quote_plus(value, safe="/")]
    return list(dict.fromkeys(forms))


class History:
    """The request log (see the module docstring). Thread- and process-safe."""

    def __init__(self, path: Path | None = None, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._path = path
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._ready = False
        self._indexed = False
        self._inserts = 0
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = history_db_path()
        return self._path

    # ------------------------------------------------------------------ connection

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (kept open: opening and closing a WAL database costs a checkpoint)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            path = self.path
            self._refuse_links(path)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None)
            try:
                # WAL + NORMAL: no fsync per row; a crash may lose the last rows, never corrupt the file.
                conn.execute("PRAGMA synchronous=NORMAL")
                if not self._ready:
                    self._prepare(conn)
            except BaseException:
                conn.close()
                raise
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        yield conn

    @staticmethod
    def _refuse_links(path: Path) -> None:
        """SQLite follows symbolic links: one at the file (or its journal, WAL or shared-memory
        file) would add our tables to another database or create a file where it points."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            candidate = Path(f"{path}{suffix}")
            if candidate.is_symlink():
                raise StorageError(
                    f"the history file {candidate} is a symbolic link; workbench does not follow "
                    "links there: remove it"
                )

    def close(self) -> None:
        """Close every thread's connection (each thread opens a new one on its next use)."""
        with self._lock:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _prepare(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if self._ready:
                return
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):  # (executescript would commit the transaction)
                    if statement.strip():
                        conn.execute(statement)
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version < 1:
                    self._migrate_jsonl(conn)
                self._indexed = self._ensure_search_index(conn)
                if version < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._ready = True

    @staticmethod
    def _ensure_search_index(conn: sqlite3.Connection) -> bool:
        """Create (and fill) the trigram index; False where SQLite lacks FTS5 or its trigram tokenizer
        (searching then scans the table: correct, only slower)."""
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'requests_search'").fetchone()
        if found:
            return True
        try:
            conn.execute("SAVEPOINT search_index")
            conn.execute(_SEARCH_TABLE)
            conn.execute(f"INSERT INTO requests_search (rowid, hay) SELECT id, {_HAY} FROM requests")  # noqa: S608
            conn.execute("RELEASE search_index")
        except sqlite3.OperationalError:
            conn.execute("ROLLBACK TO search_index")
            conn.execute("RELEASE search_index")
            return False
        return True

    def _migrate_jsonl(self, conn: sqlite3.Connection) -> None:
        """Read `history.jsonl` (the old format) beside the database once; damaged lines are skipped."""
        legacy = self.path.with_name(LEGACY_NAME)
        try:
            raw = legacy.read_bytes()
        except OSError:
            return
        rows = []
        for line in raw.splitlines():
            try:
                entry = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if not isinstance(entry, dict):
                continue
            when = _parse_iso(entry.get("time"))
            if (
                when is None
                or not isinstance(entry.get("profile"), str)
                or not isinstance(entry.get("url"), str)
            ):
                continue
            status = entry.get("status")
            elapsed = entry.get("elapsed")
            rows.append(
                (
                    when,
                    entry["profile"],
                    str(entry.get("method") or "GET").upper(),
                    redact_url(entry["url"])[:MAX_URL_CHARS],
                    status if isinstance(status, int) and not isinstance(status, bool) else None,
                    float(elapsed)
                    if isinstance(elapsed, int | float) and not isinstance(elapsed, bool)
                    else None,
                    None,
                    redact(str(entry["error"]))[:MAX_ERROR_CHARS] if entry.get("error") else None,
                )
            )
        conn.executemany(
            "INSERT INTO requests (time, profile, method, url, status, duration, size, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        with contextlib.suppress(OSError):
            legacy.replace(legacy.with_name(LEGACY_NAME + ".migrated"))
        log.info("history: %d entries migrated from %s", len(rows), legacy)

    def _exists(self) -> bool:
        """Is there anything to read (the database, or a JSON-lines history to migrate into one)?"""
        path = self.path
        # A link (even a dangling one) is there: reading it is refused with the reason.
        return path.exists() or path.is_symlink() or path.with_name(LEGACY_NAME).exists()

    def _damaged(self, exc: sqlite3.Error) -> StorageError:
        return StorageError(
            f"the history file {self.path} cannot be read ({exc}); "
            "clear it with `workbench history --clear` (it holds no secrets)"
        )

    # ------------------------------------------------------------------ writing

    def record(
        self,
        *,
        profile: str,
        method: str,
        url: str,
        status: int | None,
        elapsed: float | None,
        error: str | None = None,
        size: int | None = None,
        secrets: Iterable[str] = (),
    ) -> bool:
        """Add one row (unless history is turned off). `secrets` (values) are scrubbed from URL and error.

        Returns whether a row was written.
        """
        secrets = _sent_forms(secrets)
        row = (
            time.time(),
            profile,
            method.upper(),
            redact_url(url, secrets)[:MAX_URL_CHARS],
            status,
            None if elapsed is None else round(float(elapsed), 4),
            size,
            None if error is None else " ".join(redact(error, secrets).split())[:MAX_ERROR_CHARS],
        )
        with self._connect() as conn:
            if not self._enabled(conn):
                return False
            conn.execute("BEGIN IMMEDIATE")
            try:
                rowid = conn.execute(
                    "INSERT INTO requests (time, profile, method, url, status, duration, size, error)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                ).lastrowid
                if self._indexed:
                    conn.execute(
                        _INDEX_ROW,
                        (rowid,),
                    )
                self._inserts += 1
                if self._inserts % TRIM_EVERY == 1 or self._max_entries < TRIM_EVERY:
                    self._trim(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return True

    def _trim(self, conn: sqlite3.Connection) -> None:
        newest = conn.execute("SELECT max(id) FROM requests").fetchone()[0]
        if newest is not None:
            conn.execute("DELETE FROM requests WHERE id <= ?", (newest - self._max_entries,))
            if self._indexed:
                conn.execute("DELETE FROM requests_search WHERE rowid <= ?", (newest - self._max_entries,))

    # ------------------------------------------------------------------ reading

    def entries(self, profile: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest rows first, optionally for one profile."""
        return self.search("", profile=profile, limit=limit)

    def search(self, text: str = "", *, profile: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Newest first: rows whose URL, method, profile, status or error contain `text` (any case).

        Text of 3 or more characters goes through the trigram index, newest first, stopping at
        `limit`; with a profile filter, a profile with few rows is scanned on its own index instead
        (the index would walk every match of a common text to find that profile's few). Shorter
        text scans the table (correct at any size; the History panel searches from 3 characters).
        """
        if not self._exists():
            return []
        text = text.strip()
        limit = max(0, int(limit))
        try:
            with self._connect() as conn:
                sql, args = self._search_query(conn, text, profile, limit)
                return [_row(r) for r in conn.execute(sql, args)]
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def _search_query(
        self, conn: sqlite3.Connection, text: str, profile: str | None, limit: int
    ) -> tuple[str, list[Any]]:
        columns = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))
        use_index = len(text) >= MIN_INDEXED_SEARCH and self._indexed
        if use_index and profile is not None:
            rows = conn.execute("SELECT count(*) FROM requests WHERE profile = ?", (profile,)).fetchone()[0]
            use_index = rows > PROFILE_SCAN_ROWS
        if use_index:
            phrase = '"' + text.replace('"', '""') + '"'  # a phrase of trigrams: a substring
            sql = (
                f"SELECT {columns} FROM requests_search s JOIN requests r ON r.id = s.rowid"  # noqa: S608
                " WHERE requests_search MATCH ?"
            )
            args: list[Any] = [phrase]
            if profile is not None:
                sql += " AND r.profile = ?"
                args.append(profile)
            return sql + " ORDER BY s.rowid DESC LIMIT ?", [*args, limit]
        where: list[str] = []
        args = []
        if profile is not None:
            where.append("r.profile = ?")
            args.append(profile)
        if text:
            where.append(
                "(r.url LIKE ? ESCAPE '\\' OR r.method LIKE ? ESCAPE '\\' OR r.profile LIKE ? ESCAPE '\\'"
                " OR CAST(r.status AS TEXT) LIKE ? ESCAPE '\\' OR r.error LIKE ? ESCAPE '\\')"
            )
            args.extend([_like(text)] * 5)
        sql = f"SELECT {columns} FROM requests r"  # noqa: S608 - fixed clauses; every value is a bound parameter
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql + " ORDER BY r.id DESC LIMIT ?", [*args, limit]

    def profiles(self) -> list[str]:
        """Every profile name that has rows (for the panel's filter)."""
        if not self._exists():
            return []
        try:
            with self._connect() as conn:
                return [r[0] for r in conn.execute("SELECT DISTINCT profile FROM requests ORDER BY profile")]
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def count(self) -> int:
        if not self._exists():
            return 0
        with self._connect() as conn:
            return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])

    # ------------------------------------------------------------------ settings and clearing

    @staticmethod
    def _enabled(conn: sqlite3.Connection) -> bool:
        row = conn.execute("SELECT value FROM settings WHERE key = 'enabled'").fetchone()
        return row is None or row[0] != "0"

    @property
    def enabled(self) -> bool:
        if not self._exists():
            return True
        try:
            with self._connect() as conn:
                return self._enabled(conn)
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def set_enabled(self, enabled: bool) -> None:
        """Turn recording on or off for every process using this WORKBENCH_HOME."""
        try:
            with self._connect() as conn:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES ('enabled', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    ("1" if enabled else "0",),
                )
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def clear(self, profile: str | None = None) -> int:
        """Forget everything (a damaged file is replaced), or one profile's rows. Returns rows removed."""
        try:
            with self._connect() as conn:
                if profile is None:
                    removed = conn.execute("DELETE FROM requests").rowcount
                    if self._indexed:
                        conn.execute("DELETE FROM requests_search")
                else:
                    if self._indexed:
                        conn.execute(
                            "DELETE FROM requests_search"
                            " WHERE rowid IN (SELECT id FROM requests WHERE profile = ?)",
                            (profile,),
                        )
                    removed = conn.execute("DELETE FROM requests WHERE profile = ?", (profile,)).rowcount
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.execute("VACUUM")  # the rows' bytes leave the file too
                return int(removed)
        except sqlite3.DatabaseError:
            if profile is not None:
                raise self._damaged(sqlite3.DatabaseError("damaged")) from None
            self.close()
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            self._ready = False
            return 0


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
        self._failures = 0

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
            except Exception as exc:  # history is a convenience; never let it take anything down
                # One line, once per process: a damaged file would otherwise repeat it for every
                # request (and a traceback says nothing the message does not).
                self._failures += 1
                if self._failures == 1:
                    if isinstance(exc, sqlite3.Error):
                        exc = self._history()._damaged(exc)  # names the file and how to clear it
                    log.warning("history not recorded: %s", user_message(exc))

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
        if not thread.is_alive():
            with contextlib.suppress(Exception):
                self._history().close()  # the writer thread's connection


__all__ = ["History", "HistoryWriter", "redact_url"]
