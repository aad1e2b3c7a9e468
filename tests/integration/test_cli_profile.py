"""`workbench profile …` as a user runs it: real subprocesses, a real Secret Service, WORKBENCH_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import keyring
import pytest

from tests.fakes import sample_inputs
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.storage.vault import SERVICE, Vault

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").is_dir() else sys.executable
PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2\n"
    "OF/2NxApJCzGCEDdfSp6VQO30hyhRANCAAQRWz+jn65BtOMvdyHKcvjBeBSDZH2r\n"
    "1RTwjmYSi9R/zpBnuQ4EiMnCqfMPWiZqB4QdbAd0E7oH50VpuZ1P087G\n"
    "-----END PRIVATE KEY-----\n"
)


def workbench(
    *argv: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    run_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [PYTHON, "-m", "workbench", *argv],
        input=stdin, capture_output=True, text=True, env=run_env, cwd=ROOT, timeout=60,
    )  # fmt: skip


def unique(prefix: str) -> str:
    # The Secret Service outlives each test; unique names keep tests from seeing each other's entries.
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("workbench: error: ")
    assert fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.keychain
def test_a_profile_lives_its_whole_life_through_the_cli(secret_service, workbench_home, tmp_path):
    name = unique("tm")
    key_file = tmp_path / "private.pem"
    key_file.write_text(PEM)
    added = workbench(
        "profile", "add", name, "--preset", "true-markets", "--base-url", "https://api.uat.truemarkets.co/v1/auth",
        "--set", "key_id=7f1d2c1e-0000-4000-8000-000000000001", "--secret", f"private_key=@{key_file}",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == ""
    assert added.stderr == f"profile '{name}' created (preset true-markets)\n"
    assert keyring.get_password(SERVICE, f"{name}/private_key") == PEM.rstrip("\n")

    listed = workbench("profile", "list", "--json")
    assert json.loads(listed.stdout) == [
        {
            "name": name,
            "preset": "true-markets",
            "base_url": "https://api.uat.truemarkets.co/v1/auth",
            "vars": {"key_id": "7f1d2c1e-0000-4000-8000-000000000001"},
            "secret_names": ["private_key"],
        }
    ]
    table = workbench("profile", "list").stdout.splitlines()
    assert table[1].split() == [name, "true-markets", "https://api.uat.truemarkets.co/v1/auth"]

    shown = workbench("profile", "show", name)
    assert shown.returncode == 0, shown.stderr
    assert "private_key    stored" in shown.stdout
    assert "BEGIN PRIVATE KEY" not in shown.stdout

    exported = workbench("profile", "export", name)
    assert exported.returncode == 0
    assert f'name = "{name}"' in exported.stdout
    assert "PRIVATE KEY" not in exported.stdout

    removed = workbench("profile", "rm", name)
    assert removed.returncode == 0, removed.stderr
    assert keyring.get_password(SERVICE, f"{name}/private_key") is None
    assert workbench("profile", "list", "--json").stdout.strip() == "[]"

    imported = workbench("profile", "import", "-", stdin=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    assert f"profile '{name}' imported (preset true-markets)" in imported.stderr
    assert "not in the vault yet: private_key" in imported.stderr
    again = workbench("profile", "import", "-", stdin=exported.stdout)
    assert_one_line_error(again, f"a profile named '{name}' already exists")


@pytest.mark.keychain
def test_profiles_from_every_preset_leave_no_secret_in_any_file(secret_service, workbench_home):
    catalog = PresetCatalog.load_default()
    stored: list[tuple[str, str, str]] = []
    for preset in catalog.names():
        name = unique(preset[:6])
        inputs = sample_inputs(catalog.get(preset), tag=name)
        result = workbench(
            "profile", "add", name, "--preset", preset, "--base-url", "https://api.test", *inputs.flags()
        )
        assert result.returncode == 0, result.stderr
        stored += [(name, key, value) for key, value in inputs.secrets.items()]
    vault = Vault()
    files = [(p, p.read_bytes()) for p in workbench_home.rglob("*") if p.is_file()]
    # One profile file each, and the empty lock file `add` holds while it writes.
    locks = [p for p, data in files if p.parent.name == "locks"]
    assert all(data == b"" for p, data in files if p in locks)
    assert len(files) - len(locks) == len(catalog.names())
    for profile, key, value in stored:
        assert vault.load(profile, key) == value
        assert [p for p, data in files if value.encode() in data] == []
    for profile, key, _ in stored:
        vault.delete(profile, key)


@pytest.mark.keychain
def test_a_secret_can_come_from_stdin(secret_service, workbench_home):
    name = unique("pg")
    result = workbench(
        "profile", "add", name, "--preset", "paymentsgate", "--base-url", "https://secure.sandbox.paymentsgate.io",
        "--secret", "access_token=@-", "--secret", "refresh_token=8xLOxBatCN8f",
        stdin="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert Vault().load(name, "access_token") == "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    workbench("profile", "rm", name)


@pytest.mark.keychain
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ["add", "tm", "--preset", "true-markets", "--base-url", "https://a.test/v1/auth"],
            "true-markets needs --set key_id=… and --secret private_key=@FILE",
        ),
        (["add", "x", "--preset", "nope", "--base-url", "https://a.test"], "unknown preset 'nope' (known: "),
        (
            [
                "add",
                "x",
                "--preset",
                "paymentsgate",
                "--base-url",
                "https://a.test",
                "--secret",
                "access_token=@/no/f",
                "--secret",
                "refresh_token=r",
            ],
            "--secret access_token=@/no/f: no such file",
        ),
        (
            ["add", "x", "--preset", "paymentsgate", "--base-url", "https://a.test", "--set", "region=eu"],
            "paymentsgate has no input 'region' (its inputs: --secret access_token=…, --secret refresh_token",
        ),
        (
            ["add", "../x", "--preset", "paymentsgate", "--base-url", "https://a.test"],
            "must not contain path",
        ),
        (["show", "ghost"], "no profile named 'ghost' (see `workbench profile list`)"),
        (["rm", "ghost"], "no profile named 'ghost'"),
        (["import", "/no/such/file.toml"], "no such file: /no/such/file.toml"),
    ],
)
def test_mistakes_get_one_clear_line_and_exit_1(secret_service, workbench_home, argv, fragment):
    assert_one_line_error(workbench("profile", *argv), fragment)


@pytest.mark.keychain
def test_adding_over_an_existing_profile_says_to_remove_it_first(secret_service, workbench_home):
    name = unique("pg")
    argv = ["profile", "add", name, "--preset", "paymentsgate", "--base-url", "https://pg.test",
            "--secret", "access_token=a1", "--secret", "refresh_token=r1"]  # fmt: skip
    assert workbench(*argv).returncode == 0
    assert_one_line_error(workbench(*argv), f"(remove it first with `workbench profile rm {name}`")
    workbench("profile", "rm", name)


def test_without_a_keychain_add_warns_once_and_writes_no_secret(workbench_home):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = workbench(
        "profile", "add", "pg", "--preset", "paymentsgate", "--base-url", "https://pg.test",
        "--secret", "access_token=NOKEYCHAIN-access", "--secret", "refresh_token=NOKEYCHAIN-refresh", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("No usable OS keychain (keyring backend: fail)") == 1
    assert "kept in memory only for this run" in result.stderr
    assert "profile 'pg' created" in result.stderr
    leaks = [p for p in workbench_home.rglob("*") if p.is_file() and b"NOKEYCHAIN" in p.read_bytes()]
    assert leaks == []
