"""`workbench snippet NAME ([METHOD] PATH_OR_URL | --request SAVED) [--lang curl|httpie|python|fetch]`.

Prints the request as a curl or HTTPie command line, or a Python (httpx) or JavaScript
(fetch) program. The token is never in it: shell snippets call `$(workbench token NAME)`,
code reads WORKBENCH_TOKEN (run it with `workbench exec NAME -- ...`). Nothing is sent.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.commands.call import parse_headers, parse_json_body, parse_target
from workbench.core.errors import InputError
from workbench.core.request.codegen import snippet, snippet_request
from workbench.core.request.saved import render_saved

if TYPE_CHECKING:
    from workbench.core.context import AppContext

LANGS = ("curl", "httpie", "python", "fetch")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    snip = sub.add_parser(
        "snippet",
        help=summary("snippet"),
        description="Print the request as code for another tool; the token appears as "
        "$(workbench token NAME) (or redacted), never its value.",
        epilog="""examples:
  workbench snippet prod /me
  workbench snippet prod POST /orders --json-body '{"qty": 1}' --lang python
  workbench snippet prod --request new-order --lang fetch
""",
    )
    snip.add_argument("name", metavar="NAME", help="the profile whose token the code uses")
    snip.add_argument(
        "target",
        nargs="*",
        metavar="[METHOD] PATH_OR_URL",
        help="HTTP method (GET by default) and a path under the base URL or a full URL",
    )
    snip.add_argument("--request", metavar="SAVED", help="a saved request (see `workbench request list`)")
    snip.add_argument(
        "--env",
        metavar="NAME",
        help="an environment of the profile's saved requests (an imported named variable set)",
    )
    snip.add_argument("--lang", choices=LANGS, default="curl", help="the code to print (default curl)")
    snip.add_argument(
        "-H", dest="headers", action="append", default=[], metavar="'K: V'", help="a header (repeatable)"
    )
    snip.add_argument("--json-body", metavar="JSON", help="a JSON body")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    import json

    profile = ctx.profiles.get(args.name)
    extra = parse_headers(list(args.headers or []))
    if args.request is not None:
        if args.target or args.json_body is not None:
            raise InputError(
                "give either [METHOD] PATH_OR_URL (with --json-body) or --request SAVED, not both"
            )

        rendered = render_saved(ctx, profile.name, args.request, env=args.env, reveal_secrets=False)
        headers = {k: v for k, v in rendered.headers.items() if k.lower() not in {e.lower() for e in extra}}
        headers.update(extra)
        method, target, body = rendered.method, rendered.target, rendered.content
    else:
        if not args.target:
            raise InputError("give [METHOD] PATH_OR_URL after the profile name, or --request SAVED")
        method, target = parse_target(list(args.target))
        headers = dict(extra)
        body = None
        if args.json_body is not None:
            value = parse_json_body(args.json_body)
            body = json.dumps(value).encode()
            if len(args.target) == 1:
                method = "POST"
            if not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/json"
    request = snippet_request(profile, method, target, list(headers.items()), body)
    sys.stdout.write(snippet(request, args.lang) + "\n")
    return 0
