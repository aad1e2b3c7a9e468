"""The vault: keychain entries per (profile, name), chunking of big values, the no-keychain fallback."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backends import fail

from tests.fakes import (
    BrokenKeyring,
    CountingKeyring,
    LockedKeyring,
    SizeLimitedKeyring,
    memory_vault,
    vault_entries,
)
from workbench.core.errors import VaultError
from workbench.core.storage.vault import SERVICE, MemoryKeyring, Vault, split_chunks

PEM_LIKE = (
    "-----BEGIN PRIVATE KEY-----\n"
    + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n" * 60
    + "-----END PRIVATE KEY-----\n"
)


def big_value(size: int = 20_000) -> str:
    # Not a repeating pattern, so a wrongly ordered reassembly cannot pass by accident.
    out = []
    i = 0
    while sum(map(len, out)) < size:
        out.append(hashlib.sha256(str(i).encode()).hexdigest())
        i += 1
    return "".join(out)[:size]


def part_names(manifest: str, user: str) -> set[str]:
    """The part entries a manifest `chunks:N:<sha>:g<G>` names."""
    _, count, _digest, generation = manifest.split(":")
    return {f"{user}#{generation[1:]}.{i}" for i in range(int(count))}


def files_containing(root: Path, needle: str) -> list[Path]:
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


# --------------------------------------------------------------------------- basics


def test_a_stored_secret_reads_back_and_lives_under_the_workbench_service():
    vault, backend = memory_vault()
    vault.store("prod", "api_key", "k-123")
    assert vault.load("prod", "api_key") == "k-123"
    assert vault.has("prod", "api_key")
    assert backend.entries() == {(SERVICE, "prod/api_key"): "k-123"}


def test_an_absent_secret_loads_as_none_and_is_not_had():
    vault, _ = memory_vault()
    assert vault.load("prod", "api_key") is None
    assert not vault.has("prod", "api_key")


def test_deleting_is_idempotent():
    vault, backend = memory_vault()
    vault.store("prod", "api_key", "k")
    vault.delete("prod", "api_key")
    vault.delete("prod", "api_key")
    assert backend.entries() == {}


def test_profiles_do_not_see_each_others_secrets():
    vault, _ = memory_vault()
    vault.store("a", "api_key", "for-a")
    vault.store("b", "api_key", "for-b")
    assert vault.load("a", "api_key") == "for-a"
    assert vault.load("b", "api_key") == "for-b"


def test_delete_profile_removes_only_that_profiles_named_entries():
    vault, backend = memory_vault()
    for name in ("api_key", "access_token", "refresh_token"):
        vault.store("a", name, f"a-{name}")
    vault.store("b", "api_key", "b-key")
    vault.delete_profile("a", ["api_key", "access_token", "refresh_token", "never_stored"])
    assert vault_entries(backend) == {"b/api_key": "b-key"}


@pytest.mark.parametrize(
    ("profile", "name"),
    [
        ("../x", "api_key"),
        ("a/b", "api_key"),
        ("prod\n", "api_key"),
        ("prod", "key\n"),
        ("prod", "a/b"),
        ("prod", "key#1"),
        ("prod", ""),
        ("", "k"),
    ],
)
def test_names_that_could_collide_with_other_entries_are_refused(profile, name):
    vault, backend = memory_vault()
    with pytest.raises(VaultError):
        vault.store(profile, name, "v")
    assert backend.entries() == {}


# --------------------------------------------------------------------------- chunking


def test_a_20kb_value_is_split_into_parts_and_reassembled():
    vault, backend = memory_vault()
    value = big_value()
    vault.store("prod", "private_key", value)
    entries = vault_entries(backend)
    manifest = entries["prod/private_key"]
    count = int(manifest.split(":")[1])
    assert manifest == f"chunks:{count}:{hashlib.sha256(value.encode()).hexdigest()}:g1"
    assert count >= 20
    assert set(entries) == {"prod/private_key"} | {f"prod/private_key#1.{i}" for i in range(count)}
    assert vault.load("prod", "private_key") == value


def test_every_stored_entry_fits_a_windows_style_size_cap():
    backend = SizeLimitedKeyring()
    vault = Vault(backend)
    vault.store("prod", "private_key", big_value())
    vault.store("prod", "pem", PEM_LIKE)
    assert vault.load("prod", "private_key") == big_value()
    assert vault.load("prod", "pem") == PEM_LIKE


def test_a_value_over_a_thousand_characters_is_always_chunked():
    vault, backend = memory_vault()
    vault.store("prod", "token", "a" * 1001)
    assert vault_entries(backend)["prod/token"].startswith("chunks:2:")
    vault.store("prod", "short", "a" * 1000)
    assert vault_entries(backend)["prod/short"] == "a" * 1000


def test_characters_outside_the_bmp_are_budgeted_as_utf16_surrogate_pairs():
    value = "🔑" * 900 + "é" * 300  # 900 × 4 + 300 × 2 bytes of UTF-16
    parts = split_chunks(value)
    assert "".join(parts) == value
    assert all(len(p.encode("utf-16-le")) <= 2000 for p in parts)
    backend = SizeLimitedKeyring(limit=2000)
    vault = Vault(backend)
    vault.store("prod", "emoji", value)
    assert vault.load("prod", "emoji") == value


def test_shrinking_a_chunked_value_removes_the_stale_parts():
    vault, backend = memory_vault()
    vault.store("prod", "private_key", big_value(20_000))
    vault.store("prod", "private_key", big_value(3_000))
    entries = vault_entries(backend)
    assert set(entries) == {"prod/private_key"} | {f"prod/private_key#2.{i}" for i in range(3)}
    assert vault.load("prod", "private_key") == big_value(3_000)


def test_replacing_a_chunked_value_with_a_short_one_leaves_no_old_parts():
    vault, backend = memory_vault()
    vault.store("prod", "private_key", big_value())
    vault.store("prod", "private_key", "short")
    # A generation of one part: a process killed before the old parts went leaves them
    # reachable from the manifest, for the next store or `profile rm` to remove.
    entries = vault_entries(backend)
    assert entries["prod/private_key"].startswith("chunks:1:") and entries["prod/private_key"].endswith(":g2")
    assert {k: v for k, v in entries.items() if k != "prod/private_key"} == {"prod/private_key#2.0": "short"}
    assert vault.load("prod", "private_key") == "short"
    vault.delete("prod", "private_key")
    assert backend.entries() == {}


def test_deleting_a_chunked_value_removes_every_part():
    vault, backend = memory_vault()
    vault.store("prod", "private_key", big_value())
    vault.delete("prod", "private_key")
    assert backend.entries() == {}
    assert not vault.has("prod", "private_key")


def test_a_short_value_that_looks_like_a_manifest_round_trips():
    vault, _ = memory_vault()
    tricky = "chunks:1:" + "0" * 64
    vault.store("prod", "odd", tricky)
    assert vault.load("prod", "odd") == tricky


def test_a_damaged_part_is_reported_without_the_value():
    vault, backend = memory_vault()
    value = big_value()
    vault.store("prod", "private_key", value)
    backend.set_password(SERVICE, "prod/private_key#1.3", "tampered")
    with pytest.raises(VaultError, match="damaged") as info:
        vault.load("prod", "private_key")
    assert value[:40] not in str(info.value)


def test_a_missing_part_is_reported_as_incomplete():
    vault, backend = memory_vault()
    vault.store("prod", "private_key", big_value())
    backend.delete_password(SERVICE, "prod/private_key#1.2")
    expected = r"incomplete \(part 3 of \d+ is missing\).*workbench profile set prod --secret private_key"
    with pytest.raises(VaultError, match=expected):
        vault.load("prod", "private_key")


def test_a_short_store_costs_two_keychain_calls():
    # One read (to find stale parts of a previous chunked value) and one write.
    backend = CountingKeyring()
    Vault(backend).store("prod", "api_key", "k")
    assert backend.calls == {"get": 1, "set": 1, "delete": 0}


# --------------------------------------------------------------------------- fallback


def test_the_fail_backend_switches_to_memory_with_one_warning(workbench_home, tmp_path):
    vault = Vault(fail.Keyring())
    vault.store("prod", "api_key", "in-memory-only-secret")
    first = vault.warning
    vault.store("prod", "client_secret", "another-secret")
    assert vault.load("prod", "api_key") == "in-memory-only-secret"
    assert vault.warning is first
    assert first is not None
    assert first.startswith("No usable OS keychain (keyring backend: fail). Secrets are kept in memory only")
    assert not vault.persistent
    assert vault.backend_name.startswith("memory")
    assert files_containing(tmp_path, "in-memory-only-secret") == []


def test_keyrings_default_fail_backend_is_detected_without_a_write(monkeypatch):
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    vault = Vault()
    assert not vault.persistent
    assert vault.warning is not None and "keyring backend: fail" in vault.warning
    vault.store("prod", "api_key", "v")
    assert vault.load("prod", "api_key") == "v"


def test_a_keychain_locked_on_first_use_falls_back_to_memory():
    backend = LockedKeyring()
    vault = Vault(backend)
    vault.store("prod", "api_key", "v")
    assert vault.load("prod", "api_key") == "v"
    assert vault.warning is not None and "LockedKeyring, locked" in vault.warning
    assert backend.entries() == {}


def test_a_keychain_locked_after_working_is_an_error_not_a_silent_fallback():
    backend = LockedKeyring(locked=False)
    vault = Vault(backend)
    vault.store("prod", "api_key", "v")
    backend.locked = True
    with pytest.raises(VaultError, match="could not read 'prod/api_key'"):
        vault.load("prod", "api_key")
    assert vault.warning is None


def test_a_backend_error_becomes_a_vault_error_that_hides_the_value():
    vault = Vault(BrokenKeyring())
    with pytest.raises(VaultError) as info:
        vault.store("prod", "api_key", "hunter2-very-secret")
    assert "hunter2-very-secret" not in str(info.value)
    assert "could not store 'prod/api_key'" in str(info.value)
    assert vault.warning is None


def test_an_explicit_memory_keyring_is_not_persistent_but_warns_nothing():
    vault, _ = memory_vault()
    assert not vault.persistent
    assert vault.warning is None
    assert vault.backend_name == "memory"


def test_memory_keyring_is_never_picked_by_keyring_itself():
    assert MemoryKeyring.priority < fail.Keyring.priority
    assert MemoryKeyring.__module__ == "workbench.core.storage.vault"


# --------------------------------------------------------------------------- threads, start-up


def test_concurrent_stores_and_loads_from_worker_threads_stay_consistent():
    vault, backend = memory_vault()
    errors: list[BaseException] = []
    values = {i: big_value(1500 + 300 * i) for i in range(8)}

    def worker(i: int) -> None:
        try:
            for _ in range(20):
                vault.store("prod", "shared", values[i])
                assert vault.load("prod", "shared") in values.values()
                vault.store("prod", f"own{i}", values[i])
                assert vault.load("prod", f"own{i}") == values[i]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = vault.load("prod", "shared")
    assert final in values.values()
    manifest = vault_entries(backend)["prod/shared"]
    assert {k for k in vault_entries(backend) if k.startswith("prod/shared#")} == part_names(
        manifest, "prod/shared"
    )


def test_importing_the_vault_does_not_import_keyring():
    code = "import sys, workbench.core.storage.vault; assert 'keyring' not in sys.modules, 'keyring imported'"
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
