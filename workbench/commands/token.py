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
