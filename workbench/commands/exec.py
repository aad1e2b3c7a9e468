"""`workbench exec NAME -- CMD [ARG]...`: run a command with the profile's token in its environment.

The child (and only the child) gets `WORKBENCH_TOKEN` (the bare access token) and
`WORKBENCH_AUTHORIZATION` (the header value, `Bearer …`); workbench's own environment,
the shell's and files never hold them. The exit status is the child's: on POSIX workbench
replaces itself with the command (as `exec` in a shell does), so signals, the terminal and
the status are the child's own; on Windows it waits and passes the status on.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.commands.token import authorization, obtain, refuse_unprintable
from workbench.core.errors import InputError, user_message

if TYPE_CHECKING:
    from workbench.core.context import AppContext

TOKEN_VAR = "WORKBENCH_TOKEN"  # noqa: S105 - an environment variable's name, not a value
AUTHORIZATION_VAR = "WORKBENCH_AUTHORIZATION"

# What a shell answers for a command it cannot find / cannot run (POSIX 2.8.2).
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126

EPILOG = f"""\
the command sees:
  {TOKEN_VAR}          the access token
  {AUTHORIZATION_VAR}  the header value, e.g. "Bearer eyJ…"

examples:
  workbench exec prod -- sh -c 'curl -H "Authorization: $WORKBENCH_AUTHORIZATION" https://api.example.com/me'
  workbench exec prod -- python scripts/sync.py --dry-run
  workbench exec prod -- env | grep WORKBENCH_     # see what the child gets

The exit status is the command's; a command that cannot be found exits 127.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    ex = sub.add_parser(
        "exec",
        help=summary("exec"),
        description=(
            f"Run CMD with {TOKEN_VAR} and {AUTHORIZATION_VAR} set for it alone; "
            "its exit status becomes workbench's."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("name", metavar="NAME", help="the profile whose token the command gets")
    ex.add_argument(
        "argv",  # not "command": that is the top-level parser's dest
        nargs=argparse.REMAINDER,
        metavar="-- CMD [ARG]...",
        help="the command to run and its arguments (after --)",
    )


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    argv = list(args.argv)
    if argv and argv[0] == "--":  # argparse keeps the separator on some Python versions
        argv = argv[1:]
    if not argv:
        raise InputError(f"no command to run (write it after --: `workbench exec {args.name} -- CMD ARG...`)")
    import shutil

    program = argv[0]
    # Find the program before obtaining a token, so a typo costs no provider round trip.
    if os.sep in program or (os.altsep and os.altsep in program):
        resolved = program if os.path.exists(program) else None  # a path: used as given
    else:
        resolved = shutil.which(program)  # a name: looked up on PATH, as a shell does
    if resolved is None:
        print(f"workbench: error: command not found: {_shown(program)}", file=sys.stderr)
        return EXIT_NOT_FOUND

    result = obtain(ctx, args.name)
    _header, value = authorization(ctx, args.name, result)
    refuse_unprintable(args.name, value)
    env = dict(os.environ)
    env[TOKEN_VAR] = result.access_token
    env[AUTHORIZATION_VAR] = value
    sys.stdout.flush()
    sys.stderr.flush()

    if os.name == "posix":
        ctx.close()  # nothing of ours outlives the exec: flush history, close connections
        try:
            os.execve(resolved, argv, env)  # noqa: S606 - the user's own command, as argv
        except OSError as exc:
            print(f"workbench: error: cannot run {_shown(program)}: {exc.strerror}", file=sys.stderr)
            return EXIT_CANNOT_RUN
    import subprocess

    try:
        completed = subprocess.run([resolved, *argv[1:]], env=env, check=False)
    except OSError as exc:
        print(f"workbench: error: cannot run {_shown(program)}: {exc.strerror}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        return 130
    return completed.returncode


def _shown(program: str) -> str:
    return user_message(InputError(program[:200]))
