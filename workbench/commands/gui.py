"""`workbench gui [--demo] [--screenshot PNG]` (and plain `workbench`): the desktop app.

Qt is imported here, never by the other commands.
"""

from __future__ import annotations

import argparse

from workbench.core.context import AppContext


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    from workbench.gui.app import run_app

    return run_app(ctx, demo=bool(getattr(args, "demo", False)), screenshot=getattr(args, "screenshot", None))
