"""Fixtures for the fault matrix: CLI processes over a file keyring, and a hostile provider."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.hostile import HostileServer

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float

    def one_error_line(self) -> str:
        """The run failed with exactly one clear line on stderr (warnings aside), no traceback."""
        assert self.returncode != 0, self.stderr
        assert "Traceback" not in self.stderr, self.stderr
        lines = [ln for ln in self.stderr.splitlines() if not ln.startswith("workbench: warning: ")]
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("workbench: error: "), self.stderr
        return lines[0]


@pytest.fixture
def keyring_file(tmp_path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
def cli(keyring_file, workbench_home):
    """cli(*args, stdin=None, env=None) → Run: `workbench ARGS` in a new process (no terminal),
    its keychain the file keyring shared by every run of the test."""

    def run(
        *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
    ) -> Run:
        full_env = {
            **os.environ,
            "WORKBENCH_HOME": str(workbench_home),
            "PYTHON_KEYRING_BACKEND": "tests.faults.file_keyring.FileKeyring",
            "WB_TEST_KEYRING_FILE": str(keyring_file),
            **(env or {}),
        }
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env=full_env,
            start_new_session=True,  # no controlling terminal: getpass cannot reach one
        )
        return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)

    return run


@pytest.fixture
def hostile():
    with HostileServer(drip_interval=0.5) as server:
        yield server


@pytest.fixture
def other():
    """A second server on another origin: it must never see a credential it was not meant to."""
    with HostileServer() as server:
        yield server
