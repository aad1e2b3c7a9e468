"""A JWT's header and claims, read once (never verified) and handed along.

The token engine reads a provider's answer once (`flows.parse_token_response`), keeps the
result on the `TokenAnswer` and the `TokenResult`, and the front ends show the claims from
there: one decode from the provider to the claims table. `jwt_times` is the one reader of
`exp` / `iat`. Verifying a signature is `jwtinspect`'s job, not this module's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import WorkbenchError

# A NumericDate above this is milliseconds (it would be year 5138 in seconds), a common mistake.
MILLISECONDS_ABOVE = 1e11
# Nothing after 9999-12-31T23:59:59Z is a time (datetime cannot show it, nor can ISO 8601).
LATEST_INSTANT = 253_402_300_799.0


def numeric_date(value: Any) -> float | None:
    """A NumericDate (RFC 7519 §2) as Unix seconds; None when it cannot be one: not a number,
    not finite, not positive, or after year 9999. A value in milliseconds is read as such."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    if number > MILLISECONDS_ABOVE:
        number /= 1000.0
    return number if number <= LATEST_INSTANT else None


@dataclass(frozen=True)
class JwtClaims:
    """The decoded header and claims of a JWS-compact JWT (read, not trusted)."""

    header: Mapping[str, Any] = field(repr=False)
    claims: Mapping[str, Any] = field(repr=False)

    def number(self, claim: str) -> float | None:
        """A numeric claim as float; None when absent or not a number (booleans are not)."""
        value = self.claims.get(claim)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None

    @property
    def exp(self) -> float | None:
        return numeric_date(self.claims.get("exp"))

    @property
    def iat(self) -> float | None:
        return numeric_date(self.claims.get("iat"))


def read_jwt(token: str | None) -> JwtClaims | None:
    """Header and claims of a JWT; None for anything that is not one (opaque tokens are fine)."""
    if not token or token.count(".") != 2:
        return None
    from workbench.core.jose.inspect import decode_unverified

    try:
        header, payload = decode_unverified(token)
    except (WorkbenchError, ValueError):
        return None
    return JwtClaims(header=header, claims=payload)


def jwt_times(token: str | JwtClaims | None) -> tuple[float | None, float | None]:
    """(exp, iat) of a JWT (given as text or already read); (None, None) for opaque tokens."""
    jwt = read_jwt(token) if isinstance(token, str) or token is None else token
    if jwt is None:
        return None, None
    return jwt.exp, jwt.iat


__all__ = ["JwtClaims", "jwt_times", "numeric_date", "read_jwt"]
