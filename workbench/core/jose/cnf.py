"""A token's confirmation claim (`cnf`, RFC 7800): what a sender-constrained token is bound to.

Two kinds are read: a DPoP key's thumbprint (RFC 9449, `cnf.jkt`) and a client certificate's
(RFC 8705, `cnf.x5t#S256`). One :class:`Confirmation` per kind reads its member from a token's
claims and says, in the inspector's words, how it compares with the profile's own key or
certificate; `jose.dpop` and `jose.x509` name theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Confirmation:
    """One kind of `cnf` binding and the words for it.

    Attributes:
        member: the `cnf` member holding the thumbprint ("jkt", "x5t#S256").
        adjective: what a token so bound is ("DPoP-bound").
        thing: what it is bound to ("DPoP key").
        own: what a profile holds of that kind ("client certificate"); `own_short` in a
            sentence that already named it ("key").
    """

    __slots__ = ("adjective", "member", "own", "own_short", "thing")

    def __init__(self, member: str, *, adjective: str, thing: str, own: str, own_short: str) -> None:
        self.member = member
        self.adjective = adjective
        self.thing = thing
        self.own = own
        self.own_short = own_short

    def of(self, claims: Mapping[str, Any] | None) -> str | None:
        """The thumbprint in a JWT's claims (None: not a JWT, or not bound this way)."""
        cnf = claims.get("cnf") if claims is not None else None
        value = cnf.get(self.member) if isinstance(cnf, Mapping) else None
        return value if isinstance(value, str) and value else None

    def describe(self, bound: str | None, mine: str | None, *, profile_named: bool = True) -> str:
        """What the inspector says of a token bound to `bound` against the profile's `mine`
        (`profile_named` false: no profile was named to compare with)."""
        if bound is None:
            return f"not {self.adjective} (no cnf.{self.member})"
        if not profile_named:
            return f"bound to {self.thing} {bound} (no profile named to compare it with)"
        if mine is None:
            return f"bound to {self.thing} {bound} (this profile has no {self.own} to compare)"
        if bound == mine:
            return f"bound to this profile's {self.own} ({bound})"
        return f"bound to ANOTHER {self.thing} ({bound}); this profile's {self.own_short} is {mine}"


__all__ = ["Confirmation"]
