"""`workbench call NAME [METHOD] PATH_OR_URL [-H 'K: V']... [--json-body JSON] [--allow-origin]
[--max-bytes N]`.

Sends an authenticated request through the engine (which obtains, renews and, after a
401, re-obtains the token once) and prints the response body to stdout. Exit 0 on a
2xx; otherwise the body is still printed and one line on stderr names the status and
the provider's own message (exit 1). The token goes only to the profile's own origin and
its `[settings] allowed_origins` unless `--allow-origin`; the answer is read up to 100 MiB
(`--max-bytes`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING, Any

from workbench.cli import summary
from workbench.core.engine.token_cache import learn_stored_clock_offset
from workbench.core.errors import InputError
from workbench.core.request.saved import render_saved

if TYPE_CHECKING:
    from workbench.core.context import AppContext

# RFC 9110 token characters: what a method or a header name may consist of.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_NO_JSON = object()


def parse_target(target: list[str]) -> tuple[str, str]:
    """`[PATH]` or `[METHOD, PATH]` → (METHOD, PATH); GET by default (POST when a body is given)."""
    if len(target) == 1:
        return "GET", target[0]
    if len(target) == 2:
        method, path = target
        if not _TOKEN.match(method) or not method.isalpha():
            raise InputError(
                f"'{method[:20]}' is not an HTTP method (use e.g. GET, POST, PUT, PATCH, DELETE)"
            )
        return method.upper(), path
    raise InputError(f"expected [METHOD] PATH_OR_URL after the profile name, got {len(target)} arguments")


def parse_headers(raw: list[str]) -> dict[str, str]:
    """`-H 'Name: value'` options → a dict. Values are never echoed in errors (they may be secrets)."""
    headers: dict[str, str] = {}
    for index, item in enumerate(raw, start=1):
        name, sep, value = item.partition(":")
        name = name.strip()
        if not sep or not name or not _TOKEN.match(name):
            raise InputError(f"-H option #{index} is not a header (write it as -H 'Name: value')")
        value = value.strip()
        if "\n" in value or "\r" in value:
            raise InputError(f"-H option #{index} ({name}) has a line break in its value")
        headers[name] = value
    return headers


def parse_json_body(text: str | None) -> Any:
    if text is None:
        return _NO_JSON
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--json-body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError("--json-body is nested too deeply to be a request body") from None
    except ValueError:  # Python refuses integers of more than 4,300 digits (int_max_str_digits)
        limit = sys.get_int_max_str_digits()
        raise InputError(
            f"--json-body holds a number of more than {limit} digits; not a request body"
        ) from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    call = sub.add_parser(
        "call",
        help=summary("call"),
        description="Send a request with the profile's token and print the answer's body. Exit 0 on a "
        "2xx; on a 401 a fresh token is obtained once and the request retried once.",
        epilog="""examples:
  workbench call prod /me                                  # GET {base_url}/me
  workbench call prod POST /orders --json-body '{"qty": 1}'
  workbench call prod GET https://api.example.com/v2/items -H 'Accept: application/json'
  workbench call prod --request list-orders                # a saved request (workbench request list prod)
""",
    )
    call.add_argument("name", metavar="NAME", help="the profile whose token authenticates the request")
    call.add_argument(
        "target",
        nargs="*",
        metavar="[METHOD] PATH_OR_URL",
        help="HTTP method (GET by default, POST with a body) and a path under the base URL or a full URL",
    )
    call.add_argument("--request", metavar="SAVED", help="send a saved request")
    call.add_argument(
        "--env",
        metavar="NAME",
        help="an environment of the profile's saved requests (an imported named variable set)",
    )
    call.add_argument(
        "-H", dest="headers", action="append", default=[], metavar="'K: V'", help="add a header (repeatable)"
    )
    call.add_argument(
        "--json-body", metavar="JSON", help="send this JSON as the body (Content-Type: application/json)"
    )
    call.add_argument(
        "--allow-origin",
        action="store_true",
        help="send the profile's credentials to a URL outside its own origin and allowed_origins",
    )
    call.add_argument(
        "--max-bytes",
        type=_positive_int,
        metavar="N",
        help="read at most N bytes of the answer (default 100 MiB)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text[:20]}' is not a whole number of bytes") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    profile = ctx.profiles.get(args.name)
    if profile.pending and profile.missing_required():
        raise InputError(profile.pending_message(), hint=profile.pending_hint())
    if args.env is not None and args.request is None:
        raise InputError("--env applies to a saved request: give --request SAVED too")
    if args.request is not None:
        return _send(args, ctx, *_saved(args, ctx))
    if not args.target:
        raise InputError("give [METHOD] PATH_OR_URL after the profile name, or --request SAVED")
    method, target = parse_target(list(args.target))
    headers = parse_headers(list(args.headers or []))
    body = parse_json_body(args.json_body)
    if len(args.target) == 1 and body is not _NO_JSON:
        method = "POST"  # a body without a method means POST, as with curl -d
    kwargs: dict[str, Any] = {"headers": headers}
    if body is None:
        # JSON `null` is a body too; the engine reads json_body=None as "no body".
        kwargs["content"] = b"null"
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    elif body is not _NO_JSON:
        kwargs["json_body"] = body
    return _send(args, ctx, method, target, kwargs)


def _saved(args: argparse.Namespace, ctx: AppContext) -> tuple[str, str, dict[str, Any]]:
    """`--request SAVED`: the saved request rendered; `-H` adds or replaces headers."""

    if args.target or args.json_body is not None:
        raise InputError("give either [METHOD] PATH_OR_URL (with --json-body) or --request SAVED, not both")
    rendered = render_saved(ctx, args.name, args.request, env=args.env)
    headers = dict(rendered.headers)
    for key, value in parse_headers(list(args.headers or [])).items():
        headers = {k: v for k, v in headers.items() if k.lower() != key.lower()}
        headers[key] = value
    return rendered.method, rendered.target, {"headers": headers, "content": rendered.content}


def _send(args: argparse.Namespace, ctx: AppContext, method: str, target: str, kwargs: dict[str, Any]) -> int:
    # As `token` does: this process has seen no `Date` yet, so start from the offset last learnt
    # (expiry is judged, and true-markets' timestamps are signed, on the provider's clock).
    learn_stored_clock_offset(ctx.profiles.get(args.name), clock=ctx.clock)
    engine = ctx.engine
    kwargs["allow_origin"] = bool(args.allow_origin)
    if args.max_bytes is not None:
        kwargs["max_bytes"] = args.max_bytes
    result = engine.call(args.name, method, target, **kwargs)
    out = sys.stdout.buffer
    if result.body:
        out.write(result.body)
        if not result.body.endswith(b"\n"):
            out.write(b"\n")
    out.flush()
    if result.ok:
        return 0
    raise engine.describe_failure(args.name, result)
