"""`workbench token NAME [--json] [--refresh | --mint]`: print a valid access token.

stdout carries only the token (plus a newline), so `$(workbench token NAME)` works;
`--json` prints the public JSON shape (`TokenResult.to_json`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.engine import Force


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser (imported at parse time: keep module-level imports light)."""
    tok = sub.add_parser("token", help="print a valid access token")
    tok.add_argument("name")
    tok.add_argument("--json", action="store_true")
    force = tok.add_mutually_exclusive_group()
    force.add_argument("--refresh", action="store_true", help="refresh now, even if the token is still valid")
    force.add_argument("--mint", action="store_true", help="mint a new token now")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    force: Force | None = "refresh" if args.refresh else "mint" if args.mint else None
    engine = ctx.engine
    warnings: list[str] = []
    # A token obtained but not saved (keychain refused the write) still works for this call;
    # say so on stderr, since the next process will have to obtain its own.
    unsubscribe = engine.subscribe(
        lambda event: warnings.append(event.message) if event.kind == "failed" and event.message else None
    )
    try:
        result = engine.get_token(args.name, force=force)
    finally:
        unsubscribe()
    for message in dict.fromkeys(warnings):
        print(f"workbench: warning: {message}", file=sys.stderr)
    if args.json:
        out = json.dumps(result.to_json(ctx.clock.now()))
    else:
        out = result.access_token
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    return 0
