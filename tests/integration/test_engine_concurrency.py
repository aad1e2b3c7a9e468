"""Single flight over real HTTP: many threads, one provider call."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.conftest import add_profile
from tests.threads import run_together
from workbench.core.clock import FakeClock


class SlowTokenEndpoints(httpx.HTTPTransport):
    """Real loopback HTTP, but token requests take a little longer, so every thread of a burst
    arrives while the one provider call is still under way (the sandbox's "slow" fault drops)."""

    def __init__(self, delay: float = 0.3):
        super().__init__()
        self.delay = delay

    def handle_request(self, request):
        if "/api/" not in request.url.path:
            time.sleep(self.delay)
        return super().handle_request(request)


@pytest.mark.parametrize(
    ("preset", "endpoint"),
    [
        ("true-markets", "mint"),
        ("token-of-trust", "mint"),
        ("api-key-sliding", "mint"),
        ("oauth2-refresh-token", "refresh"),
    ],
)
def test_fifty_threads_asking_for_a_token_cause_exactly_one_provider_call(
    preset, endpoint, sandbox, profile_store, memory_vault, make_engine
):
    name = add_profile(profile_store, memory_vault, sandbox, preset)
    engine = make_engine(transport=SlowTokenEndpoints())
    results, errors = run_together(50, lambda: engine.get_token(name).access_token)
    assert errors == []
    assert len(results) == 50 and len(set(results)) == 1
    assert sandbox.calls(preset, endpoint) == 1


def test_fifty_threads_renewing_an_expiring_token_cause_exactly_one_refresh(
    sandbox, profile_store, memory_vault, make_engine
):
    name = add_profile(profile_store, memory_vault, sandbox, "marketiger3d")
    clock = FakeClock()
    engine = make_engine(clock=clock, transport=SlowTokenEndpoints())
    engine.get_token(name)
    clock.advance(3600 * 2)
    results, errors = run_together(50, lambda: engine.get_token(name))
    assert errors == []
    assert {r.access_token for r in results} == {results[0].access_token}
    assert sandbox.calls("marketiger3d", "refresh") == 1


def test_fifty_threads_calling_the_api_with_a_rejected_token_renew_it_once(
    sandbox, profile_store, memory_vault, make_engine
):
    name = add_profile(profile_store, memory_vault, sandbox, "token-of-trust")
    engine = make_engine(transport=SlowTokenEndpoints())
    engine.get_token(name)
    sandbox.set_clock_offset(3600)  # the provider now sees our token as expired
    results, errors = run_together(50, lambda: engine.call(name, "GET", "/api/echo").status)
    assert errors == []
    assert results == [200] * 50
    assert sandbox.calls("token-of-trust", "mint") == 2


def test_a_failed_mint_releases_all_fifty_waiters_and_the_next_call_succeeds(
    sandbox, profile_store, memory_vault, make_engine
):
    name = add_profile(profile_store, memory_vault, sandbox, "token-of-trust", settings={"timeout": 1})
    engine = make_engine()
    engine.retry = type(engine.retry)(attempts=1)
    sandbox.inject_fault("token-of-trust", "mint", "slow", times=1, delay=3)
    results, errors = run_together(50, lambda: engine.get_token(name))
    assert results == [] and len(errors) == 50
    assert all("did not answer within 1 s" in str(e) for e in errors)
    assert sandbox.calls("token-of-trust", "mint") == 1
    assert engine.get_token(name).obtained_by == "mint"
