"""Shared test fakes: in-memory keyrings with the failure modes real keychains have, and sample inputs.

Use `memory_vault()` for a Vault on a fresh MemoryKeyring; the other keyrings model
a Windows-style size cap, a locked keychain and a backend that fails outright.
Every fake has priority -1 so keyring never picks one on its own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from keyring import errors as kerr

from workbench.core.profiles.presets import Preset
from workbench.core.storage.vault import SERVICE, MemoryKeyring, Vault

# The Windows Credential Manager refuses blobs over 2560 bytes (UTF-16).
WINDOWS_CREDENTIAL_LIMIT = 2560


def memory_vault() -> tuple[Vault, MemoryKeyring]:
    """A Vault on its own MemoryKeyring; the keyring is returned to look inside."""
    backend = MemoryKeyring()
    return Vault(backend), backend


def vault_entries(backend: MemoryKeyring) -> dict[str, str]:
    """username → stored text for the workbench service (parts and manifests included)."""
    return {user: value for (service, user), value in backend.entries().items() if service == SERVICE}


class SizeLimitedKeyring(MemoryKeyring):
    """Refuses entries whose UTF-16 size exceeds `limit` bytes, like Windows Credential Manager."""

    def __init__(self, limit: int = WINDOWS_CREDENTIAL_LIMIT) -> None:
        super().__init__()
        self.limit = limit

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password.encode("utf-16-le")) > self.limit:
            raise kerr.PasswordSetError(f"value too large for this keychain ({self.limit} bytes)")
        super().set_password(service, username, password)


class LockedKeyring(MemoryKeyring):
    """Raises KeyringLocked on every call while `locked` is true (a Secret Service nobody unlocked)."""

    def __init__(self, locked: bool = True) -> None:
        super().__init__()
        self.locked = locked

    def _check(self) -> None:
        if self.locked:
            raise kerr.KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        super().delete_password(service, username)


class BrokenKeyring(MemoryKeyring):
    """Reads work; writes fail with an error whose text contains the value (as a sloppy backend might)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"D-Bus said no while writing {password!r}")


class CountingKeyring(MemoryKeyring):
    """Counts backend calls (to keep an eye on keychain round trips, ~40 ms each in real life)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {"get": 0, "set": 0, "delete": 0}
        self._count_lock = threading.Lock()

    def _count(self, kind: str) -> None:
        with self._count_lock:
            self.calls[kind] += 1

    def get_password(self, service: str, username: str) -> str | None:
        self._count("get")
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._count("set")
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._count("delete")
        super().delete_password(service, username)


@dataclass(frozen=True)
class SampleInputs:
    """What `profile add` would get for a preset: vars, secret values, and the matching CLI flags."""

    vars: Mapping[str, str]
    secrets: Mapping[str, str]

    def flags(self) -> list[str]:
        out: list[str] = []
        for key, value in self.vars.items():
            out += ["--set", f"{key}={value}"]
        for key, value in self.secrets.items():
            out += ["--secret", f"{key}={value}"]
        return out


def sample_inputs(preset: Preset, *, tag: str = "x") -> SampleInputs:
    """Distinctive values for every input of a preset (secrets easy to grep for in files). A
    client certificate (`client_cert`, checked before it is stored) is a real one, named after
    the tag; a var with choices takes one of them (profile add refuses another value)."""
    vars_ = {
        i.name: next((c for c in i.choices if c), "") if i.choices else f"var-{i.name}-{tag}"
        for i in preset.var_inputs
    }
    secrets = {i.name: f"S3CRET-{preset.name}-{i.name}-{tag}-value" for i in preset.secret_inputs}
    if "client_cert" in secrets:
        secrets["client_cert"] = sample_client_cert(f"S3CRET-{tag}")
    return SampleInputs(vars=vars_, secrets=secrets)


@functools.lru_cache(maxsize=32)
def sample_client_cert(common_name: str) -> str:
    """A self-signed client certificate and its key, as the `client_cert` secret holds them."""
    from workbench.core.jose.keys import generate_key_pair
    from workbench.core.jose.x509 import self_signed_certificate

    pem = generate_key_pair("ES256").private_pem().decode("ascii")
    return self_signed_certificate(pem, common_name=common_name).bundle()
