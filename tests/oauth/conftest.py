"""Fixtures for driving `workbench login` (real subprocesses, real keychain) through an
independent authorization server (Authlib's components, `authlib_server.py`) on loopback,
with a `$BROWSER` stand-in (`fake_browser.py`) playing the user."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, run_cli
from tests.oauth.authlib_server import TestAuthorizationServer

HERE = Path(__file__).resolve().parent


@pytest.fixture
def keychain(secret_service):
    return secret_service


@pytest.fixture
def auth_server() -> Iterator[TestAuthorizationServer]:
    server = TestAuthorizationServer().start()
    yield server
    server.stop()


@dataclass
class Browser:
    """The `$BROWSER` stand-in: an executable that runs fake_browser.py with this interpreter."""

    command: Path
    log: Path
    mode: str = "approve"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "BROWSER": str(self.command),
            "FAKE_BROWSER_MODE": self.mode,
            "FAKE_BROWSER_LOG": str(self.log),
            **extra,
        }

    def pages(self) -> list[dict[str, object]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def visit(self, url: str, mode: str = "approve") -> int:
        """Be the user at a terminal: open a printed URL by hand."""
        env = {**os.environ, "FAKE_BROWSER_MODE": mode, "FAKE_BROWSER_LOG": str(self.log)}
        return subprocess.run(
            [sys.executable, str(HERE / "fake_browser.py"), url], env=env, timeout=30
        ).returncode


@pytest.fixture
def browser(tmp_path) -> Browser:
    script = tmp_path / "fake-browser"
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{HERE / 'fake_browser.py'}' \"$@\"\n")
    script.chmod(0o755)
    return Browser(command=script, log=tmp_path / "browser.jsonl")


@dataclass
class Running:
    """A `workbench` process whose stderr is read line by line while it runs."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    pump: threading.Thread = field(init=False)

    def wait_for(self, predicate, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"no such line on stderr; saw: {self.seen}")

    def finish(self, timeout: float = 30.0) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        self.pump.join(timeout=5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.proc.returncode, out, "\n".join(self.seen)


def start_login(*args: str, env: dict[str, str] | None = None) -> Running:
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "login", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    running = Running(proc)

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            running.lines.put(line.rstrip("\n"))

    running.pump = threading.Thread(target=pump, daemon=True)
    running.pump.start()
    return running


def add_oauth_profile(
    name: str, issuer: str, *settings: str, preset: str = "oauth2-authorization-code"
) -> None:
    args = ["profile", "add", name, "--preset", preset, "--base-url", issuer, "--set", "scope=read"]
    for item in settings:
        flag, _, value = item.partition(" ")
        args += [flag, value]
    run = run_cli(*args)
    assert run.returncode == 0, run.stderr
