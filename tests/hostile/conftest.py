"""Fixtures for hostile local processes: CLI runs over a file keyring shared by every process
(with a Secret Service's latency: tests/hostile/slow_keyring.py),
and N processes started together through a gate so their writes overlap."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def keyring_file(tmp_path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
def cli_env(keyring_file, workbench_home) -> dict[str, str]:
    return {
        **os.environ,
        "WORKBENCH_HOME": str(workbench_home),
        "PYTHON_KEYRING_BACKEND": "tests.hostile.slow_keyring.SlowFileKeyring",
        "WB_TEST_KEYRING_FILE": str(keyring_file),
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def cli(cli_env):
    """cli(*args, env=None) → Run: `workbench ARGS` in a new process over the shared file keyring."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            input="", capture_output=True, text=True, timeout=timeout, cwd=ROOT,
            env={**cli_env, **(env or {})}, start_new_session=True,
        )  # fmt: skip
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def race(cli_env, tmp_path):
    """race([args, ...], envs=None) → [Run, ...]: every command started at once (through a gate)."""
    counter = iter(range(1_000_000))

    def run(commands: list[list[str]], envs: list[dict[str, str]] | None = None) -> list[Run]:
        gate = tmp_path / f"gate-{next(counter)}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.hostile.gated", str(gate), *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env={**cli_env, **((envs or [{}] * len(commands))[i])},
                start_new_session=True,
            )
            for i, args in enumerate(commands)
        ]
        time.sleep(1.5)  # every process imported the CLI and waits at the gate
        gate.touch()
        runs = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            runs.append(Run(proc.returncode, out, err))
        return runs

    return run
