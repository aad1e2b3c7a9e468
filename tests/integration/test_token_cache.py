"""`core.token_cache.fresh_stored_token` (the CLI's cold cache hit) answers exactly when the engine
would serve the stored token as is, and with the same token; otherwise it stays out of the way.

Each case sets the stored state up with a real engine against the sandbox, then asks both: the
fast path first (it must not change anything), then a fresh engine over the same stores."""

from __future__ import annotations

import pytest

from tests.integration.conftest import add_profile
from workbench.core.clock import FakeClock
from workbench.core.engine.token_cache import fresh_stored_token


@pytest.fixture
def minted(profile_store, memory_vault, sandbox, make_engine):
    """A token-of-trust profile (15-minute JWTs) with a token minted at the clock's time."""
    name = add_profile(profile_store, memory_vault, sandbox, "token-of-trust")
    clock = FakeClock()
    token = make_engine(clock=clock).get_token(name)
    return name, clock, token


def _fast(profile_store, memory_vault, name, clock):
    return fresh_stored_token(profile_store.get(name), vault=memory_vault, clock=clock)


def test_a_fresh_stored_token_is_the_engines_cached_token(minted, profile_store, memory_vault, make_engine):
    name, clock, token = minted
    fast = _fast(profile_store, memory_vault, name, clock)
    assert fast is not None and fast.obtained_by == "cache"
    engine = make_engine(clock=clock).get_token(name)
    assert engine.obtained_by == "cache"
    assert (fast.access_token, fast.expires_at, fast.token_type) == (
        engine.access_token,
        engine.expires_at,
        engine.token_type,
    )
    assert fast.access_token == token.access_token


def test_inside_the_refresh_ahead_window_the_engine_decides(
    minted, profile_store, memory_vault, make_engine, sandbox
):
    name, clock, token = minted
    clock.set_time(token.expires_at - 30)  # default lead: min(60 s, 10 % of 15 min) = 60 s
    assert _fast(profile_store, memory_vault, name, clock) is None
    renewed = make_engine(clock=clock).get_token(name)
    assert renewed.obtained_by == "mint" and sandbox.calls("token-of-trust", "mint") == 2


def test_a_profile_refresh_lead_is_honoured(minted, profile_store, memory_vault):
    name, clock, token = minted
    clock.set_time(token.expires_at - 200)
    assert _fast(profile_store, memory_vault, name, clock) is not None
    profile = profile_store.get(name)
    profile_store.save(profile.__class__(**{**profile.__dict__, "settings": {"refresh_lead": 300}}))
    assert _fast(profile_store, memory_vault, name, clock) is None


def test_a_token_the_state_does_not_describe_is_not_served(minted, profile_store, memory_vault, sandbox):
    name, clock, _token = minted
    memory_vault.store(name, "access_token", sandbox.issue_token("token-of-trust", lifetime=900))
    assert _fast(profile_store, memory_vault, name, clock) is None


def test_state_written_for_another_profile_of_that_name_is_not_trusted(
    minted, profile_store, memory_vault, sandbox
):
    name, clock, _token = minted
    demo = sandbox.demo_profiles()["token-of-trust"]
    profile_store.remove(name)
    profile_store.create(
        name,
        preset="token-of-trust",
        base_url=demo["base_url"] + "/other",
        vars=demo["vars"],
        secret_names=list(demo["secrets"]),
    )
    assert _fast(profile_store, memory_vault, name, clock) is None


def test_nothing_stored_is_nothing_served(profile_store, memory_vault, sandbox):
    name = add_profile(profile_store, memory_vault, sandbox, "token-of-trust")
    assert _fast(profile_store, memory_vault, name, FakeClock()) is None
