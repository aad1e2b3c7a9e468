"""`workbench import` through the real command line: secrets reach the real keychain and never a file,
`--dry-run` and bad input write nothing, and an imported pasted token works against the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import ROOT, files_text, one_line_error, run_cli
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SECRET_NAMES = ["access_token", "refresh_token", "client_secret", "api_key", "password"]


@pytest.fixture
def keychain(secret_service):
    vault = Vault()
    created: list[str] = []
    yield created
    for name in created:
        vault.delete_profile(name, SECRET_NAMES)


def _names(home: Path) -> list[str]:
    return sorted(p.stem for p in (home / "profiles").glob("*.toml")) if (home / "profiles").is_dir() else []


def _tree(home: Path) -> list[str]:
    return sorted(
        str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()
    )  # (empty folders: any command)


def test_postman_import_puts_secrets_in_the_keychain_and_none_on_disk(keychain, workbench_home):
    args = (
        "import", str(FIX / "postman/acme.postman_collection.json"),
        "--environment", str(FIX / "postman/acme.postman_environment.json"),
    )  # fmt: skip
    # Its billing profile's requests go to another origin: allowed only with --trust.
    run = run_cli(*args)
    keychain.extend(_names(workbench_home))
    assert run.returncode == 0, run.stderr
    assert "will not send its token to https://billing.acme.test" in run.stderr
    assert 'add  allowed_origins = ["https://billing.acme.test"]  under [settings]' in run.stderr
    assert "allowed_origins" not in "".join(
        p.read_text() for p in (workbench_home / "profiles").glob("*.toml")
    )
    assert "imported 4 profile(s) and 7 saved request(s)" in run.stderr
    assert "not mapped:" in run.stdout and "header Cookie carries a credential" in run.stdout
    vault = Vault()
    assert vault.load("acme-api", "access_token").startswith("eyJ")
    assert vault.load("acme-api-billing", "client_secret") == "bill-s3cret-9a8b7c"
    assert vault.load("acme-api-admin", "api_key") == "adm-key-7f3a9c21"
    on_disk = files_text(workbench_home)
    for value in ("bill-s3cret-9a8b7c", "adm-key-7f3a9c21", "eyJhbGciOiJIUzI1NiJ9", "session=abc123", "pw"):
        assert value not in on_disk.replace("password", ""), value
    assert "bill-s3cret" not in run.stdout + run.stderr
    saved = (workbench_home / "requests" / "acme-api.toml").read_text()
    assert "[requests.list-users]" in saved and 'url = "{{ baseUrl }}/users?page=1&q={{ query }}"' in saved
    listed = run_cli("profile", "list", "--json")
    presets = {p["name"]: p["preset"] for p in json.loads(listed.stdout)}
    assert presets["acme-api-billing"] == "oauth2-client-credentials"


def test_import_with_trust_lets_a_profile_send_its_token_to_its_requests_other_origins(
    keychain, workbench_home
):
    run = run_cli("import", str(FIX / "postman/oauth2-authcode.postman_collection.json"), "--trust")
    keychain.extend(_names(workbench_home))
    assert run.returncode == 0, run.stderr
    assert "workbench: note: profile " in run.stderr and "would send its token to" in run.stderr
    assert any("allowed_origins" in p.read_text() for p in (workbench_home / "profiles").glob("*.toml"))


def test_dry_run_shows_the_plan_and_writes_nothing(workbench_home):
    before = _tree(workbench_home)
    run = run_cli("import", str(FIX / "bruno/pets"), "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "profile pet-clinic-owners" in run.stdout and "request create-owner" in run.stdout
    assert "eyJ" not in run.stdout and "owner-key-5566" not in run.stdout  # names of secrets only
    assert "dry run: nothing was written" in run.stderr
    assert _tree(workbench_home) == before


@pytest.mark.parametrize(
    ("rel", "fmt", "expected"),
    [
        ("postman/damaged-truncated.json", None, "damaged JSON"),
        ("postman/item-not-object.json", None, "item #2"),
        ("insomnia/damaged.yaml", None, "damaged YAML"),
        ("bruno/damaged-unclosed.bru", None, "never closed"),
        ("openapi/swagger2.json", None, "2.0 is not supported"),
        ("har/browser-session.har", "postman", "not a Postman collection"),
        ("curl/unterminated-quote.sh", None, "not a complete curl command"),
        ("does-not-exist.json", None, "no such file"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(rel, fmt, expected, workbench_home):
    before = _tree(workbench_home)
    run = run_cli("import", str(FIX / rel), *(["--format", fmt] if fmt else []))
    assert run.returncode != 0
    assert expected in one_line_error(run)
    assert _tree(workbench_home) == before


def test_binary_and_unknown_content_is_refused(tmp_path, workbench_home):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    run = run_cli("import", str(blob))
    assert "not UTF-8 text" in one_line_error(run)
    prose = tmp_path / "notes.txt"
    prose.write_text("just some notes\nnothing to see\n")
    run = run_cli("import", str(prose))
    assert "cannot tell what this is" in one_line_error(run)
    assert _names(workbench_home) == []


def _cli_stdin(*args: str, data: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], input=data, capture_output=True, text=True,
        timeout=60, cwd=ROOT, env=dict(os.environ),
    )  # fmt: skip


def test_a_pasted_token_from_a_curl_line_on_stdin_works_with_token_and_call(
    keychain, sandbox, workbench_home
):
    token = sandbox.issue_token("paymentsgate")
    base = sandbox.base_url("paymentsgate")
    line = f"curl -H 'Authorization: Bearer {token}' -H 'Accept: application/json' '{base}/api/echo?x=1'"
    run = _cli_stdin("import", "-", data=line)
    keychain.extend(_names(workbench_home))
    assert run.returncode == 0, run.stderr
    (name,) = _names(workbench_home)
    assert token not in files_text(workbench_home)
    profile = (workbench_home / "profiles" / f"{name}.toml").read_text()
    assert 'preset = "bearer"' in profile
    printed = run_cli("token", name)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == token
    prefix = urlsplit(base).path  # the profile's base URL is the origin; the saved path keeps the prefix
    saved = (workbench_home / "requests" / f"{name}.toml").read_text()
    assert f'url = "{prefix}/api/echo?x=1"' in saved
    called = run_cli("call", name, f"{prefix}/api/echo")
    assert called.returncode == 0, called.stderr


def test_importing_twice_never_overwrites_a_profile(keychain, workbench_home):
    first = run_cli("import", str(FIX / "bruno/single-request.bru"))
    second = run_cli("import", str(FIX / "bruno/single-request.bru"))
    keychain.extend(_names(workbench_home))
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert _names(workbench_home) == ["ping", "ping-2"]
    assert "named 'ping-2': 'ping' exists" in second.stdout
