"""A keychain write killed at any point leaves the old value or the new one, never a bricked entry."""

from __future__ import annotations

import hashlib

import pytest

from tests.faults.fault_keyring import Crash, FaultKeyring
from workbench.core.errors import VaultDamagedError
from workbench.core.storage.vault import SERVICE, Vault


def long_value(tag: str, size: int = 2_600) -> str:
    out = "".join(hashlib.sha256(f"{tag}{i}".encode()).hexdigest() for i in range(size // 64 + 1))
    return out[:size]


CASES = {
    "long-to-long": (long_value("a"), long_value("b", 3_500)),
    "long-to-shorter-long": (long_value("a", 3_500), long_value("b", 1_200)),
    "short-to-long": ("short-a", long_value("b")),
    "long-to-short": (long_value("a"), "short-b"),
}


def writes_of_one_store(old: str, new: str) -> int:
    backend = FaultKeyring()
    vault = Vault(backend)
    vault.store("pg", "refresh_token", old)
    backend.count_from_zero()
    vault.store("pg", "refresh_token", new)
    return backend.writes


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_store_killed_at_any_write_leaves_the_old_or_the_new_value(case, when):
    old, new = CASES[case]
    total = writes_of_one_store(old, new)
    assert total >= 2
    for n in range(1, total + 1):
        backend = FaultKeyring()
        Vault(backend).store("pg", "refresh_token", old)
        backend.arm(n, when)
        with pytest.raises(Crash):
            Vault(backend).store("pg", "refresh_token", new)
        backend.disarm()
        after = Vault(backend)  # the next process
        assert after.load("pg", "refresh_token") in (old, new), f"write {n} {when}"
        # Storing again works and leaves exactly the entries of the new value.
        third = long_value("c", 2_100)
        after.store("pg", "refresh_token", third)
        assert Vault(backend).load("pg", "refresh_token") == third
        assert _entries(backend) == _entries_of_fresh_store(third), f"orphans after write {n} {when}"


def _entries(backend: FaultKeyring) -> set[str]:
    """Entry names with the generation dropped (`pg/refresh_token#7.1` → `pg/refresh_token#1`)."""
    names = set()
    for user in backend.workbench_entries():
        base, sep, part = user.partition("#")
        names.add(f"{base}#{part.rsplit('.', 1)[-1]}" if sep else user)
    return names


def _entries_of_fresh_store(value: str) -> set[str]:
    fresh = FaultKeyring()
    Vault(fresh).store("pg", "refresh_token", value)
    manifest = fresh.workbench_entries()["pg/refresh_token"]
    count = int(manifest.split(":")[1])
    # Same names up to the generation number, which depends on history.
    return {"pg/refresh_token"} | {f"pg/refresh_token#{i}" for i in range(count)}


def test_values_in_the_earlier_part_format_are_read_and_replaced_cleanly():
    backend = FaultKeyring()
    value = long_value("legacy", 2_500)
    parts = [value[:1000], value[1000:2000], value[2000:]]
    for i, part in enumerate(parts):
        backend.set_password(SERVICE, f"pg/private_key#{i}", part)
    backend.set_password(SERVICE, "pg/private_key", f"chunks:3:{hashlib.sha256(value.encode()).hexdigest()}")
    vault = Vault(backend)
    assert vault.load("pg", "private_key") == value
    vault.store("pg", "private_key", "now-short")  # a generation of one part (see Vault.store)
    entries = backend.workbench_entries()
    assert sorted(entries) == ["pg/private_key", "pg/private_key#1.0"]
    assert Vault(backend).load("pg", "private_key") == "now-short"


def test_a_damaged_value_names_the_command_that_stores_it_again():
    backend = FaultKeyring()
    vault = Vault(backend)
    vault.store("pg", "refresh_token", long_value("x"))
    manifest = backend.workbench_entries()["pg/refresh_token"]
    generation = manifest.rsplit(":g", 1)[1]
    backend.set_password(SERVICE, f"pg/refresh_token#{generation}.1", "tampered")
    with pytest.raises(VaultDamagedError) as info:
        vault.load("pg", "refresh_token")
    assert "workbench profile set pg --secret refresh_token" in str(info.value)
