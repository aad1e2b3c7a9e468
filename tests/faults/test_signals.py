"""Ctrl-C / SIGTERM while a rotated refresh token is on its way to the keychain wait for the write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import keyring
import pytest

from tests.faults.conftest import ROOT
from tests.faults.file_keyring import FileKeyring, entries
from tests.faults.rotating import RotatingProvider
from workbench import cli
from workbench.core.engine.signals import deferred_signals
from workbench.core.storage.vault import MemoryKeyring, Vault


@pytest.fixture
def provider():
    with RotatingProvider(token_length=1500) as p:
        yield p


def test_signals_in_the_block_are_held_and_delivered_after_it():
    with pytest.raises(KeyboardInterrupt):
        with deferred_signals() as noted:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # a handler would have run by now
            assert noted == [signal.SIGINT]
            finished = True
    assert finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_outside_the_main_thread_the_block_holds_nothing_and_does_not_fail():
    import threading

    seen: list[object] = []

    def worker() -> None:
        with deferred_signals() as noted:
            seen.append(noted)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [[]]


def test_ctrl_c_during_a_rotating_refresh_waits_until_the_new_refresh_token_is_stored(
    provider, capsys, monkeypatch, workbench_home
):
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        _access, refresh = provider.issue()
        monkeypatch.setenv("WB_RT", refresh)
        args = ["profile", "add", "rot", "--preset", "oauth2-refresh-token", "--base-url", provider.url]
        assert cli.main([*args, "--secret", "refresh_token=@env:WB_RT"]) == 0
        # The provider has rotated (the old token is dead) when Ctrl-C arrives, before it answers.
        provider.on_request = lambda: os.kill(os.getpid(), signal.SIGINT)
        assert cli.main(["token", "rot", "--refresh"]) == 130
        assert "workbench: error: interrupted" in capsys.readouterr().err
        provider.on_request = None
        stored = Vault(backend).load("rot", "refresh_token")
        assert stored != refresh and provider.is_valid(stored)
        assert cli.main(["token", "rot", "--refresh"]) == 0
    finally:
        keyring.set_keyring(previous)


def rotating_profile_in_a_file_keyring(provider, keyring_file, workbench_home) -> dict[str, str]:
    """Profile 'rot' (oauth2-refresh-token at `provider`) added by a `workbench` process, its
    secrets in a file keyring other processes share; returns their environment."""
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(workbench_home),
        "PYTHON_KEYRING_BACKEND": "tests.faults.file_keyring.FileKeyring",
        "WB_TEST_KEYRING_FILE": str(keyring_file),
    }
    _access, refresh = provider.issue()
    add = subprocess.run(
        [sys.executable, "-m", "workbench", "profile", "add", "rot", "--preset", "oauth2-refresh-token",
         "--base-url", provider.url, "--secret", "refresh_token=@env:WB_RT"],
        capture_output=True, text=True, cwd=ROOT, env={**env, "WB_RT": refresh}, timeout=60,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    return env


def start_refresh(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", "token", "rot", "--refresh"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )  # fmt: skip


def wait_for_rotation(provider, before: int) -> None:
    deadline = time.monotonic() + 30
    while provider.rotations == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert provider.rotations == before + 1


def test_sigterm_to_a_cli_process_mid_rotation_ends_it_only_after_the_write(
    provider, tmp_path, workbench_home, monkeypatch
):
    keyring_file = tmp_path / "keyring.json"
    env = rotating_profile_in_a_file_keyring(provider, keyring_file, workbench_home)

    def workbench(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workbench", *argv],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
        )  # fmt: skip

    provider.delay = 1.0
    before = provider.rotations
    proc = start_refresh(env)
    wait_for_rotation(provider, before)  # rotated; the answer is held back for a second
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM, err
    provider.delay = 0.0
    assert entries(keyring_file)["rot/refresh_token"].startswith("chunks:")  # stored in parts
    monkeypatch.setenv("WB_TEST_KEYRING_FILE", str(keyring_file))
    stored = Vault(FileKeyring()).load("rot", "refresh_token")
    assert stored is not None and provider.is_valid(stored)
    again = workbench("token", "rot", "--refresh")
    assert again.returncode == 0, again.stderr


def test_a_held_ctrl_c_says_why_and_a_second_one_quits_at_once(provider, tmp_path, workbench_home):
    """A provider that hangs after rotating would hold Ctrl-C for the whole request timeout:
    the first Ctrl-C says what it waits for, the second quits now with what to do next."""
    env = rotating_profile_in_a_file_keyring(provider, tmp_path / "keyring.json", workbench_home)
    provider.delay = 20.0
    before = provider.rotations
    proc = start_refresh(env)
    try:
        wait_for_rotation(provider, before)  # rotated; the answer is 20 s away
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None  # held: the new refresh token is still on its way
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        _out, err = proc.communicate(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
        provider.delay = 0.0
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err, err
    assert lines[0].startswith("workbench: waiting for the refresh of 'rot'") and "Ctrl-C again" in lines[0]
    assert lines[1].startswith("workbench: error: interrupted during the refresh of 'rot'")
    assert "workbench profile set rot --secret refresh_token" in lines[1]
