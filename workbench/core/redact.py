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


def sent_forms(value: str) -> set[str]:
    """`value` in every encoding it may have gone out in, and so come back in a provider's echo:
    as is, percent-encoded (path, query, form body: `quote`, `quote_plus`), JSON-escaped, base64
    (standard and URL-safe, unpadded)."""
    import base64
    import json
    from urllib.parse import quote, quote_plus

    raw = value.encode("utf-8", "surrogatepass")
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        base64.b64encode(raw).decode("ascii").rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
    }
    return {form for form in forms if form}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove known secret values (in every encoding they went out in, whatever their length: a
    provider's echo of a short bearer or a form-encoded client secret is still that secret) and
    anything that looks like a credential."""
    forms: set[str] = set()
    for value in secrets:
        if value:
            forms |= sent_forms(value)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
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


def reopen_url(recorded: str) -> tuple[str, list[str]]:
    """A recorded (redacted) URL made ready to edit and send again: every query value that was
    redacted becomes empty, and the names of those parameters are returned so a front end can
    mark them ("fill in"). The `[redacted]` placeholder is never kept in a query value; one left
    in the path or the fragment stays visible (`render_request` refuses to send it)."""
    from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(recorded)
    except ValueError:
        return recorded, []
    missing: list[str] = []
    pairs = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if value == REDACTED:
            missing.append(key)
            value = ""
        pairs.append((key, value))
    query = urlencode(pairs, quote_via=quote, safe="/:,") if parts.query != REDACTED else ""
    fragment = "" if parts.fragment == REDACTED else parts.fragment
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment)), missing


def fingerprint(value: str) -> str:
    """A short, non-reversible tag for a secret, safe to store and compare (e.g. "sha256:1a2b3c4d")."""
    import hashlib

    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]
