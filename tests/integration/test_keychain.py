"""The vault against a real Secret Service (gnome-keyring on a private D-Bus), in and across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from workbench.core.storage.vault import SERVICE, Vault

pytestmark = pytest.mark.keychain

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").is_dir() else sys.executable


@pytest.fixture
def vault(secret_service) -> Vault:
    return Vault()


@pytest.fixture
def profile() -> str:
    return f"kc-{uuid.uuid4().hex[:10]}"


def rsa_pem(bits: int = 2048) -> str:
    # 2048 bits: a ~1.7 KB PEM, already two chunks; 4096-bit generation costs seconds.
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def jwt_sized(n: int = 20_000) -> str:
    body = (uuid.uuid4().hex * (n // 32 + 1))[: n - 40]
    return f"eyJhbGciOiJSUzI1NiJ9.{body}.c2lnbmF0dXJlLXBhcnQtZm9yLXRlc3Q"


def raw_entries(profile: str, name: str, upto: int = 12) -> dict[str, str]:
    """The base entry and its parts as the keychain holds them: those of the manifest's generation
    and of the one before (stale parts would be there), up to `upto` each (each probe is a D-Bus
    round trip)."""
    base = f"{profile}/{name}"
    head = keyring.get_password(SERVICE, base)
    if head is None:
        return {}
    generation = int(head.rsplit(":g", 1)[1]) if head.startswith("chunks:") else 0
    names = [f"{base}#{g}.{i}" for g in (generation, generation - 1) if g > 0 for i in range(upto)]
    found = {n: v for n in names if (v := keyring.get_password(SERVICE, n)) is not None}
    return {base: head, **found}


def test_the_real_keychain_is_used_persistently_and_without_a_warning(vault):
    assert vault.backend_name == "SecretService"
    assert vault.persistent
    assert vault.warning is None


def test_a_secret_is_stored_read_and_deleted_through_the_secret_service(vault, profile):
    vault.store(profile, "api_key", "pk_live_abc=123")
    assert keyring.get_password(SERVICE, f"{profile}/api_key") == "pk_live_abc=123"
    assert vault.load(profile, "api_key") == "pk_live_abc=123"
    assert vault.has(profile, "api_key")
    vault.delete(profile, "api_key")
    assert keyring.get_password(SERVICE, f"{profile}/api_key") is None
    assert not vault.has(profile, "api_key")
    vault.delete(profile, "api_key")  # idempotent against the real backend too


def test_a_pem_and_a_jwt_sized_value_are_chunked_and_reassembled(vault, profile):
    pem, token = rsa_pem(), jwt_sized(8_000)  # a big JWT (many claims, x5c chains) is a few KB
    vault.store(profile, "private_key", pem)
    vault.store(profile, "access_token", token)
    assert vault.load(profile, "private_key") == pem
    assert vault.load(profile, "access_token") == token
    parts = raw_entries(profile, "access_token")
    assert parts[f"{profile}/access_token"].startswith("chunks:")
    assert all(len(v.encode("utf-16-le")) <= 2000 for v in parts.values())
    assert len(parts) == 1 + -(-len(token) // 1000)  # manifest + ceil(len / 1000) parts
    assert len(raw_entries(profile, "private_key")) == 1 + 2

    vault.store(profile, "access_token", jwt_sized(2_500))  # shrink: stale parts must go
    assert len(raw_entries(profile, "access_token")) == 1 + 3
    vault.delete_profile(profile, ["private_key", "access_token"])
    assert raw_entries(profile, "private_key") == {}
    assert raw_entries(profile, "access_token") == {}


def test_a_fresh_vault_in_another_process_reads_what_this_one_stored(vault, profile):
    token = jwt_sized(5_000)
    vault.store(profile, "refresh_token", token)
    code = (
        "import sys; from workbench.core.storage.vault import Vault;"
        f"sys.stdout.write(Vault().load({profile!r}, 'refresh_token') or '')"
    )
    argv = [PYTHON, "-c", code]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT, timeout=60)
    assert out.stdout == token
    vault.delete(profile, "refresh_token")


def test_a_secret_added_by_the_cli_is_read_by_a_second_process(
    secret_service, workbench_home, tmp_path, profile
):
    pem = rsa_pem()
    key_file = tmp_path / "private.pem"
    key_file.write_text(pem)
    env = {**os.environ, "WORKBENCH_HOME": str(workbench_home)}
    add = subprocess.run(
        [PYTHON, "-m", "workbench", "profile", "add", profile, "--preset", "true-markets",
         "--base-url", "https://api.uat.truemarkets.co/v1/auth",
         "--set", "key_id=7f1d2c1e-0000-4000-8000-000000000001", "--secret", f"private_key=@{key_file}"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert "No usable OS keychain" not in add.stderr

    code = (
        "import json, sys; from workbench.core.storage.vault import Vault; v = Vault();"
        f"json.dump({{'value': v.load({profile!r}, 'private_key'), 'backend': v.backend_name}}, sys.stdout)"
    )
    read = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == {"value": pem.rstrip("\n"), "backend": "SecretService"}

    leaks = [p for p in workbench_home.rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]
    assert leaks == []

    rm = subprocess.run(
        [PYTHON, "-m", "workbench", "profile", "rm", profile],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert rm.returncode == 0, rm.stderr
    assert raw_entries(profile, "private_key") == {}
