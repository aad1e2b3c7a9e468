"""What a token's header and claims say: header warnings and the time claims (exp, iat, nbf)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workbench.core.durations import humanize_duration
from workbench.core.jose.inspect.results import TokenWarning, format_moment, humanize_relative
from workbench.core.redact import redact

LONG_LIFETIME_SECONDS = 24 * 3600
_NONE_ALGS = frozenset({"none"})
# Characters that have no business in a key id and hint at path traversal,
# SQL or shell injection against servers that use the kid to look up a key.
# An RFC 7638 thumbprint is base64url and may hold "--": that alphabet alone is never an attack.
_BASE64URL_KID = re.compile(r"[A-Za-z0-9_-]+")
_SUSPICIOUS_KID = re.compile(r"""\.\.|[/\\'";`|$<>{}\x00-\x1f\x7f]|--|/\*|\*/|%2e|%2f|%5c""", re.IGNORECASE)


def short_repr(value: Any, limit: int = 60) -> str:
    """A value for a one-line message: repr of a string, compact JSON otherwise, cut at `limit`."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header_warnings(header: Mapping[str, Any], raw_alg: Any) -> list[TokenWarning]:
    found: list[TokenWarning] = []
    if raw_alg is None:
        found.append(
            TokenWarning(
                "alg-none",
                "The header has no alg, so nothing says how it is signed: treat it as unsigned.",
            )
        )
    elif not isinstance(raw_alg, str):
        found.append(
            TokenWarning("alg-none", "The header's alg is not a string: treat the token as unsigned.")
        )
    elif raw_alg.lower() in _NONE_ALGS:
        found.append(
            TokenWarning(
                "alg-none",
                f'The token is unsigned (alg "{raw_alg}"): anyone can forge it; it must never be accepted.',
            )
        )
    if "jku" in header:
        found.append(
            TokenWarning(
                "jku-header",
                f"The header points at its own key set (jku {short_repr(redact(str(header['jku'])))}); "
                "it was not fetched: a verifier must never trust keys the token names itself.",
            )
        )
    if "x5u" in header:
        found.append(
            TokenWarning(
                "x5u-header",
                f"The header points at a certificate URL (x5u {short_repr(redact(str(header['x5u'])))}); "
                "it was not fetched: a verifier must never trust keys the token names itself.",
            )
        )
    if "jwk" in header:
        found.append(
            TokenWarning(
                "jwk-header",
                "The header embeds its own public key (jwk), which was ignored: "
                "a token cannot vouch for itself.",
            )
        )
    if "x5c" in header:
        found.append(
            TokenWarning(
                "x5c-header",
                "The header carries a certificate chain (x5c); it was not used to verify anything.",
            )
        )
    if "kid" in header:
        kid = header["kid"]
        if not isinstance(kid, str):
            found.append(TokenWarning("suspicious-kid", f"The kid is not a string ({short_repr(kid)})."))
        elif not _BASE64URL_KID.fullmatch(kid) and _SUSPICIOUS_KID.search(kid):
            found.append(
                TokenWarning(
                    "suspicious-kid",
                    f"The kid {short_repr(kid)} contains path, quote or SQL characters; a server that uses "
                    "the kid in a file path or a query could be attacked through it.",
                )
            )
    if "crit" in header:
        found.append(
            TokenWarning(
                "crit-header",
                f"The header marks extensions as critical (crit {short_repr(header['crit'])}); a verifier "
                "that does not implement them must reject the token.",
            )
        )
    return found


@dataclass(frozen=True)
class Times:
    expires_at: datetime | None
    issued_at: datetime | None
    not_before: datetime | None
    expired: bool | None
    lifetime: float | None
    warnings: list[TokenWarning]


# An iat this far ahead of our clock is warned about (a little skew is normal).
FUTURE_IAT_LEEWAY = 60.0
# The warnings `interpret_times` gives: they depend on the clock, so they are worked out again
# when the clock moves (`Inspection.warnings_at`).
TIME_WARNING_CODES = frozenset(
    {"no-exp", "expired", "long-lifetime", "not-yet-valid", "bad-time-claim", "future-iat"}
)


def _numeric_date(payload: Mapping[str, Any], claim: str, warnings: list[TokenWarning]) -> float | None:
    if claim not in payload:
        return None
    value = payload[claim]
    if isinstance(value, bool) or not isinstance(value, int | float):
        warnings.append(
            TokenWarning(
                "bad-time-claim",
                f"The {claim} claim is not a number of seconds ({short_repr(value)}); ignored.",
            )
        )
        return None
    try:
        seconds = float(value)
        datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        warnings.append(TokenWarning("bad-time-claim", f"The {claim} claim is not a usable date; ignored."))
        return None
    return seconds


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def interpret_times(payload: Mapping[str, Any], now: float) -> Times:
    warnings: list[TokenWarning] = []
    exp = _numeric_date(payload, "exp", warnings)
    iat = _numeric_date(payload, "iat", warnings)
    nbf = _numeric_date(payload, "nbf", warnings)

    expired: bool | None = None
    lifetime: float | None = None
    if exp is None:
        if "exp" not in payload:
            warnings.append(
                TokenWarning(
                    "no-exp", "The token has no exp claim: it never expires unless the server tracks it."
                )
            )
    else:
        expired = now >= exp
        if expired:
            warnings.append(
                TokenWarning(
                    "expired",
                    f"The token expired {humanize_relative(exp - now)} ({format_moment(_when(exp))}).",
                )
            )
        if iat is not None:
            lifetime = exp - iat
        span = lifetime if lifetime is not None else exp - now
        if span > LONG_LIFETIME_SECONDS:
            what = "lives" if lifetime is not None else "stays valid for"
            warnings.append(
                TokenWarning(
                    "long-lifetime",
                    f"The token {what} {humanize_duration(span)} (more than 24 h); "
                    "a leaked copy stays useful that long.",
                )
            )
    if iat is not None and iat > now + FUTURE_IAT_LEEWAY:
        warnings.append(
            TokenWarning(
                "future-iat",
                f"The token says it was issued {humanize_relative(iat - now)} ({format_moment(_when(iat))}): "
                "the issuer's clock or this one is wrong.",
            )
        )
    if nbf is not None and nbf > now:
        warnings.append(
            TokenWarning(
                "not-yet-valid",
                f"The token is not valid before {format_moment(_when(nbf))} "
                f"({humanize_relative(nbf - now)}).",
            )
        )
    return Times(
        expires_at=_when(exp) if exp is not None else None,
        issued_at=_when(iat) if iat is not None else None,
        not_before=_when(nbf) if nbf is not None else None,
        expired=expired,
        lifetime=lifetime,
        warnings=warnings,
    )
