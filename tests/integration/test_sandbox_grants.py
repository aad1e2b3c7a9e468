"""The JWT bearer grant and token exchange end to end against the sandbox (real loopback HTTP,
the real keychain, `workbench` as separate processes): a Google service-account key file is
imported (its key to the keychain, the rest to the profile, the file itself nowhere) and mints;
a token-exchange profile exchanges another profile's token on its behalf."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import add_profile, files_text, one_line_error, run_cli
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain


# A PEM frame around a few bytes of a real key's start: it looks like a key and is not one.
BROKEN_PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQE\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def keychain(secret_service):
    return Vault()


def service_account_file(sandbox, path: Path, **changes: Any) -> Path:
    """A key file shaped exactly as Google documents it, holding the sandbox's demo key."""
    google = sandbox.providers["google"]
    document = {
        "type": "service_account",
        "project_id": "workbench-sandbox",
        "private_key_id": google.private_key_id,
        "private_key": google.sa_private_pem,
        "client_email": google.service_account,
        "client_id": "103456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": google.token_url,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        "workbench-demo%40workbench-sandbox.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    path.write_text(json.dumps(document, indent=2))
    return path


def test_a_service_account_key_file_imports_and_mints(sandbox, keychain, tmp_path):
    key_file = service_account_file(sandbox, tmp_path / "workbench-sandbox-1a2b3c.json")
    imported = run_cli("import", str(key_file))
    assert imported.returncode == 0, imported.stderr
    assert "workbench-demo" in imported.stdout and "BEGIN" not in imported.stdout + imported.stderr

    shown = run_cli("profile", "show", "workbench-demo").stdout
    assert "google-service-account" in shown and " ".join(["private_key", "stored"]) in " ".join(
        shown.split()
    )
    home = Path(os.environ["WORKBENCH_HOME"])
    on_disk = files_text(home)
    assert "PRIVATE KEY" not in on_disk and "auth_provider_x509_cert_url" not in on_disk
    assert keychain.load("workbench-demo", "private_key") == sandbox.providers["google"].sa_private_pem

    minted = run_cli("token", "workbench-demo", "--json")
    assert minted.returncode == 0, minted.stderr
    answer = json.loads(minted.stdout)
    assert answer["access_token"].startswith("ya29.") and answer["obtained_by"] == "mint"
    assert 3500 < answer["expires_in"] <= 3599
    assert sandbox.calls("google-service-account", "mint") == 1

    call = run_cli("call", "workbench-demo", "/google/api/echo")  # the base URL is the origin
    assert call.returncode == 0, call.stderr
    claims = json.loads(call.stdout)["claims"]
    assert claims["sub"] == sandbox.providers["google"].service_account
    assert claims["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    # Served from the keychain until it is due; no refresh token, so renewal mints again.
    assert run_cli("token", "workbench-demo").returncode == 0
    assert sandbox.calls("google-service-account", "mint") == 1
    assert run_cli("token", "workbench-demo", "--refresh").returncode == 0
    assert sandbox.calls("google-service-account", "mint") == 2
    assert run_cli("profile", "rm", "workbench-demo").returncode == 0  # the keychain is the session's


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"private_key": None}, "the service-account key has no private_key"),
        (
            {"private_key": BROKEN_PEM},
            "private_key is not a usable PEM private key",
        ),
        ({"client_email": None}, "the service-account key has no client_email"),
        ({"type": "authorized_user"}, "a user's credentials"),
    ],
)
def test_a_bad_key_file_is_one_line_and_nothing_is_stored(sandbox, keychain, tmp_path, changes, words):
    keychain.delete_profile("workbench-demo", ["private_key"])
    key_file = service_account_file(sandbox, tmp_path / "key.json", **changes)
    run = run_cli("import", str(key_file))
    line = one_line_error(run)
    assert words in line and "MIIE" not in line
    assert run_cli("profile", "list", "--json").stdout.strip() in ("[]", "")
    assert keychain.load("workbench-demo", "private_key") is None


def test_a_json_that_is_not_a_service_account_is_one_line(tmp_path):
    other = tmp_path / "settings.json"
    other.write_text(json.dumps({"type": "settings", "theme": "dark"}))
    named = one_line_error(run_cli("import", str(other), "--format", "service-account"))
    assert "not a Google service-account key" in named
    guessed = one_line_error(run_cli("import", str(other)))
    assert "cannot tell what this is" in guessed and "service-account key" in guessed


def test_token_exchange_on_behalf_of_another_profile(sandbox, keychain, workbench_home):
    store = ProfileStore(presets=PresetCatalog.load_default())
    add_profile(store, keychain, sandbox, "oauth2-refresh-token")
    add_profile(store, keychain, sandbox, "oauth2-client-credentials", "svc")
    add_profile(store, keychain, sandbox, "oauth2-token-exchange", "obo")
    assert (
        run_cli("profile", "set", "obo", "--set", "actor_profile=svc", "--set", "scope=read").returncode == 0
    )

    run = run_cli("token", "obo", "--json")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    echo = json.loads(run_cli("call", "obo", "/api/echo").stdout)
    user = json.loads(run_cli("call", "oauth2-refresh-token", "/api/echo").stdout)["claims"]["sub"]
    assert echo["preset"] == "oauth2-token-exchange"
    assert echo["claims"]["sub"] == user and echo["claims"]["act"] == {"sub": "workbench-demo"}
    assert (
        "issued token type: urn:ietf:params:oauth:token-type:access_token"
        in run_cli("profile", "show", "obo").stdout
    )
    for name in ("oauth2-refresh-token", "svc", "obo"):
        keychain.delete_profile(name, ["access_token", "refresh_token", "client_secret"])
