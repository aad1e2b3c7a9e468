"""Run the sandbox in the foreground: one JSON line on stdout, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

import json
import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from workbench.sandbox.server import Sandbox


def serve_in_foreground(port: int = 0, *, host: str = "127.0.0.1", out: TextIO | None = None) -> int:
    """Print `{"url", "presets": {preset: {"base_url", "vars", "secrets"}}}` as one line, serve, exit 0.

    Raises OSError when the port cannot be bound (the caller words it for the user).
    """
    out = out or sys.stdout
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Sandbox(host=host, port=port) as sandbox:
            line = {"url": sandbox.url, "presets": sandbox.demo_profiles()}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
            out.flush()
            if sys.stderr.isatty():
                print(f"sandbox listening on {sandbox.url} (Ctrl-C to stop)", file=sys.stderr)
            # A timed wait keeps the main thread responsive to signals on every platform.
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
