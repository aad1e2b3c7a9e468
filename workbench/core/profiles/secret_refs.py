"""Secret references: a profile may say where a secret comes from instead of storing it.

    [secret_refs]
    api_key = "env:TOT_API_KEY"                        # an environment variable (CI runners)
    secret_key = "cmd:op read op://ci/tot/secret-key"  # a command whose stdout is the secret

Made for machines with no keychain (a CI runner: the CI's secret store fills the
environment) and for teams whose secrets live in a password manager (`op read`, `pass show`,
`bw get`, `vault kv get -field=…`). The profile file holds the reference, never a value. The
value is resolved at each use: every request that needs it (a mint, a refresh, a signed
challenge) reads the variable or runs the command again, so a long-running app sees a rotated
secret the next time it needs one. It lives in memory only for that request (a request's
template reads each secret once) and is never written anywhere (keychain, files, history, logs).

A `cmd:` reference runs a program, so it is split like a shell would split it (`shlex`) but
run without a shell, with no stdin, under a deadline (`DEFAULT_CMD_TIMEOUT`, or
`WORKBENCH_SECRET_CMD_TIMEOUT` seconds): a command that fails or hangs is stopped (its
whole process group) and reported in one line that names the secret and the program, never
its output. Importing a profile file with a `cmd:` reference needs `--trust` (`import_risks`).
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.errors import InputError
from workbench.core.errors import SecretReferenceError as SecretReferenceError  # defined in the error tree

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault

DEFAULT_CMD_TIMEOUT = 30.0
TIMEOUT_ENV = "WORKBENCH_SECRET_CMD_TIMEOUT"
MAX_SECRET_BYTES = 1024 * 1024
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")

RefKind = Literal["env", "cmd"]


@dataclass(frozen=True)
class SecretRef:
    kind: RefKind
    target: str  # the variable's name, or the command line

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"

    @property
    def program(self) -> str:
        """What a message may name: the variable, or the command's program (not its arguments)."""
        if self.kind == "env":
            return self.target
        return _split(self.target)[0]


def parse_ref(text: str, *, secret: str = "") -> SecretRef:
    """`env:VAR` or `cmd:COMMAND` → SecretRef; anything else is one clear InputError."""
    label = f"secret reference for '{secret}'" if secret else "secret reference"
    kind, sep, target = text.partition(":")
    if not sep or kind not in ("env", "cmd"):
        raise InputError(f"{label} must be env:VAR or cmd:COMMAND")
    if any(ch in target for ch in "\x00\r\n"):
        raise InputError(f"{label} must be one line")
    if kind == "env":
        if not _ENV_NAME.match(target):
            raise InputError(f"{label}: env:{target[:40]} is not an environment variable name")
        return SecretRef("env", target)
    if not target.strip():
        raise InputError(f"{label}: cmd: needs a command (cmd:COMMAND ARG...)")
    try:
        _split(target)
    except ValueError as exc:
        raise InputError(f"{label}: cmd: cannot be split into words ({exc})") from None
    return SecretRef("cmd", target.strip())


def _split(command: str) -> list[str]:
    import shlex

    words = shlex.split(command, posix=os.name != "nt")
    if not words:
        raise ValueError("no command")
    return words


# ------------------------------------------------------------------------ resolving


def load_input(vault: Vault, profile: Profile, name: str) -> str | None:
    """A profile's input secret: from its reference when it has one, else from the keychain."""
    ref = profile.secret_refs.get(name)
    if ref is None:
        return vault.load(profile.name, name)
    return resolve(profile.name, name, parse_ref(ref, secret=name))


def resolve(profile: str, secret: str, ref: SecretRef, *, timeout: float | None = None) -> str:
    """The value behind `ref`, read now (each use reads it again; nothing is kept)."""
    where = f"secret '{secret}' of profile '{profile}'"
    if ref.kind == "env":
        value = os.environ.get(ref.target)
        if value is None:
            raise SecretReferenceError(f"{where} comes from env:{ref.target}, which is not set")
        value = drop_final_newline(value)
        if not value.strip():
            raise SecretReferenceError(f"{where} comes from env:{ref.target}, which is empty")
        return value
    return _run(where, ref, timeout if timeout is not None else _timeout())


def _timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"{TIMEOUT_ENV} must be a number of seconds, got '{raw[:20]}'") from None
        if value > 0:
            return value
    return DEFAULT_CMD_TIMEOUT


def _run(where: str, ref: SecretRef, timeout: float) -> str:
    import subprocess

    argv = _split(ref.target)
    program = argv[0]
    posix = os.name == "posix"
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # password managers may print hints with values; never relay
            start_new_session=posix,  # its own process group, so a timeout stops its children too
        )
    except OSError as exc:
        reason = (exc.strerror or exc.__class__.__name__).lower()
        raise SecretReferenceError(f"{where}: cannot run `{program}` ({reason})") from None
    try:
        out = _read_capped(proc, MAX_SECRET_BYTES, timeout)
        if out is None:
            _stop(proc, posix)
            raise SecretReferenceError(
                f"{where}: `{program}` did not finish within {timeout:g} s and was stopped",
                hint=f"set {TIMEOUT_ENV} to wait longer",
            )
        if len(out) > MAX_SECRET_BYTES:
            _stop(proc, posix)
            raise SecretReferenceError(
                f"{where}: `{program}` printed more than 1 MiB; that is not a secret (it was stopped)"
            )
    except BaseException:
        _stop(proc, posix)
        raise
    if proc.returncode != 0:
        raise SecretReferenceError(f"{where}: `{program}` exited with status {proc.returncode}")
    try:
        value = drop_final_newline(out.decode("utf-8"))
    except UnicodeDecodeError:
        raise SecretReferenceError(f"{where}: `{program}` printed something that is not UTF-8 text") from None
    if not value.strip():
        raise SecretReferenceError(f"{where}: `{program}` printed nothing")
    if "\x00" in value:
        raise SecretReferenceError(f"{where}: `{program}` printed a NUL byte; that is not a secret")
    return value


def _read_capped(proc: Any, limit: int, timeout: float) -> bytes | None:
    """The command's output as it comes, at most `limit` + 1 bytes (then the caller stops it), and
    its exit; None when it has not finished within `timeout`. Read on a thread so the deadline
    holds on every platform, whatever the command does with its pipe."""
    import subprocess

    out = bytearray()

    def pump() -> None:
        while len(out) <= limit:
            block = proc.stdout.read1(64 * 1024)
            if not block:
                return
            out.extend(block)

    deadline = time.monotonic() + timeout
    reader = threading.Thread(target=pump, name="secret-cmd-output", daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        return None
    if len(out) > limit:
        return bytes(out)
    try:
        proc.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return None
    proc.stdout.close()
    return bytes(out)


def _stop(proc: object, posix: bool) -> None:
    import subprocess

    assert isinstance(proc, subprocess.Popen)
    try:
        if posix:
            import signal

            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def drop_final_newline(text: str) -> str:
    """`text` without one trailing newline (\n or \r\n), as `$(cmd)` and `@file` values are read."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


# ------------------------------------------------------------------------ import safety


def import_risks(profile: Profile) -> list[str]:
    """What a profile file's references would do on this machine that needs the user's trust."""
    return [
        f"it runs a command to read secret '{name}' (cmd:{parse_ref(ref, secret=name).target})"
        for name, ref in profile.secret_refs.items()
        if ref.startswith("cmd:")
    ]
