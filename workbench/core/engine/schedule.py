"""What a front end knows of each profile's tokens, and when it renews them in the background.

A front end learns token state from the engine's events only (``TokenEngine.subscribe``;
``announce`` publishes what a profile holds). This module turns those events, and the front
end's own few facts (a token request is under way; the user turned auto-refresh on), into
one :class:`ProfileTokens` per profile, and decides from it and the clock:

* :func:`token_state` / :func:`profile_state`: what a profile's state is ("valid",
  "expiring", "expired", "none", "busy", "error") and how long its token has left;
* :func:`is_due`: whether auto-refresh renews a profile now;
* :func:`auto_renewal`: where auto-refresh stands (scheduled, under way, waiting in a
  request's back-off, waiting out a failure), so a view never says "refreshing…" while
  nothing is sent;
* :func:`failure` / :func:`error_text`: an error whose words name a time ("retry in 4 s",
  "auto-refresh tries again in 27 s") keeps that time (a :class:`RetryNote`) and is worded
  against the clock each time it is shown, so it counts down.

These, and :func:`apply_event`, are pure functions of their arguments (tested as tables in
``tests/unit/test_token_schedule.py``). :class:`TokenBoard` keeps one ``ProfileTokens`` per
profile and applies each input with them; every method returns the names whose state
changed, which is all a view needs to refresh (the GUI wraps it in one Qt signal,
``workbench.gui.token_model.TokenModel``). The board holds no lock: one thread (the GUI's)
feeds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from workbench.core.durations import humanize_duration
from workbench.core.errors import ProviderRateLimited, user_message

if TYPE_CHECKING:
    from workbench.core.engine.types import EngineEvent, TokenResult
    from workbench.core.profiles.profile import Profile

# A token this close to expiry (or inside twice its renewal lead) is shown as "expiring".
EXPIRING_SECONDS = 60.0
# After a failed automatic renewal, wait this long before trying again by itself.
AUTO_REFRESH_BACKOFF = 30.0

TokenState = Literal["none", "valid", "expiring", "expired"]
State = Literal["none", "valid", "expiring", "expired", "busy", "error"]
Changed = frozenset[str]
NOTHING: Changed = frozenset()


@dataclass(frozen=True)
class RetryNote:
    """A time to try again that a message names, kept as a time so its words count down.

    Attributes:
        kind: "provider" (the provider's Retry-After), "auto" (auto-refresh waits out a
            failure), "backoff" (a request waits before its next attempt).
        until: the server time it names.
        waiting / ready: the words before it ("retry in" + "4 s") and once it has come.
        why: what the wait is about (a back-off's "token endpoint answered 503").
    """

    kind: Literal["provider", "auto", "backoff"]
    until: float
    waiting: str
    ready: str
    why: str = ""

    def left(self, now: float) -> float:
        return self.until - now

    def words(self, now: float) -> str:
        left = self.left(now)
        return f"{self.waiting} {humanize_duration(left, parts=2)}" if left >= 0.5 else self.ready


@dataclass(frozen=True)
class ProfileTokens:
    """One profile's token state as a front end knows it.

    Attributes:
        known: a "changed" event has said what the profile holds (until then nothing is shown
            as held, and auto-refresh waits).
        result / renew_at / seq: the last "changed" event's token (None: none held), the server
            time from which the engine renews it, and its order number.
        error: the last failure's user message, until a later success (or the user dismisses it).
        busy: a token request is under way (the user's, or auto-refresh's).
        auto_refresh: the user keeps this profile fresh in the background.
        renewing: an automatic renewal is under way.
        retry_at: after a failed automatic renewal, the time before which it does not try again.
        can_mint / can_refresh: what the profile's preset offers (from its profile file).
        error_retry: the time `error` names for trying again (None: it names none).
        backoff: a token request of this profile waits in back-off before its next attempt
            (the engine's "retrying" event), until it ends.
    """

    known: bool = False
    result: TokenResult | None = None
    renew_at: float | None = None
    seq: int = 0
    error: str | None = None
    busy: bool = False
    auto_refresh: bool = False
    renewing: bool = False
    retry_at: float = 0.0
    can_mint: bool = False
    can_refresh: bool = False
    error_retry: RetryNote | None = None
    backoff: RetryNote | None = None


@dataclass(frozen=True)
class ProfileState:
    """What a profile's state is now: `state`, and the seconds its token has left (None: no
    token, or its expiry is unknown)."""

    state: State
    seconds_left: float | None


# --------------------------------------------------------------------------- pure decisions


def token_state(result: TokenResult | None, renew_at: float | None, now: float) -> TokenState:
    """ "none" | "valid" | "expiring" | "expired", from the token and the clock only."""
    if result is None:
        return "none"
    if result.expires_at is None:
        return "valid"
    left = result.expires_at - now
    if left <= 0:
        return "expired"
    lead = result.expires_at - renew_at if renew_at is not None else EXPIRING_SECONDS
    return "expiring" if left <= max(lead * 2, EXPIRING_SECONDS) else "valid"


def profile_state(p: ProfileTokens, now: float) -> ProfileState:
    """The state a profile is shown in: busy while a request runs; "error" when it holds no
    usable token and the last attempt failed; else its token's state."""
    if p.busy:
        return ProfileState("busy", None)
    state = token_state(p.result, p.renew_at, now)
    if state in ("none", "expired") and p.error is not None:
        return ProfileState("error", None)
    if state in ("none", "expired") or p.result is None or p.result.expires_at is None:
        return ProfileState(state, None)
    return ProfileState(state, p.result.expires_at - now)


def is_due(p: ProfileTokens, now: float) -> bool:
    """Whether auto-refresh renews this profile now: it is on, nothing else is under way, the
    engine has said what the profile holds, no failure is being waited out, the preset can
    renew, and the token's renewal time has come (or there is none and the preset can mint)."""
    if not p.auto_refresh or not p.known or p.busy or p.renewing:
        return False
    if now < p.retry_at or not (p.can_mint or p.can_refresh):
        return False
    if p.result is None:
        return p.can_mint
    return p.renew_at is not None and now >= p.renew_at


def apply_event(p: ProfileTokens, event: EngineEvent) -> ProfileTokens:
    """`p` after one engine event: "changed" replaces the token (unless an older state arrives
    late: events of one profile can come from two threads), "minted"/"refreshed" clear the
    last error, "failed" records its message."""
    if event.kind == "changed":
        if event.seq and event.seq < p.seq:
            return p
        return replace(
            p, known=True, result=event.result, renew_at=event.renew_at, seq=event.seq, backoff=None
        )
    if event.kind in ("minted", "refreshed"):
        return replace(p, error=None, error_retry=None, backoff=None)
    if event.kind == "failed":
        return replace(p, error=event.message, error_retry=None, backoff=None)
    if event.kind == "retrying" and event.retry_at is not None:
        note = RetryNote("backoff", event.retry_at, "retrying in", "retrying now", why=event.message)
        return replace(p, backoff=note)
    return p


def failure(exc: BaseException, now: float, *, hint: bool | str = True) -> tuple[str, RetryNote | None]:
    """A failed token request as a front end keeps it: the user message, and a rate limit's
    "retry in N s" as a note that counts down (instead of words frozen when it failed).
    `hint`: as `user_message` takes it (a front end's words for the fix)."""
    if isinstance(exc, ProviderRateLimited) and exc.retry_after is not None:
        note = RetryNote("provider", now + exc.retry_after, "retry in", "you can retry now")
        return user_message(exc, hint=False), note
    return user_message(exc, hint=hint), None


def error_text(p: ProfileTokens, now: float) -> str | None:
    """The profile's error as it reads at `now` (None: none): a time it names counts down."""
    if p.error is None or p.error_retry is None:
        return p.error
    return f"{p.error} ({p.error_retry.words(now)})"


@dataclass(frozen=True)
class AutoRenewal:
    """Where auto-refresh stands for a profile at one moment.

    `phase`: "off" (off, or no token it renews by time), "scheduled" (in `seconds`),
    "renewing" (a renewal is under way), "backoff" (that renewal's request waits `seconds`
    before its next attempt, because of `why`), "waiting" (a failed renewal is waited out:
    the next try in `seconds`), "due" (it starts now), "stuck" (due, but it cannot renew:
    the preset can neither refresh nor mint, or the token is not known yet).
    """

    phase: Literal["off", "scheduled", "renewing", "backoff", "waiting", "due", "stuck"]
    seconds: float = 0.0
    why: str = ""


def auto_renewal(p: ProfileTokens, now: float) -> AutoRenewal:
    """Where auto-refresh stands for `p` at `now` (see :class:`AutoRenewal`)."""
    if not p.auto_refresh:
        return AutoRenewal("off")
    if p.renewing:
        if p.backoff is not None and p.backoff.left(now) > 0:
            return AutoRenewal("backoff", p.backoff.left(now), p.backoff.why)
        return AutoRenewal("renewing")
    if now < p.retry_at:
        return AutoRenewal("waiting", p.retry_at - now)
    if p.renew_at is None and p.result is not None:
        return AutoRenewal("off")  # a token that is not renewed by time
    if p.renew_at is not None and now < p.renew_at:
        return AutoRenewal("scheduled", p.renew_at - now)
    return AutoRenewal("due") if is_due(p, now) or p.busy else AutoRenewal("stuck")


# --------------------------------------------------------------------------- the board


class TokenBoard:
    """Every listed profile's :class:`ProfileTokens`. Each method applies one input and
    returns the names whose state changed (empty: nothing to redraw)."""

    def __init__(self, auto_refresh: Iterable[str] = ()) -> None:
        self._profiles: dict[str, ProfileTokens] = {}
        self._auto_refresh = set(auto_refresh)  # kept for profiles not listed yet

    def get(self, name: str) -> ProfileTokens:
        return self._profiles.get(name) or ProfileTokens(auto_refresh=name in self._auto_refresh)

    def names(self) -> list[str]:
        return list(self._profiles)

    def _put(self, name: str, new: ProfileTokens) -> Changed:
        if name not in self._profiles or self._profiles[name] == new:
            return NOTHING
        self._profiles[name] = new
        return frozenset((name,))

    def set_profiles(self, profiles: Iterable[Profile]) -> Changed:
        """The profiles listed now: state for new ones, forgotten for ones gone, the presets'
        abilities kept current (an edit may change the preset)."""
        listed = {p.name: p for p in profiles}
        changed = set(self._profiles) - set(listed)
        for gone in changed:
            del self._profiles[gone]
        for name, profile in listed.items():
            old = self._profiles.get(name) or ProfileTokens(auto_refresh=name in self._auto_refresh)
            new = replace(old, can_mint=profile.preset.can_mint(), can_refresh=profile.preset.can_refresh())
            if self._profiles.get(name) != new:
                self._profiles[name] = new
                changed.add(name)
        return frozenset(changed)

    def forget(self, name: str) -> Changed:
        """A profile removed: its state goes (a later listing will not show it)."""
        return frozenset((name,)) if self._profiles.pop(name, None) is not None else NOTHING

    def unknown(self) -> list[str]:
        """Listed profiles no "changed" event has described yet (to have the engine announce)."""
        return [name for name, p in self._profiles.items() if not p.known]

    def on_event(self, event: EngineEvent) -> Changed:
        if event.profile not in self._profiles:
            return NOTHING
        return self._put(event.profile, apply_event(self._profiles[event.profile], event))

    def set_busy(self, name: str, busy: bool) -> Changed:
        p = self.get(name)
        return self._put(name, replace(p, busy=busy, backoff=p.backoff if busy else None))

    def set_error(self, name: str, message: str | None, retry: RetryNote | None = None) -> Changed:
        return self._put(name, replace(self.get(name), error=message, error_retry=retry if message else None))

    def set_auto_refresh(self, name: str, enabled: bool) -> Changed:
        if enabled:
            self._auto_refresh.add(name)
        else:
            self._auto_refresh.discard(name)
        p = self.get(name)
        retry = p.error_retry if enabled or p.error_retry is None or p.error_retry.kind != "auto" else None
        new = replace(p, auto_refresh=enabled, retry_at=p.retry_at if enabled else 0.0, error_retry=retry)
        return self._put(name, new)

    def due(self, now: float) -> list[str]:
        """The profiles auto-refresh renews now (:func:`is_due`), in name order."""
        return sorted(name for name, p in self._profiles.items() if is_due(p, now))

    def renewal_started(self, name: str) -> Changed:
        return self._put(name, replace(self.get(name), renewing=True, busy=True))

    def renewal_succeeded(self, name: str, now: float = 0.0, *, renewed: bool = True) -> Changed:
        """An automatic renewal ended without an error. `renewed` False: the engine kept the
        current token (renewing it failed while it is still valid; its "failed" event says
        why), so auto-refresh waits as after a failure instead of trying again every tick."""
        p = replace(self.get(name), renewing=False, busy=False, backoff=None)
        if not renewed:
            retry_at = now + AUTO_REFRESH_BACKOFF
            note = RetryNote("auto", retry_at, "auto-refresh tries again in", "auto-refresh tries again now")
            p = replace(p, retry_at=retry_at, error_retry=note if p.error else None)
        return self._put(name, p)

    def renewal_failed(
        self, name: str, message: str, now: float, retry_after: float | None = None
    ) -> Changed:
        """The error is shown and auto-refresh waits :data:`AUTO_REFRESH_BACKOFF` seconds, or
        longer when the provider said when to retry (`retry_after`); the error says when."""
        retry_at = now + max(AUTO_REFRESH_BACKOFF, retry_after or 0.0)
        note = RetryNote("auto", retry_at, "auto-refresh tries again in", "auto-refresh tries again now")
        new = replace(
            self.get(name),
            renewing=False,
            busy=False,
            backoff=None,
            error=message,
            error_retry=note,
            retry_at=retry_at,
        )
        return self._put(name, new)


__all__ = [
    "AUTO_REFRESH_BACKOFF",
    "EXPIRING_SECONDS",
    "AutoRenewal",
    "ProfileState",
    "ProfileTokens",
    "RetryNote",
    "TokenBoard",
    "apply_event",
    "auto_renewal",
    "error_text",
    "failure",
    "is_due",
    "profile_state",
    "token_state",
]
