"""`python -m workbench.sandbox [--port N]`: the same as `workbench sandbox`."""

from __future__ import annotations

import argparse
import sys

from workbench.sandbox.runner import serve_in_foreground


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbench.sandbox", description="Run the local provider emulators."
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    args = parser.parse_args(argv)
    try:
        return serve_in_foreground(args.port)
    except OSError as exc:
        print(
            f"sandbox: error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
