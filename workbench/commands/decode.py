"""`workbench decode TOKEN|- [--secret S | --key FILE | --jwks URL_OR_FILE] [--json] [--introspect PROFILE]`.

Prints what is inside a JWT and, when a key is given, whether its signature is
valid. Exit status: 0 when the token decoded (expired or not); 1 when it is
malformed, or when a key was given and the signature is not valid (the result
is still printed first, then one line on stderr says so).

`--introspect PROFILE` also asks that profile's issuer (RFC 7662) whether the token is active
and prints what it answered after the decoded token (an opaque token, not a JWT, is only
introspected). Exit status 3 when the issuer says `active: false` (printed first, then one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from workbench.cli import summary
from workbench.commands.jwt import read_key_file
from workbench.core.errors import InputError, TokenFormatError
from workbench.core.jose import inspect as jwtinspect
from workbench.core.jose.inspect import format_moment, humanize_duration, humanize_relative
from workbench.core.oauth.introspection import Introspected, introspection_rows
from workbench.core.operations import encryption_key, inspect_token
from workbench.core.operations.introspection import introspect_token

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.jose.inspect import Inspection, VerificationKey

# Enough for the 64 KiB token cap plus a "Bearer " prefix, quotes and line wrapping.
_STDIN_LIMIT = 96 * 1024


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    dec = sub.add_parser(
        "decode",
        help=summary("decode"),
        description="Show a JWT's header, claims, times and warnings; check its signature when given a key. "
        "A JWS whose payload is not JSON is shown as text and still checked; a JWE (5 segments) shows "
        "its header; a nested token (cty JWT) and an x5c chain are shown. Header keys (jku, x5u, jwk, "
        "x5c) are shown, never fetched or trusted.",
        epilog="Exit status: 0 when the token decoded (even if expired); 1 when it is malformed, or when a "
        "key was given and the signature is not valid (the result is printed first, then stderr says "
        "'signature is not valid').\n\n"
        "examples:\n"
        '  workbench decode "$(workbench token prod)"\n'
        "  workbench decode - --json < token.txt | jq .payload\n"
        '  workbench decode "$TOKEN" --jwks https://login.example.com/.well-known/jwks.json\n'
        '  workbench decode "$TOKEN" --secret @hmac-secret.txt\n'
        '  workbench decode "$(workbench token prod)" --introspect prod\n\n'
        "With --introspect PROFILE: exit status 3 when the issuer says the token is not active "
        "(the answer is printed first, then stderr says 'the issuer says the token is not active').\n",
    )
    dec.add_argument("token", metavar="TOKEN|-", help="the JWT (a 'Bearer ' prefix is fine); - reads stdin")
    keyopt = dec.add_mutually_exclusive_group()
    keyopt.add_argument("--secret", metavar="S", help="HMAC secret; @FILE reads it from a file")
    keyopt.add_argument("--key", metavar="PEM_OR_JWK_FILE", help="public key file: PEM, JWK or JWKS")
    keyopt.add_argument("--jwks", metavar="URL_OR_FILE", help="JWKS URL or file; the key is picked by kid")
    dec.add_argument(
        "--decrypt-key",
        metavar="KEY",
        help="open a JWE with this private key or shared key (PEM or JWK file, or inline); "
        "a nested token inside is then checked with --secret/--key/--jwks",
    )
    dec.add_argument("--json", action="store_true", help="print the result as JSON")
    dec.add_argument(
        "--introspect",
        metavar="PROFILE",
        help="also ask PROFILE's issuer whether the token is active (RFC 7662 introspection, with the "
        "profile's client authentication); an opaque token is only introspected",
    )


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    token = read_token_argument(args.token)
    key = verification_key_from_args(args)
    decrypt_key = _decrypt_key(getattr(args, "decrypt_key", None))
    profile = getattr(args, "introspect", None)
    if profile:
        return run_introspection(args, ctx, token, profile, key=key, decrypt_key=decrypt_key)
    result = inspect_token(token, key=key, now=ctx.clock.now(), decrypt_key=decrypt_key)
    if getattr(args, "json", False):
        _write(sys.stdout, _pretty(result.to_json()) + "\n")
    else:
        _write(sys.stdout, render_inspection(result))
    if result.signature_valid is False:
        sys.stdout.flush()
        print(f"workbench: signature is not valid: {result.signature_error}", file=sys.stderr)
        return 1
    return 0


def run_introspection(
    args: argparse.Namespace,
    ctx: AppContext,
    token: str,
    profile: str,
    *,
    key: VerificationKey | None,
    decrypt_key: Any,
) -> int:
    """`decode --introspect PROFILE`: the decoded token (when it is a JWT, with its `cnf` binding
    compared with PROFILE's DPoP key or client certificate), then the issuer's answer."""
    try:
        # The profile is named: a `cnf` binding is compared with its DPoP key or certificate,
        # as the Inspector does with the profile it is set to.
        result: Inspection | None = inspect_token(
            token, key=key, now=ctx.clock.now(), decrypt_key=decrypt_key, ctx=ctx, profile=profile
        )
    except TokenFormatError:
        result = None  # an opaque token: only its issuer can say what it is
    answer = introspect_token(ctx, profile, token)
    if getattr(args, "json", False):
        document = result.to_json() if result is not None else dict(OPAQUE_JSON)
        document["introspection"] = answer.to_json()
        _write(sys.stdout, _pretty(document) + "\n")
    else:
        head = render_inspection(result) + "\n" if result is not None else OPAQUE_TEXT
        _write(sys.stdout, head + render_introspection(answer, ctx.clock.now()))
    sys.stdout.flush()
    if result is not None and result.signature_valid is False:
        print(f"workbench: signature is not valid: {result.signature_error}", file=sys.stderr)
        return 1
    if not answer.active:
        print("workbench: the issuer says the token is not active (introspection)", file=sys.stderr)
        return INACTIVE_EXIT
    return 0


INACTIVE_EXIT = 3
OPAQUE_TEXT = "Not a JWT (an opaque token): what it holds is what its issuer says\n\n"
# `decode --json`'s keys for a token that is not a JWT (only the introspection says anything).
OPAQUE_JSON: dict[str, Any] = {
    "header": None,
    "payload": None,
    "alg": None,
    "signature_valid": None,
    "expires_at": None,
    "issued_at": None,
    "expired": None,
    "warnings": [],
    "type": "opaque",
}


def render_introspection(answer: Introspected, now: float) -> str:
    lines = [f"Introspection ({answer.profile}: {answer.endpoint})"]
    rows = introspection_rows(answer, now)
    width = max(len(label) for label, _ in rows)
    lines.extend(f"{_printable(label.ljust(width))}  {_printable(value)}" for label, value in rows)
    return "\n".join(lines) + "\n"


def read_token_argument(value: str) -> str:
    """The token from the command line, or from stdin for ``-``."""
    if value == "-":
        data = sys.stdin.read(_STDIN_LIMIT + 1)
        if len(data) > _STDIN_LIMIT:
            raise TokenFormatError("the token on stdin is larger than 64 KiB; that is not a JWT")
        if not data.strip():
            raise TokenFormatError("no token on stdin")
        return data
    return value


MAX_SECRET_FILE_BYTES = 1024 * 1024


def verification_key_from_args(args: argparse.Namespace) -> VerificationKey | None:
    secret = getattr(args, "secret", None)
    key_arg = getattr(args, "key", None)
    jwks_arg = getattr(args, "jwks", None)
    if secret is not None:
        return jwtinspect.VerificationKey.from_secret(_secret_value(secret))
    if key_arg is not None:
        if _is_inline_key(key_arg):
            return jwtinspect.key_from_text(key_arg, source="--key")
        return jwtinspect.load_key_file(key_arg)
    if jwks_arg is not None:
        if jwks_arg.lower().startswith(("https://", "http://")):
            return jwtinspect.fetch_jwks(jwks_arg)
        if _is_inline_key(jwks_arg):
            return jwtinspect.key_from_text(jwks_arg, source="--jwks")
        return jwtinspect.load_key_file(jwks_arg)
    return None


def _decrypt_key(value: str | None) -> Any:
    if value is None:
        return None

    text, source = read_key_file(value, "--decrypt-key")
    return encryption_key(text=text, source=source)


def _is_inline_key(value: str) -> bool:
    stripped = value.lstrip()
    return stripped.startswith(("{", "-----BEGIN"))


def _secret_value(value: str) -> str:
    """``--secret S``; ``@FILE`` reads it from a file (keeps it out of `ps`); ``@@x`` means ``@x``."""
    if value.startswith("@@"):
        return value[1:]
    if value.startswith("@") and len(value) > 1:
        path = Path(value[1:]).expanduser()
        try:
            with path.open("rb") as handle:  # bounded: /dev/zero or a FIFO must not hang or fill memory
                data = handle.read(MAX_SECRET_FILE_BYTES + 1)
            if len(data) > MAX_SECRET_FILE_BYTES:
                raise InputError(f"the secret file {path} is larger than 1 MiB; that is not an HMAC secret")
            text = data.decode("utf-8")
        except FileNotFoundError:
            hint = "use @@ for a secret that starts with @"
            raise InputError(f"no such secret file: {path}", hint=hint) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the secret file {path} ({type(exc).__name__})") from None
        return text.rstrip("\r\n")
    return value


# --------------------------------------------------------------------------- human output


def render_inspection(result: Inspection) -> str:
    return "\n".join(_inspection_lines(result)) + "\n"


_KIND_TITLES = {"JWS": "JWS (signed)", "JWE": "JWE (encrypted)"}


def _inspection_lines(result: Inspection) -> list[str]:
    # A plain JWS starts with its header, as it always has; anything else says what it is first.
    lines: list[str] = [] if result.kind == "JWS" else [_KIND_TITLES.get(result.kind, result.kind), ""]
    lines.extend(["Header", _pretty(result.header), ""])
    lines.extend(_payload_lines(result))
    rows: list[tuple[str, str]] = [("alg", result.alg if result.alg is not None else "(none)")]
    if result.kind == "JWE" and result.nested is not None and result.nested.kind == "JWS":
        rows.append(("signature", "of the nested token: see below"))
    elif result.kind == "JWE":
        rows.append(("signature", "none to check (a JWE is encrypted, not signed)"))
    elif result.signature_valid is None:
        rows.append(("signature", "not checked (no key given: use --secret, --key or --jwks)"))
    elif result.signature_valid:
        rows.append(("signature", f"valid ({result.verified_with})"))
    else:
        rows.append(("signature", f"INVALID — {result.signature_error}"))
    now = result.checked_at
    if result.issued_at is not None:
        rows.append(("issued", _moment(result.issued_at, now)))
    if result.not_before is not None:
        rows.append(("not before", _moment(result.not_before, now)))
    if result.expires_at is not None:
        state = "EXPIRED" if result.expired else "valid"
        remaining = result.expires_at.timestamp() - now
        when = f"{format_moment(result.expires_at)} ({humanize_relative(remaining)})"
        rows.append(("expires", f"{when} — {state}"))
    elif result.payload_format == "json":
        rows.append(("expires", "never (no exp claim)"))
    else:
        rows.append(("expires", "unknown (the payload holds no claims)"))
    if result.lifetime is not None:
        rows.append(("lifetime", humanize_duration(result.lifetime)))
    width = max(len(label) for label, _ in rows)
    lines.extend(f"{label.ljust(width)}  {value}" for label, value in rows)
    lines.append("")
    if result.certificates:
        lines.append("Certificate chain (x5c): shown, never trusted")
        for cert in result.certificates:
            if cert.error is not None:
                lines.append(f"  [{cert.index}] unreadable: {cert.error}")
                continue
            span = "?"
            if cert.not_before is not None and cert.not_after is not None:
                span = f"{format_moment(cert.not_before)} → {format_moment(cert.not_after)}"
            lines.append(f"  [{cert.index}] subject {_printable(cert.subject)}")
            lines.append(f"      issuer  {_printable(cert.issuer)}")
            lines.append(f"      valid   {span} ({cert.validity_at(now)})")
        lines.append("")
    if result.warnings:
        lines.append("Warnings")
        code_width = max(len(w.code) for w in result.warnings)
        lines.extend(f"  ! {w.code.ljust(code_width)}  {_printable(w.message)}" for w in result.warnings)
    else:
        lines.append("No warnings")
    if result.nested is not None:
        checked = result.kind == "JWE" and result.payload_format != "encrypted"
        title = "Nested token (decrypted)" if checked else "Nested token (decoded, its signature not checked)"
        lines.extend(["", title, ""])
        inner = "\n".join(_inspection_lines(result.nested)).split("\n")
        lines.extend(f"    {line}" if line else "" for line in inner)
    return lines


def _payload_lines(result: Inspection) -> list[str]:
    if result.payload_format == "json":
        return ["Payload", _pretty(result.payload), ""]
    if result.payload_format == "encrypted":
        return ["Payload", "(encrypted: only its recipient's private key can open it)", ""]
    if result.payload_format == "bytes":
        return ["Payload (binary, base64url)", str(result.payload), ""]
    if result.nested is not None:
        return ["Payload (a nested token, decoded below)", _printable(str(result.payload)), ""]
    return ["Payload (text, not JSON)", _printable(str(result.payload), keep_newlines=True), ""]


def _printable(text: str, keep_newlines: bool = False) -> str:
    """Text from a token, safe for a terminal: control and bidi characters escaped."""
    return "".join(
        c if c.isprintable() or (keep_newlines and c == "\n") else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def _moment(moment: Any, now: float) -> str:
    return f"{format_moment(moment)} ({humanize_relative(moment.timestamp() - now)})"


def _pretty(value: Any) -> str:
    """Indented JSON that is safe to print: json.dumps escapes C0 control characters, and we
    escape the other unprintable ones (bidi overrides, line separators) so a hostile claim
    can neither drive the terminal nor disguise itself. Still valid JSON: such characters
    only ever occur inside strings."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(c if c.isprintable() or c == "\n" else _json_escape(c) for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
