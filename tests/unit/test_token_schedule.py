"""Token state and the auto-refresh schedule (core/engine/schedule.py), as tables: what a
profile's state is, whether auto-refresh renews it now, and what each engine event does."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from workbench.core.engine.schedule import (
    AUTO_REFRESH_BACKOFF,
    ProfileState,
    ProfileTokens,
    TokenBoard,
    apply_event,
    is_due,
    profile_state,
    token_state,
)
from workbench.core.engine.types import EngineEvent, TokenResult

NOW = 1_000_000.0


def token(expires_in: float | None, obtained_by: str = "mint") -> TokenResult:
    return TokenResult(
        profile="p",
        access_token="t",
        token_type="Bearer",
        expires_at=None if expires_in is None else NOW + expires_in,
        issued_at=NOW,
        lifetime=None,
        obtained_by=obtained_by,  # type: ignore[arg-type]
        refresh_token_expires_at=None,
    )


HOUR = token(3600)

# (token expires in, renewal time from now, state)
TOKEN_STATES = [
    (None, None, "valid"),  # expiry unknown: used until a 401
    (3600, 3540, "valid"),
    (3600, None, "valid"),
    (100, 40, "expiring"),  # inside twice the 60 s lead
    (119, 59, "expiring"),
    (121, 61, "valid"),
    (30, None, "expiring"),  # no renewal time: the 60 s floor
    (0, None, "expired"),
    (-5, -65, "expired"),
]


@pytest.mark.parametrize(("expires_in", "renew_in", "state"), TOKEN_STATES)
def test_token_state(expires_in, renew_in, state):
    renew_at = None if renew_in is None else NOW + renew_in
    assert token_state(token(expires_in), renew_at, NOW) == state


def test_no_token_is_state_none():
    assert token_state(None, None, NOW) == "none"


# (profile tokens, shown state)
KNOWN = ProfileTokens(known=True, can_mint=True)
PROFILE_STATES = [
    (KNOWN, ProfileState("none", None)),
    (replace(KNOWN, result=HOUR, renew_at=NOW + 3540), ProfileState("valid", 3600.0)),
    (replace(KNOWN, result=token(None)), ProfileState("valid", None)),
    (replace(KNOWN, result=HOUR, busy=True), ProfileState("busy", None)),
    (replace(KNOWN, error="boom"), ProfileState("error", None)),  # nothing usable and a failure
    (replace(KNOWN, result=token(-1), error="boom"), ProfileState("error", None)),
    (replace(KNOWN, result=token(-1)), ProfileState("expired", None)),
    # the token still works: a failed renewal does not make the profile red
    (replace(KNOWN, result=HOUR, renew_at=NOW + 3540, error="boom"), ProfileState("valid", 3600.0)),
]


@pytest.mark.parametrize(("p", "shown"), PROFILE_STATES)
def test_profile_state(p, shown):
    assert profile_state(p, NOW) == shown


ON = ProfileTokens(known=True, auto_refresh=True, can_mint=True, can_refresh=True)
# (profile tokens, due now)
DUE = [
    (replace(ON, result=HOUR, renew_at=NOW - 1), True),  # its renewal time has come
    (replace(ON, result=HOUR, renew_at=NOW), True),
    (replace(ON, result=HOUR, renew_at=NOW + 1), False),
    (replace(ON, result=token(None), renew_at=None), False),  # not renewed by time
    (ON, True),  # nothing held and the preset mints
    (replace(ON, can_mint=False), False),  # nothing held: refresh has nothing to work with
    (replace(ON, result=HOUR, renew_at=NOW - 1, can_mint=False), True),  # refresh only
    (replace(ON, result=HOUR, renew_at=NOW - 1, can_mint=False, can_refresh=False), False),
    (replace(ON, result=HOUR, renew_at=NOW - 1, auto_refresh=False), False),
    (replace(ON, result=HOUR, renew_at=NOW - 1, known=False), False),  # the engine has not said
    (replace(ON, result=HOUR, renew_at=NOW - 1, busy=True), False),  # the user's request runs
    (replace(ON, result=HOUR, renew_at=NOW - 1, renewing=True), False),
    (replace(ON, result=HOUR, renew_at=NOW - 1, retry_at=NOW + 1), False),  # backing off
    (replace(ON, result=HOUR, renew_at=NOW - 1, retry_at=NOW), True),
    (replace(ON, result=HOUR, renew_at=NOW - 1, error="boom"), True),  # an error alone does not stop it
]


@pytest.mark.parametrize(("p", "due"), DUE)
def test_is_due(p, due):
    assert is_due(p, NOW) is due


BASE = ProfileTokens(known=True, result=HOUR, renew_at=NOW + 3540, seq=5, error="old failure")
NEW = token(7200, "refresh")
# (event, what the profile holds after it)
EVENTS = [
    (
        EngineEvent("changed", "p", result=NEW, renew_at=NOW + 7140, seq=6),
        replace(BASE, result=NEW, renew_at=NOW + 7140, seq=6),
    ),
    (EngineEvent("changed", "p", result=None, seq=7), replace(BASE, result=None, renew_at=None, seq=7)),
    (EngineEvent("changed", "p", result=NEW, seq=4), BASE),  # an older state delivered late
    (
        EngineEvent("changed", "p", result=NEW, seq=0),
        replace(BASE, result=NEW, renew_at=None, seq=0),
    ),  # unordered
    (EngineEvent("minted", "p"), replace(BASE, error=None)),
    (EngineEvent("refreshed", "p"), replace(BASE, error=None)),
    (EngineEvent("failed", "p", message="provider said no"), replace(BASE, error="provider said no")),
    (EngineEvent("expiring", "p", message="soon"), BASE),
    (EngineEvent("cleared", "p"), BASE),
]


@pytest.mark.parametrize(("event", "after"), EVENTS)
def test_apply_event(event, after):
    assert apply_event(BASE, event) == after


def test_the_first_changed_event_makes_a_profile_known():
    assert apply_event(ProfileTokens(), EngineEvent("changed", "p", seq=1)).known


def profile(name: str, *, mint: bool = True, refresh: bool = False):
    preset = SimpleNamespace(can_mint=lambda: mint, can_refresh=lambda: refresh)
    return SimpleNamespace(name=name, preset=preset)


def test_the_board_says_which_profiles_changed():
    board = TokenBoard(auto_refresh={"a"})
    assert board.set_profiles([profile("a"), profile("b", mint=False, refresh=True)]) == {"a", "b"}
    assert board.get("a").auto_refresh and not board.get("b").auto_refresh
    assert board.unknown() == ["a", "b"]
    assert board.on_event(EngineEvent("changed", "a", result=HOUR, renew_at=NOW + 3540, seq=1)) == {"a"}
    assert board.on_event(EngineEvent("changed", "ghost", result=HOUR, seq=1)) == set()  # not listed
    assert board.set_busy("a", False) == set()  # nothing new: nothing to redraw
    assert board.set_profiles([profile("a")]) == {"b"}  # b went
    assert board.names() == ["a"]


def test_the_board_schedules_renewals_and_backs_off_after_a_failure():
    board = TokenBoard(auto_refresh={"a"})
    board.set_profiles([profile("a")])
    board.on_event(EngineEvent("changed", "a", result=HOUR, renew_at=NOW + 10, seq=1))
    assert board.due(NOW) == []
    assert board.due(NOW + 10) == ["a"]
    board.renewal_started("a")
    assert board.due(NOW + 10) == [] and profile_state(board.get("a"), NOW).state == "busy"
    board.renewal_failed("a", "provider down", NOW + 10)
    assert board.get("a").error == "provider down"
    assert board.due(NOW + 10 + AUTO_REFRESH_BACKOFF - 1) == []
    assert board.due(NOW + 10 + AUTO_REFRESH_BACKOFF) == ["a"]
    board.set_auto_refresh("a", False)
    board.set_auto_refresh("a", True)  # turning it off and on again ends the wait
    assert board.due(NOW + 11) == ["a"]
