"""`workbench sandbox [--port N]`: run the provider emulators in the foreground.

stdout carries exactly one JSON line, `{"url", "presets": {preset: {"base_url", "vars", "secrets"}}}`,
ready for `workbench profile add NAME --preset P --base-url .. --set .. --secret ..`. The secrets
in it are demo values that only this sandbox process accepts.
"""

from __future__ import annotations

import argparse
import errno

from workbench.cli import summary
from workbench.core.context import AppContext
from workbench.core.errors import InputError
from workbench.sandbox.runner import serve_in_foreground

MAX_PORT = 65535


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    sb = sub.add_parser(
        "sandbox",
        help=summary("sandbox"),
        description="Serve an emulator of every preset's provider on 127.0.0.1. The first stdout line is "
        "JSON with each preset's base URL and demo credentials; it serves until interrupted.",
        epilog="""examples:
  workbench sandbox --port 8765
  workbench sandbox | head -1 | jq -r '.presets["token-of-trust"].base_url'
""",
    )
    sb.add_argument("--port", type=int, default=0, help="the port to listen on (default: any free port)")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    port = int(args.port)
    if not 0 <= port <= MAX_PORT:
        raise InputError(f"--port must be between 0 and {MAX_PORT} (0 picks any free port), not {port}")

    try:
        return serve_in_foreground(port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"port {port} is already in use; pick another with --port, or --port 0 for any free port"
            ) from None
        if exc.errno == errno.EACCES:
            raise InputError(f"not allowed to listen on port {port}; use a port above 1023") from None
        raise
