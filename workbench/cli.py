"""The `workbench` command line: argparse front end over `workbench.core`.

The command set and its output are a public contract (README.md; each command's --help). Every
command module under `workbench.commands` exposes `run(args, ctx) -> int` and is
imported only when its command runs, so `workbench token` never imports Qt.
Errors reach the user as one line on stderr through `errors.user_message`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from workbench import __version__
from workbench.core.context import AppContext
from workbench.core.errors import InputError, WorkbenchError, user_message


class _HelpFormatter(argparse.HelpFormatter):
    """Descriptions and epilogs: prose paragraphs are wrapped as usual, while indented lines
    (examples, a kubeconfig snippet) and `heading:` lines are kept exactly as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        paragraph: list[str] = []

        def flush() -> None:
            if paragraph:
                out.append(super(_HelpFormatter, self)._fill_text(" ".join(paragraph), width, indent))
                paragraph.clear()

        for line in text.strip("\n").splitlines():
            if not line.strip() or line[:1].isspace() or line.rstrip().endswith(":"):
                flush()
                out.append(indent + line.rstrip())
            else:
                paragraph.append(line.strip())
        flush()
        return "\n".join(out)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, no usage dump: the contract is "one clear line on stderr".

        message = user_message(InputError(message))  # one line, no control characters from argv
        self.exit(2, f"workbench: error: {message} (see `workbench {self._cmd_hint()}--help`)\n")

    def _cmd_hint(self) -> str:
        parts = self.prog.split()[1:]
        return " ".join(parts) + " " if parts else ""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the arguments about to be parsed, only the part they need.

    `workbench token NAME` is on the start-up path of every script that uses it: it needs
    its own subparser, not every command module imported (see `_modules_for`).
    """
    p = _Parser(prog="workbench", description="Mint, refresh, inspect and use JWTs for many API providers.")
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    modules = _modules_for(argv)
    if modules is None:
        for name, (_module, text) in _COMMANDS.items():
            sub.add_parser(name, help=text)  # only listed: parsing stops at the help or the error
        return p
    for module in modules:
        module.register(sub)
    return p


# Command name → (module, one-line summary). Each module exposes `register(subparsers)` and
# `run(args, ctx)` and takes its summary from here (`summary`), so the top-level help and an
# unknown command's list of choices are built without importing any command module: a command
# module is imported only when its own command runs (or for the whole parser: completion scripts).
_COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("workbench.commands.gui", "the desktop app (default)"),
    "profile": ("workbench.commands.profile", "manage provider profiles"),
    "token": ("workbench.commands.token", "print a valid access token"),
    "exec": ("workbench.commands.exec", "run a command with the profile's token in its environment"),
    "call": ("workbench.commands.call", "send an authenticated request"),
    "decode": ("workbench.commands.decode", "decode and check a JWT"),
    "keygen": ("workbench.commands.keygen", "generate a key pair"),
    "dpop-proof": (
        "workbench.commands.dpop_proof",
        "print a DPoP proof (RFC 9449) for a request, for curl and scripts",
    ),
    "sandbox": ("workbench.commands.sandbox", "run the local provider emulators"),
    "login": ("workbench.commands.login", "log in through the browser or a device code (OAuth presets)"),
    "logout": ("workbench.commands.logout", "revoke and forget the tokens of an OAuth login"),
    "self-test": (
        "workbench.commands.selftest",
        "check every preset end to end against the embedded sandbox",
    ),
    "completion": ("workbench.commands.completion", "print a shell completion script (bash, zsh or fish)"),
    "import": (
        "workbench.commands.import_",
        "import a curl command, Postman/Insomnia/Bruno collection, OpenAPI or HAR",
    ),
    "request": ("workbench.commands.request", "saved requests of a profile (list, save, rm)"),
    "snippet": ("workbench.commands.snippet", "print a request as curl, HTTPie, Python or JavaScript code"),
    "history": ("workbench.commands.history", "past requests (names and outcomes, never headers or bodies)"),
    "jwt": ("workbench.commands.jwt", "build, sign and encrypt tokens (jwt sign, jwt encrypt)"),
    "probe": (
        "workbench.commands.probe",
        "send the token variants an API must refuse; report which it accepted",
    ),
}
_COMMAND_MODULES = {name: module for name, (module, _summary) in _COMMANDS.items()}


def summary(command: str) -> str:
    """The one-line help of `command` (its module's `register` passes it as `help=`)."""
    return _COMMANDS[command][1]


def _command_modules() -> list[ModuleType]:
    return [importlib.import_module(m) for m in dict.fromkeys(_COMMAND_MODULES.values())]


# Commands that use a profile's credentials: each run warns about an unsafe profile (docs/ARCHITECTURE.md,
# "Where credentials may go": TLS verification off, plain http to a host that is not loopback).
_PROFILE_USES = {"token", "call", "exec", "login", "logout", "snippet", "dpop-proof"}


def _warn_about_profile(command: str, args: argparse.Namespace, ctx: AppContext) -> None:
    name = getattr(args, "name", None)
    if command == "profile" and getattr(args, "profile_command", None) in ("show", "set"):
        pass
    elif command not in _PROFILE_USES:
        return
    if not isinstance(name, str):
        return
    from workbench.core.net.origins import cli_warnings

    try:
        profile = ctx.profiles.get(name)
    except WorkbenchError:
        return  # the command itself reports an unknown or broken profile
    for line in cli_warnings(profile):
        print(f"workbench: warning: {line}", file=sys.stderr)


class _WarningLines(logging.Handler):
    """A core warning as the CLI's one `workbench: warning: ...` line: no traceback, no line breaks.
    Writes to the `sys.stderr` of the moment (tests and embedders swap it between runs)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print("workbench: warning: " + " ".join(record.getMessage().split()), file=sys.stderr)
        except Exception:
            self.handleError(record)


def _log_warnings_as_lines() -> None:
    """Core modules log what the user should know but that must not stop a command (history not
    recorded, a damaged cached token); on the CLI each becomes one warning line on stderr."""
    core = logging.getLogger("workbench.core")
    if not any(isinstance(h, _WarningLines) for h in core.handlers):
        core.addHandler(_WarningLines(logging.WARNING))


def _modules_for(argv: Sequence[str] | None) -> list[ModuleType] | None:
    """The module of the command `argv` names, when its first word is one; None when `argv`
    names none (top-level help, an unknown command: the commands are only listed); every module
    for the whole parser (`argv` None: completion scripts, the help tests)."""
    if argv is not None and not argv:
        # Plain `workbench` is the desktop app: registering every other command first would
        # only delay its first paint.
        return [importlib.import_module(_COMMAND_MODULES["gui"])]
    if argv:
        if list(argv) == ["--version"]:
            return []  # argparse prints it before any command would be looked at
        first = next((a for a in argv if not a.startswith("-")), None)
        if first in _COMMAND_MODULES and not any(a in ("-h", "--help") for a in argv[: argv.index(first)]):
            return [importlib.import_module(_COMMAND_MODULES[first])]
        return None
    return _command_modules()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Called without `argv` it is the program itself (console script, binary,
    `python -m workbench`) and the process ends right after it returns."""
    as_program = argv is None
    if argv is None:
        argv = sys.argv[1:]
    args = build_parser(argv).parse_args(argv)
    command = args.command or "gui"
    if command == "gui" and not hasattr(args, "demo"):
        args.demo, args.screenshot = False, None

    ctx = AppContext()
    _log_warnings_as_lines()
    interrupted = False
    try:
        _warn_about_profile(command, args, ctx)
        module = importlib.import_module(_COMMAND_MODULES[command])
        return int(module.run(args, ctx) or 0)
    except KeyboardInterrupt as exc:
        # Ctrl-C: one line, no traceback; nothing half-done was stored (the vault writes are ordered).
        # A second Ctrl-C during a rotating refresh (core.signals.ForcedInterrupt) says what to do.
        print(f"workbench: error: {str(exc) or 'interrupted'}", file=sys.stderr)
        interrupted = True
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
        if as_program and command != "gui":  # Qt's teardown order is left as it is
            # The process exits next: its last cyclic garbage collection would walk every object
            # the imports made (~25 ms, a fifth of `workbench token`'s cold cache hit) to free
            # memory the OS takes back anyway. Frozen objects are left out of it.
            import gc

            gc.freeze()
            if interrupted:
                _exit_interrupted()


def _exit_interrupted() -> NoReturn:
    """End the program with status 130 now that Ctrl-C has been handled and the context closed.

    CPython remembers a KeyboardInterrupt that escaped any `exec` of a string (dataclasses and
    namedtuple make their methods that way while modules are imported) and, when a `python -m`
    program ends, kills itself with SIGINT even though the interrupt was caught: the status was
    130 or "killed by signal 2" depending on where the Ctrl-C landed. Exiting here, with the
    standard streams flushed, makes it 130 every time.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to say on it
            pass
    os._exit(130)


if __name__ == "__main__":
    sys.exit(main())
