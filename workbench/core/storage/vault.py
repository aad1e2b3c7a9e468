"""The vault: every secret value lives here, in the OS keychain through `keyring`.

Entries use service ``token-workbench`` and username ``<profile>/<name>``. The
backend is whatever keyring selects (so `PYTHON_KEYRING_BACKEND` works), imported
lazily because keyring's entry-point scan costs start-up time.

Big values (PEM keys, long JWTs) are split, because some keychains cap an entry
(Windows Credential Manager: 2560 bytes of UTF-16). A chunked value is stored as
parts ``<profile>/<name>#<G>.0`` … ``#<G>.<N-1>`` of a generation ``G`` plus a
manifest ``chunks:N:<sha256 hex>:g<G>`` under the base name; reading reassembles
the parts and checks the hash. A short value that happens to start with ``chunks:``
is stored chunked too, so a manifest can never be mistaken for a value.

Crash safety: a new value is written as parts of a *new* generation, then switched
to by one write of the manifest, and only then are the old generation's parts
removed. A process killed at any keychain write therefore leaves either the old
value or the new one readable, never a half-written mix (at worst some orphaned
parts, removed by the next store of that name). Manifests of the earlier format
(``chunks:N:<sha>``, parts ``#0`` … ``#N-1``) are still read, and replaced on the
next store. A value that is damaged anyway (edited by another program, a keychain
that lost a write) raises `VaultDamagedError`, whose message names the command that
stores it again.

When no usable keychain exists (keyring's `fail` backend, or a locked / absent
Secret Service on first use), the vault switches to an in-memory store for the
rest of the process and sets `warning` once. It never writes plaintext anywhere.

All public methods take one re-entrant lock: the engine calls in from worker threads.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from workbench.core.errors import VaultDamagedError, VaultError, VaultUnavailableError
from workbench.core.redact import redact

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "token-workbench"
MANIFEST_PREFIX = "chunks:"
# Budget per stored entry, in bytes of UTF-16 (what Windows counts): 2000 bytes is
# 1000 ASCII characters, comfortably under the 2560-byte Credential Manager cap.
CHUNK_BUDGET_UTF16_BYTES = 2000
MAX_CHUNKS = 1000

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")
_PROFILE_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\Z")
_MANIFEST_RE = re.compile(r"^chunks:(\d+):([0-9a-f]{64})(?::g(\d{1,18}))?\Z")

T = TypeVar("T")


def _fallback_warning(backend_name: str) -> str:
    if sys.platform == "darwin":
        fix = "unlock the login keychain"
    elif sys.platform == "win32":
        fix = "make sure Windows Credential Manager is available"
    else:
        fix = "install/unlock a Secret Service (e.g. gnome-keyring)"
    return (
        f"No usable OS keychain (keyring backend: {backend_name}). "
        f"Secrets are kept in memory only for this run; {fix} to keep them."
    )


def _short_backend_name(backend: Any) -> str:
    cls = type(backend)
    module = cls.__module__.rsplit(".", 1)[-1]
    if cls.__name__ in ("MemoryKeyring", "MemoryStore"):
        return "memory"
    return module if cls.__name__ == "Keyring" else f"{module}.{cls.__name__}"


@dataclass(frozen=True)
class _Manifest:
    """What the base entry of a chunked value says: how many parts, their hash, their generation
    (None: the earlier format, parts ``#0`` … without a generation)."""

    count: int
    digest: str
    generation: int | None

    def part(self, user: str, index: int) -> str:
        if self.generation is None:
            return f"{user}#{index}"
        return f"{user}#{self.generation}.{index}"

    def text(self) -> str:
        return f"{MANIFEST_PREFIX}{self.count}:{self.digest}:g{self.generation}"


def split_chunks(value: str, budget: int = CHUNK_BUDGET_UTF16_BYTES) -> list[str]:
    """Split at character boundaries so each part's UTF-16 encoding fits `budget` bytes."""
    parts: list[str] = []
    start = 0
    used = 0
    for i, ch in enumerate(value):
        cost = 4 if ord(ch) > 0xFFFF else 2
        if used + cost > budget:
            parts.append(value[start:i])
            start, used = i, 0
        used += cost
    parts.append(value[start:])
    return parts


def needs_chunking(value: str) -> bool:
    return value.startswith(MANIFEST_PREFIX) or len(value.encode("utf-16-le")) > CHUNK_BUDGET_UTF16_BYTES


class Vault:
    """Secrets by (profile, name), kept in the OS keychain.

    Attributes:
        warning: the one-time "no usable keychain" message when running on the
            in-memory fallback, else None.
    """

    def __init__(self, backend: KeyringBackend | MemoryStore | None = None) -> None:
        self._backend: Any = backend
        self._lock = threading.RLock()
        self._fallback = False
        self._used_ok = False  # a call succeeded: later "locked" errors are real errors, not "no keychain"
        self.warning: str | None = None

    # ------------------------------------------------------------------ backend

    def _get_backend(self) -> Any:
        if self._backend is None:
            try:
                import keyring
                import keyring.backends.fail

                backend = keyring.get_keyring()
            except Exception as exc:  # a broken keyring config must not crash the app
                self._switch_to_memory(type(exc).__name__)
                return self._backend
            if isinstance(backend, keyring.backends.fail.Keyring):
                self._switch_to_memory("fail")
            else:
                self._backend = backend
        elif not self._fallback and not self._used_ok:
            # Not imported: the given backend cannot be keyring's `fail` one (a `MemoryStore`
            # vault, as `--demo` uses, never imports keyring).
            fail = sys.modules.get("keyring.backends.fail")
            if fail is not None and isinstance(self._backend, fail.Keyring):
                self._switch_to_memory("fail")
        return self._backend

    def _switch_to_memory(self, why: str) -> None:
        self._backend = _memory_keyring_class()()
        self._fallback = True
        if self.warning is None:
            self.warning = _fallback_warning(why)

    def _call(self, action: str, key: str, fn: Callable[[Any], T], secret: str | None = None) -> T:
        """One backend call. "No keychain" on first use → fallback; any other failure → VaultError."""
        backend = self._get_backend()
        try:
            result = fn(backend)
        except VaultError:
            raise
        except Exception as exc:
            # keyring's errors, if keyring is loaded at all (a `MemoryStore` never loads it).
            kerr = sys.modules.get("keyring.errors")
            no_keychain = kerr is not None and isinstance(
                exc, (kerr.NoKeyringError, kerr.KeyringLocked, kerr.InitError)
            )
            if kerr is None or not no_keychain or self._fallback or self._used_ok:
                raise self._error(action, key, exc, secret) from None
            name = _short_backend_name(backend)
            if isinstance(exc, kerr.KeyringLocked):
                name += ", locked"
            self._switch_to_memory(name)
            result = fn(self._backend)
        self._used_ok = True
        return result

    def _error(self, action: str, key: str, exc: BaseException, secret: str | None) -> VaultError:
        detail = redact(" ".join(str(exc).split()), [secret] if secret else [])[:200]
        detail = f": {detail}" if detail else ""
        return VaultError(
            f"the keychain ({self.backend_name}) could not {action} '{key}' ({type(exc).__name__}{detail})"
        )

    @property
    def backend_name(self) -> str:
        with self._lock:
            backend = self._get_backend()
            if self._fallback:
                return "memory (no usable OS keychain)"
            return _short_backend_name(backend)

    @property
    def fell_back(self) -> bool:
        """True once the OS keychain proved unusable and secrets went to memory for this run (not
        for a vault that is in memory by design, like `gui --demo`'s)."""
        with self._lock:
            return self._fallback

    @property
    def persistent(self) -> bool:
        """False when secrets only live in this process (fallback, or an explicit MemoryKeyring)."""
        with self._lock:
            backend = self._get_backend()
            return not self._fallback and type(backend).__name__ not in ("MemoryKeyring", "MemoryStore")

    def require_keeping(self, what: str, hint: str = "") -> None:
        """Raise VaultUnavailableError("no usable OS keychain, so {what}") when this vault fell back
        to memory: a key generated into it would be lost when the process exits (a vault in
        memory by design, like `gui --demo`'s, is no such fallback)."""
        if not self.persistent and self.warning is not None:
            raise VaultUnavailableError(f"no usable OS keychain, so {what}", hint=hint)

    # ------------------------------------------------------------------ low level

    @staticmethod
    def _username(profile: str, name: str) -> str:
        if not isinstance(profile, str) or not _PROFILE_RE.match(profile):
            raise VaultError(f"'{profile}' is not a valid profile name for the vault")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise VaultError(f"'{name}' is not a valid secret name (letters, digits, _ . -)")
        return f"{profile}/{name}"

    def _get(self, user: str) -> str | None:
        value: str | None = self._call("read", user, lambda b: b.get_password(SERVICE, user))
        return value

    def _set(self, user: str, value: str) -> None:
        self._call("store", user, lambda b: b.set_password(SERVICE, user, value), secret=value)

    def _delete(self, user: str) -> None:
        def delete(backend: Any) -> None:
            try:
                backend.delete_password(SERVICE, user)
            except Exception as exc:
                kerr = sys.modules.get("keyring.errors")
                if kerr is None or not isinstance(exc, kerr.PasswordDeleteError):
                    raise
                # Absent already (keyring raises this for "not found"); deleting is idempotent.
                if backend.get_password(SERVICE, user) is not None:
                    raise

        self._call("delete", user, delete)

    @staticmethod
    def _parse_manifest(value: str | None) -> _Manifest | None:
        if value is None:
            return None
        match = _MANIFEST_RE.match(value)
        if not match:
            return None
        generation = match.group(3)
        return _Manifest(int(match.group(1)), match.group(2), None if generation is None else int(generation))

    def _remove_parts(self, user: str, manifest: _Manifest, *, start: int = 0) -> None:
        """Remove a generation's parts from `start` on: the ones its manifest counts and any orphans
        after them (parts a killed process wrote beyond that), highest index first, so a process
        killed while removing leaves a run starting at `start` that the next removal finds."""
        end = manifest.count
        while end < MAX_CHUNKS and self._get(manifest.part(user, end)) is not None:
            end += 1
        for i in reversed(range(start, end)):
            self._delete(manifest.part(user, i))

    def _remove_generations_below(self, user: str, generation: int) -> None:
        """Remove every generation older than `generation` that still has parts, oldest first.

        Old generations left by killed processes always form one run just below the current one
        (each removal takes the oldest first), each a run of parts from index 0: so probing part
        0 downwards finds them all, and a removal killed midway keeps that shape.
        """
        lowest = generation
        while lowest > 1 and self._get(_Manifest(0, "", lowest - 1).part(user, 0)) is not None:
            lowest -= 1
        for older in range(lowest, generation):
            self._remove_parts(user, _Manifest(0, "", older))

    # ------------------------------------------------------------------ public API

    def store(self, profile: str, name: str, value: str) -> None:
        """Store a value so that a crash at any keychain write leaves the old or the new one readable.

        Order: parts of a new generation, then the manifest (the one switching write), then
        the old generations' parts. A short value is one write of the base entry, unless it
        replaces a value in parts: then it is a generation of one part, so every part ever
        written stays reachable from the manifest (a plain value written over a manifest would
        orphan the old parts for good if the process died before removing them).
        """
        user = self._username(profile, name)
        if not isinstance(value, str):
            raise VaultError(f"the value for '{user}' must be text")
        with self._lock:
            old = self._parse_manifest(self._get(user))
            if needs_chunking(value) or old is not None:
                parts = split_chunks(value)
                if len(parts) > MAX_CHUNKS:
                    raise VaultError(
                        f"the value for '{user}' is too large for the keychain ({len(value)} characters)"
                    )
                digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
                generation = (old.generation or 0) + 1 if old is not None else 1
                new = _Manifest(len(parts), digest, generation)
                for i, part in enumerate(parts):
                    self._set(new.part(user, i), part)
                self._set(user, new.text())
                # The value is stored (the switching write is done): what follows is clean-up, and a
                # keychain that refuses it leaves leftovers for a later store or `profile rm`, not a
                # failed store (that would say a saved refresh token "could not be saved").
                try:
                    # Orphans of an earlier attempt at this same generation that died before its switch.
                    self._remove_parts(user, new, start=new.count)
                    if old is not None and old.generation is None:
                        self._remove_parts(user, old)  # the earlier format's parts
                    elif old is not None:
                        self._remove_generations_below(user, generation)
                except VaultError as exc:
                    log.info("stored '%s'; old parts are left behind: %s", user, exc)
            else:
                self._set(user, value)

    def load(self, profile: str, name: str) -> str | None:
        """The stored value, or None. Raises `VaultDamagedError` for a value that cannot be reassembled."""
        user = self._username(profile, name)
        with self._lock:
            head = self._get(user)
            for _attempt in range(3):
                manifest = self._parse_manifest(head)
                if manifest is None:
                    return head
                value, problem = self._assemble(user, manifest)
                if problem is None:
                    return value
                # Another process may have switched generations while we read: look again.
                again = self._get(user)
                if again == head:
                    break
                head = again
            raise VaultDamagedError(
                f"the stored value of '{user}' is {problem}; store it again with "
                f"`workbench profile set {profile} --secret {name}`"
            )

    def _assemble(self, user: str, manifest: _Manifest) -> tuple[str, str | None]:
        parts: list[str] = []
        for i in range(manifest.count):
            part = self._get(manifest.part(user, i))
            if part is None:
                return "", f"incomplete (part {i + 1} of {manifest.count} is missing)"
            parts.append(part)
        value = "".join(parts)
        if hashlib.sha256(value.encode("utf-8")).hexdigest() != manifest.digest:
            return "", "damaged (checksum mismatch)"
        return value, None

    def has(self, profile: str, name: str) -> bool:
        user = self._username(profile, name)
        with self._lock:
            return self._get(user) is not None

    def delete(self, profile: str, name: str) -> None:
        """Remove a secret and every part of every generation it has; no error if it is absent.

        Besides the parts its manifest names: those of the next generation (a store killed
        before its switch; generation 1 when no manifest is stored) and older generations a
        killed process left. The manifest goes last, so a delete killed midway leaves it for
        the next delete to start from.
        """
        user = self._username(profile, name)
        with self._lock:
            head = self._get(user)
            manifest = self._parse_manifest(head)
            if manifest is None or manifest.generation is None:
                self._remove_parts(user, _Manifest(0, "", 1))
                if manifest is not None:
                    self._remove_parts(user, manifest)
            else:
                self._remove_parts(user, _Manifest(0, "", manifest.generation + 1))
                self._remove_parts(user, manifest)
                self._remove_generations_below(user, manifest.generation)
            if head is not None:
                self._delete(user)

    def delete_profile(self, profile: str, names: Iterable[str]) -> None:
        with self._lock:
            for name in dict.fromkeys(names):
                self.delete(profile, name)


# ---------------------------------------------------------------------- MemoryStore


class MemoryStore:
    """A process-local store with the backend calls the vault makes, without keyring.

    For a vault that is in-memory by design (`gui --demo`'s throwaway world): importing
    keyring (its backends, importlib_metadata's entry-point scan) costs ~13 MiB of resident
    memory and start-up time that such a vault never needs. Deleting an absent entry is a
    no-op (the vault's deletes are idempotent).
    """

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            self._data.pop((service, username), None)

    def entries(self) -> dict[tuple[str, str], str]:
        with self._lock:
            return dict(self._data)


# ---------------------------------------------------------------------- MemoryKeyring
#
# Defined on first use so importing this module does not import keyring. The class
# is reachable as `workbench.core.storage.vault.MemoryKeyring` (PEP 562 module __getattr__),
# so `PYTHON_KEYRING_BACKEND=workbench.core.storage.vault.MemoryKeyring` works too.

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as _KeyringBackend

    class MemoryKeyring(_KeyringBackend):
        priority: float

        def __init__(self) -> None: ...
        def get_password(self, service: str, username: str) -> str | None: ...
        def set_password(self, service: str, username: str, password: str) -> None: ...
        def delete_password(self, service: str, username: str) -> None: ...
        def entries(self) -> dict[tuple[str, str], str]: ...


_memory_class: type | None = None
_memory_class_lock = threading.Lock()


def _memory_keyring_class() -> type:
    global _memory_class
    with _memory_class_lock:
        if _memory_class is None:
            from keyring import errors as kerr
            from keyring.backend import KeyringBackend
            from keyring.compat import properties

            class MemoryKeyring(MemoryStore, KeyringBackend):
                """A process-local keyring: unit tests and the no-keychain fallback.

                `MemoryStore`'s storage as a keyring backend; unlike it, deleting an absent
                entry raises, as keyring's backends do.
                Priority -1 keeps keyring from ever picking it on its own (the `fail`
                backend is 0) and out of the chainer (which takes priority > 0).
                """

                @properties.classproperty
                def priority(cls) -> float:
                    return -1

                def __init__(self) -> None:
                    KeyringBackend.__init__(self)  # type: ignore[no-untyped-call]
                    MemoryStore.__init__(self)

                def delete_password(self, service: str, username: str) -> None:
                    with self._lock:
                        if self._data.pop((service, username), None) is None:
                            raise kerr.PasswordDeleteError("no such entry")

            MemoryKeyring.__module__ = __name__
            MemoryKeyring.__qualname__ = "MemoryKeyring"
            _memory_class = MemoryKeyring
        return _memory_class


def __getattr__(name: str) -> Any:
    if name == "MemoryKeyring":
        return _memory_keyring_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
