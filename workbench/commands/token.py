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
    result = engine.get_token(args.name, force=force)
    if args.json:
        out = json.dumps(result.to_json(ctx.clock.now()))
    else:
        out = result.access_token
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    return 0
