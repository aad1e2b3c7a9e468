"""Integration fixtures: a real loopback sandbox, profiles for every preset, engines and CLI runs.

`sandbox` starts `workbench.sandbox.Sandbox` on a free loopback port (fresh per test:
faults, lifetimes and clock offsets never leak between tests). `add_profile` creates a
profile for a preset from `sandbox.demo_profiles()` and stores its secrets in a vault.
`make_engine` builds a `TokenEngine` over real HTTP. `run_cli` runs `workbench ...` in a
subprocess with this process's environment (WORKBENCH_HOME, and the keychain variables
while the `secret_service` fixture is active).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workbench.core.clock import Clock, FakeClock
from workbench.core.engine.token_engine import TokenEngine
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore
from workbench.core.storage.vault import MemoryKeyring, Vault
from workbench.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]

# Every preset the sandbox emulates, and what each can do.
MINT_PRESETS = ("true-markets", "token-of-trust", "api-key-sliding", "oauth2-client-credentials")
REFRESH_PRESETS = ("true-markets", "marketiger3d", "paymentsgate", "oauth2-refresh-token")
PASTE_IN_PRESETS = ("marketiger3d", "paymentsgate", "oauth2-refresh-token")
# Tokens come from `workbench login` (a user in a browser or at a device page), not from inputs.
LOGIN_PRESETS = ("oauth2-authorization-code", "oauth2-device-code")
# Extension grants (issue 22): tested end to end in test_sandbox_grants.py.
GRANT_PRESETS = ("google-service-account", "oauth2-jwt-bearer", "oauth2-token-exchange")
ALL_PRESETS = (
    "true-markets",
    "marketiger3d",
    "token-of-trust",
    "api-key-sliding",
    "paymentsgate",
    "oauth2-client-credentials",
    "oauth2-refresh-token",
)


@pytest.fixture
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def client():
    """A plain httpx client for driving the emulators directly."""
    import httpx

    with httpx.Client(timeout=5) as c:
        yield c


@pytest.fixture
def memory_vault() -> Vault:
    return Vault(MemoryKeyring())


@pytest.fixture
def profile_store(workbench_home) -> ProfileStore:
    return ProfileStore(presets=PresetCatalog.load_default())


def add_profile(
    store: ProfileStore,
    vault: Vault,
    sandbox: Sandbox,
    preset: str,
    name: str | None = None,
    *,
    settings: dict[str, Any] | None = None,
) -> str:
    """A profile for `preset` with the sandbox's demo credentials (secrets go to `vault`)."""
    return add_from_spec(
        store, vault, sandbox.demo_profiles()[preset], name or preset, preset=preset, settings=settings
    )


def add_from_spec(
    store: ProfileStore,
    vault: Vault,
    spec: dict[str, Any],
    name: str,
    *,
    preset: str | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    """A profile from one of the sandbox's demo specs (`demo_profiles()` or `demo_extra_profiles()`)."""
    store.create(
        name,
        preset=preset or spec["preset"],
        base_url=spec["base_url"],
        vars=spec["vars"],
        secret_names=list(spec["secrets"]),
        settings=settings if settings is not None else spec.get("settings"),
    )
    for key, value in spec["secrets"].items():
        vault.store(name, key, value)
    return name


@pytest.fixture
def paymentsgate_in_keychain(secret_service, sandbox, workbench_home):
    """A paymentsgate profile (a pasted pair that refreshes) with its tokens in the Secret Service."""
    vault = Vault()
    store = ProfileStore(presets=PresetCatalog.load_default())
    name = f"pg-{uuid.uuid4().hex[:8]}"
    add_profile(store, vault, sandbox, "paymentsgate", name)
    yield name
    vault.delete_profile(name, ["access_token", "refresh_token"])


@pytest.fixture
def make_engine(profile_store, memory_vault):
    engines: list[TokenEngine] = []

    def make(*, clock: Clock | None = None, vault: Vault | None = None, **kwargs: Any) -> TokenEngine:
        engine = TokenEngine(
            profiles=profile_store,
            vault=vault or memory_vault,
            clock=clock or FakeClock(),
            **kwargs,
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float


def run_cli(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> CliRun:
    """`workbench ARGS...` in a fresh process (same interpreter, same environment)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def one_line_error(run: CliRun, *, skip_warnings: bool = False) -> str:
    """The one `workbench: error: ...` line a failed command wrote to stderr (no traceback).
    `skip_warnings`: `workbench: warning: ...` lines may stand beside it."""
    lines = run.stderr.strip().splitlines()
    if skip_warnings:
        lines = [line for line in lines if not line.startswith("workbench: warning: ")]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("workbench: error: ") and "Traceback" not in run.stderr
    return lines[0]


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
    )


def files_text(root: Path) -> str:
    """Everything under `root` as text, for "no secret on disk" scans."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file())
