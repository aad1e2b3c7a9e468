"""Describing a header's ``x5c`` certificate chain (RFC 7515 §4.1.6): read, never trusted.

Each entry is standard base64 (not base64url) of a DER certificate. We show who each one
names and when it is valid; nothing is checked against a trust store and no key in it is
used, so a token cannot vouch for itself this way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC
from typing import Any

from workbench.core.jose.inspect.results import CertificateInfo

MAX_CERTIFICATES = 10  # real chains are 1-4 long; the token's 64 KiB cap bounds the rest


def describe_chain(entries: Any) -> tuple[CertificateInfo, ...]:
    """One `CertificateInfo` per entry (an unreadable entry says why); () when x5c is not a list."""
    if not isinstance(entries, list):
        return (CertificateInfo(0, error="x5c is not a list of certificates"),) if entries is not None else ()
    return tuple(_describe(i, entry) for i, entry in enumerate(entries[:MAX_CERTIFICATES]))


def _describe(index: int, entry: Any) -> CertificateInfo:
    if not isinstance(entry, str):
        return CertificateInfo(index, error="the entry is not a base64 string")
    try:
        der = base64.b64decode("".join(entry.split()), validate=True)
    except (binascii.Error, ValueError):
        return CertificateInfo(index, error="the entry is not valid base64 (x5c uses standard base64)")
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
        not_before = cert.not_valid_before_utc.astimezone(UTC)
        not_after = cert.not_valid_after_utc.astimezone(UTC)
        serial = format(cert.serial_number, "x")
    except (ValueError, TypeError):
        return CertificateInfo(index, error="the entry is not a DER X.509 certificate")
    return CertificateInfo(
        index,
        subject=subject or "(empty subject)",
        issuer=issuer or "(empty issuer)",
        not_before=not_before,
        not_after=not_after,
        serial=serial,
        sha256=hashlib.sha256(der).hexdigest(),
    )
