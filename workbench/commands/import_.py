"""`workbench import FILE|- [--format FORMAT] [--dry-run] [--all]`.

Every request of the file becomes a saved request or is listed with its reason; a profile
that still needs input is created pending (`workbench profile set` completes it).
Turns a curl command, a Postman v2.1 collection (plus `--environment ENV.json`), an
Insomnia v4/v5 export, Bruno `.bru` files or a collection folder, an OpenAPI 3 document
or a HAR file into profiles and saved requests, and a Google service-account JSON key into a
profile of the `google-service-account` preset (the key to the keychain, the rest to the
profile). stdout shows the plan (the same with
`--dry-run`, which writes nothing); the other origins a profile's saved requests use
become its `allowed_origins` only with `--trust` (its token is then sent there); secret
values go to the keychain and are never printed; what could not be mapped is listed under "not mapped".
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.core.errors import InputError
from workbench.core.importers import read_plan
from workbench.core.importers.apply import describe
from workbench.core.importers.common import MAX_IMPORT_BYTES
from workbench.core.operations.imports import import_collection, preview_import

if TYPE_CHECKING:
    from workbench.core.context import AppContext

FORMATS = ("curl", "postman", "insomnia", "bruno", "openapi", "har", "service-account")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    imp = sub.add_parser(
        "import",
        help=summary("import"),
        epilog="""examples:
  workbench import collection.postman_collection.json --environment staging.postman_environment.json
  pbpaste | workbench import - --format curl       # a copied curl command
  workbench import openapi.yaml --dry-run          # show what would be created, write nothing
  workbench import api.har --trust                 # its requests go to more than one origin
  workbench import my-project-1a2b3c.json          # a Google service-account key: key to the keychain
""",
    )
    imp.add_argument("file", metavar="FILE|-", help="the file (or a Bruno collection folder); - reads stdin")
    imp.add_argument("--format", choices=FORMATS, help="what FILE is (detected when left out)")
    imp.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    imp.add_argument(
        "--trust",
        action="store_true",
        help="let a profile's token go to the other origins its saved requests use (allowed_origins)",
    )
    imp.add_argument(
        "--environment", metavar="ENV_FILE", help="a Postman environment export for {{variables}}"
    )
    imp.add_argument(
        "--all", action="store_true", help="keep a HAR file's static assets too (images, fonts, CSS, JS)"
    )


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    stdin = None
    if args.file == "-":
        stream = getattr(sys.stdin, "buffer", None)
        stdin = stream.read(MAX_IMPORT_BYTES + 1) if stream is not None else sys.stdin.read().encode()
    plan = read_plan(
        args.file, args.format, presets=ctx.presets, stdin=stdin, environment=args.environment,
        keep_all=bool(args.all),
    )  # fmt: skip
    if not plan.profiles and not plan.requests:
        for line in describe(plan, preview_import(ctx, plan), dry_run=True):
            print(line)
        raise InputError(f"{plan.source}: nothing in it could be imported (see 'not mapped' above)")
    if args.dry_run:
        for line in describe(plan, preview_import(ctx, plan, trust=bool(args.trust)), dry_run=True):
            print(line)
        print("dry run: nothing was written", file=sys.stderr)
        return 0
    outcome = import_collection(ctx, plan, trust=bool(args.trust))
    for line in describe(plan, outcome, dry_run=False):
        print(line)
    for risk in outcome.risks:  # imported with --trust: say once what was accepted
        print(f"workbench: note: {risk}", file=sys.stderr)
    for name, origins in outcome.withheld.items():
        # Not "import again with --trust": an import never overwrites, it would add NAME-2.
        listed = ", ".join(f'"{o}"' for o in origins)
        print(
            f"workbench: note: profile '{name}' will not send its token to {', '.join(origins)}; if you "
            f"trust them, add  allowed_origins = [{listed}]  under [settings] in "
            f"{ctx.profiles.path_for(name)}",
            file=sys.stderr,
        )
    if outcome.vault_warning:
        print(f"workbench: warning: {outcome.vault_warning}", file=sys.stderr)
    print(
        f"imported {len(outcome.profiles)} profile(s) and {outcome.requests} saved request(s) "
        f"from {plan.source}"
        + (f"; {len(outcome.pending)} profile(s) pending more input (see above)" if outcome.pending else ""),
        file=sys.stderr,
    )
    return 0
