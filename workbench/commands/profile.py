"""`workbench profile add|set|list|show|rm|export|import`.

stdout carries only results (the list, the exported TOML); confirmations, warnings
and hints go to stderr. Secret values (`--secret`, see `read_secrets`) never need the
command line: `K` alone prompts without echo, `K=@FILE` reads a file, `K=@-` stdin,
`K=@env:VAR` an environment variable; they are never printed, and
`workbench.core.operations` stores them and writes the profile (the GUI's editor calls
the same functions). `import` refuses a file that would send requests outside its base
URL's origin or turn TLS verification off, unless `--trust`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from workbench.cli import summary
from workbench.commands import client_cert_args
from workbench.core.errors import InputError, user_message
from workbench.core.oauth.status import login_state
from workbench.core.operations import import_profile, remove_profile
from workbench.core.operations.profiles import (
    check_new_profile,
    check_profile_update,
    create_profile,
    update_profile,
)
from workbench.core.profiles.profile import (
    LOGIN_SECRET_NAMES,
    MAX_PROFILE_BYTES,
    TOKEN_SECRET_NAMES,
    split_token_settings,
    validate_profile_name,
)
from workbench.core.profiles.secret_refs import drop_final_newline
from workbench.core.storage import files

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault

MAX_SECRET_FILE_BYTES = 1024 * 1024
_SECRET_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    prof = sub.add_parser("profile", help=summary("profile"))
    psub = prof.add_subparsers(
        dest="profile_command", parser_class=type(prof), metavar="ACTION", required=True
    )
    add = psub.add_parser("add", help="create a profile from a preset", epilog=_ADD_EXAMPLES)
    add.add_argument("name", metavar="NAME", help="the new profile's name (letters, digits, . _ -)")
    add.add_argument(
        "--preset", required=True, help="the provider's preset (workbench completion --list presets)"
    )
    add.add_argument("--base-url", required=True, help="the API's base URL, as the provider documents it")
    _add_input_arguments(add)
    upd = psub.add_parser(
        "set", help="change a profile in place (base URL, settings, secrets)", epilog=_SET_EXAMPLES
    )
    upd.add_argument("name", metavar="NAME", help="the profile to change")
    upd.add_argument("--base-url", help="a new base URL (cached tokens of the old one are dropped)")
    _add_input_arguments(upd)
    lst = psub.add_parser(
        "list",
        help="list profiles",
        epilog="examples:\n  workbench profile list\n  workbench profile list --json\n",
    )
    lst.add_argument("--json", action="store_true", help="print the profiles as JSON (names, never values)")
    for action, what, example in (
        ("show", "show a profile: settings, and where each secret is (never its value)", "show prod"),
        ("rm", "remove a profile: its file, keychain entries and cached token state", "rm prod"),
        ("export", "print a profile's file (no secret values) for git or a teammate", "export prod > p.toml"),
    ):
        a = psub.add_parser(action, help=what, epilog=f"examples:\n  workbench profile {example}\n")
        a.add_argument("name", metavar="NAME", help="the profile")
    imp = psub.add_parser(
        "import",
        help="import a profile file",
        epilog="examples:\n"
        "  workbench profile import prod.toml\n"
        "  workbench profile import team/ci.toml --trust     # it runs a cmd: secret reference\n",
    )
    imp.add_argument("file", metavar="FILE", help="a profile file (from `profile export`); - reads stdin")
    imp.add_argument(
        "--trust",
        action="store_true",
        help="import even a file that sends requests outside its base URL's origin or turns TLS off",
    )


SECRET_FORMS = "K=V|K=@FILE|K=@-|K=@env:VAR|K"  # noqa: S105 - the forms, not a value

_ADD_EXAMPLES = """examples:
  workbench profile add tm --preset true-markets --base-url https://api.uat.truemarkets.co/v1/auth \\
      --set key_id=UUID --secret private_key=@tm/private.pem
  workbench profile add mt --preset marketiger3d --base-url https://devapi.marketiger3d.com \\
      --secret access_token --secret refresh_token          # asked for without echo
  workbench profile add ci --preset token-of-trust --base-url https://api.tokenoftrust.com \\
      --set app_domain=myapp.com --secret-ref api_key=env:TOT_API_KEY \\
      --secret-ref secret_key='cmd:op read op://ci/tot/secret-key'
"""
_SET_EXAMPLES = """examples:
  workbench profile set mt --secret refresh_token            # a new value, asked for without echo
  workbench profile set tm --base-url https://api.truemarkets.co/v1/auth
  workbench profile set ci --secret-ref api_key=env:TOT_API_KEY
  workbench profile set legacy --set token_placement=query --set token_parameter=access_token
  workbench profile set gh --set token_scheme=token           # Authorization: token … (none: the token alone)
  workbench profile set gh --set token_scheme=                # back to the preset's scheme
"""


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    client_cert_args.add_arguments(parser)
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="K=V",
        help="a plain setting of the preset, or how calls carry the token: token_placement=header|query, "
        "token_parameter=NAME (query), token_scheme=WORD|none (header)",
    )
    parser.add_argument(
        "--secret",
        dest="secrets",
        action="append",
        default=[],
        metavar=SECRET_FORMS,
        help="a secret for the keychain: K alone asks without echo; @FILE, @- (stdin), @env:VAR",
    )
    parser.add_argument(
        "--secret-ref",
        dest="secret_refs",
        action="append",
        default=[],
        metavar="K=env:VAR|K=cmd:COMMAND",
        help="read secret K at each use from an environment variable or a command's stdout "
        "(e.g. op read …); the profile keeps the reference, never the value",
    )


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    action = args.profile_command
    if action == "add":
        return _add(args, ctx)
    if action == "set":
        return _set(args, ctx)
    if action == "list":
        return _list(args, ctx)
    if action == "show":
        return _show(args, ctx)
    if action == "rm":
        return _rm(args, ctx)
    if action == "export":
        sys.stdout.write(ctx.profiles.export_text(validate_profile_name(args.name)))
        return 0
    if action == "import":
        return _import(args, ctx)
    raise InputError(f"unknown profile action '{action}'")


# --------------------------------------------------------------------------- add


def parse_assignments(items: Sequence[str], flag: str) -> dict[str, str]:
    """`K=V` items (split on the first '=' only); a key given twice is an error."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"{flag} expects NAME=VALUE, got '{_shown(item, flag)}'")
        if key in out:
            raise InputError(f"{flag} {key} is given twice")
        out[key] = value
    return out


def _shown(item: str, flag: str) -> str:
    # Never echo what might be a secret value: a --secret item without '=' may be the bare value.
    if flag == "--set":
        return item
    key, sep, _ = item.partition("=")
    return f"{key}=…" if sep and key.strip() else "…"


def parse_secret_args(
    items: Sequence[str], names: Collection[str], flag: str = "--secret"
) -> dict[str, str | None]:
    """`--secret` items → {name: raw} where raw is what follows the first '=' (None: `K` alone,
    asked for without echo). `names`: the secrets the preset takes; an item without '=' that is
    not one of them is most likely a pasted value and is never echoed. A name given twice, or
    more than one `@-`, is an error."""
    out: dict[str, str | None] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not key:
            raise InputError(f"{flag} expects NAME=VALUE or NAME, got '{_shown(item, flag)}'")
        if not sep and (key not in names or not _SECRET_NAME.match(key)):
            raise InputError(
                f"{flag} expects NAME=VALUE or NAME (one of: {', '.join(names) or 'none'}), got '…'"
            )
        if key in out:
            raise InputError(f"{flag} {key} is given twice")
        out[key] = value if sep else None
    if sum(1 for v in out.values() if v == "@-") > 1:
        raise InputError(f"only one {flag} can read stdin (@-)")
    return out


def read_secrets(
    raw: Mapping[str, str | None],
    *,
    profile: str,
    stdin: TextIO | None = None,
    prompt: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """The values of parsed `--secret` items, read each way once: `K` alone is asked for on the
    terminal without echo (`getpass`), `@FILE`, `@-`, `@env:VAR` as `resolve_secret_value`."""
    values: dict[str, str] = {}
    for name, item in raw.items():
        if item is None:
            values[name] = _ask(name, profile, prompt)
        else:
            values[name] = resolve_secret_value(name, item, stdin=stdin)
    return values


def _ask(name: str, profile: str, prompt: Callable[[str], str] | None) -> str:
    import getpass
    import warnings

    ask = prompt or getpass.getpass
    try:
        with warnings.catch_warnings():
            # No terminal (piped stdin): getpass reads the line from stdin, where nothing echoes.
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            value = ask(f"{name} for profile '{profile}' (not echoed): ")
    except EOFError:
        raise InputError(f"--secret {name}: no value given (end of input)") from None
    return _checked_secret(name, value)


def resolve_secret_value(name: str, raw: str, *, stdin: TextIO | None = None) -> str:
    """`@FILE` reads a file, `@-` reads stdin, `@env:VAR` an environment variable (once), `@@x` is
    the literal `@x`; anything else is the value. (A file named `env:X`: write `@./env:X`.)

    One trailing newline is dropped (files and `echo` add it; tokens and keys do not need it).
    """

    if raw.startswith("@@"):
        value = raw[1:]
    elif raw.startswith("@env:"):
        import os

        variable = raw[len("@env:") :]
        if not variable:
            raise InputError(f"--secret {name}=@env: needs a variable name (@env:VAR)")
        found = os.environ.get(variable)
        if found is None:
            raise InputError(f"--secret {name}=@env:{variable}: that environment variable is not set")
        value = found
    elif raw == "@-":
        stream = stdin if stdin is not None else sys.stdin
        value = stream.read(MAX_SECRET_FILE_BYTES + 1)
        if len(value) > MAX_SECRET_FILE_BYTES:
            raise InputError(f"--secret {name}=@-: more than 1 MiB on stdin; that is not a secret")
        value = drop_final_newline(value)
    elif raw.startswith("@"):
        if not raw[1:]:
            raise InputError(f"--secret {name}=@ needs a file name (or @- for stdin)")
        label = f"--secret {name}=@{raw[1:]}"
        data = read_small_file(Path(raw[1:]).expanduser(), MAX_SECRET_FILE_BYTES, label, what="a secret")
        try:
            value = drop_final_newline(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise InputError(
                f"--secret {name}=@{raw[1:]}: not UTF-8 text (PEM, JWK or token expected)"
            ) from None
    else:
        value = raw
    return _checked_secret(name, value)


def _checked_secret(name: str, value: str) -> str:
    if not value.strip():
        raise InputError(f"--secret {name} is empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Undecodable bytes on stdin or in argv arrive as lone surrogates; a keychain cannot store them.
        raise InputError(f"--secret {name}: not UTF-8 text (PEM, JWK or token expected)") from None
    if "\x00" in value:
        raise InputError(f"--secret {name}: contains a NUL byte; that is not a secret (check the file)")
    return value


def read_small_file(path: Path, limit: int, label: str, *, what: str) -> bytes:
    """A regular file's bytes, at most `limit` (core.files; the hint fits `@FILE` and `import`)."""
    return files.read_small_file(
        path, limit, label, what=what, not_regular_hint=" (write the value to a file, or use @- for stdin)"
    )


def _add(args: argparse.Namespace, ctx: AppContext) -> int:
    name = validate_profile_name(args.name)
    preset = ctx.presets.get(args.preset)
    sets, token_settings = split_token_settings(parse_assignments(args.sets, "--set"))
    raw_secrets = parse_secret_args(args.secrets, [spec.name for spec in preset.secret_inputs])
    refs = parse_assignments(args.secret_refs, "--secret-ref")
    inputs: dict[str, Any] = {
        "preset": preset.name,
        "base_url": args.base_url,
        "vars": sets,
        "secret_refs": refs,
    }
    # The catalogue's checks, all of them, before anything is read from a terminal, a file or stdin.
    given = {k: v for k, v in token_settings.items() if v is not None}
    inputs["settings"] = {**given, **(client_cert_args.settings_from(args) or {})}
    certificate = client_cert_args.certificate_secret(args, name)
    check_new_profile(ctx, name, secret_names=[*raw_secrets, *certificate], **inputs)
    values = {**read_secrets(raw_secrets, profile=name), **certificate}
    # Validates again before the first secret reaches the vault; a failure leaves none behind.
    saved = create_profile(ctx, name, secrets=values, **inputs)
    if saved.vault_warning and values:  # references alone never touch the keychain
        print(f"workbench: warning: {saved.vault_warning}", file=sys.stderr)
    print(f"profile '{name}' created (preset {preset.name})", file=sys.stderr)
    return 0


def _set(args: argparse.Namespace, ctx: AppContext) -> int:
    name = validate_profile_name(args.name)
    profile = ctx.profiles.get(name)
    preset = profile.preset
    sets, token_settings = split_token_settings(parse_assignments(args.sets, "--set"))
    raw_secrets = parse_secret_args(args.secrets, [spec.name for spec in preset.secret_inputs])
    refs = parse_assignments(args.secret_refs, "--secret-ref")
    if (
        args.base_url is None
        and not sets
        and not token_settings
        and not raw_secrets
        and not refs
        and not client_cert_args.given(args)
    ):
        raise InputError(
            f"nothing to change in profile '{name}' (give --base-url, --set K=V, --secret {SECRET_FORMS} "
            "or --secret-ref K=env:VAR|K=cmd:COMMAND)"
        )
    inputs: dict[str, Any] = {"base_url": args.base_url, "vars": sets, "secret_refs": refs}
    tls = client_cert_args.settings_from(args)
    inputs["settings"] = {**token_settings, **(tls or {})}
    certificate = client_cert_args.certificate_secret(args, name)
    # The same checks as `add`, before anything is read from a terminal, a file or stdin.
    check_profile_update(ctx, name, secret_names=[*raw_secrets, *certificate], **inputs)
    values = {**read_secrets(raw_secrets, profile=name), **certificate}
    saved = update_profile(ctx, name, secrets=values, **inputs)
    if saved.vault_warning and values:  # references alone never touch the keychain
        print(f"workbench: warning: {saved.vault_warning}", file=sys.stderr)
    changed = [
        *(["base_url"] if saved.base_url_changed else []),
        *(f"var {k}" for k in sets),
        *(f"setting {k}" for k in token_settings),
        *(f"secret {k}" for k in values),
        *(["setting tls_ca_file"] if tls else []),
        *(f"secret {k} from {ref}" for k, ref in saved.profile.secret_refs.items() if k in refs),
    ]
    print(f"profile '{name}' updated ({', '.join(changed) or 'no change'})", file=sys.stderr)
    if saved.profile.pending:
        print(f"profile '{name}' is still pending: it needs {saved.profile.missing_flags()}", file=sys.stderr)
    elif profile.pending:
        print(f"profile '{name}' is complete", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- list / show


def profile_summary(profile: Profile) -> dict[str, object]:
    return {
        "name": profile.name,
        "preset": profile.preset_name,
        "base_url": profile.base_url,
        "vars": dict(profile.vars),
        "secret_names": list(profile.secret_names),
        # Where secrets come from instead of the keychain (env:VAR / cmd:COMMAND), when any do.
        **({"secret_refs": dict(profile.secret_refs)} if profile.secret_refs else {}),
        # An imported profile that still needs input: what it needs (`profile set` completes it).
        **({"pending": profile.missing_required()} if profile.pending else {}),
    }


def _warn_problems(ctx: AppContext) -> None:
    for problem in ctx.profiles.problems():
        print(f"workbench: warning: {user_message(problem)}", file=sys.stderr)


def _list(args: argparse.Namespace, ctx: AppContext) -> int:
    profiles = ctx.profiles.list()
    _warn_problems(ctx)
    if args.json:
        json.dump([profile_summary(p) for p in profiles], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not profiles:
        print("no profiles yet (create one with `workbench profile add NAME --preset …`)", file=sys.stderr)
        return 0
    rows = [("NAME", "PRESET", "BASE_URL")] + [
        (p.name, p.preset_name, (p.base_url or "(none)") + _pending_note(p)) for p in profiles
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")
    return 0


def _pending_note(profile: Profile) -> str:
    """`  (pending: needs --set client_id=…, --secret client_secret)` for an incomplete import."""
    if not profile.pending:
        return ""
    return f"  (pending: needs {profile.missing_flags()})"


def secret_status(profile: Profile, vault: Vault) -> dict[str, bool]:
    """Whether each secret the profile uses is in the vault (declared names, preset inputs, tokens)."""
    return {name: vault.has(profile.name, name) for name in profile.all_secret_names}


def _show(args: argparse.Namespace, ctx: AppContext) -> int:
    profile = ctx.profiles.get(validate_profile_name(args.name))
    preset = profile.preset
    status = secret_status(profile, ctx.vault)
    out = [
        f"name:      {profile.name}",
        f"preset:    {profile.preset_name} ({preset.title})",
        f"base_url:  {profile.base_url or '(none yet)'}",
        f"file:      {ctx.profiles.path_for(profile.name)}",
    ]
    if profile.pending:
        out.append(
            f"pending:   needs {profile.missing_flags()} "
            f"(complete it with `workbench profile set {profile.name} {profile.missing_flags()}`)"
        )
    if preset.var_inputs or profile.vars:
        out.append("vars:")
        names = list(dict.fromkeys([*(s.name for s in preset.var_inputs), *profile.vars]))
        width = max(len(n) for n in names)
        for var in names:
            value = profile.vars.get(var)
            shown = json.dumps(value) if value is not None else "(not set)"
            out.append(f"  {var:<{width}}  {shown}")
    out.append("secrets:")
    width = max(len(n) for n in status)
    for secret, present in status.items():
        spec = preset.input(secret)
        if secret in profile.secret_refs:
            ref = profile.secret_refs[secret]
            out.append(f"  {secret:<{width}}  from {ref} (read at each use, not stored)")
            continue
        if secret in LOGIN_SECRET_NAMES:
            note = " (from the last login)" if present else " (from `workbench login`)"
        elif secret in TOKEN_SECRET_NAMES and (spec is None or spec.kind != "secret"):
            note = " (cached by the engine)" if present else " (obtained on first use)"
        else:
            note = "" if present or spec is None or spec.required else " (optional)"
        out.append(f"  {secret:<{width}}  {'stored' if present else 'missing'}{note}")
    out += _login_lines(ctx, profile.name)
    out += _exchange_lines(ctx, profile.name)
    if profile.settings:
        out.append("settings:")
        for key, value in profile.settings.items():
            out.append(f"  {key} = {json.dumps(value)}")
    if profile.override:
        out.append("override:  " + ", ".join(sorted(profile.override)))
    print("\n".join(out))
    if ctx.vault.warning:
        print(f"workbench: warning: {ctx.vault.warning}", file=sys.stderr)
    return 0


def _login_lines(ctx: AppContext, name: str) -> list[str]:
    """An OAuth login's redirect URI to register, granted scope and refresh token (no network)."""

    state = login_state(ctx, name)
    if state is None:
        return []
    lines = ["login:"]
    if state.redirect_uri:
        lines.append(f"  redirect URI:  {state.redirect_uri} ({state.redirect_note})")
    scope = json.dumps(state.granted_scope) if state.granted_scope is not None else "(not logged in yet)"
    lines.append(f"  granted scope: {scope}")
    lines.append(f"  refresh token: {state.refresh_words()}")
    return lines


def _exchange_lines(ctx: AppContext, name: str) -> list[str]:
    """What the last token exchange issued (RFC 8693 `issued_token_type`; no network)."""
    state = ctx.engine.token_state(name)
    if state is None or not state.issued_token_type:
        return []
    return [f"issued token type: {state.issued_token_type} (the last token exchange's answer)"]


# --------------------------------------------------------------------------- rm / import


def _rm(args: argparse.Namespace, ctx: AppContext) -> int:
    name = validate_profile_name(args.name)

    removed = remove_profile(ctx, name)
    for warning in removed.warnings:
        print(f"workbench: warning: {warning}", file=sys.stderr)
    revoked = "; its refresh token was revoked at the issuer" if removed.revoked else ""
    print(
        f"profile '{name}' removed (file, keychain entries and cached token state){revoked}", file=sys.stderr
    )
    return 0


def _import(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.file == "-":
        source = "<stdin>"
        raw = getattr(sys.stdin, "buffer", None)  # bytes, so undecodable input is a clear error
        if raw is not None:
            data = raw.read(MAX_PROFILE_BYTES + 1)
        else:
            data = sys.stdin.read(MAX_PROFILE_BYTES + 1).encode("utf-8", "surrogateescape")
        if len(data) > MAX_PROFILE_BYTES:
            raise InputError(
                f"<stdin>: larger than {files.size_text(MAX_PROFILE_BYTES)}; that is not a profile file"
            )
    else:
        path = Path(args.file).expanduser()
        if not path.exists():
            raise InputError(f"no such file: {args.file}")
        data = read_small_file(path, MAX_PROFILE_BYTES, args.file, what="a profile file")
        source = args.file
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text (a profile is a TOML file)") from None

    result = import_profile(ctx, text, source=source, trust=bool(args.trust))
    profile = result.profile
    for risk in result.risks:  # imported with --trust: say once what was accepted
        print(f"workbench: warning: imported although {risk}", file=sys.stderr)
    print(f"profile '{profile.name}' imported (preset {profile.preset_name})", file=sys.stderr)
    wanted = _wanted_secrets(profile)
    missing = [name for name in wanted if not ctx.vault.has(profile.name, name)]
    if missing:
        print(
            f"workbench: note: the file holds no secret values; not in the vault yet: {', '.join(missing)} "
            "(enter them in the app's profile editor)",
            file=sys.stderr,
        )
    if ctx.vault.warning:
        print(f"workbench: warning: {ctx.vault.warning}", file=sys.stderr)
    return 0


def _wanted_secrets(profile: Profile) -> list[str]:
    required = [s.name for s in profile.preset.secret_inputs if s.required]
    wanted = dict.fromkeys([*required, *profile.secret_names])
    return [name for name in wanted if name not in profile.secret_refs]  # references are read at use
