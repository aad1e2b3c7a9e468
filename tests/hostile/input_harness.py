"""Tools for the hostile-input tests: a CLI run under a memory cap, and a scripted provider.

`run_capped` runs `workbench ARGS` (or any argv) in a child whose address space is capped with
`resource.setrlimit(RLIMIT_AS)`, so an attack that allocates gigabytes fails in the child
(MemoryError) instead of exhausting the machine; it reports the child's peak RSS and time.

`ScriptedProvider` is a loopback HTTP server answering each path with what the test put in
`routes` (status, JSON-able body or raw bytes, headers), recording every request it received,
so a test can play a provider that sends hostile tokens, numbers or codes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CAP_MB = 768  # far above what any honest command needs, far below what the attacks ask for


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


def _limit(cap_mb: int) -> Callable[[], None]:
    def apply() -> None:
        cap = cap_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()  # no controlling terminal (getpass cannot prompt), and one group to kill

    return apply


def run_capped(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cap_mb: int = DEFAULT_CAP_MB,
    timeout: float = 60,
    stdin: str = "",
) -> Capped:
    """Run `argv` under an address-space cap; kill it (and its group) after `timeout` seconds."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        preexec_fn=_limit(cap_mb),  # the cap applies in the child only
    )
    timed_out = False
    try:
        out, err = proc.communicate(stdin.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
    # The child reports its own peak RSS in a marker line on stderr (see _WRAPPER); a child killed
    # by the timeout or the kernel reports none (nan).
    elapsed = time.monotonic() - started
    peak = _peak_from_stderr(err.decode("utf-8", "replace"))
    text_err = _strip_peak(err.decode("utf-8", "replace"))
    return Capped(proc.returncode, out.decode("utf-8", "replace"), text_err, peak, elapsed, timed_out)


_PEAK_MARK = "@@peak-rss-kb="

# The child runs `workbench` through this wrapper, which prints its own peak RSS on stderr at
# exit (a marker line the harness removes), whatever way the command ended.
_WRAPPER = f"""
import atexit, os, resource, sys
def _peak():
    sys.stderr.flush()
    os.write(2, ("\\n{_PEAK_MARK}%d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).encode())
atexit.register(_peak)
sys.argv = ["workbench", *sys.argv[1:]]
import runpy
try:
    runpy.run_module("workbench", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    _peak()
    atexit.unregister(_peak)
    os._exit(code or 0)
"""


def _peak_from_stderr(err: str) -> float:
    for line in reversed(err.splitlines()):
        if line.startswith(_PEAK_MARK):
            return int(line[len(_PEAK_MARK) :]) / 1024
    return float("nan")


def _strip_peak(err: str) -> str:
    text = "\n".join(ln for ln in err.splitlines() if not ln.startswith(_PEAK_MARK)).strip("\n")
    return text + "\n" if text else ""


def wb(*args: str, **kwargs: Any) -> Capped:
    """`workbench ARGS` under the memory cap (see `run_capped`), the worktree's code."""
    return run_capped([sys.executable, "-c", _WRAPPER, *args], **kwargs)


def python_capped(code: str, *, args: list[str] = (), **kwargs: Any) -> Capped:  # type: ignore[assignment]
    """Python `code` under the memory cap (for core-level attacks); peak RSS reported the same way."""
    prologue = (
        "import atexit, os, resource, sys\n"
        f"atexit.register(lambda: os.write(2, ('\\n{_PEAK_MARK}%d\\n' % "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).encode()))\n"
    )
    return run_capped([sys.executable, "-c", prologue + code, *args], **kwargs)


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
