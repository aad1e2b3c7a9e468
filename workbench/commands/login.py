"""`workbench login NAME [--no-browser] [--timeout S] [--param K=V]...`: the interactive OAuth login.

Everything the user must do goes to stderr (the URL to open, or the device code and where to
enter it); stdout stays empty, so scripts can run `workbench login NAME && workbench token NAME`.
Ctrl-C cancels: the listener's port is freed and nothing is stored.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.core.oauth.params import parse_param
from workbench.core.oauth.status import no_refresh_token_note
from workbench.core.operations.logins import log_in

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.oauth.login import LoginPrompt


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value <= 24 * 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 86400 seconds")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    p = sub.add_parser(
        "login",
        help=summary("login"),
        description="Run the interactive OAuth login of profile NAME and store its tokens.",
        epilog="""examples:
  workbench login corp                  # the system browser ($BROWSER honoured); the URL is printed too
  workbench login corp --no-browser     # open the printed URL yourself (e.g. on another machine)
  workbench login tv --timeout 600      # a device-code profile: enter the code shown on another device
  workbench login corp --param prompt=login --param login_hint=alice@example.com
""",
    )
    p.add_argument("name", help="profile name")
    p.add_argument(
        "--no-browser",
        action="store_true",
        help="do not start a browser; print the URL to open yourself",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        metavar="S",
        help="give up after S seconds without an answer (default 300)",
    )
    p.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="K=V",
        help="an extra authorization parameter (prompt, login_hint, max_age, acr_values, access_type, "
        "domain_hint, ...); replaces the profile's setting of that name",
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _show_prompt(prompt: LoginPrompt) -> None:
    if prompt.kind == "device":
        _say(f"To sign in, open {prompt.url} and enter the code:")
        _say("")
        _say(f"    {prompt.user_code}")
        _say("")
        if prompt.verification_uri_complete:
            _say(f"or open {prompt.verification_uri_complete}")
        _say("Waiting for approval (Ctrl-C cancels)…")
        return
    if prompt.browser_opened is False:
        _say("workbench: could not start a browser; open this URL to sign in:")
    elif prompt.browser_opened is None:
        _say("Open this URL in a browser to sign in:")
    else:
        _say("Your browser has been opened to sign in. If it did not open, visit:")
    _say(prompt.url)
    _say("Waiting for the browser (Ctrl-C cancels)…")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    params = dict(parse_param(item) for item in args.params)
    outcome = log_in(
        ctx,
        args.name,
        open_browser=not args.no_browser,
        timeout=args.timeout,
        on_prompt=_show_prompt,
        params=params,
    )
    token = outcome.token
    when = ""
    if token.expires_at is not None:
        from datetime import UTC, datetime

        when = (
            f"; access token valid until {datetime.fromtimestamp(token.expires_at, UTC):%Y-%m-%d %H:%M:%S}Z"
        )
    who = ""
    claims = outcome.id_token_claims or {}
    for claim in ("preferred_username", "email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            who = f" as {value}"
            break
    _say(f"logged in to '{args.name}'{who}{when}")
    note = no_refresh_token_note(outcome)
    if note:
        _say(f"workbench: note: {note}")
    return 0
