"""A JWT's header and claims, read once (never verified) and handed along.

The token engine reads a provider's answer once (`flows.parse_token_response`), keeps the
result on the `TokenAnswer` and the `TokenResult`, and the front ends show the claims from
there: one decode from the provider to the claims table. `jwt_times` is the one reader of
`exp` / `iat`. Verifying a signature is `jwtinspect`'s job, not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import WorkbenchError


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
        return float(value)

    @property
    def exp(self) -> float | None:
        return self.number("exp")

    @property
    def iat(self) -> float | None:
        return self.number("iat")


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


__all__ = ["JwtClaims", "jwt_times", "read_jwt"]
