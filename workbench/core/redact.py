"""The one redaction helper. Anything that may end up in a message, log or history goes through it."""

from __future__ import annotations

import re
from collections.abc import Iterable

# JWTs (three base64url parts), PEM blocks, bearer values, and long opaque strings.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_PEM = re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_LONG_OPAQUE = re.compile(r"\b[A-Za-z0-9_-]{32,}\b")

REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove known secret values and anything that looks like a credential."""
    for value in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    text = _PEM.sub(REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _LONG_OPAQUE.sub(REDACTED, text)
    return text


def looks_like_credential(text: str) -> bool:
    """True when `text` holds something that is a credential by its shape: a JWT, a PEM block, or a
    `Bearer`/`Basic` value. (Narrower than `redact`: long ids such as UUIDs are not flagged.)"""
    return bool(_JWT.search(text) or _PEM.search(text) or _BEARER.search(text))


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """A URL safe to store or show: userinfo dropped, every query value and the fragment replaced."""
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

    secrets = list(secrets)
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
    except ValueError:
        return redact(url.split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1], secrets)
    query = ""
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = "&".join(f"{redact(key, secrets)}={REDACTED}" for key, _ in pairs)
        if not pairs:
            query = REDACTED
    fragment = REDACTED if parts.fragment else ""
    path = redact(parts.path, secrets)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def fingerprint(value: str) -> str:
    """A short, non-reversible tag for a secret, safe to store and compare (e.g. "sha256:1a2b3c4d")."""
    import hashlib

    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]
