"""An exclusive lock between processes on one file, with a timeout.

The engine holds a profile's lock while it obtains a token, so two workbench processes (a
shell loop and the desktop app) never refresh the same rotating refresh token at once.

The lock is the operating system's advisory lock on an open file (`flock` on POSIX,
`msvcrt.locking` on Windows): the kernel drops it when the holder's file is closed, so a
process that crashes or is killed (even `kill -9`) never leaves a stale lock behind, and
the lock file itself can stay on disk. Each `ProcessLock` opens its own file description,
so two threads of one process contend like two processes do.

This replaces the `filelock` package, whose 4.x import pulls in some 30 modules (asyncio
support, decimal, inspect) for the one call we make, and whose Unix lock is this same `flock`.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from workbench.core.engine.types import LockTimeoutError
from workbench.core.errors import StorageError

DEFAULT_POLL_SECONDS = 0.005
MAX_POLL_SECONDS = 0.05


class LockHeld(Exception):
    """Another holder kept the lock past the timeout."""


if sys.platform == "win32":  # pragma: no cover - exercised by the release workflow on Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class ProcessLock:
    """`with ProcessLock(path, timeout=10):` holds `path`'s lock or raises `LockHeld`.

    Raises `IsADirectoryError`, `OSError(ELOOP)` for a symbolic link (never followed), and other
    `OSError`s when the lock file cannot be opened.
    Not re-entrant: acquire once, release once.
    """

    def __init__(self, path: Path | str, *, timeout: float) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this ProcessLock")
        # O_NOFOLLOW: a link planted at the lock's path is refused (ELOOP), never followed to
        # create or lock a file elsewhere.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        deadline = time.monotonic() + self.timeout
        poll = DEFAULT_POLL_SECONDS
        try:
            while not _try_lock(fd):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LockHeld(str(self.path))
                time.sleep(min(poll, remaining))
                poll = min(poll * 2, MAX_POLL_SECONDS)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> ProcessLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


@contextmanager
def profile_lock(lock_dir: Path, name: str, *, timeout: float) -> Iterator[None]:
    """Hold profile `name`'s token lock: the engine while it obtains a token, `profile set`
    while it replaces the secrets a token is obtained with. One clear error when it is held."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{name}.lock"
    lock = ProcessLock(path, timeout=timeout)
    try:
        lock.acquire()
    except IsADirectoryError:
        raise LockTimeoutError(
            f"the token lock of profile '{name}' ({path}) is a folder, not a file; remove it"
        ) from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise StorageError(
            f"the token lock of profile '{name}' ({path}) is a symbolic link; workbench does not "
            "follow links there: remove it"
        ) from None
    except LockHeld:
        raise LockTimeoutError(
            f"another workbench process has held the token lock of profile '{name}' for over "
            f"{timeout:.0f} s ({path}); try again"
        ) from None
    try:
        yield
    finally:
        lock.release()
