"""What the token engine hands out: token and call results, events, and its own errors.

Kept apart from the engine's machinery so the GUI and the commands can name these types
without importing any of it.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.engine.state import ObtainedBy, TokenState
from workbench.core.errors import LockTimeoutError as LockTimeoutError  # defined in the error tree
from workbench.core.errors import TokenUnavailableError as TokenUnavailableError
from workbench.core.jose.claims import JwtClaims, read_jwt
from workbench.core.redact import redact

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile

log = logging.getLogger(__name__)

Force = Literal["refresh", "mint"]
EventKind = Literal["changed", "minted", "refreshed", "failed", "expiring", "cleared", "retrying"]


def iso_z(t: float) -> str:
    """A UTC timestamp as `2026-01-02T03:04:05Z` (whole seconds)."""
    return datetime.fromtimestamp(int(t), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Unread(enum.Enum):
    UNREAD = enum.auto()


_TOLD_TOKEN_TYPES: set[tuple[str, str]] = set()
_TOLD_LOCK = threading.Lock()


def note_token_type(profile: Profile, token_type: str) -> None:
    """Say once per process and profile (a log warning: one `workbench: warning:` line on the
    CLI) that the provider issued a DPoP-bound token (RFC 9449) to a profile with no DPoP key:
    nothing can prove it, so an API that checks DPoP refuses it and `call` does not send it."""
    if token_type.strip().lower() != "dpop":
        return
    from workbench.core.jose.dpop import DPOP_KEY_SECRET  # only for a DPoP token: off the cache-hit path

    if DPOP_KEY_SECRET in profile.secret_names:
        return  # the profile proves its tokens
    with _TOLD_LOCK:
        if (profile.name, token_type) in _TOLD_TOKEN_TYPES:
            return
        _TOLD_TOKEN_TYPES.add((profile.name, token_type))
    log.warning(
        "profile '%s': the provider issued a DPoP-bound token (token_type %s, RFC 9449) but the profile "
        "has no DPoP key to prove it: APIs that check DPoP refuse it (make one with `workbench keygen "
        "--dpop --profile %s`, then `workbench token %s --mint`)",
        profile.name,
        token_type,
        profile.name,
        profile.name,
    )


@dataclass(frozen=True)
class TokenResult:
    profile: str
    access_token: str = field(repr=False)
    token_type: str
    expires_at: float | None
    issued_at: float | None
    lifetime: float | None
    obtained_by: ObtainedBy
    refresh_token_expires_at: float | None
    # The access token's header and claims: handed over by the engine when it read the provider's
    # answer, else read on first use (`jwt`) and kept; either way the token is decoded once.
    decoded: JwtClaims | _Unread | None = field(default=_Unread.UNREAD, repr=False, compare=False)
    # What a token exchange issued (RFC 8693 `issued_token_type`); None for every other grant.
    issued_token_type: str | None = None

    @classmethod
    def stored(cls, profile: str, access_token: str, state: TokenState) -> TokenResult:
        """A stored token as served from the cache: "cache", except one that slid in through a
        response header (no provider call made it; saying where it came from is more useful)."""
        return cls(
            profile=profile,
            access_token=access_token,
            token_type=state.token_type,
            expires_at=state.expires_at,
            issued_at=state.issued_at,
            lifetime=state.lifetime,
            obtained_by="response-header" if state.obtained_by == "response-header" else "cache",
            refresh_token_expires_at=state.refresh_token_expires_at,
            issued_token_type=state.issued_token_type,
        )

    @property
    def jwt(self) -> JwtClaims | None:
        """Header and claims of the access token (not verified); None for an opaque token."""
        decoded = self.decoded
        if isinstance(decoded, _Unread):
            decoded = read_jwt(self.access_token)
            object.__setattr__(self, "decoded", decoded)  # a cache of a pure function, not a change
        return decoded

    def expires_in(self, now: float) -> int | None:
        if self.expires_at is None:
            return None
        return max(0, int(self.expires_at - now))

    def to_json(self, now: float) -> dict[str, Any]:
        """The exact `workbench token --json` shape."""
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_at": None if self.expires_at is None else iso_z(self.expires_at),
            "expires_in": self.expires_in(now),
            "obtained_by": self.obtained_by,
            # Only a token exchange's answer names it (an addition for those profiles alone).
            **({"issued_token_type": self.issued_token_type} if self.issued_token_type else {}),
        }


@dataclass(frozen=True)
class CallResult:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(repr=False)
    body: bytes = field(repr=False)
    elapsed: float
    url: str = field(repr=False)  # query strings may carry secrets; reprs end up in logs
    method: str
    token_replaced: bool
    retried: bool
    # The credential values the request carried (the token, its header): redacted from any
    # message made of the answer (`describe_failure`). Never shown, compared or logged.
    sent_secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class EngineEvent:
    """One thing that happened to a profile's tokens.

    Attributes:
        kind: what happened (see `workbench.core.engine.token_engine`).
        profile: the profile's name.
        message: for "failed", "expiring": a user-facing line (redacted).
        result: for "changed": the token the profile holds now, `obtained_by` saying how it
            was obtained (mint / refresh / response-header / cache); None when it holds none.
        renew_at: for "changed": the server time from which the engine renews that token
            (None: it is not renewed by time).
        seq: for "changed": increases with every change the engine makes to what it holds.
            Events of one profile can arrive out of order from two threads; a front end keeps
            the one with the highest `seq` (0: not ordered).
        retry_at: for "retrying": the server time the next attempt is sent (the request waits
            in back-off until then; `message` says why).
    """

    kind: EventKind
    profile: str
    message: str = ""
    result: TokenResult | None = field(default=None, repr=False)
    renew_at: float | None = None
    seq: int = 0
    retry_at: float | None = None


class Events:
    """The engine's subscribers. Events are delivered on whichever thread caused them; a failing
    subscriber never breaks the engine; messages are redacted on the way out."""

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._subscribers: list[Callable[[EngineEvent], None]] = []

    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        with self._mu:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._mu:
                try:
                    self._subscribers.remove(callback)
                except ValueError:
                    pass

        return unsubscribe

    def emit(
        self,
        kind: EventKind,
        profile: str,
        message: str = "",
        *,
        result: TokenResult | None = None,
        renew_at: float | None = None,
        seq: int = 0,
        retry_at: float | None = None,
    ) -> None:
        event = EngineEvent(
            kind=kind,
            profile=profile,
            message=redact(message),
            result=result,
            renew_at=renew_at,
            seq=seq,
            retry_at=retry_at,
        )
        with self._mu:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not break token handling
                log.exception("engine event subscriber failed on %s", kind)
