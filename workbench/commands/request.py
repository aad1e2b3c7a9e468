"""`workbench request list NAME | save NAME SAVED [METHOD] PATH_OR_URL [-H ..] [--json-body J]`,
`workbench request rm NAME SAVED`.

Saved requests live in `$WORKBENCH_HOME/requests/NAME.toml` (git-friendly TOML, no secret
values, `{{ }}` templates allowed; see `workbench.core.request.saved`). Send one with
`workbench call NAME --request SAVED`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.commands.call import parse_headers, parse_json_body, parse_target
from workbench.core.errors import InputError
from workbench.core.profiles.profile import validate_profile_name
from workbench.core.request.saved import SavedRequest, SavedRequestStore

if TYPE_CHECKING:
    from workbench.core.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    req = sub.add_parser(
        "request",
        help=summary("request"),
        description="Saved requests are TOML beside the profile (no secret values; {{ }} templates allowed).",
    )
    rsub = req.add_subparsers(dest="request_command", parser_class=type(req), metavar="ACTION", required=True)
    lst = rsub.add_parser(
        "list",
        help="list a profile's saved requests",
        epilog="examples:\n"
        "  workbench request list prod\n"
        "  workbench request list prod --json | jq -r '.[].name'\n",
    )
    lst.add_argument("name", metavar="NAME", help="the profile")
    lst.add_argument("--json", action="store_true", help="print the list as JSON")
    lst.add_argument(
        "--env",
        metavar="NAME",
        help="show URLs in an environment of the profile's saved requests (an imported named variable set)",
    )
    save = rsub.add_parser(
        "save",
        help="save (or replace) a request",
        epilog="""examples:
  workbench request save prod me /me
  workbench request save prod new-order POST /orders --json-body '{"qty": {{ qty | default(1) }}}'
  workbench call prod --request new-order
""",
    )
    save.add_argument("name", metavar="NAME", help="the profile the request belongs to")
    save.add_argument("saved", metavar="SAVED", help="the saved request's name")
    save.add_argument(
        "target",
        nargs="+",
        metavar="[METHOD] PATH_OR_URL",
        help="HTTP method (GET by default) and a path under the base URL or a full URL",
    )
    save.add_argument(
        "-H", dest="headers", action="append", default=[], metavar="'K: V'", help="a header (repeatable)"
    )
    save.add_argument("--json-body", metavar="JSON", help="a JSON body ({{ }} templates allowed)")
    rm = rsub.add_parser(
        "rm", help="remove a saved request", epilog="examples:\n  workbench request rm prod new-order\n"
    )
    rm.add_argument("name", metavar="NAME", help="the profile")
    rm.add_argument("saved", metavar="SAVED", help="the saved request to remove")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    name = validate_profile_name(args.name)
    ctx.profiles.get(name)  # the profile must exist: one clear line if not
    store = SavedRequestStore()
    action = args.request_command
    if action == "list":
        return _list(args, name, store)
    if action == "save":
        return _save(args, name, store)
    if action == "rm":
        store.remove(name, args.saved)
        print(f"saved request '{args.saved}' of profile '{name}' removed", file=sys.stderr)
        return 0

    raise InputError(f"unknown request action '{action}'")


def _list(args: argparse.Namespace, name: str, store: object) -> int:
    """Saved requests grouped by the folder they came from, with the title they had there."""
    import re

    assert isinstance(store, SavedRequestStore)
    file = store.load(name)
    values = file.variables(args.env) if args.env is not None else {}
    requests = sorted(file.requests.values(), key=lambda r: r.folder)  # stable: file order in a folder

    def shown(url: str) -> str:
        if not values:
            return url
        return re.sub(
            r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), url
        )

    if args.json:
        rows = [
            {"name": r.name, **r.to_data(), **({"url": shown(r.url)} if values else {})} for r in requests
        ]
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not requests:
        print(f"profile '{name}' has no saved requests (save one with `workbench request save`)",
              file=sys.stderr)  # fmt: skip
        return 0
    width = max(len(r.name) for r in requests)
    folder = ""
    for r in requests:
        if r.folder != folder:
            folder = r.folder
            print(f"{folder}/")
        indent = "  " if folder else ""
        title = f"  ({r.title})" if r.title and r.title != r.name else ""
        print(f"{indent}{r.name:<{width}}  {r.method:<7} {shown(r.url)}{title}")
    if file.envs:
        print(f"environments (--env NAME): {', '.join(file.envs)}", file=sys.stderr)
    return 0


def _save(args: argparse.Namespace, name: str, store: object) -> int:
    assert isinstance(store, SavedRequestStore)
    method, target = parse_target(list(args.target))
    headers = parse_headers(list(args.headers or []))
    body = args.json_body
    if body is not None:
        if len(args.target) == 1:
            method = "POST"  # a body without a method means POST, as with `call`
        if "{{" not in body and "{%" not in body:
            parse_json_body(body)
    request = SavedRequest(
        name=args.saved, method=method, url=target, headers=tuple(headers.items()),
        body=body, body_type="json" if body is not None else None,
    )  # fmt: skip
    replaced = store.save(name, request)
    print(f"saved request '{args.saved}' of profile '{name}' {'replaced' if replaced else 'saved'}"
          f" ({store.path_for(name)})", file=sys.stderr)  # fmt: skip
    return 0
