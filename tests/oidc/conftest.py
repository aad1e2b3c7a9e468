"""Fixtures for driving the real CLI against a certified OpenID provider (`oidc-provider`, npm,
pinned in package.json / package-lock.json beside this file; `.ci/run` runs `npm ci` here).

`oidc_server` starts `server.mjs` under node on a free loopback port once per session and kills
it at teardown. Each test registers the clients it needs (dynamic client registration), so tests
never share a client. `browser` is the `$BROWSER` stand-in (browser.py) that fills in the
provider's login and consent forms.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import CliRun, run_cli

HERE = Path(__file__).resolve().parent
collect_ignore_glob = ["node_modules/*"]


@dataclass
class OidcServer:
    issuer: str
    proc: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return self.issuer + path

    def register(self, **metadata: Any) -> dict[str, Any]:
        """Register a client (RFC 7591); returns the server's answer (client_id, client_secret…)."""
        body: dict[str, Any] = {
            "application_type": "native",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "client_name": f"test-{uuid.uuid4().hex[:6]}",
        }
        mount = metadata.pop("mount", "")
        body.update(metadata)
        answer = httpx.post(self.issuer + mount + "/reg", json=body, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def log(self, client_id: str | None = None) -> list[dict[str, Any]]:
        entries = httpx.get(self.url("/__test/log"), timeout=10).json()
        return [e for e in entries if client_id is None or e.get("client_id") == client_id]

    def calls(self, client_id: str, path: str, **form: str) -> list[dict[str, Any]]:
        """The logged requests of this client to `path` whose form has the given values."""
        return [
            e
            for e in self.log(client_id)
            if e.get("path") == path and all(e["form"].get(k) == v for k, v in form.items())
        ]

    def tokens(self, client_id: str) -> list[dict[str, Any]]:
        return httpx.get(self.url("/__test/tokens"), params={"client_id": client_id}, timeout=10).json()

    def live_refresh_tokens(self, client_id: str) -> list[dict[str, Any]]:
        return [t for t in self.tokens(client_id) if t["model"] == "RefreshToken" and not t["consumed"]]

    def revoke_everything(self, client_id: str) -> None:
        """Server-side revocation (an administrator): every grant of the client is gone."""
        answer = httpx.post(self.url("/__test/revoke"), params={"client_id": client_id}, timeout=10)
        assert answer.status_code == 200 and answer.json()["revoked"], answer.text


def _start_server() -> OidcServer:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is required in CI for the oidc-provider suite (see .ci/packages)")
        pytest.skip("node is not installed: the oidc-provider suite needs it (apt-get install nodejs npm)")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            f"oidc-provider is not installed: run `npm ci --prefix {HERE.relative_to(HERE.parents[1])}`"
        )
    proc = subprocess.Popen(
        [node, str(HERE / "server.mjs")],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    first: list[bytes] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=30)
    if not first or not first[0].strip():
        proc.kill()
        proc.wait()
        pytest.fail("the oidc-provider test server did not start within 30 s")
    started = json.loads(first[0])
    return OidcServer(issuer=started["issuer"], proc=proc)


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[OidcServer]:
    server = _start_server()
    yield server
    server.proc.terminate()
    try:
        server.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture
def keychain(secret_service):
    return secret_service


@dataclass
class Browser:
    """The `$BROWSER` stand-in: an executable that runs browser.py with this interpreter."""

    command: Path
    log: Path
    mode: str = "approve"
    user: str = "alice"
    grant: str | None = None  # the scopes the user leaves ticked (None: all)

    def env(self) -> dict[str, str]:
        env = {
            "BROWSER": str(self.command),
            "FAKE_BROWSER_MODE": self.mode,
            "FAKE_BROWSER_LOG": str(self.log),
            "FAKE_BROWSER_USER": self.user,
        }
        if self.grant is not None:
            env["FAKE_BROWSER_GRANT"] = self.grant
        return env

    def pages(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def callbacks(self) -> list[dict[str, Any]]:
        return [p for p in self.pages() if p["step"] == "callback"]

    def opened(self) -> list[str]:
        """The URLs `workbench` asked the browser to open."""
        return [p["url"] for p in self.pages() if p["step"] == "open"]

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)

    def visit(self, url: str) -> int:
        """Be the user at a terminal: open a printed URL by hand."""
        env = {**os.environ, **self.env()}
        return subprocess.run([sys.executable, str(HERE / "browser.py"), url], env=env, timeout=60).returncode


@pytest.fixture
def browser(tmp_path) -> Browser:
    script = tmp_path / "fake-browser"
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{HERE / 'browser.py'}' \"$@\"\n")
    script.chmod(0o755)
    return Browser(command=script, log=tmp_path / "browser.jsonl")


def add_profile(
    name: str, issuer: str, client: dict[str, Any], *args: str, preset: str = "oauth2-authorization-code"
) -> None:
    """`workbench profile add` for a registered client (its secret goes to the keychain)."""
    argv = [
        "profile",
        "add",
        name,
        "--preset",
        preset,
        "--base-url",
        issuer,
        "--set",
        f"client_id={client['client_id']}",
    ]
    method = client.get("token_endpoint_auth_method", "none")
    argv += ["--set", f"client_auth={method}"]
    if client.get("client_secret") and method.startswith("client_secret"):
        argv += ["--secret", f"client_secret={client['client_secret']}"]
    run = run_cli(*argv, *args)
    assert run.returncode == 0, run.stderr


def login(name: str, browser: Browser, *extra: str, timeout: float = 90) -> CliRun:
    return run_cli("login", name, "--timeout", "40", *extra, env=browser.env(), timeout=timeout)
