"""The `workbench` command line: argparse front end over `workbench.core`.

The command set and its output are a public contract (see DESIGN.md). Every
command module under `workbench.commands` exposes `run(args, ctx) -> int` and is
imported only when its command runs, so `workbench token` never imports Qt.
Errors reach the user as one line on stderr through `errors.user_message`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from workbench import __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, no usage dump: the contract is "one clear line on stderr".
        from workbench.core.errors import InputError, user_message

        message = user_message(InputError(message))  # one line, no control characters from argv
        self.exit(2, f"workbench: error: {message} (see `workbench {self._cmd_hint()}--help`)\n")

    def _cmd_hint(self) -> str:
        parts = self.prog.split()[1:]
        return " ".join(parts) + " " if parts else ""


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="workbench", description="Mint, refresh, inspect and use JWTs for many API providers.")
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    g = sub.add_parser("gui", help="the desktop app (default)")
    g.add_argument("--demo", action="store_true", help="start the embedded sandbox and load demo profiles")
    g.add_argument("--screenshot", metavar="PNG", help="render the main window to PNG and exit")

    prof = sub.add_parser("profile", help="manage provider profiles")
    psub = prof.add_subparsers(dest="profile_command", parser_class=_Parser, metavar="ACTION", required=True)
    add = psub.add_parser("add", help="create a profile from a preset")
    add.add_argument("name")
    add.add_argument("--preset", required=True)
    add.add_argument("--base-url", required=True)
    add.add_argument("--set", dest="sets", action="append", default=[], metavar="K=V")
    add.add_argument("--secret", dest="secrets", action="append", default=[], metavar="K=V|K=@FILE")
    lst = psub.add_parser("list", help="list profiles")
    lst.add_argument("--json", action="store_true")
    for action in ("show", "rm", "export"):
        a = psub.add_parser(action, help=f"{action} a profile")
        a.add_argument("name")
    imp = psub.add_parser("import", help="import a profile file")
    imp.add_argument("file")

    tok = sub.add_parser("token", help="print a valid access token")
    tok.add_argument("name")
    tok.add_argument("--json", action="store_true")
    force = tok.add_mutually_exclusive_group()
    force.add_argument("--refresh", action="store_true", help="refresh now, even if the token is still valid")
    force.add_argument("--mint", action="store_true", help="mint a new token now")

    call = sub.add_parser("call", help="send an authenticated request")
    call.add_argument("name")
    call.add_argument("target", nargs="+", metavar="[METHOD] PATH_OR_URL")
    call.add_argument("-H", dest="headers", action="append", default=[], metavar="'K: V'")
    call.add_argument("--json-body", metavar="JSON")

    dec = sub.add_parser(
        "decode",
        help="decode and check a JWT",
        description="Show a JWT's header, claims, times and warnings; check its signature when given a key. "
        "Header keys (jku, x5u, jwk) are shown, never fetched or trusted.",
        epilog="Exit status: 0 when the token decoded (even if expired); 1 when it is malformed, or when a "
        "key was given and the signature is not valid (the result is printed first, then stderr says "
        "'signature is not valid').",
    )
    dec.add_argument("token", metavar="TOKEN|-", help="the JWT (a 'Bearer ' prefix is fine); - reads stdin")
    keyopt = dec.add_mutually_exclusive_group()
    keyopt.add_argument("--secret", metavar="S", help="HMAC secret; @FILE reads it from a file")
    keyopt.add_argument("--key", metavar="PEM_OR_JWK_FILE", help="public key file: PEM, JWK or JWKS")
    keyopt.add_argument("--jwks", metavar="URL_OR_FILE", help="JWKS URL or file; the key is picked by kid")
    dec.add_argument("--json", action="store_true", help="print the result as JSON")

    kg = sub.add_parser(
        "keygen",
        help="generate a key pair",
        epilog="--out DIR writes private.pem (PKCS#8, mode 0600), public.pem and public.jwk.json "
        "(kid = RFC 7638 thumbprint). --profile NAME stores the private key in that profile's vault "
        "entry private_key and prints the public PEM and JWK. With neither, the private key PEM is "
        "printed to stdout with the public parts, and nothing is saved.",
    )
    kg.add_argument("--alg", default="ES256", choices=["ES256", "ES384", "RS256", "EdDSA"])
    kg.add_argument("--out", metavar="DIR")
    kg.add_argument("--profile", metavar="NAME", help="store the private key in this profile's vault entry")

    sb = sub.add_parser("sandbox", help="run the local provider emulators")
    sb.add_argument("--port", type=int, default=0)

    st = sub.add_parser("self-test", help="check every preset end to end against the embedded sandbox")
    st.add_argument("--json", action="store_true")
    return p


_COMMAND_MODULES = {
    "gui": "workbench.commands.gui",
    "profile": "workbench.commands.profile",
    "token": "workbench.commands.token",
    "call": "workbench.commands.call",
    "decode": "workbench.commands.decode",
    "keygen": "workbench.commands.keygen",
    "sandbox": "workbench.commands.sandbox",
    "self-test": "workbench.commands.selftest",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "gui"
    if command == "gui" and not hasattr(args, "demo"):
        args.demo, args.screenshot = False, None

    from workbench.core.context import AppContext
    from workbench.core.errors import user_message

    ctx = AppContext()
    try:
        module = importlib.import_module(_COMMAND_MODULES[command])
        return int(module.run(args, ctx) or 0)
    except KeyboardInterrupt:
        # Ctrl-C: one line, no traceback; nothing half-done was stored (the vault writes are ordered).
        print("workbench: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, never a traceback
        message = user_message(exc)
        vault = ctx.__dict__.get("vault")
        if vault is not None and getattr(vault, "warning", None) and "keychain" in message:
            message += (
                "; note: no usable OS keychain here, so secrets given to earlier runs were kept"
                " in memory only and are gone"
            )
        print(f"workbench: error: {message}", file=sys.stderr)
        return 1
    finally:
        try:
            ctx.close()
        except Exception:  # noqa: S110 - closing must not mask the command's own outcome
            pass


if __name__ == "__main__":
    sys.exit(main())
