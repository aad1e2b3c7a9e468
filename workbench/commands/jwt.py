"""`workbench jwt sign ...` and `workbench jwt encrypt ...`: make tokens (the forge).

`jwt sign [--claim K=V]... [--header K=V]... [--exp DURATION] [--key ...|--profile NAME|--secret ...]
[PAYLOAD_FILE|-]` prints the compact token (``--format json``: header, payload and token).
`jwt encrypt --key RECIPIENT_KEY|--secret S [--alg ..] [--enc ..] [INPUT_FILE|-]` prints a
compact JWE of a payload or of a token (a signed token gets ``cty: JWT``).

Secrets are never taken into messages; ``--secret`` reads ``@env:VAR``, ``@FILE``, or
asks without echo (``@prompt``, or no key at all with ``--alg HS*``); a literal value
works too, but lands in the shell's history.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.cli import summary
from workbench.core.errors import InputError
from workbench.core.jose.forge import TokenSpec, decode_secret, parse_assignment, payload_from_text
from workbench.core.jose.jwe import looks_like_compact_jws
from workbench.core.operations import KeyChoice, encrypt_token, encryption_key, sign_jwt
from workbench.core.storage.files import read_small_file

if TYPE_CHECKING:
    from workbench.core.context import AppContext

MAX_PAYLOAD_BYTES = 1024 * 1024
MAX_KEY_FILE_BYTES = 1024 * 1024
_KEYCHAIN_PREFIX = "keychain:"
_SIGN_ALGS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "ES512", "EdDSA", "none")  # fmt: skip  # mirrors core.jose.keys (lazy import)
_NEW_KEY_ALGS = ("ES256", "ES384", "RS256", "EdDSA")  # what the key generator makes
_JWE_ALGS = ("RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW", "A256KW", "dir")
_JWE_ENCS = ("A256GCM", "A128CBC-HS256")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser (imported at parse time: keep module-level imports light)."""
    jwt = sub.add_parser(
        "jwt",
        help=summary("jwt"),
        description="The forge beside the inspector: build and sign a JWT, or encrypt one for a recipient. "
        "Open a JWE with `workbench decode TOKEN --decrypt-key KEY`.",
    )
    jsub = jwt.add_subparsers(dest="jwt_command", parser_class=type(jwt), metavar="ACTION", required=True)
    _register_sign(jsub)
    _register_encrypt(jsub)


def _register_sign(jsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sign = jsub.add_parser(
        "sign",
        help="build and sign a JWT",
        description=(
            "Build a JWT from a payload (file, stdin or --claim) and sign it. Claim and header values "
            "are typed: 42, 1.5, true, null, [..] and {..} are JSON, anything else is a string (quote "
            "it as JSON to force a string: --claim 'n=\"42\"'). iat is now unless given; --exp, --nbf "
            "and --iat take now, a duration (15m, -5m, 1h30m, 2d) or seconds since the epoch; relative "
            "--exp/--nbf count from iat. kid defaults to the key's RFC 7638 thumbprint."
        ),
        epilog="Keys: --key FILE (PEM or JWK; an oct JWK is an HMAC secret), --key keychain:NAME (a key kept "
        "in the keychain; --new-key ALG makes it), --profile NAME (the key in that profile's key slot), "
        "--secret S (HMAC: @env:VAR, @FILE, @prompt; --secret-base64 for a base64 secret). With --alg HS* "
        "and no key, the secret is asked for without echo. HMAC secrets under 32 bytes are refused "
        "(--allow-weak signs a test token anyway); alg none needs --allow-none.\n\n"
        "examples:\n"
        "  workbench jwt sign --key private.pem --sub alice --aud api --exp 15m\n"
        '  workbench jwt sign --secret @env:HMAC --claim admin=true --claim \'roles=["a","b"]\'\n'
        "  workbench jwt sign --profile tm --jti auto --format json < claims.json\n"
        "  workbench jwt sign --new-key ES256 --key keychain:test-issuer --iss me --exp 1h\n",
    )
    sign.add_argument("payload", nargs="?", metavar="PAYLOAD_FILE|-", help="a JSON object; - reads stdin")
    sign.add_argument(
        "--claim", action="append", default=[], metavar="K=V", help="a claim (repeatable, typed)"
    )
    sign.add_argument(
        "--header", action="append", default=[], metavar="K=V", help="a header parameter (repeatable)"
    )
    sign.add_argument(
        "--alg", choices=_SIGN_ALGS, metavar="ALG", help="the algorithm (default: the key's own)"
    )
    sign.add_argument("--exp", metavar="DURATION", help="expiry: 15m, -5m (already expired), an epoch")
    sign.add_argument("--nbf", metavar="TIME", help="not before: now, a duration, an epoch")
    sign.add_argument("--iat", metavar="TIME", help="issued at (default now; none leaves it out)")
    sign.add_argument("--iss", metavar="ISSUER", help="the iss claim")
    sign.add_argument("--sub", metavar="SUBJECT", help="the sub claim")
    sign.add_argument("--aud", action="append", default=[], metavar="AUDIENCE", help="repeatable: a list")
    sign.add_argument("--jti", metavar="ID|auto", help="token id; auto makes a random one")
    keys = sign.add_mutually_exclusive_group()
    keys.add_argument(
        "--key", metavar="FILE|keychain:NAME", help="private key file (PEM/JWK) or keychain key"
    )
    keys.add_argument("--profile", metavar="NAME", help="sign with the key in this profile's key slot")
    keys.add_argument("--secret", metavar="S", help="HMAC secret: @env:VAR, @FILE, @prompt (or the value)")
    sign.add_argument("--secret-base64", action="store_true", help="the secret is base64 (or base64url)")
    sign.add_argument("--new-key", choices=_NEW_KEY_ALGS, metavar="ALG",
                      help="make a new key (kept in the keychain with --key keychain:NAME)")  # fmt: skip
    sign.add_argument("--allow-weak", action="store_true", help="sign with an HMAC secret under 32 bytes")
    sign.add_argument("--allow-none", action="store_true", help="allow --alg none (an unsigned token)")
    sign.add_argument("--format", choices=("compact", "json"), default="compact",
                      help="compact (default): the token; json: header, payload and token")  # fmt: skip


def _register_encrypt(jsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    enc = jsub.add_parser(
        "encrypt",
        help="encrypt a payload or a token (JWE) for a recipient's key",
        description="Make a compact JWE. The input is any payload; a signed token (three segments) gets "
        "cty JWT, a nested JWT. RSA keys use RSA-OAEP-256, EC/X25519 keys ECDH-ES+A256KW, a 32-byte secret "
        "A256KW (or dir).",
        epilog="examples:\n"
        "  workbench jwt sign --key me.pem --sub alice | workbench jwt encrypt --key bob.pub.pem -\n"
        "  workbench jwt encrypt --secret @env:K --secret-base64 --alg dir --enc A128CBC-HS256 claims.json\n"
        '  workbench decode "$JWE" --decrypt-key bob.pem --key me.pub.pem\n',
    )
    enc.add_argument(
        "input", nargs="?", default="-", metavar="INPUT_FILE|-", help="what to encrypt (default stdin)"
    )
    keys = enc.add_mutually_exclusive_group(required=True)
    keys.add_argument("--key", metavar="FILE", help="the recipient's key: PEM or JWK (public is enough)")
    keys.add_argument("--secret", metavar="S", help="a shared key for A256KW/dir: @env:VAR, @FILE, @prompt")
    enc.add_argument("--secret-base64", action="store_true", help="the secret is base64 (or base64url)")
    enc.add_argument("--alg", choices=_JWE_ALGS, metavar="ALG", help=f"one of {', '.join(_JWE_ALGS)}")
    enc.add_argument(
        "--enc", choices=_JWE_ENCS, metavar="ENC", help=f"one of {', '.join(_JWE_ENCS)} (default A256GCM)"
    )
    enc.add_argument("--cty", metavar="TYPE", help="content type (default JWT for a signed token, else none)")
    enc.add_argument("--header", action="append", default=[], metavar="K=V", help="another header parameter")
    enc.add_argument(
        "--format", choices=("compact", "json"), default="compact", help="json: header and token"
    )


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.jwt_command == "sign":
        return _sign(args, ctx)
    if args.jwt_command == "encrypt":
        return _encrypt(args)
    raise InputError(f"unknown jwt action '{args.jwt_command}'")  # pragma: no cover - argparse checks


# --------------------------------------------------------------------------- sign


def _sign(args: argparse.Namespace, ctx: AppContext) -> int:
    payload: dict[str, Any] = {}
    if args.payload is not None:
        data, source = read_input(args.payload, what="a payload")
        payload = payload_from_text(data, source=source)
    spec = TokenSpec(
        payload=payload,
        claims=tuple(parse_assignment(c, what="--claim") for c in args.claim),
        headers=tuple(parse_assignment(h, what="--header") for h in args.header),
        alg=args.alg,
        exp=args.exp,
        nbf=args.nbf,
        iat=args.iat,
        iss=args.iss,
        sub=args.sub,
        aud=tuple(args.aud),
        jti=args.jti,
        allow_weak=args.allow_weak,
        allow_none=args.allow_none,
    )
    signed = sign_jwt(ctx, spec, _key_choice(args))
    for warning in signed.forged.warnings:
        print(f"workbench: warning: {warning}", file=sys.stderr)
    if signed.generated is not None:
        kept = (
            f"kept in the keychain as '{signed.generated.name}'"
            if signed.generated.name
            else "not kept (add --key keychain:NAME to keep one)"
        )
        kid = signed.generated.public_jwk["kid"]
        print(f"workbench: made a new {signed.generated.alg} key (kid {kid}), {kept}", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(json.dumps(signed.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(signed.forged.token + "\n")
    return 0


def _key_choice(args: argparse.Namespace) -> Any:
    key_arg: str | None = args.key
    if args.secret_base64 and args.secret is None and not _wants_prompt(args):
        raise InputError("--secret-base64 describes --secret; give --secret too")
    if args.new_key is not None:
        if key_arg is not None and not key_arg.startswith(_KEYCHAIN_PREFIX):
            raise InputError("--new-key makes a key: combine it with --key keychain:NAME, not a key file")
        if args.profile is not None or args.secret is not None:
            raise InputError("--new-key makes the signing key: leave out --profile and --secret")
        name = key_arg[len(_KEYCHAIN_PREFIX) :] if key_arg else None
        return KeyChoice(keychain=name or None, new_alg=args.new_key)
    if key_arg is not None:
        if key_arg.startswith(_KEYCHAIN_PREFIX):
            return KeyChoice(keychain=key_arg[len(_KEYCHAIN_PREFIX) :])
        text, source = read_key_file(key_arg)
        return KeyChoice(text=text, source=source)
    if args.profile is not None:
        return KeyChoice(profile=args.profile)
    if args.secret is not None:
        return KeyChoice(secret=decode_secret(read_secret(args.secret), base64=args.secret_base64))
    if _wants_prompt(args):
        if args.payload == "-" and not _has_terminal():
            raise InputError(
                "the payload comes from stdin, so the secret cannot be asked for there",
                hint="give it with --secret @env:VAR or --secret @FILE",
            )
        return KeyChoice(secret=decode_secret(_prompt_secret(), base64=args.secret_base64))
    return KeyChoice()


def _wants_prompt(args: argparse.Namespace) -> bool:
    alg = getattr(args, "alg", None)
    return isinstance(alg, str) and alg.startswith("HS")


# --------------------------------------------------------------------------- encrypt


def _encrypt(args: argparse.Namespace) -> int:
    if args.key is not None:
        text, source = read_key_file(args.key)
        key = encryption_key(text=text, source=source)
    else:
        key = encryption_key(secret=decode_secret(read_secret(args.secret), base64=args.secret_base64))
    data, _source = read_input(args.input, what="a payload")
    plaintext = data.strip() if _is_token_text(data) else data
    headers = tuple(parse_assignment(h, what="--header") for h in args.header)
    result = encrypt_token(plaintext, key, alg=args.alg, enc=args.enc, cty=args.cty, headers=headers)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(result.token + "\n")
    return 0


def _is_token_text(data: bytes) -> bool:
    return looks_like_compact_jws(data)


# --------------------------------------------------------------------------- input helpers


def read_input(value: str, *, what: str) -> tuple[bytes, str]:
    """A file's bytes or stdin's (``-``), at most 1 MiB, and how to name it in messages."""
    if value == "-":
        data = sys.stdin.buffer.read(MAX_PAYLOAD_BYTES + 1)
        if len(data) > MAX_PAYLOAD_BYTES:
            raise InputError(f"more than 1 MiB on stdin; that is not {what}")
        return data, "stdin"

    return read_small_file(Path(value).expanduser(), MAX_PAYLOAD_BYTES, value, what=what), value


def read_key_file(value: str, flag: str = "--key") -> tuple[str, str]:
    """A PEM/JWK key from a file (or given inline, starting with ``{`` or ``-----BEGIN``)."""
    stripped = value.lstrip()
    if stripped.startswith(("{", "-----BEGIN")):
        return value, flag

    data = read_small_file(Path(value).expanduser(), MAX_KEY_FILE_BYTES, f"{flag} {value}", what="a key")
    try:
        return data.decode("utf-8"), value
    except UnicodeDecodeError:
        raise InputError(
            f"{flag} {value}: not UTF-8 text (a PEM or JWK key expected; DER is not read)"
        ) from None


def read_secret(raw: str) -> str:
    """``@env:VAR``, ``@FILE``, ``@prompt`` (asked without echo), ``@@x`` (the literal @x), or the value."""
    import os

    if raw.startswith("@@"):
        value = raw[1:]
    elif raw == "@prompt":
        value = _prompt_secret()
    elif raw.startswith("@env:"):
        variable = raw[len("@env:") :]
        if not variable:
            raise InputError("--secret @env: needs a variable name (@env:VAR)")
        found = os.environ.get(variable)
        if found is None:
            raise InputError(f"--secret @env:{variable}: that environment variable is not set")
        value = found
    elif raw.startswith("@") and len(raw) > 1:
        data = read_small_file(
            Path(raw[1:]).expanduser(), MAX_KEY_FILE_BYTES, f"--secret {raw}", what="a secret"
        )
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"--secret {raw}: not UTF-8 text (a binary secret: store it base64, "
                             "use --secret-base64)") from None  # fmt: skip
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    else:
        value = raw
    if not value:
        raise InputError("the secret is empty")
    return value


def _has_terminal() -> bool:
    """getpass asks on the controlling terminal when there is one, else on stdin."""
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return sys.stdin.isatty()


def _prompt_secret() -> str:
    import getpass
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            value = getpass.getpass("HMAC secret (not echoed): ")
    except EOFError:
        raise InputError("no secret given (end of input)") from None
    if not value:
        raise InputError("the secret is empty")
    return value
