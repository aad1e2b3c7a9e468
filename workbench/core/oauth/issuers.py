"""Issuer identifiers, plain or multi-tenant templates (Microsoft: `…/{tenantid}/v2.0`).

A template matches the profile's base URL, a redirect's RFC 9207 `iss` or a token's `iss` only
with exactly one plain path segment in place of `{tenantid}`; an id_token's `iss` must be the
template filled with that token's own `tid` claim (`protocol.validate_id_token`).
"""

from __future__ import annotations

import re

# A multi-tenant issuer names itself as a template (Microsoft: `…/{tenantid}/v2.0`).
TENANT_PLACEHOLDER = "{tenantid}"
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


def is_issuer_template(issuer: str) -> bool:
    return TENANT_PLACEHOLDER in issuer


def issuer_for_tenant(template: str, tid: object) -> str | None:
    """The template filled with `tid`; None when `tid` is not one plain path segment."""
    if not isinstance(tid, str) or not _TENANT.match(tid) or template.count(TENANT_PLACEHOLDER) != 1:
        return None
    return template.replace(TENANT_PLACEHOLDER, tid)


def matches_issuer(issuer: str, candidate: str) -> bool:
    """`candidate` is `issuer`, or, for a template, the template with one tenant segment filled in."""
    if not is_issuer_template(issuer):
        return candidate.strip().rstrip("/") == issuer.strip().rstrip("/")
    prefix, _, suffix = issuer.strip().rstrip("/").partition(TENANT_PLACEHOLDER)
    text = candidate.strip().rstrip("/")
    if TENANT_PLACEHOLDER in suffix or len(text) <= len(prefix) + len(suffix):
        return False
    if not (text.startswith(prefix) and text.endswith(suffix)):
        return False
    return bool(_TENANT.match(text[len(prefix) : len(text) - len(suffix)]))


__all__ = ["TENANT_PLACEHOLDER", "is_issuer_template", "issuer_for_tenant", "matches_issuer"]
