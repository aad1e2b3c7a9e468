"""A keyring backend that dies at a chosen keychain write, to prove crash safety.

`FaultKeyring` is a `MemoryKeyring` that counts writes (`set_password` and
`delete_password` both change the keychain). Armed with `arm(n, when)`, its n-th
write raises `Crash` either *before* the write takes effect or *after* it did:
the two ways a process killed around a keychain call can leave things. `Crash`
is a `BaseException`, so no `except Exception` in the product can swallow it,
like a real kill. `arm(n, fail=True)` instead makes every write from the n-th on
fail with keyring's own `PasswordSetError` (a keychain that refuses for good).

The entries survive the "crash": the next "process" (a fresh Vault / engine / CLI
run on the same backend) sees exactly what a real keychain would hold.
"""

from __future__ import annotations

from typing import Literal

from keyring import errors as kerr

from workbench.core.storage.vault import SERVICE, MemoryKeyring

When = Literal["before", "after"]


class Crash(BaseException):
    """The process died here (raised by `FaultKeyring`)."""


class FaultKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self._at: int | None = None
        self._when: When = "before"
        self._fail = False
        self.crashed = False

    def arm(self, n: int, when: When = "before", *, fail: bool = False) -> None:
        """Die (or, with fail=True, start refusing) at the n-th write from now (1-based)."""
        self.writes = 0
        self._at = n
        self._when = when
        self._fail = fail
        self.crashed = False

    def disarm(self) -> None:
        self._at = None
        self._fail = False

    def count_from_zero(self) -> None:
        self.writes = 0

    def _write(self, apply: object) -> None:
        self.writes += 1
        if self._at is None or self.writes < self._at:
            apply()  # type: ignore[operator]
            return
        if self._fail:
            raise kerr.PasswordSetError("the keychain refused the write (injected fault)")
        if self.writes > self._at:
            apply()  # type: ignore[operator]
            return
        if self._when == "after":
            try:
                apply()  # type: ignore[operator]
            except kerr.PasswordDeleteError:
                pass  # deleting an absent entry changed nothing; the process dies all the same
        self.crashed = True
        self._at = None
        raise Crash(f"killed at keychain write {self.writes} ({self._when})")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._write(lambda: MemoryKeyring.set_password(self, service, username, password))

    def delete_password(self, service: str, username: str) -> None:
        self._write(lambda: MemoryKeyring.delete_password(self, service, username))

    def workbench_entries(self) -> dict[str, str]:
        return {user: value for (service, user), value in self.entries().items() if service == SERVICE}
