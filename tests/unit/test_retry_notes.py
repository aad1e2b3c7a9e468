"""Errors and waits that name a time count down, and auto-refresh says where it stands
(issue 21 item 7): pure decisions of `core/engine/schedule`, as tables."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workbench.core.engine.schedule import (
    AUTO_REFRESH_BACKOFF,
    ProfileTokens,
    TokenBoard,
    apply_event,
    auto_renewal,
    error_text,
    failure,
)
from workbench.core.engine.types import EngineEvent, TokenResult
from workbench.core.errors import ProviderError, ProviderRateLimited

NOW = 1_000_000.0


def rate_limited(retry_after: float | None) -> ProviderRateLimited:
    hint = f"retry in {retry_after:.0f} s" if retry_after is not None else "wait a moment and retry"
    return ProviderRateLimited("tot mint failed (429): slow down", retry_after=retry_after, hint=hint)


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        (0, "tot mint failed (429): slow down (retry in 4 s)"),
        (3, "tot mint failed (429): slow down (retry in 1 s)"),
        (5, "tot mint failed (429): slow down (you can retry now)"),
    ],
)
def test_a_rate_limits_retry_after_counts_down(later, expected):
    message, note = failure(rate_limited(4.0), NOW)
    p = ProfileTokens(error=message, error_retry=note)
    assert error_text(p, NOW + later) == expected


@pytest.mark.parametrize("exc", [rate_limited(None), ProviderError("tot mint failed (500)")])
def test_an_error_that_names_no_time_reads_as_it_is(exc):
    message, note = failure(exc, NOW)
    assert note is None
    assert error_text(ProfileTokens(error=message), NOW + 100) == message


def auto_profile(**kw) -> ProfileTokens:
    board = TokenBoard(["p"])
    board._profiles["p"] = ProfileTokens(auto_refresh=True, known=True, can_mint=True, can_refresh=True, **kw)
    return board.get("p")


@pytest.mark.parametrize(("retry_after", "waits"), [(None, AUTO_REFRESH_BACKOFF), (90.0, 90.0), (5.0, 30.0)])
def test_a_failed_auto_refresh_waits_and_its_error_counts_down(retry_after, waits):
    board = TokenBoard(["p"])
    board._profiles["p"] = auto_profile()
    board.renewal_failed("p", "mint failed", NOW, retry_after)
    p = board.get("p")
    assert p.retry_at == NOW + waits
    left = {20.0: "20 s", 80.0: "1 min 20 s"}[waits - 10]
    assert error_text(p, NOW + 10) == f"mint failed (auto-refresh tries again in {left})"
    assert error_text(p, NOW + waits) == "mint failed (auto-refresh tries again now)"
    assert auto_renewal(p, NOW + 10).phase == "waiting"
    board.set_auto_refresh("p", False)  # off: it no longer says it will try
    assert error_text(board.get("p"), NOW + 10) == "mint failed"


TOKEN = TokenResult(
    profile="p",
    access_token="t",
    token_type="Bearer",
    expires_at=NOW + 600,
    issued_at=NOW,
    lifetime=600,
    refresh_token_expires_at=None,
    obtained_by="mint",
)
RETRYING = EngineEvent("retrying", "p", "token endpoint answered 503 (attempt 1 of 3)", retry_at=NOW + 4)


@pytest.mark.parametrize(
    ("state", "now", "phase", "seconds"),
    [
        (dict(auto_refresh=False), NOW, "off", 0.0),
        (dict(result=TOKEN, renew_at=NOW + 60), NOW, "scheduled", 60.0),
        (dict(result=TOKEN, renew_at=NOW - 1), NOW, "due", 0.0),
        (dict(result=TOKEN, renew_at=NOW - 1, renewing=True, busy=True), NOW, "renewing", 0.0),
        (dict(result=TOKEN, renew_at=NOW - 1, retry_at=NOW + 20), NOW, "waiting", 20.0),
        (dict(result=TOKEN, renew_at=NOW - 1, can_mint=False, can_refresh=False), NOW, "stuck", 0.0),
        (dict(result=TOKEN, renew_at=None), NOW, "off", 0.0),
    ],
)
def test_where_auto_refresh_stands(state, now, phase, seconds):
    status = auto_renewal(replace(auto_profile(), **state), now)
    assert (status.phase, status.seconds) == (phase, seconds)


def test_a_renewal_waiting_in_backoff_is_not_renewing():
    p = apply_event(
        replace(auto_profile(), result=TOKEN, renew_at=NOW - 1, renewing=True, busy=True), RETRYING
    )
    status = auto_renewal(p, NOW + 1)
    assert (status.phase, status.seconds, status.why) == ("backoff", 3.0, RETRYING.message)
    assert p.backoff is not None and p.backoff.words(NOW + 1) == "retrying in 3 s"
    assert auto_renewal(p, NOW + 5).phase == "renewing"  # the next attempt is on its way


def test_backoff_ends_with_the_request():
    p = apply_event(replace(auto_profile(), busy=True), RETRYING)
    assert apply_event(p, EngineEvent("changed", "p", result=TOKEN, seq=1)).backoff is None
    assert apply_event(p, EngineEvent("failed", "p", "no")).backoff is None
    board = TokenBoard(["p"])
    board._profiles["p"] = p
    board.set_busy("p", False)
    assert board.get("p").backoff is None


def test_a_renewal_that_kept_the_current_token_waits_like_a_failure():
    board = TokenBoard(["p"])
    board._profiles["p"] = replace(auto_profile(), result=TOKEN, renew_at=NOW - 1, renewing=True, busy=True)
    # The engine's "failed" event: the refresh failed, the current token is still served.
    board.on_event(EngineEvent("failed", "p", "refresh failed (500); still using the current token"))
    board.renewal_succeeded("p", NOW, renewed=False)
    assert board.due(NOW + 1) == []  # not again at the next tick
    assert error_text(board.get("p"), NOW + 1).endswith("(auto-refresh tries again in 29 s)")
    assert board.due(NOW + AUTO_REFRESH_BACKOFF) == ["p"]
