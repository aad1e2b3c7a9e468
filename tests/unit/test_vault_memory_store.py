"""`MemoryStore`: the keyring-free in-memory backend `gui --demo` gives its vault."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from workbench.core.storage.vault import MemoryStore, Vault

ROOT = Path(__file__).resolve().parents[2]


def test_a_memory_store_vault_stores_reads_chunks_and_deletes_idempotently():
    vault = Vault(MemoryStore())
    big = "x" * 5000  # over one entry's budget: stored as parts plus a manifest
    vault.store("p", "small", "s3cret")
    vault.store("p", "big", big)
    assert vault.load("p", "small") == "s3cret"
    assert vault.load("p", "big") == big
    vault.delete("p", "big")
    vault.delete("p", "big")  # absent already: a no-op, as with keyring backends
    assert vault.load("p", "big") is None
    assert vault.persistent is False
    assert vault.backend_name == "memory"
    assert vault.warning is None


def test_a_memory_store_vault_never_imports_keyring():
    code = textwrap.dedent(
        """
        import sys
        from workbench.core.storage.vault import MemoryStore, Vault
        v = Vault(MemoryStore())
        v.store("p", "k", "v" * 3000)
        assert v.load("p", "k") == "v" * 3000
        v.delete("p", "k")
        print(v.backend_name, v.persistent)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("keyring", "importlib_metadata")))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    assert out.stdout.splitlines() == ["memory False", "[]"]
