"""`workbench … --help` explains everything: each command says what it does, each argument and
option has a help string, and each command's epilog shows examples. Walks the real parser, so a
command or option added later without help fails here."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

from workbench.cli import build_parser

ROOT_COMMAND = "workbench"


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = (ROOT_COMMAND,)
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, bool]]:
    """(path, parser, is_leaf) for every command and sub-command."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    yield path, parser, not groups
    for group in groups:
        for name, child in group.choices.items():
            yield from _commands(child, (*path, name))


def _subcommand_helps(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    helps: dict[str, str | None] = {}
    for group in (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)):
        for choice in group._choices_actions:
            helps[choice.dest] = choice.help
    return helps


def _explained(text: str | None) -> bool:
    return text is argparse.SUPPRESS or bool(text and text.strip())


def test_every_argument_and_option_of_every_command_has_a_help_string():
    missing = []
    for path, parser, _leaf in _commands(build_parser()):
        for action in parser._actions:
            skipped = argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction
            if isinstance(action, skipped):
                continue
            if not _explained(action.help):
                shown = "/".join(action.option_strings) or action.metavar or action.dest
                missing.append(f"{' '.join(path)} {shown}")
    assert missing == [], "arguments without a help string:\n  " + "\n  ".join(missing)


def test_every_command_says_what_it_does():
    missing = []
    for path, parser, _leaf in _commands(build_parser()):
        for name, text in _subcommand_helps(parser).items():
            if not _explained(text):
                missing.append(f"{' '.join(path)} {name}")
    assert missing == [], "commands without a help line:\n  " + "\n  ".join(missing)


def test_every_command_shows_examples_in_its_epilog():
    missing = [
        " ".join(path)
        for path, parser, leaf in _commands(build_parser())
        if len(path) > 1 and leaf and "example" not in (parser.epilog or "").lower()
    ]
    assert missing == [], "commands without examples in their epilog:\n  " + "\n  ".join(missing)


def test_token_help_explains_its_options_on_the_real_command_line():
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "token", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    out = proc.stdout
    for flag in ("--json", "--refresh", "--mint", "--format"):
        line = next(row for row in out.splitlines() if row.strip().startswith(flag))
        rest = line.strip()[len(flag) :].strip()
        # The explanation is on the flag's line or the next, never missing.
        assert rest or out.split(line, 1)[1].splitlines()[1].strip(), line
    assert "exec-credential" in out and "examples:" in out
