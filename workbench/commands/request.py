"""`workbench request list NAME | save NAME SAVED [METHOD] PATH_OR_URL [-H ..] [--json-body J]`,
`workbench request rm NAME SAVED`.

Saved requests live in `$WORKBENCH_HOME/requests/NAME.toml` (git-friendly TOML, no secret
values, `{{ }}` templates allowed; see `workbench.core.saved_requests`). Send one with
`workbench call NAME --request SAVED`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser (imported at parse time: keep module-level imports light)."""
    req = sub.add_parser("request", help="saved requests of a profile (list, save, rm)")
    rsub = req.add_subparsers(dest="request_command", parser_class=type(req), metavar="ACTION", required=True)
    lst = rsub.add_parser("list", help="list a profile's saved requests")
    lst.add_argument("name")
    lst.add_argument("--json", action="store_true")
    save = rsub.add_parser("save", help="save (or replace) a request")
    save.add_argument("name")
    save.add_argument("saved", metavar="SAVED")
    save.add_argument("target", nargs="+", metavar="[METHOD] PATH_OR_URL")
    save.add_argument("-H", dest="headers", action="append", default=[], metavar="'K: V'")
    save.add_argument("--json-body", metavar="JSON")
    rm = rsub.add_parser("rm", help="remove a saved request")
    rm.add_argument("name")
    rm.add_argument("saved", metavar="SAVED")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    from workbench.core.profiles import validate_profile_name
    from workbench.core.saved_requests import SavedRequestStore

    name = validate_profile_name(args.name)
    ctx.profiles.get(name)  # the profile must exist: one clear line if not
    store = SavedRequestStore()
    action = args.request_command
    if action == "list":
        requests = store.list(name)
        if args.json:
            rows = [{"name": r.name, **r.to_data()} for r in requests]
            json.dump(rows, sys.stdout, indent=2)
            sys.stdout.write("\n")
            return 0
        if not requests:
            print(f"profile '{name}' has no saved requests (save one with `workbench request save`)",
                  file=sys.stderr)  # fmt: skip
            return 0
        width = max(len(r.name) for r in requests)
        for r in requests:
            print(f"{r.name:<{width}}  {r.method:<7} {r.url}")
        return 0
    if action == "save":
        return _save(args, name, store)
    if action == "rm":
        store.remove(name, args.saved)
        print(f"saved request '{args.saved}' of profile '{name}' removed", file=sys.stderr)
        return 0
    from workbench.core.errors import InputError

    raise InputError(f"unknown request action '{action}'")


def _save(args: argparse.Namespace, name: str, store: object) -> int:
    from workbench.commands.call import parse_headers, parse_target
    from workbench.core.errors import InputError
    from workbench.core.saved_requests import SavedRequest, SavedRequestStore

    assert isinstance(store, SavedRequestStore)
    method, target = parse_target(list(args.target))
    headers = parse_headers(list(args.headers or []))
    body = args.json_body
    if body is not None:
        if len(args.target) == 1:
            method = "POST"  # a body without a method means POST, as with `call`
        if "{{" not in body and "{%" not in body:
            try:
                json.loads(body)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"--json-body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                ) from None
    request = SavedRequest(
        name=args.saved, method=method, url=target, headers=tuple(headers.items()),
        body=body, body_type="json" if body is not None else None,
    )  # fmt: skip
    replaced = store.save(name, request)
    print(f"saved request '{args.saved}' of profile '{name}' {'replaced' if replaced else 'saved'}"
          f" ({store.path_for(name)})", file=sys.stderr)  # fmt: skip
    return 0
