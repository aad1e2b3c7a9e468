"""HTTPS verification trusts the operating system's store (truststore), so a corporate CA that the
machine's administrator installed works with no SSL_CERT_FILE.

The "corporate machine" is simulated without touching this one: in a private mount namespace
(`unshare --mount`, root only), the system CA bundle is replaced by a copy with a throwaway CA
appended, as `update-ca-certificates` would leave it. certifi's bundle, which httpx uses by
default, never holds that CA, so a successful call proves the OS store was used.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import uuid

import pytest

from tests.integration.conftest import ROOT, run_cli
from tests.tls import HttpsServer, make_ca
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore

TOKEN = "opaque-token-" + uuid.uuid4().hex


def _provider(request) -> tuple[int, bytes]:
    """A token-of-trust-shaped provider: mint at the documented path, one authenticated route."""
    if request.command == "POST" and request.path == "/api/internal/auth/token":
        return 200, json.dumps({"token": TOKEN, "tokenType": "Bearer", "expiresIn": 900}).encode()
    if request.headers.get("Authorization") == f"Bearer {TOKEN}":
        return 200, json.dumps({"ok": True, "path": request.path}).encode()
    return 401, json.dumps({"message": "no token"}).encode()


@pytest.fixture
def ca(tmp_path):
    return make_ca(tmp_path / "ca", name="Example Corp Internal CA")


@pytest.fixture
def provider(ca):
    with HttpsServer(ca, _provider) as server:
        yield server


@pytest.fixture
def profile(secret_service, workbench_home, provider):
    from workbench.core.storage.vault import Vault

    vault = Vault()
    name = f"corp-{uuid.uuid4().hex[:8]}"
    ProfileStore(presets=PresetCatalog.load_default()).create(
        name,
        preset="token-of-trust",
        base_url=provider.url,
        vars={"app_domain": "corp.example"},
        secret_names=["api_key", "secret_key"],
    )
    vault.store(name, "api_key", "k")
    vault.store(name, "secret_key", "s")
    yield name
    vault.delete_profile(name, ["api_key", "secret_key", "access_token"])


def _env_without_cert_overrides() -> dict[str, str]:
    overrides = {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"}
    return {k: v for k, v in os.environ.items() if k not in overrides}


def _system_bundle() -> str:
    cafile = ssl.get_default_verify_paths().openssl_cafile
    real = os.path.realpath(cafile)
    if not os.path.isfile(real):
        pytest.skip(f"no system CA bundle at {cafile}")
    return real


def _unshare_available() -> bool:
    if os.name != "posix" or shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.keychain
def test_a_ca_in_no_store_is_refused_with_one_line(profile, provider):
    run = run_cli("call", profile, "/api/me", env=_env_without_cert_overrides())
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: ")
    assert "certificate" in lines[0].lower() and "Traceback" not in run.stderr
    assert provider.seen == []  # not even the mint request went out


@pytest.mark.keychain
@pytest.mark.skipif(not _unshare_available(), reason="needs root and unshare --mount")
def test_a_corporate_ca_installed_in_the_os_store_is_trusted_without_ssl_cert_file(
    profile, provider, ca, tmp_path
):
    system = _system_bundle()
    combined = tmp_path / "ca-certificates.crt"
    combined.write_bytes(open(system, "rb").read() + b"\n" + ca.ca_pem.read_bytes())
    env = _env_without_cert_overrides()
    proc = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount --bind "$1" "$2" && shift 2 && exec "$@"',
            "sh",
            str(combined),
            system,
            sys.executable,
            "-m",
            "workbench",
            "call",
            profile,
            "/api/me",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"ok": True, "path": "/api/me"}
    requests = [(method, path) for method, path, _auth in provider.seen]
    assert requests == [("POST", "/api/internal/auth/token"), ("GET", "/api/me")]


def test_every_verified_client_uses_the_os_trust_store():
    import truststore

    from workbench.core.net import client as http
    from workbench.core.net import trust

    client = http.make_client(verify_tls=True)
    try:
        pool = client._transport._pool  # httpcore's pool holds the context httpx built
        assert isinstance(pool._ssl_context, truststore.SSLContext)
    finally:
        client.close()
    assert trust.uses_os_store()
    assert trust.verify_setting(False) is False


def test_self_test_names_the_os_trust_store():
    run = run_cli("self-test", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}, timeout=120)
    line = next(row for row in run.stdout.splitlines() if " tls " in f" {row} ")
    assert line.startswith("ok") and "the OS trust store" in line
