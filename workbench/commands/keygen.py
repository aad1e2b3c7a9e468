"""`workbench keygen [--alg ES256|ES384|RS256|EdDSA] [--out DIR] [--profile NAME] [--dpop | --client-cert]`.

``--client-cert`` (with ``--profile``) makes a key and a self-signed client certificate for mutual
TLS (RFC 8705 §2.2, ``self_signed_tls_client_auth``): both go to the vault entry ``client_cert``;
stdout gets its ``x5t#S256`` and the certificate PEM (public: register it with the provider).

``--dpop`` (with ``--profile``) makes the profile's DPoP key (RFC 9449): stored in its vault
entry ``dpop_key``, separate from the signing key ``private_key``; stdout gets its thumbprint
(``jkt``), which the profile's DPoP-bound tokens carry as ``cnf.jkt``.

Where the private key goes:

* ``--out DIR``: ``DIR/private.pem`` (PKCS#8, created 0600), ``public.pem``,
  ``public.jwk.json`` (kid = RFC 7638 thumbprint); stdout lists the files and the kid.
* ``--profile NAME``: the private key is stored in that profile's vault entry
  ``private_key``; stdout gets the public PEM and JWK to register with the provider.
* both: both of the above.
* neither: the private key PEM is printed to stdout (you asked for it on your
  terminal), followed by the public PEM and JWK. Nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.core.errors import InputError, ProfileError
from workbench.core.jose.keys import generate_key_pair, write_key_files
from workbench.core.operations import NoKeySlotError, attach_private_key, check_key_generation
from workbench.core.operations.dpop import attach_dpop_key, check_dpop_slot
from workbench.core.operations.mtls import check_client_cert_slot, make_client_certificate

if TYPE_CHECKING:
    from workbench.core.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser."""
    kg = sub.add_parser(
        "keygen",
        help=summary("keygen"),
        epilog="--out DIR writes private.pem (PKCS#8, mode 0600), public.pem and public.jwk.json "
        "(kid = RFC 7638 thumbprint). --profile NAME stores the private key in that profile's vault "
        "entry private_key and prints the public PEM and JWK. With neither, the private key PEM is "
        "printed to stdout with the public parts, and nothing is saved.\n\n"
        "examples:\n"
        "  workbench keygen --alg ES256 --out ~/keys/tm     # then register public.pem with the provider\n"
        "  workbench keygen --profile tm                    # straight into profile tm's keychain entry\n",
    )
    kg.add_argument(
        "--alg",
        default="ES256",
        choices=["ES256", "ES384", "RS256", "EdDSA"],
        help="the key's algorithm (default ES256)",
    )
    kg.add_argument(
        "--out", metavar="DIR", help="write the key files into DIR (the private key with mode 0600)"
    )
    kg.add_argument("--profile", metavar="NAME", help="store the private key in this profile's vault entry")
    kg.add_argument(
        "--dpop",
        action="store_true",
        help="with --profile: the profile's DPoP key (vault entry dpop_key); its tokens become DPoP-bound",
    )
    kg.add_argument(
        "--client-cert",
        action="store_true",
        help="with --profile: a key and a self-signed client certificate for mutual TLS (RFC 8705, vault "
        "entry client_cert); prints the certificate to register and its x5t#S256",
    )
    kg.add_argument(
        "--days",
        type=int,
        default=365,
        metavar="N",
        help="with --client-cert: valid for N days (default 365)",
    )


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    alg = getattr(args, "alg", None) or "ES256"
    out = getattr(args, "out", None)
    profile_name = getattr(args, "profile", None)

    if getattr(args, "client_cert", False):
        return _client_cert(ctx, profile_name, alg, out, int(getattr(args, "days", 365) or 365))
    if getattr(args, "dpop", False):
        return _dpop_key(ctx, profile_name, alg, out)
    if profile_name is not None:
        _check_profile_can_hold_key(ctx, profile_name, alg)

    pair = generate_key_pair(alg)
    jwk = pair.public_jwk()
    private_pem = pair.private_pem()

    lines: list[str] = []
    secret = ""
    if out is not None:
        from pathlib import Path

        written = write_key_files(pair, Path(out).expanduser())
        lines.append(f"wrote {written['private_pem']} (private key, PKCS#8, mode 0600)")
        lines.append(f"wrote {written['public_pem']}")
        lines.append(f"wrote {written['public_jwk']}")
    if profile_name is not None:
        secret = attach_private_key(ctx, profile_name, private_pem.decode("ascii")).secret
        if out is not None:
            lines.append(f"stored the private key in profile '{profile_name}' ({secret})")
    if out is not None:
        lines.append(f"alg {alg}")
        lines.append(f"kid {jwk['kid']}")
        sys.stdout.write("\n".join(lines) + "\n")
        return 0

    if profile_name is None:
        sys.stdout.write(private_pem.decode("ascii"))
    sys.stdout.write(pair.public_pem().decode("ascii"))
    sys.stdout.write(json.dumps(jwk, indent=2) + "\n")
    sys.stdout.flush()
    if profile_name is not None:
        print(
            f"workbench: stored the private key in profile '{profile_name}' ({secret}); "
            f"register the public key above (kid {jwk['kid']})",
            file=sys.stderr,
        )
    elif sys.stdout.isatty():
        print(
            "workbench: the private key above is not saved anywhere; keep it safe "
            "(or use --out DIR / --profile NAME)",
            file=sys.stderr,
        )
    return 0


def _dpop_key(ctx: AppContext, profile_name: str | None, alg: str, out: str | None) -> int:
    """`keygen --dpop --profile NAME`: a DPoP key straight into the profile's keychain entry."""

    if profile_name is None or out is not None:
        raise InputError(
            "--dpop makes a profile's DPoP key: give --profile NAME (and no --out; the key never leaves "
            "the keychain)"
        )
    check_dpop_slot(ctx, profile_name)
    ctx.vault.require_keeping("the DPoP key cannot be kept in the profile")
    pair = generate_key_pair(alg)
    attached = attach_dpop_key(ctx, profile_name, pair.private_pem().decode("ascii"))
    print(f"stored a {attached.algorithm} DPoP key in profile '{profile_name}' ({attached.secret})")
    print(f"jkt {attached.jkt}")
    return 0


def _client_cert(ctx: AppContext, profile_name: str | None, alg: str, out: str | None, days: int) -> int:
    """`keygen --client-cert --profile NAME`: a self-signed client certificate into the keychain."""

    if profile_name is None or out is not None:
        raise InputError(
            "--client-cert makes a profile's client certificate: give --profile NAME (and no --out; the "
            "key never leaves the keychain)"
        )
    check_client_cert_slot(ctx, profile_name)
    ctx.vault.require_keeping("the client certificate's key cannot be kept")
    made = make_client_certificate(ctx, profile_name, alg=alg, days=days)
    print(
        f"stored a {alg} key and a self-signed client certificate in profile '{profile_name}' "
        f"({made.secret})",
        file=sys.stderr,
    )
    print(f"x5t#S256 {made.thumbprint}")
    sys.stdout.write(made.certificate_pem)
    return 0


def _check_profile_can_hold_key(ctx: AppContext, name: str, alg: str) -> None:
    """Fail before generating anything if the key could not be kept in the profile."""

    try:
        check_key_generation(ctx, name, alg)  # ProfileError names a missing profile
    except NoKeySlotError as exc:
        raise ProfileError(str(exc), hint="use --out DIR to write the key to files instead") from None
    ctx.vault.require_keeping(
        "the private key cannot be kept in the profile", hint="use --out DIR alone to write it to files"
    )
