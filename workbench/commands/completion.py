"""`workbench completion bash|zsh|fish`: a shell completion script generated from the parser.

The script is made by `shtab` from the same argparse tree `workbench` parses with, so
every command and option added later is completed without touching this file. Profile
names (`NAME`, `--profile`) and preset names (`--preset`) are completed live: the script
runs `workbench completion --list profiles|presets`, which reads the folders and nothing
else (no keychain, no network).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.cli import build_parser, summary
from workbench.core.errors import InputError

if TYPE_CHECKING:
    from workbench.core.context import AppContext

SHELLS = ("bash", "zsh", "fish")
LISTS = ("profiles", "presets")
# Argument destinations that name an existing profile / a preset, in any command.
PROFILE_DESTS = frozenset({"name", "profile"})
PRESET_DESTS = frozenset({"preset"})
FILE_DESTS = frozenset({"file", "screenshot", "key"})
DIRECTORY_DESTS = frozenset({"out"})

EPILOG = """\
examples (install once):
  bash   workbench completion bash > ~/.local/share/bash-completion/completions/workbench
  zsh    workbench completion zsh > "${fpath[1]}/_workbench"     # then: compinit
  fish   workbench completion fish > ~/.config/fish/completions/workbench.fish

or for this shell only:
  source <(workbench completion bash)
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    comp = sub.add_parser(
        "completion",
        help=summary("completion"),
        description="Print a completion script for SHELL on stdout; it completes commands, options, "
        "profile names and preset names.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    comp.add_argument("shell", nargs="?", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    comp.add_argument(
        "--list",
        choices=LISTS,
        dest="list_what",
        help="print the profile or preset names, one a line (what the scripts call to complete names)",
    )


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.list_what:
        if args.shell:
            raise InputError("give either a SHELL or --list, not both")
        names = ctx.profiles.names() if args.list_what == "profiles" else ctx.presets.names()
        sys.stdout.write("".join(f"{n}\n" for n in names))
        return 0
    if not args.shell:
        raise InputError("which shell? (workbench completion bash|zsh|fish)")
    sys.stdout.write(script(args.shell))
    return 0


def script(shell: str) -> str:
    """The completion script for `shell`, from a fresh parser annotated with name completers."""
    import shtab

    parser = build_parser()
    profiles = shtab.cmd("workbench completion --list profiles 2>/dev/null")
    presets = shtab.cmd("workbench completion --list presets 2>/dev/null")
    for action in _all_actions(parser):
        if action.dest in PROFILE_DESTS:
            action.complete = profiles  # type: ignore[attr-defined]
        elif action.dest in PRESET_DESTS:
            action.complete = presets  # type: ignore[attr-defined]
        elif action.dest in FILE_DESTS:
            action.complete = shtab.FILE  # type: ignore[attr-defined]
        elif action.dest in DIRECTORY_DESTS:
            action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]
    text: str = shtab.complete(parser, shell=shell)
    return text if text.endswith("\n") else text + "\n"


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found: list[argparse.Action] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.extend(_all_actions(child))
        else:
            found.append(action)
    return found
