"""Fixtures for attacks through the network: the real CLI in a child process under a memory cap,
and hostile providers (tests/hostile/server.py) on loopback.

`cli(...)` runs `workbench ARGS` with `resource.setrlimit(RLIMIT_AS)` set in the child (a
regression fails with MemoryError or a kill, it does not exhaust the machine) and reports
its exit code, output, wall time and peak RSS (from `wait4`, the child's own rusage). Its
keychain is the JSON file keyring the fault tests use, shared by every run of one test.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.server import Provider

ROOT = Path(__file__).resolve().parents[2]
# Enough for the CLI with httpx, keyring and cryptography loaded (measured ≈ 250 MiB of address
# space); far below what the attacks here used to take (2-10 GB).
MEMORY_CAP = 768 * 1024 * 1024


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    peak_rss_mib: float

    def error_line(self) -> str:
        """The one `workbench: error:` line of a failed run (warnings aside), never a traceback."""
        assert self.returncode not in (0, None), self.stderr
        assert "Traceback" not in self.stderr, self.stderr
        lines = [ln for ln in self.stderr.splitlines() if ln and not ln.startswith("workbench: warning: ")]
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("workbench: error: "), self.stderr
        return lines[0]


# `workbench ARGS` under a wrapper that writes the process's own peak RSS (VmHWM: this image only,
# from exec on) to $WB_PEAK_FILE at exit. wait4's ru_maxrss would include the pages the child
# shared with this pytest process between fork and exec (100+ MiB late in a full run).
_PEAK_WRAPPER = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["WB_PEAK_FILE"], "w") as out:
        out.write(kib)
atexit.register(_peak)
sys.argv = ["workbench", *sys.argv[1:]]
runpy.run_module("workbench", run_name="__main__", alter_sys=True)
"""


def workbench_argv(*args: str) -> list[str]:
    return [sys.executable, "-c", _PEAK_WRAPPER, *args]


def _with_peak_file(env: dict[str, str]) -> dict[str, str]:
    """`env` with a fresh WB_PEAK_FILE for one run (a run killed before its exit writes none)."""
    handle, path = tempfile.mkstemp(prefix="wb-peak-")
    os.close(handle)
    os.unlink(path)
    return {**env, "WB_PEAK_FILE": path}


def _own_peak_mib(env: dict[str, str], fallback: float) -> float:
    try:
        path = Path(env["WB_PEAK_FILE"])
        peak = int(path.read_text()) / 1024
        path.unlink()
        return peak
    except (KeyError, OSError, ValueError):
        return fallback


def _note_figures(args: list[str], code: int | None, elapsed: float, peak_mib: float) -> None:
    """With HOSTILE_FIGURES=FILE, one JSON line per run (test, command, exit, seconds, peak RSS):
    the figures a closing note on these attacks quotes."""
    target = os.environ.get("HOSTILE_FIGURES")
    if not target:
        return
    import json

    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    line = {
        "test": test,
        "argv": args[3:6] if len(args) > 2 and args[2] == _PEAK_WRAPPER else args[2:5],
        "exit": code,
        "seconds": round(elapsed, 2),
        "peak_mib": round(peak_mib),
    }
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


def _cap_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_limited(
    args: list[str], *, env: dict[str, str], stdin: str = "", timeout: float = 60, memory: int = MEMORY_CAP
) -> Run:
    """Run `args` with its address space capped at `memory` bytes; kill it after `timeout` s."""
    env = _with_peak_file(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        inp.write(stdin.encode())
        inp.seek(0)
        started = time.monotonic()
        proc = subprocess.Popen(
            args,
            stdin=inp,
            stdout=out,
            stderr=err,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _cap_memory(memory),
        )
        deadline = started + timeout
        status = None
        usage = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                status = None
                break
            time.sleep(0.02)
        proc.returncode = -1  # reaped by wait4 above; keep Popen from waiting again
        elapsed = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        code = None if status is None else os.waitstatus_to_exitcode(status)
        peak = _own_peak_mib(env, usage.ru_maxrss / 1024 if usage is not None else 0.0)
        _note_figures(args, code, elapsed, peak)
        return Run(
            code,  # type: ignore[arg-type]
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace")
            + ("\n[killed at the test's timeout]" if code is None else ""),
            elapsed,
            peak,
        )


@pytest.fixture
def keyring_file(tmp_path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
def cli_env(keyring_file, workbench_home) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WORKBENCH_HOME": str(workbench_home),
        "PYTHON_KEYRING_BACKEND": "tests.faults.file_keyring.FileKeyring",
        "WB_TEST_KEYRING_FILE": str(keyring_file),
    }


@pytest.fixture
def cli(cli_env):
    """cli(*args, stdin="", timeout=60, memory=MEMORY_CAP, env=None) → Run of `workbench ARGS`
    (`env`: variables added to the test's environment for this run)."""

    def run(
        *args: str,
        stdin: str = "",
        timeout: float = 60,
        memory: int = MEMORY_CAP,
        env: dict[str, str] | None = None,
    ) -> Run:
        return run_limited(
            workbench_argv(*args),
            env={**cli_env, **(env or {})},
            stdin=stdin,
            timeout=timeout,
            memory=memory,
        )

    return run


@pytest.fixture
def race(cli_env, tmp_path):
    """race([args, ...], envs=None) → [Run, ...]: hostile local processes, every command started at
    once. Each runs through a gate (tests/hostile/gated.py: the CLI imported, then a wait for the
    gate file) so their writes overlap, under the same memory cap as `cli`."""
    counter = iter(range(1_000_000))

    def run(commands: list[list[str]], envs: list[dict[str, str]] | None = None) -> list[Run]:
        gate = tmp_path / f"gate-{next(counter)}"
        extra = envs or [{}] * len(commands)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.hostile.gated", str(gate), *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env={**cli_env, **extra[i]},
                start_new_session=True,
                preexec_fn=lambda: _cap_memory(MEMORY_CAP),
            )
            for i, args in enumerate(commands)
        ]
        time.sleep(1.5)  # every process imported the CLI and waits at the gate
        gate.touch()
        runs = []
        started = time.monotonic()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            runs.append(Run(proc.returncode, out, err, time.monotonic() - started, 0.0))
        return runs

    return run


@pytest.fixture
def provider() -> Iterator[Provider]:
    """The profile's own provider (its origin is the profile's base URL)."""
    with Provider() as p:
        yield p


@pytest.fixture
def elsewhere() -> Iterator[Provider]:
    """A listener on another origin: it must never see a credential."""
    with Provider() as p:
        yield p


def fake_jwt(claims: dict[str, object] | None = None, *, kid: str = "k1", secret: str | None = None) -> str:
    """A JWT: HS256-signed with `secret` when given, else an RS256 header with a junk signature."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = {"sub": "someone", "iat": int(time.time()), "exp": int(time.time()) + 3600, **(claims or {})}
    header = {"alg": "HS256" if secret else "RS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}"
    if secret:
        signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    else:
        signature = b"\x01" * 256
    return f"{signing_input}.{b64(signature)}"


@pytest.fixture
def add_profile(cli, tmp_path):
    """add_profile(name, preset, base_url, secrets={}, sets={}) through `workbench profile add`."""

    def add(
        name: str,
        preset: str,
        base_url: str,
        secrets: dict[str, str] | None = None,
        sets: dict[str, str] | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        args = ["profile", "add", name, "--preset", preset, "--base-url", base_url]
        for key, value in (sets or {}).items():
            args += ["--set", f"{key}={value}"]
        for key, value in (secrets or {}).items():
            path = tmp_path / f"secret-{name}-{key}"
            path.write_text(value)
            args += ["--secret", f"{key}=@{path}"]
        run = cli(*args, *extra)
        assert run.returncode == 0, run.stderr

    return add


ENGINE_SCRIPT = """
import json, sys
from workbench.core.context import AppContext
from workbench.core.errors import WorkbenchError, user_message
ctx = AppContext()
try:
    result = {step}
    print(json.dumps({{"ok": True, "result": repr(result)}}))
except WorkbenchError as exc:
    print(json.dumps({{"ok": False, "error": user_message(exc)}}))
finally:
    ctx.close()
"""


@pytest.fixture
def in_engine(cli_env):
    """in_engine("ctx.engine.verify_local('p')") → {"ok", "result"|"error"}: one engine operation
    (one the CLI has no command for, like Verify) in a memory-capped child over the same keychain."""
    import json

    def run(step: str, timeout: float = 60) -> dict[str, object]:
        script = ENGINE_SCRIPT.format(step=step)
        result = run_limited([sys.executable, "-c", script], env=cli_env, timeout=timeout)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    return run


class Live:
    """A `workbench` process whose stderr the test reads while it runs (a login's URL)."""

    def __init__(self, args: list[str], env: dict[str, str], memory: int = MEMORY_CAP) -> None:
        import queue
        import threading

        self.env = env = _with_peak_file(env)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _cap_memory(memory),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []

        def pump() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.lines.put(line.rstrip("\n"))

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()

    def wait_for(self, predicate, timeout: float = 20.0) -> str:
        import queue

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

    def finish(self, timeout: float = 30.0) -> Run:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.seen.append("[killed at the test's timeout]")
        elapsed = time.monotonic() - self.started
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        self._pump.join(timeout=5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        code = self.proc.returncode if self.proc.returncode >= 0 else None
        peak = _own_peak_mib(self.env, 0.0)
        _note_figures([str(a) for a in self.proc.args], code, elapsed, peak)
        return Run(code, out, "\n".join(self.seen), elapsed, peak)  # type: ignore[arg-type]


@pytest.fixture
def live(cli_env):
    """live(*args) → a running `workbench ARGS` (killed at the end of the test if still running)."""
    started: list[Live] = []

    def start(*args: str) -> Live:
        proc = Live(workbench_argv(*args), cli_env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.proc.poll() is None:
            os.killpg(proc.proc.pid, signal.SIGKILL)
            proc.proc.wait()


def oauth_issuer(provider, *, token_reply=None) -> None:
    """Make `provider` an OAuth issuer: discovery, a token endpoint, a JWKS."""
    from tests.hostile.server import Reply

    provider.route(
        "/.well-known/openid-configuration",
        Reply.json(
            {
                "issuer": provider.url,
                "authorization_endpoint": provider.url + "/authorize",
                "token_endpoint": provider.url + "/token",
                "jwks_uri": provider.url + "/jwks",
            }
        ),
    )
    provider.route(
        "/token",
        token_reply
        or Reply.json({"access_token": fake_jwt({"sub": "me"}), "token_type": "Bearer", "expires_in": 3600}),
    )
