"""Mutual TLS operations (RFC 8705): give a profile a client certificate (a file the user has, or
a self-signed one made here), say which certificate a profile presents, and whether a token is
bound to it (`cnf.x5t#S256`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import ClientCertError, ProfileError
from workbench.core.jose.keys import generate_key_pair
from workbench.core.jose.x509 import (
    CLIENT_CERT_SECRET,
    MAX_CERT_BYTES,
    ClientCertificate,
    from_bundle,
    load_client_certificate,
    self_signed_certificate,
)
from workbench.core.operations.secrets import store_listed_secret
from workbench.core.storage import files

if TYPE_CHECKING:
    from workbench.core.context import AppContext


@dataclass(frozen=True)
class ClientCertAttached:
    """A client certificate and its key were stored in the profile's `client_cert` secret."""

    profile: str
    secret: str
    thumbprint: str  # x5t#S256: what `cnf.x5t#S256` of its bound tokens must say
    subject: str
    not_after: float
    self_signed: bool
    replaced: bool
    certificate_pem: str  # public: to register with the provider


@dataclass(frozen=True)
class ClientCertInfo:
    """What the profile editor shows of a profile's client certificate (never the key)."""

    thumbprint: str
    subject: str
    issuer: str
    not_after: float
    self_signed: bool


def check_client_cert_slot(ctx: AppContext, name: str) -> None:
    """The profile's preset takes a `client_cert` (ProfileError naming the profile otherwise)."""
    profile = ctx.profiles.get(name)
    if CLIENT_CERT_SECRET not in {spec.name for spec in profile.preset.secret_inputs}:
        raise ProfileError(
            f"profile '{name}' (preset {profile.preset_name}) cannot use a client certificate: only the "
            "OAuth presets do mutual TLS",
            field=f"secrets.{CLIENT_CERT_SECRET}",
        )


def attach_client_certificate(
    ctx: AppContext,
    name: str,
    data: bytes,
    *,
    key: bytes | None = None,
    password: str | None = None,
) -> ClientCertAttached:
    """Check a PEM (certificate and key, or the key in `key`) or PKCS#12 file and store it as the
    profile's client certificate; refused in one line, nothing stored, when the key is not the
    certificate's, the certificate is expired, or the PKCS#12 password is wrong."""
    check_client_cert_slot(ctx, name)
    cert = load_client_certificate(data, key=key, password=password, now=ctx.clock.now())
    return _store(ctx, name, cert)


def make_client_certificate(
    ctx: AppContext, name: str, *, alg: str = "ES256", days: int = 365, common_name: str | None = None
) -> ClientCertAttached:
    """`keygen --client-cert`: a new key and a self-signed certificate for it (RFC 8705 §2.2,
    `self_signed_tls_client_auth`), stored in the profile; its PEM is returned to register."""
    check_client_cert_slot(ctx, name)
    if days < 1:
        raise ClientCertError("a certificate must be valid for at least one day (--days)")
    profile = ctx.profiles.get(name)
    cn = common_name or (profile.vars.get("client_id") or "").strip() or name
    pair = generate_key_pair(alg)
    cert = self_signed_certificate(
        pair.private_pem().decode("ascii"), common_name=cn, days=days, now=ctx.clock.now()
    )
    return _store(ctx, name, cert)


def _store(ctx: AppContext, name: str, cert: ClientCertificate) -> ClientCertAttached:
    replaced, _listed = store_listed_secret(ctx, name, CLIENT_CERT_SECRET, cert.bundle())
    return ClientCertAttached(
        profile=name,
        secret=CLIENT_CERT_SECRET,
        thumbprint=cert.thumbprint,
        subject=cert.subject,
        not_after=cert.not_after,
        self_signed=cert.self_signed,
        replaced=replaced,
        certificate_pem=cert.chain_pem,
    )


def client_certificate_info(ctx: AppContext, name: str) -> ClientCertInfo | None:
    """The profile's client certificate as the editor shows it (None: it has none)."""
    profile = ctx.profiles.get(name)
    if CLIENT_CERT_SECRET not in profile.secret_names:
        return None
    bundle = ctx.vault.load(name, CLIENT_CERT_SECRET)
    if not bundle:
        return None
    return _info(from_bundle(bundle))


def profile_cert_thumbprint(ctx: AppContext, name: str) -> str | None:
    """The `x5t#S256` of profile `name`'s client certificate, for comparing with a token's
    `cnf.x5t#S256` (None: it has no usable certificate)."""
    try:
        info = client_certificate_info(ctx, name)
    except (ClientCertError, ProfileError):
        return None
    return info.thumbprint if info is not None else None


def read_certificate_file(path: str, *, password: str | None = None) -> tuple[str, ClientCertInfo]:
    """A PEM or PKCS#12 file the profile editor's "From file…" chose, checked and turned into the
    bundle the `client_cert` field holds (the key in memory only, until the editor saves it to
    the keychain), with what to show of it. ClientCertError: wrong password, no key, expired."""
    data = files.read_small_file(Path(path).expanduser(), MAX_CERT_BYTES, path, what="a certificate")
    cert = load_client_certificate(data, password=password)
    return cert.bundle(), _info(cert)


def describe_info(info: ClientCertInfo) -> str:
    """One line for the editor: the thumbprint, who it names, until when."""
    import datetime as dt

    until = dt.datetime.fromtimestamp(info.not_after, dt.UTC).strftime("%Y-%m-%d")
    kind = "self-signed" if info.self_signed else f"issued by {info.issuer}"
    return f"x5t#S256 {info.thumbprint} · {info.subject} · {kind} · valid until {until}"


def _info(cert: ClientCertificate) -> ClientCertInfo:
    return ClientCertInfo(cert.thumbprint, cert.subject, cert.issuer, cert.not_after, cert.self_signed)
