"""Attacks on the real CLI (subprocesses, a real Secret Service): failures are one line and lose nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import keyring
import pytest

from workbench.core.storage.vault import SERVICE

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").is_dir() else sys.executable
API_KEY = "ak_hardening_" + "0123456789abcdef" * 2
SECRET_KEY = "sk_hardening_" + "fedcba9876543210" * 2

pytestmark = pytest.mark.keychain


def workbench(*argv: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "workbench", *argv], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, cwd=ROOT, timeout=60, **kw,
    )  # fmt: skip


def assert_one_error_line(stderr: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: "), stderr
    assert "Traceback" not in stderr


def add_tot(name: str, base_url: str, **kw) -> subprocess.CompletedProcess[str]:
    return workbench(
        "profile", "add", name, "--preset", "token-of-trust", "--base-url", base_url,
        "--set", "app_domain=demo", "--secret", f"api_key={API_KEY}", "--secret", f"secret_key={SECRET_KEY}",
        **kw,
    )  # fmt: skip


@pytest.fixture
def raising_backend(tmp_path) -> dict[str, str]:
    """A keyring backend module on PYTHONPATH whose writes fail (reads go to the real Secret Service)."""
    (tmp_path / "raisingkr.py").write_text(
        textwrap.dedent(
            """
            from keyring import errors
            from keyring.backends import SecretService

            class Keyring(SecretService.Keyring):
                priority = 1

                def set_password(self, service, username, password):
                    raise errors.PasswordSetError(f"refusing to store {password}")
            """
        )
    )
    return {"PYTHONPATH": str(tmp_path), "PYTHON_KEYRING_BACKEND": "raisingkr.Keyring"}


def test_a_keychain_that_refuses_writes_is_one_line_without_the_value_and_keeps_stored_secrets(
    secret_service, raising_backend
):
    keep = f"hk-keep-{uuid.uuid4().hex[:8]}"
    assert add_tot(keep, "http://127.0.0.1:9").returncode == 0

    new = f"hk-new-{uuid.uuid4().hex[:8]}"
    result = add_tot(new, "http://127.0.0.1:9", env=raising_backend)
    assert result.returncode == 1
    assert_one_error_line(result.stderr)
    assert "could not store" in result.stderr and "PasswordSetError" in result.stderr
    assert API_KEY not in result.stderr + result.stdout and SECRET_KEY not in result.stderr
    # Nothing half-made: no profile file, and the other profile's secrets are untouched.
    assert workbench("profile", "show", new).returncode == 1
    assert keyring.get_password(SERVICE, f"{keep}/api_key") == API_KEY
    assert keyring.get_password(SERVICE, f"{keep}/secret_key") == SECRET_KEY
    workbench("profile", "rm", keep)


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a provider that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_ctrl_c_during_a_token_request_is_one_line_exit_130_and_loses_no_secret(
    secret_service, silent_server
):
    name = f"hk-int-{uuid.uuid4().hex[:8]}"
    assert add_tot(name, silent_server).returncode == 0
    proc = subprocess.Popen(
        [PYTHON, "-m", "workbench", "token", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT, env=dict(os.environ),
    )  # fmt: skip
    try:
        time.sleep(1.5)  # well inside the request (the server never answers)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert out == ""
    assert err == "workbench: error: interrupted\n"
    assert keyring.get_password(SERVICE, f"{name}/api_key") == API_KEY
    assert keyring.get_password(SERVICE, f"{name}/secret_key") == SECRET_KEY
    workbench("profile", "rm", name)


def test_a_profile_file_with_a_password_in_its_url_never_prints_it(secret_service, workbench_home):
    password = "pw_" + uuid.uuid4().hex * 2
    (workbench_home / "profiles").mkdir(exist_ok=True)
    (workbench_home / "profiles" / "leaky.toml").write_text(
        f'name = "leaky"\npreset = "token-of-trust"\nbase_url = "https://me:{password}@api.example.com"\n'
        '[vars]\napp_domain = "a"\n'
    )
    for argv in (["profile", "show", "leaky"], ["token", "leaky"], ["call", "leaky", "/x"]):
        result = workbench(*argv)
        assert result.returncode == 1
        assert_one_error_line(result.stderr)
        assert "user name or password" in result.stderr
        assert password not in result.stderr + result.stdout
    listed = workbench("profile", "list")
    assert password not in listed.stdout + listed.stderr


def _add_from_sandbox(sandbox, preset: str, name: str) -> None:
    demo = sandbox.demo_profiles()[preset]
    argv = ["profile", "add", name, "--preset", preset, "--base-url", demo["base_url"]]
    for key, value in demo["vars"].items():
        argv += ["--set", f"{key}={value}"]
    for key, value in demo["secrets"].items():
        argv += ["--secret", f"{key}={value}"]
    assert workbench(*argv).returncode == 0


def test_a_keychain_refusing_writes_stops_a_rotating_refresh_before_the_provider_rotates(
    secret_service, raising_backend, sandbox
):
    name = f"hk-pg-{uuid.uuid4().hex[:8]}"
    _add_from_sandbox(sandbox, "paymentsgate", name)
    refused = workbench("token", name, "--refresh", env=raising_backend)
    assert refused.returncode == 1
    assert_one_error_line(refused.stderr)
    assert "refuses writes" in refused.stderr
    assert sandbox.calls("paymentsgate", "refresh") == 0
    # The stored refresh token was never rotated away: with a working keychain it still works.
    ok = workbench("token", name, "--refresh", "--json")
    assert ok.returncode == 0, ok.stderr
    workbench("profile", "rm", name)


def test_a_token_minted_but_not_saved_is_printed_with_a_warning(secret_service, raising_backend, sandbox):
    name = f"hk-tot-{uuid.uuid4().hex[:8]}"
    _add_from_sandbox(sandbox, "token-of-trust", name)
    run = workbench("token", name, "--mint", env=raising_backend)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("eyJ")
    lines = run.stderr.splitlines()
    assert lines and all(line.startswith("workbench: warning: ") for line in lines), run.stderr
    assert "keychain" in run.stderr and run.stdout.strip() not in run.stderr
    workbench("profile", "rm", name)
