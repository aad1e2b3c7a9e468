"""`workbench logout NAME [--end-session]`: revoke a login's tokens at the issuer and forget them.

The same core operation as the GUI's Sign out (`oauth.signout.sign_out`). `--end-session` also
opens the provider's logout page (its `end_session_endpoint`, OIDC RP-Initiated Logout) in the
browser, so the provider's own session ends too; its URL is printed as well.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.core.oauth.login import default_opener
from workbench.core.oauth.signout import sign_out

if TYPE_CHECKING:
    from workbench.core.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    p = sub.add_parser(
        "logout",
        help=summary("logout"),
        description="Revoke the refresh token of profile NAME at its issuer (RFC 7009) and forget "
        "its tokens.",
        epilog="""examples:
  workbench logout corp                 # revoke at the issuer, forget here
  workbench logout corp --end-session   # and sign out at the provider too (opens its logout page)
""",
    )
    p.add_argument("name", help="profile name")
    p.add_argument(
        "--end-session",
        action="store_true",
        help="also open the provider's logout page (end_session_endpoint) in the browser",
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    outcome = sign_out(ctx, args.name, end_session=args.end_session)
    _say(f"logged out of '{args.name}': {outcome.message}")
    if args.end_session:
        if not outcome.end_session_url:
            _say("workbench: note: the issuer names no end_session_endpoint; its own session was left as is")
        elif default_opener(outcome.end_session_url):
            _say("Your browser has been opened to end the provider's session. If it did not open, visit:")
            _say(outcome.end_session_url)
        else:
            _say("workbench: could not start a browser; open this URL to end the provider's session:")
            _say(outcome.end_session_url)
    return 0
