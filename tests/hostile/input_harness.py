"""Tools for the hostile-input tests: `workbench` or Python under a memory cap, a scripted provider.

`wb` and `python_capped` run through `conftest.run_limited` (the one capped runner of
tests/hostile: `RLIMIT_AS` in the child, killed at the timeout, the process's own peak RSS)
and hand back a `Capped` that also says whether the timeout killed it.

`ScriptedProvider` is a loopback HTTP server answering each path with what the test put in
`routes` (status, JSON-able body or raw bytes, headers), recording every request it received,
so a test can play a provider that sends hostile tokens, numbers or codes.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.hostile.conftest import ROOT, run_limited, workbench_argv

DEFAULT_CAP_MB = 768  # far above what any honest command needs, far below what the attacks ask for
_KILLED = "\n[killed at the test's timeout]"


@dataclass
class Capped:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    elapsed: float
    timed_out: bool

    def error_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if not ln.startswith("workbench: warning: ")]

    def one_error_line(self) -> str:
        """Failed with one clear `workbench: error:` line (warnings aside), no traceback."""
        assert not self.timed_out, f"still running after {self.elapsed:.1f} s"
        assert self.returncode != 0, (self.stdout[-500:], self.stderr[-2000:])
        assert "Traceback" not in self.stderr, self.stderr[-3000:]
        lines = self.error_lines()
        assert len(lines) == 1, self.stderr[-3000:]
        assert lines[0].startswith("workbench: error: "), self.stderr[-3000:]
        assert "internal error" not in lines[0], lines[0]
        return lines[0]


def run_capped(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cap_mb: int = DEFAULT_CAP_MB,
    timeout: float = 60,
    stdin: str = "",
) -> Capped:
    """Run `argv` from the repository root under an address-space cap of `cap_mb` MiB."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    run = run_limited(argv, env=full_env, stdin=stdin, timeout=timeout, memory=cap_mb * 1024 * 1024)
    timed_out = run.returncode is None
    stderr = run.stderr[: -len(_KILLED)] if timed_out and run.stderr.endswith(_KILLED) else run.stderr
    code = -9 if timed_out else run.returncode
    return Capped(code, run.stdout, stderr, run.peak_rss_mib, run.elapsed, timed_out)


def wb(*args: str, **kwargs: Any) -> Capped:
    """`workbench ARGS` under the memory cap (see `run_capped`), the worktree's code."""
    return run_capped(workbench_argv(*args), **kwargs)


# Python code run like `workbench` is: its own peak RSS (VmHWM) written to $WB_PEAK_FILE at exit.
_PEAK_PROLOGUE = """
import atexit, os
def _peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["WB_PEAK_FILE"], "w") as out:
        out.write(kib)
atexit.register(_peak)
"""


def python_capped(code: str, *, args: list[str] | None = None, **kwargs: Any) -> Capped:
    """Python `code` (with `args` as sys.argv[1:]) under the memory cap, for core-level attacks."""
    return run_capped([sys.executable, "-c", _PEAK_PROLOGUE + code, *(args or [])], **kwargs)


def keyring_env(keyring_file: Path) -> dict[str, str]:
    """A JSON-file keychain shared by every `workbench` process of a test (tests/faults/file_keyring.py)."""
    return {
        "PYTHON_KEYRING_BACKEND": "tests.faults.file_keyring.FileKeyring",
        "WB_TEST_KEYRING_FILE": str(keyring_file),
    }


# --------------------------------------------------------------------------- a scripted provider


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedProvider:
    """A loopback provider whose answers a test scripts per path (`routes[path] = Answer(...)`,
    or a callable taking the `Seen` request). Unknown paths answer 200 `{"ok": true}`."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer | Callable[[Seen], Answer]] = {}
        self.seen: list[Seen] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                seen = Seen(self.command, self.path, dict(self.headers.items()), body)
                provider.seen.append(seen)
                route = provider.routes.get(path, Answer(200, {"ok": True}))
                answer = route(seen) if callable(route) else route
                data = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json", **answer.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def hits(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path.split("?", 1)[0] == path)


def unsigned_jwt(payload: dict[str, Any]) -> str:
    """A JWT-shaped token (alg none; the engine reads its claims, nothing here verifies it)."""
    import base64

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}.sig"
