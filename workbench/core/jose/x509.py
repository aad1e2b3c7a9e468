"""Client certificates for mutual TLS (RFC 8705): read, check, make, and the `cnf.x5t#S256` binding.

A profile's client certificate and its private key are one vault secret, `client_cert`: a PEM
bundle of the certificate (then any intermediates) and the PKCS#8 private key. The user gives
them as a PEM file (certificate and key in one file, or the key in a second file) or as a
PKCS#12 file (`.p12` / `.pfx`, with its password); either way what is stored is that bundle,
checked first: the key must be the certificate's, the certificate must be valid now, a PKCS#12
password must open the file. Each refusal is one line naming what is wrong; nothing is stored.

`x5t#S256` (RFC 8705 §3.1) is the base64url SHA-256 of the certificate's DER: what a
certificate-bound access token carries in `cnf` and what the inspector compares.

Nothing here talks to the network; the TLS context that presents the certificate is built in
`net/mtls.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import ClientCertError
from workbench.core.jose.cnf import Confirmation
from workbench.core.jose.keys import b64url_encode

CLIENT_CERT_SECRET = "client_cert"  # noqa: S105 - the name of a vault entry, not a secret
# A certificate or PKCS#12 file is small; a bigger input is not one.
MAX_CERT_BYTES = 256 * 1024
DEFAULT_CERT_DAYS = 365
_PEM_CERT = b"-----BEGIN CERTIFICATE-----"
_KEY_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?-----END \1-----", re.S)


@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate (with its chain) and its private key, checked to belong together."""

    chain_pem: str  # the certificate, then any intermediates (public)
    key_pem: str = field(repr=False)  # PKCS#8, unencrypted: lives only in memory and the vault
    thumbprint: str = ""  # x5t#S256 of the leaf certificate
    subject: str = ""
    issuer: str = ""
    not_after: float = 0.0
    self_signed: bool = False

    def bundle(self) -> str:
        """What the vault keeps: the chain, then the key."""
        return self.chain_pem.rstrip("\n") + "\n" + self.key_pem.rstrip("\n") + "\n"


def x5t_s256(der: bytes) -> str:
    """RFC 8705 §3.1: base64url (no padding) of the SHA-256 of the certificate's DER."""
    return b64url_encode(hashlib.sha256(der).digest())


def from_bundle(text: str, *, now: float | None = None, check_dates: bool = False) -> ClientCertificate:
    """The stored bundle back as a certificate (the checks run again; dates only if asked)."""
    return _assemble(text.encode("utf-8"), None, now=now, check_dates=check_dates)


def load_client_certificate(
    data: bytes,
    *,
    key: bytes | None = None,
    password: str | None = None,
    now: float | None = None,
) -> ClientCertificate:
    """Read a PEM (certificate and key, or the key in `key`) or a PKCS#12 file and check it:
    the key is the certificate's and the certificate is valid at `now`."""
    if len(data) > MAX_CERT_BYTES or (key is not None and len(key) > MAX_CERT_BYTES):
        raise ClientCertError("the client certificate file is larger than a certificate can be")
    if _PEM_CERT in data:
        return _assemble(data, key, now=now, check_dates=True, password=password)
    if data.lstrip().startswith(b"-----BEGIN"):
        raise ClientCertError(
            "the file holds no certificate (-----BEGIN CERTIFICATE-----)",
            hint="give the certificate file with --client-cert and its key with --client-key",
        )
    return _from_pkcs12(data, password, now=now)


def _from_pkcs12(data: bytes, password: str | None, *, now: float | None) -> ClientCertificate:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    secret = password.encode("utf-8") if password else None
    try:
        loaded = pkcs12.load_pkcs12(data, secret)
    except ValueError as exc:
        text = str(exc).lower()
        if ("password" in text or "mac" in text or "decrypt" in text) and not password:
            raise ClientCertError(
                "the PKCS#12 file is protected by a password; none was given",
                hint="give it with --client-cert-password (asked for without echo at a terminal)",
            ) from None
        if "password" in text or "mac" in text or "decrypt" in text:
            raise ClientCertError(
                "the PKCS#12 file could not be opened with that password",
                hint="give its password again (--client-cert-password)",
            ) from None
        raise ClientCertError(
            "the client certificate is neither PEM nor a PKCS#12 (.p12/.pfx) file"
        ) from None
    except TypeError:
        raise ClientCertError(
            "the PKCS#12 file is protected by a password; none was given",
            hint="give it with --client-cert-password (it is asked for without echo when omitted)",
        ) from None
    if loaded.cert is None or loaded.key is None:
        raise ClientCertError("the PKCS#12 file must hold a certificate and its private key")
    pem = serialization.Encoding.PEM
    chain = [loaded.cert.certificate.public_bytes(pem)]
    chain += [extra.certificate.public_bytes(pem) for extra in loaded.additional_certs]
    key_pem = loaded.key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return _assemble(b"".join(chain) + key_pem, None, now=now, check_dates=True)


def _assemble(
    data: bytes,
    key: bytes | None,
    *,
    now: float | None,
    check_dates: bool,
    password: str | None = None,
) -> ClientCertificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ClientCertError("the client certificate PEM cannot be read") from None
    private = _private_key(key if key is not None else data, password)
    leaf = certs[0]
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        raise ClientCertError(
            "the private key does not match the client certificate (it belongs to another certificate)",
            hint="give the key that was made with this certificate",
        )
    not_before = leaf.not_valid_before_utc.timestamp()
    not_after = leaf.not_valid_after_utc.timestamp()
    if check_dates:
        moment = dt.datetime.now(dt.UTC).timestamp() if now is None else now
        if moment > not_after:
            raise ClientCertError(
                f"the client certificate expired on {_day(not_after)}",
                hint="renew it, or make a new one with `workbench keygen --client-cert --profile NAME`",
            )
        if moment < not_before:
            raise ClientCertError(f"the client certificate is not valid before {_day(not_before)}")
    pem = serialization.Encoding.PEM
    key_pem = private.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ClientCertificate(
        chain_pem="".join(c.public_bytes(pem).decode("ascii") for c in certs),
        key_pem=key_pem.decode("ascii"),
        thumbprint=x5t_s256(leaf.public_bytes(serialization.Encoding.DER)),
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        not_after=not_after,
        self_signed=leaf.subject == leaf.issuer,
    )


def _private_key(data: bytes, password: str | None) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    found = _KEY_BLOCK.search(data)
    if found is None:
        raise ClientCertError(
            "no private key was given with the client certificate",
            hint="put the key in the same PEM file, or give it with --client-key FILE",
        )
    pem = found.group(0)
    try:
        return load_pem_private_key(pem, password.encode("utf-8") if password else None)
    except TypeError:
        raise ClientCertError(
            "the client certificate's private key is encrypted; give its password with --client-cert-password"
        ) from None
    except ValueError:
        raise ClientCertError(
            "the client certificate's private key cannot be read (or the password is wrong)"
        ) from None


def _day(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def self_signed_certificate(
    private_pem: str, *, common_name: str, days: int = DEFAULT_CERT_DAYS, now: float | None = None
) -> ClientCertificate:
    """A self-signed client certificate for `private_pem` (RFC 8705 §2.2, self_signed_tls_client_auth)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = serialization.load_pem_private_key(private_pem.encode("ascii"), None)
    moment = dt.datetime.now(dt.UTC) if now is None else dt.datetime.fromtimestamp(now, dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
        .not_valid_after(moment + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)  # type: ignore[arg-type]
    )
    digest = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(key, digest)  # type: ignore[arg-type]
    chain = cert.public_bytes(serialization.Encoding.PEM)
    return _assemble(chain + private_pem.encode("ascii"), None, now=now, check_dates=True)


# --------------------------------------------------------------------------- cnf.x5t#S256


# A certificate-bound token names the certificate's thumbprint in `cnf.x5t#S256` (RFC 8705 §3.1).
CERT_CNF = Confirmation(
    "x5t#S256",
    adjective="certificate-bound",
    thing="certificate",
    own="client certificate",
    own_short="certificate",
)
token_x5t = CERT_CNF.of
describe_cert_binding = CERT_CNF.describe


def cert_binding_problem(
    claims: Mapping[str, Any] | None, thumbprint: str, what: str, *, required: bool
) -> str | None:
    """Why a token answered over mutual TLS must not be stored, or None. A JWT bound to another
    certificate is refused; a JWT without `cnf.x5t#S256` only when the profile asked for bound
    tokens (`required`). An opaque token cannot be checked here."""
    if claims is None:
        return None
    bound = token_x5t(claims)
    if bound is None:
        if not required:
            return None
        return (
            f"{what} answered a token without cnf.x5t#S256: the server dropped the certificate binding "
            "the profile asks for (bound_tokens); nothing was stored"
        )
    if bound != thumbprint:
        return (
            f"{what} answered a token bound to another certificate (cnf.x5t#S256 {bound}, the profile's "
            f"certificate is {thumbprint}); nothing was stored"
        )
    return None


__all__ = [
    "CERT_CNF",
    "CLIENT_CERT_SECRET",
    "ClientCertificate",
    "cert_binding_problem",
    "describe_cert_binding",
    "from_bundle",
    "load_client_certificate",
    "self_signed_certificate",
    "token_x5t",
    "x5t_s256",
]
