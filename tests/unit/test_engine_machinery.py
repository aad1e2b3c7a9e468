"""The engine's building blocks on their own: single flight, refresh-ahead and retry policies, state file."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest

from tests.threads import run_together
from workbench.core.engine.policy import RefreshAhead, RetryPolicy, parse_retry_after
from workbench.core.engine.singleflight import FlightTimeoutError, SingleFlight
from workbench.core.engine.state import StateStore, TokenState

# ------------------------------------------------------------------ single flight


def test_fifty_callers_during_one_flight_share_its_single_result():
    flight: SingleFlight[str] = SingleFlight()
    calls = []
    started = threading.Event()

    def fetch():
        calls.append(1)
        started.set()
        time.sleep(0.2)  # long enough that every other thread joins this flight
        return "token-1"

    results, errors = run_together(50, lambda: flight.do("p", fetch))
    assert errors == []
    assert len(calls) == 1
    assert results == ["token-1"] * 50


def test_a_failed_flight_releases_every_waiter_with_its_error_and_the_next_call_starts_fresh():
    flight: SingleFlight[str] = SingleFlight()
    calls = []

    def failing():
        calls.append(1)
        time.sleep(0.2)
        raise RuntimeError("provider down")

    results, errors = run_together(10, lambda: flight.do("p", failing))
    assert results == []
    assert len(errors) == 10 and all(str(e) == "provider down" for e in errors)
    assert len(calls) == 1
    assert not flight.in_flight("p")
    assert flight.do("p", lambda: "fine") == "fine"


def test_flights_for_different_keys_do_not_wait_for_each_other():
    flight: SingleFlight[str] = SingleFlight()
    gate = threading.Event()
    out = []
    slow = threading.Thread(target=lambda: out.append(flight.do("a", lambda: (gate.wait(5), "a")[1])))
    slow.start()
    time.sleep(0.05)
    assert flight.do("b", lambda: "b") == "b"  # did not block behind "a"
    gate.set()
    slow.join(5)
    assert out == ["a"]


def test_a_follower_gives_up_after_its_wait_timeout_with_a_clear_error():
    flight: SingleFlight[str] = SingleFlight(wait_timeout=0.1)
    gate = threading.Event()
    leader = threading.Thread(target=lambda: flight.do("p", lambda: (gate.wait(5), "x")[1]))
    leader.start()
    time.sleep(0.05)
    with pytest.raises(FlightTimeoutError, match="waiting for the token request"):
        flight.do("p", lambda: "never", describe="the token request")
    gate.set()
    leader.join(5)


# ------------------------------------------------------------------ refresh ahead


def test_default_lead_is_ten_percent_of_a_short_lifetime():
    assert RefreshAhead().lead(300) == pytest.approx(30)


def test_default_lead_is_capped_at_sixty_seconds_for_long_lifetimes():
    assert RefreshAhead().lead(3600) == 60
    assert RefreshAhead().lead(None) == 60


def test_profile_override_beats_engine_default_which_beats_the_computed_lead():
    policy = RefreshAhead(default_lead=5)
    assert policy.lead(3600) == 5
    assert policy.lead(3600, override=120) == 120


def test_a_token_without_expiry_never_needs_renewal_ahead():
    assert RefreshAhead().renew_at(None, None) is None
    assert RefreshAhead().renew_at(1000.0, 300) == pytest.approx(970.0)


# ------------------------------------------------------------------ retries


def test_retry_after_is_honoured_but_capped():
    policy = RetryPolicy(retry_after_cap=5)
    assert policy.delay(1, retry_after=2) == 2
    assert policy.delay(1, retry_after=3600) == 5


def test_backoff_grows_exponentially_with_jitter_within_bounds():
    policy = RetryPolicy(base_delay=0.2, max_delay=10)
    rng = random.Random(1)
    for attempt, full in ((1, 0.2), (2, 0.4), (3, 0.8)):
        for _ in range(50):
            d = policy.delay(attempt, rng=rng)
            assert full / 2 <= d <= full


def test_only_rate_limits_and_server_errors_are_retryable():
    policy = RetryPolicy()
    assert all(policy.is_retryable_status(s) for s in (429, 500, 502, 503, 504))
    assert not any(policy.is_retryable_status(s) for s in (400, 401, 403, 404, 422))


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    # Delta-seconds are digits; a date needs a server time to be measured against.
    assert parse_retry_after("1e3") is None and parse_retry_after("-5") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT") is None
    # The answer's own Date wins over `now`: both are the server's clock.
    assert parse_retry_after(
        "Wed, 21 Oct 2015 07:28:10 GMT", now=0.0, date="Wed, 21 Oct 2015 07:28:04 GMT"
    ) == pytest.approx(6)


# ------------------------------------------------------------------ state file


def test_state_round_trips_and_holds_no_token_values(tmp_path):
    store = StateStore(tmp_path / "state")
    state = TokenState(
        access_fingerprint="sha256:abc",
        expires_at=2000.0,
        issued_at=1000.0,
        lifetime=1000.0,
        obtained_by="mint",
        refresh_token_expires_at=5000.0,
    )
    store.save("demo", state)
    assert store.load("demo") == state
    data = json.loads((tmp_path / "state" / "demo.json").read_text())
    assert "access_token" not in data and "refresh_token" not in data
    assert data["expires_at"] == 2000.0


def test_a_torn_or_foreign_state_file_reads_as_nothing_known(tmp_path):
    store = StateStore(tmp_path)
    (tmp_path / "demo.json").write_text("{not json")
    assert store.load("demo") is None
    (tmp_path / "demo.json").write_text('{"expires_at": "tomorrow", "obtained_by": "magic", "lifetime": 5}')
    loaded = store.load("demo")
    assert loaded is not None and loaded.expires_at is None and loaded.obtained_by == "cache"
    assert loaded.lifetime == 5


def test_deleting_state_of_an_unknown_profile_is_not_an_error(tmp_path):
    StateStore(tmp_path).delete("nobody")
