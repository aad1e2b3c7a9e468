"""`workbench token NAME [--format bare|json|header|exec-credential] [--refresh | --mint]`.

stdout carries only the result (plus a newline), so `$(workbench token NAME)` works:

* `bare` (default): the access token alone;
* `json` (also `--json`): the public JSON shape (`TokenResult.to_json`);
* `header`: the header line the profile sends, `Authorization: Bearer …`;
* `exec-credential`: a Kubernetes `ExecCredential` (`client.authentication.k8s.io/v1`) so a
  kubeconfig `exec:` entry can use a profile as its credential plugin.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from workbench.cli import summary
from workbench.core.engine.token_cache import fresh_stored_token, learn_stored_clock_offset
from workbench.core.errors import InputError

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.engine.token_engine import Force, TokenResult

FORMATS = ("bare", "json", "header", "exec-credential")
EXEC_CREDENTIAL_API_VERSION = "client.authentication.k8s.io/v1"

EPILOG = """\
examples:
  curl -H "Authorization: Bearer $(workbench token prod)" https://api.example.com/me
  curl -H "$(workbench token prod --format header)" https://api.example.com/me
  workbench token prod --json | jq -r .expires_at
  workbench token prod --refresh            # renew now, even if still valid

kubeconfig (kubectl runs workbench as its credential plugin):
  users:
  - name: prod
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: workbench
        args: [token, prod, --format, exec-credential]
        interactiveMode: Never
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    tok = sub.add_parser(
        "token",
        help=summary("token"),
        description="Print a valid access token of profile NAME (from the cache, or minted/refreshed).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tok.add_argument("name", metavar="NAME", help="the profile whose token to print")
    shape = tok.add_mutually_exclusive_group()
    shape.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output shape: bare token (default), JSON, an HTTP header line, or a Kubernetes ExecCredential",
    )
    shape.add_argument(
        "--json",
        action="store_true",
        help="same as --format json: token, type, expiry and how it was obtained",
    )
    force = tok.add_mutually_exclusive_group()
    force.add_argument("--refresh", action="store_true", help="refresh now, even if the token is still valid")
    force.add_argument("--mint", action="store_true", help="mint a new token now")


def authorization(ctx: AppContext, name: str, result: TokenResult) -> tuple[str, str]:
    """(header name, header value) the profile sends its token in: `Authorization`, `Bearer …`."""
    return ctx.profiles.get(name).token_spec.authorization(result.access_token, result.token_type)


def exec_credential(result: TokenResult) -> dict[str, Any]:
    """A Kubernetes `ExecCredential` (client.authentication.k8s.io/v1) carrying the token.

    `expirationTimestamp` (RFC 3339, UTC) tells kubectl how long it may reuse the token
    before running the plugin again; it is left out when the expiry is unknown.
    """
    status: dict[str, Any] = {"token": result.access_token}
    if result.expires_at is not None:
        from datetime import UTC, datetime

        status["expirationTimestamp"] = datetime.fromtimestamp(int(result.expires_at), tz=UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    return {"apiVersion": EXEC_CREDENTIAL_API_VERSION, "kind": "ExecCredential", "status": status}


def refuse_unprintable(name: str, text: str) -> None:
    """The last guard before a token leaves as text (stdout, a header line, a child's environment):
    provider tokens are checked when they arrive, but a pasted or imported one is not, and CR/LF
    would split a header line while an escape sequence would act on a terminal."""
    if not text.isprintable():
        raise InputError(
            f"the token of '{name}' holds control characters; not handed on "
            f"(store a clean one with `workbench profile set {name} --secret access_token`)"
        )


def obtain(ctx: AppContext, name: str, force: Force | None = None) -> TokenResult:
    """The engine's token, with a warning line for each problem it reported on the way.

    A fresh stored token is answered without building the engine (`core.token_cache`): that is
    the common case of `$(workbench token NAME)` and it should cost little more than reading
    the keychain.
    """

    profile = ctx.profiles.get(name)
    # This process has not seen the provider's `Date` yet: start from the offset last learnt.
    learn_stored_clock_offset(profile, clock=ctx.clock)
    if force is None:
        cached = fresh_stored_token(profile, vault=ctx.vault, clock=ctx.clock)
        if cached is not None:
            return cached
    engine = ctx.engine
    warnings: list[str] = []
    # A token obtained but not saved (keychain refused the write) still works for this call;
    # say so on stderr, since the next process will have to obtain its own.
    unsubscribe = engine.subscribe(
        lambda event: warnings.append(event.message) if event.kind == "failed" and event.message else None
    )
    try:
        result = engine.get_token(name, force=force)
    finally:
        unsubscribe()
    for message in dict.fromkeys(warnings):
        print(f"workbench: warning: {message}", file=sys.stderr)
    return result


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    force: Force | None = "refresh" if args.refresh else "mint" if args.mint else None
    shape = "json" if args.json else (args.format or "bare")
    result = obtain(ctx, args.name, force)
    refuse_unprintable(args.name, result.access_token)  # in JSON too: kubectl would send it as is
    if shape == "json":
        out = json.dumps(result.to_json(ctx.clock.now()))
    elif shape == "header":
        header, value = authorization(ctx, args.name, result)
        out = f"{header}: {value}"
    elif shape == "exec-credential":
        out = json.dumps(exec_credential(result))
    else:
        out = result.access_token
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    return 0
