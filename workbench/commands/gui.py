"""`workbench gui [--demo] [--screenshot PNG]` (and plain `workbench`): the desktop app.

Qt is imported here, never by the other commands.
"""

from __future__ import annotations

import argparse

from workbench.cli import summary
from workbench.core.context import AppContext
from workbench.core.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    g = sub.add_parser(
        "gui",
        help=summary("gui"),
        description="Open the desktop app: profiles, tokens with live countdowns, requests, the inspector.",
        epilog="""examples:
  workbench                                   # the same as `workbench gui`
  workbench gui --demo                        # offline: the embedded sandbox and a demo profile per preset
  workbench gui --demo --screenshot shot.png  # render the window to a PNG and exit (smoke test)
""",
    )
    g.add_argument("--demo", action="store_true", help="start the embedded sandbox and load demo profiles")
    g.add_argument("--screenshot", metavar="PNG", help="render the main window to PNG and exit")


def _no_display() -> bool:
    """On X11/Wayland systems: no display to open a window on, and no Qt platform chosen."""
    import os
    import sys

    if sys.platform in ("darwin", "win32") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    if _no_display():
        # Qt would abort the process (SIGABRT) with several lines about xcb plugins.
        if not getattr(args, "screenshot", None):
            raise InputError(
                "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set); "
                "headless, render it with `workbench gui --demo --screenshot out.png`"
            )
        import os

        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no display
    from workbench.gui.app import run_app

    return run_app(ctx, demo=bool(getattr(args, "demo", False)), screenshot=getattr(args, "screenshot", None))
