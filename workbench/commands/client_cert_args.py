"""`profile add|set ... --client-cert FILE [--client-key FILE] [--client-cert-password SOURCE]
[--tls-ca-file FILE]`: a client certificate for mutual TLS (RFC 8705) and the CA file a profile's
TLS trusts. The certificate is read and checked (key match, dates, PKCS#12 password) before the
profile is touched; the key goes to the keychain with it (the `client_cert` secret), never to the
profile file. A PKCS#12 password is `@env:VAR`, `@-`, `@FILE`, or asked for without echo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.core.errors import ClientCertError, InputError
from workbench.core.jose.x509 import CLIENT_CERT_SECRET, MAX_CERT_BYTES, load_client_certificate
from workbench.core.storage import files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-cert",
        metavar="FILE",
        help="mutual TLS (RFC 8705): a PEM (certificate and key) or PKCS#12 (.p12/.pfx) file; the key "
        "goes to the keychain",
    )
    parser.add_argument("--client-key", metavar="FILE", help="the PEM private key, when not in --client-cert")
    parser.add_argument(
        "--client-cert-password",
        metavar="@env:VAR|@-|@FILE",
        help="the PKCS#12 (or encrypted key) password; asked for without echo when needed and omitted",
    )
    parser.add_argument(
        "--tls-ca-file",
        metavar="FILE",
        help="trust only the certificates in this PEM file for the profile's TLS (a private CA, or the "
        "server's self-signed certificate) instead of the OS store",
    )


def given(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "client_cert", None) or getattr(args, "tls_ca_file", None))


def settings_from(args: argparse.Namespace) -> dict[str, Any] | None:
    ca = getattr(args, "tls_ca_file", None)
    if not ca:
        return None
    path = Path(ca).expanduser()
    if not path.is_file():
        raise InputError(f"--tls-ca-file {ca}: no such file", field="settings.tls_ca_file")
    return {"tls_ca_file": str(path.resolve())}


def certificate_secret(args: argparse.Namespace, profile: str) -> dict[str, str]:
    """{"client_cert": bundle} from `--client-cert` (checked), or {} when it is not given."""
    cert_file = getattr(args, "client_cert", None)
    key_file = getattr(args, "client_key", None)
    if not cert_file:
        if key_file or getattr(args, "client_cert_password", None):
            raise InputError("--client-key and --client-cert-password go with --client-cert FILE")
        return {}
    data = _read(cert_file, "--client-cert")
    key = _read(key_file, "--client-key") if key_file else None
    password = _password(getattr(args, "client_cert_password", None))
    try:
        cert = load_client_certificate(data, key=key, password=password)
    except ClientCertError as exc:
        if password is not None or "password" not in str(exc) or not sys.stdin.isatty():
            raise
        cert = load_client_certificate(data, key=key, password=_ask(profile))
    return {CLIENT_CERT_SECRET: cert.bundle()}


def _read(name: str, flag: str) -> bytes:
    return files.read_small_file(
        Path(name).expanduser(), MAX_CERT_BYTES, f"{flag} {name}", what="a certificate or key"
    )


def _password(source: str | None) -> str | None:
    if source is None:
        return None
    from workbench.commands.profile import resolve_secret_value

    if not source.startswith("@"):
        raise InputError(
            "--client-cert-password takes @env:VAR, @- or @FILE (a password on the command line would "
            "stay in the shell's history)"
        )
    return resolve_secret_value("client_cert_password", source)


def _ask(profile: str) -> str:
    import getpass

    try:
        return getpass.getpass(f"password of the client certificate for profile '{profile}' (not echoed): ")
    except EOFError:
        raise InputError("--client-cert-password: no value given (end of input)") from None
