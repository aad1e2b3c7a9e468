"""`workbench history [NAME] [--json] [--limit N]`: past requests, newest first.

Each row: time (UTC), profile, method, status, duration, response size, redacted URL
(and the error line of a request that failed). Never headers or bodies. Also:
`--search TEXT`, `--clear` (everything, or NAME's rows), `--off` / `--on` (stop or
resume recording, for every process using this WORKBENCH_HOME).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from workbench.cli import summary
from workbench.core.profiles.profile import validate_profile_name
from workbench.core.storage.history import History

if TYPE_CHECKING:
    from workbench.core.context import AppContext

DEFAULT_LIMIT = 50
MAX_LIMIT = 1_000_000


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:20]}' is not a whole number") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    hist = sub.add_parser(
        "history",
        help=summary("history"),
        epilog="""examples:
  workbench history                      # the latest requests of every profile
  workbench history prod --limit 200
  workbench history --search 401 --json
  workbench history prod --clear
""",
    )
    hist.add_argument("name", nargs="?", help="only this profile's requests")
    hist.add_argument("--json", action="store_true", help="print the rows as JSON")
    hist.add_argument(
        "--limit", type=_limit, default=DEFAULT_LIMIT, metavar="N", help="show at most N rows, newest first"
    )
    hist.add_argument(
        "--search", metavar="TEXT", default="", help="only rows whose URL, method, status … contain TEXT"
    )
    action = hist.add_mutually_exclusive_group()
    action.add_argument("--clear", action="store_true", help="forget the history (of NAME, if given)")
    action.add_argument("--off", action="store_true", help="stop recording requests")
    action.add_argument("--on", action="store_true", help="record requests again")


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return "-"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    name = validate_profile_name(args.name) if args.name else None
    history = History()
    if args.clear:
        removed = history.clear(name)
        print(f"history cleared ({removed} request{'s' * (removed != 1)}"
              f"{' of ' + repr(name) if name else ''})", file=sys.stderr)  # fmt: skip
        return 0
    if args.off or args.on:
        history.set_enabled(bool(args.on))
        state = "on: requests are recorded" if args.on else "off: requests are not recorded"
        print(f"history is {state}", file=sys.stderr)
        return 0
    rows = history.search(args.search, profile=name, limit=args.limit)
    if args.json:
        keys = ("time", "profile", "method", "url", "status", "duration", "size", "error")
        json.dump([{k: row[k] for k in keys} for row in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif rows:
        out = []
        for row in rows:
            status = str(row["status"]) if row["status"] is not None else "ERR"
            line = (f"{row['time']}  {row['profile']}  {row['method']:<6} {status:>3}  "
                    f"{_duration(row['duration']):>8}  {_size(row['size']):>8}  {row['url']}")  # fmt: skip
            if row["error"]:
                line += f"  ({row['error']})"
            out.append(line)
        sys.stdout.write("\n".join(out) + "\n")
    else:
        print("no requests recorded yet" + (f" for '{name}'" if name else ""), file=sys.stderr)
    if not history.enabled:
        print("workbench: note: history is off (`workbench history --on` records again)", file=sys.stderr)
    return 0
