"""Token introspection (RFC 7662): ask the issuer whether a token is active and what it knows of it.

One POST to the introspection endpoint with `token` and `token_type_hint`, authenticated the way
the profile authenticates at the token endpoint (`ClientCredentials.apply`: Basic, post,
client_secret_jwt, private_key_jwt). No DPoP proof: RFC 7662 asks for client authentication only,
and a DPoP profile's introspection is that plain POST.

The token is a secret: it goes only in the request body (never in a URL, so never in a log line
or the history), and an error answer that echoes it is redacted before it becomes a message."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ProviderResponseError
from workbench.core.jose.inspect.results import format_moment, humanize_relative, iso_utc
from workbench.core.oauth.protocol import OAuthError, error_line
from workbench.core.oauth.sender import post_form
from workbench.core.redact import REDACTED, redact

if TYPE_CHECKING:
    from workbench.core.oauth.discovery import OAuthTransport
    from workbench.core.oauth.protocol import ClientCredentials

HINTS = ("access_token", "refresh_token")
# The members shown first, in this order (RFC 7662 §2.2); the others follow by name.
_FIRST = (
    "scope",
    "client_id",
    "username",
    "token_type",
    "sub",
    "aud",
    "iss",
    "exp",
    "iat",
    "nbf",
    "jti",
    "cnf",
)
_TIMES = ("exp", "iat", "nbf")


@dataclass(frozen=True)
class Introspected:
    """What the issuer said of one token. `claims`: the answer's members other than `active`."""

    profile: str
    endpoint: str
    active: bool
    claims: dict[str, Any] = field(repr=False)
    checked_at: float
    token_type_hint: str

    def expires_at(self) -> float | None:
        exp = self.claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int | float) or not math.isfinite(exp):
            return None
        return float(exp)

    def to_json(self) -> dict[str, Any]:
        """The `introspection` member of `decode --introspect --json`."""
        exp = self.expires_at()
        return {
            "profile": self.profile,
            "endpoint": self.endpoint,
            "active": self.active,
            "token_type_hint": self.token_type_hint,
            "claims": self.claims,
            "expires_at": _iso(exp),
            "expires_in": None if exp is None else int(exp - self.checked_at),
        }


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    try:
        return iso_utc(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def introspect(
    http: OAuthTransport,
    endpoint: str,
    creds: ClientCredentials,
    token: str,
    hint: str,
    *,
    now: float,
    what: str = "token introspection",
) -> tuple[bool, dict[str, Any]]:
    """(active, the other members) from the issuer's introspection endpoint (RFC 7662 §2)."""
    answer = post_form(
        http, endpoint, creds, [("token", token), ("token_type_hint", hint)], now=now, what=what, dpop=None
    )
    document = answer.json()
    if answer.status != 200:
        line, code = error_line(document, answer.status, what)
        line = redact(line, (token, *creds.secret_values()))
        raise OAuthError(line, status=answer.status, error_type=code)
    if not isinstance(document, Mapping) or not isinstance(document.get("active"), bool):
        raise ProviderResponseError(f"{what}: the answer has no true/false `active` member (RFC 7662 §2.2)")
    claims = {str(k): _scrub(v, token) for k, v in document.items() if k != "active"}
    return bool(document["active"]), claims


def _scrub(value: Any, token: str) -> Any:
    """A server that echoes the token back does not get it shown (or written) by us."""
    if isinstance(value, str):
        return REDACTED if token in value else value
    if isinstance(value, Mapping):
        return {str(k): _scrub(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, token) for v in value]
    return value


def introspection_rows(result: Introspected, now: float) -> list[tuple[str, str]]:
    """(member, how it reads) for people: `active` first, times with how far from `now`."""
    rows = [("active", "true" if result.active else "false — the issuer does not accept this token")]
    names = [n for n in _FIRST if n in result.claims]
    names += sorted(n for n in result.claims if n not in _FIRST)
    for name in names:
        rows.append((name, _shown(name, result.claims[name], now)))
    return rows


def _shown(name: str, value: Any, now: float) -> str:
    if name in _TIMES and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return str(value)
        return f"{format_moment(moment)} ({humanize_relative(float(value) - now)})"
    if name == "cnf" and isinstance(value, Mapping):
        return ", ".join(f"{k} {v}" for k, v in value.items())  # jkt (DPoP), x5t#S256 (mTLS)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


__all__ = ["HINTS", "Introspected", "introspect", "introspection_rows"]
