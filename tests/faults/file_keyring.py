"""A keyring backend in a JSON file, shared by separate `workbench` processes in tests.

Select it with ``PYTHON_KEYRING_BACKEND=tests.faults.file_keyring.FileKeyring`` and
``WB_TEST_KEYRING_FILE=/path/keyring.json`` (run with the repository as working
directory so `tests` is importable). Writes are atomic (temp file + rename) under an
`fcntl` lock, like a real keychain's own transactions.

Faults, for crash tests in real processes: ``WB_TEST_KEYRING_DIE_AT=N`` with
``WB_TEST_KEYRING_DIE_WHEN=before|after`` ends the process with `os._exit(137)` (no
cleanup at all, as a `kill -9` would) at its N-th write (set or delete).
It is a test tool only: values are stored in plain text in that file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from keyring import errors as kerr
from keyring.backend import KeyringBackend
from keyring.compat import properties


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        return -1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._writes = 0

    @property
    def _path(self) -> Path:
        return Path(os.environ["WB_TEST_KEYRING_FILE"])

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, str]]:
        lock_path = self._path.with_suffix(".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                data = json.loads(self._path.read_text()) if self._path.exists() else {}
                yield data
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, data: dict[str, str]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".kr-")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.replace(tmp, self._path)

    def _maybe_die(self, when: str) -> None:
        at = os.environ.get("WB_TEST_KEYRING_DIE_AT")
        if at and self._writes == int(at) and os.environ.get("WB_TEST_KEYRING_DIE_WHEN", "before") == when:
            os._exit(137)

    def get_password(self, service: str, username: str) -> str | None:
        with self._locked() as data:
            return data.get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._writes += 1
        self._maybe_die("before")
        with self._locked() as data:
            data[f"{service}\x00{username}"] = password
            self._save(data)
        self._maybe_die("after")

    def delete_password(self, service: str, username: str) -> None:
        self._writes += 1
        self._maybe_die("before")
        with self._locked() as data:
            if data.pop(f"{service}\x00{username}", None) is None:
                raise kerr.PasswordDeleteError("no such entry")
            self._save(data)
        self._maybe_die("after")


def entries(path: Path) -> dict[str, str]:
    """username → value for the workbench service, read straight from the file."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {k.split("\x00", 1)[1]: v for k, v in data.items() if k.startswith("token-workbench\x00")}
