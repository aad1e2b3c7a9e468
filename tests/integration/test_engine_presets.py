"""The engine against every preset's emulator over real loopback HTTP.

Time: the sandbox checks real time, the engine runs on a FakeClock started at real
time. Moving the FakeClock makes the engine *think* a token is due for renewal;
moving the sandbox's clock (`set_clock_offset`) makes the *provider* think so.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import (
    ALL_PRESETS,
    MINT_PRESETS,
    PASTE_IN_PRESETS,
    REFRESH_PRESETS,
    add_profile,
    files_text,
)
from workbench.core.clock import FakeClock
from workbench.core.errors import ProviderError


@pytest.fixture
def setup(sandbox, profile_store, memory_vault, make_engine):
    """(engine, clock, add) where add(preset, **kw) creates the profile and returns its name."""
    clock = FakeClock()
    engine = make_engine(clock=clock)

    def add(preset: str, name: str | None = None, **kwargs):
        return add_profile(profile_store, memory_vault, sandbox, preset, name, **kwargs)

    return engine, clock, add


@pytest.mark.parametrize("preset", MINT_PRESETS)
def test_a_mint_preset_mints_once_then_serves_the_cached_token(preset, sandbox, setup):
    engine, _clock, add = setup
    name = add(preset)
    first = engine.get_token(name)
    second = engine.get_token(name)
    assert first.obtained_by == "mint"
    assert second.obtained_by == "cache" and second.access_token == first.access_token
    assert sandbox.calls(preset, "mint") == 1


@pytest.mark.parametrize("preset", ["marketiger3d", "paymentsgate"])
def test_a_pasted_pair_is_used_as_is_until_it_nears_expiry(preset, sandbox, setup):
    engine, _clock, add = setup
    name = add(preset)
    result = engine.get_token(name)
    assert result.obtained_by == "cache"
    assert sum(sandbox.calls(preset, ep) for ep in ("mint", "refresh")) == 0
    assert engine.call(name, "GET", "/api/echo").status == 200


@pytest.mark.parametrize("preset", REFRESH_PRESETS)
def test_a_token_nearing_expiry_is_refreshed_and_the_old_refresh_token_is_refused_afterwards(
    preset, sandbox, setup, memory_vault
):
    engine, clock, add = setup
    name = add(preset)
    engine.get_token(name)  # minted (true-markets), pasted, or refreshed from a pasted refresh token
    refreshes = sandbox.calls(preset, "refresh")
    old_refresh = memory_vault.load(name, "refresh_token")
    clock.advance(3600 * 3)  # past any access lifetime, well inside the refresh token's
    renewed = engine.get_token(name)
    assert renewed.obtained_by == "refresh"
    assert sandbox.calls(preset, "refresh") == refreshes + 1
    new_refresh = memory_vault.load(name, "refresh_token")
    assert new_refresh and new_refresh != old_refresh
    # Rotation is real: the provider now refuses the old refresh token...
    memory_vault.store(name, "refresh_token", old_refresh)
    with pytest.raises(ProviderError, match=f"{preset} refresh failed"):
        engine.get_token(name, force="refresh")
    memory_vault.store(name, "refresh_token", new_refresh)
    # ...and the new one works, cycle after cycle.
    for _ in range(3):
        again = engine.get_token(name, force="refresh")
        assert again.obtained_by == "refresh"
    assert engine.call(name, "GET", "/api/echo").status == 200


@pytest.mark.parametrize("preset", PASTE_IN_PRESETS)
def test_a_refused_pasted_refresh_token_says_to_paste_a_new_pair(preset, sandbox, setup, memory_vault):
    engine, clock, add = setup
    name = add(preset)
    memory_vault.store(name, "refresh_token", "refresh-token-the-provider-never-issued")
    clock.advance(3600 * 3)
    with pytest.raises(ProviderError) as info:
        engine.get_token(name)
    assert f"`workbench profile set {name} --secret" in info.value.hint


def test_true_markets_falls_back_to_minting_when_its_refresh_token_is_refused(sandbox, setup, memory_vault):
    engine, clock, add = setup
    name = add("true-markets")
    engine.get_token(name)
    memory_vault.store(name, "refresh_token", "not-a-refresh-token-the-provider-knows")
    clock.advance(3600)
    result = engine.get_token(name)
    assert result.obtained_by == "mint"
    assert sandbox.calls("true-markets", "refresh") == 1 and sandbox.calls("true-markets", "mint") == 2


@pytest.mark.parametrize("preset", ["token-of-trust", "api-key-sliding", "oauth2-client-credentials"])
def test_a_mint_only_preset_mints_again_when_the_token_nears_expiry(preset, sandbox, setup):
    engine, clock, add = setup
    name = add(preset)
    engine.get_token(name)
    clock.advance(3600 * 2)
    assert engine.get_token(name).obtained_by == "mint"
    assert sandbox.calls(preset, "mint") == 2


@pytest.mark.parametrize("preset", ALL_PRESETS)
def test_a_401_from_the_api_obtains_a_fresh_token_once_and_retries(preset, sandbox, setup):
    engine, _clock, add = setup
    name = add(preset)
    before = engine.get_token(name)
    # The provider's clock jumps an hour ahead: every token we hold is expired to it,
    # while the engine (no Date header seen since) still believes it is valid.
    sandbox.set_clock_offset(3600 * 2)
    result = engine.call(name, "GET", "/api/echo")
    assert result.status == 200, result.text()
    assert result.retried
    assert engine.get_token(name).access_token != before.access_token


def test_token_of_trust_expired_answer_leads_to_a_new_mint(sandbox, setup):
    engine, _clock, add = setup
    name = add("token-of-trust")
    engine.get_token(name)
    sandbox.set_clock_offset(3600)
    result = engine.call(name, "GET", "/api/echo")
    assert result.status == 200 and result.retried
    assert sandbox.calls("token-of-trust", "mint") == 2


def test_sliding_token_from_the_response_header_replaces_the_stored_one(
    sandbox, setup, memory_vault, workbench_home
):
    engine, _clock, add = setup
    name = add("api-key-sliding")
    first = engine.get_token(name)
    result = engine.call(name, "GET", "/api/echo")
    assert result.status == 200
    assert result.token_replaced
    current = engine.get_token(name)
    assert current.access_token != first.access_token
    assert current.obtained_by == "response-header"  # what `token --json` reports for a slid token
    assert memory_vault.load(name, "access_token") == current.access_token
    state = json.loads((workbench_home / "state" / f"{name}.json").read_text())
    assert state["obtained_by"] == "response-header"
    assert engine.cached(name).obtained_by == "response-header"
    assert sandbox.calls("api-key-sliding", "mint") == 1
    # The slid token is accepted by the provider.
    assert engine.call(name, "GET", "/api/echo").status == 200


@pytest.mark.parametrize(
    ("preset", "force"),
    [
        ("true-markets", "mint"),  # ISO 8601 date-time under `expires_in`
        ("token-of-trust", "mint"),  # expiresIn seconds + expiresAt
        ("api-key-sliding", "mint"),  # JWT exp only
        ("oauth2-client-credentials", "mint"),  # expires_in seconds
        ("marketiger3d", "refresh"),  # no expiry field: JWT exp
        ("paymentsgate", "refresh"),  # expires_in seconds
        ("oauth2-refresh-token", "refresh"),
    ],
)
def test_expiry_is_read_from_each_providers_own_answer(preset, force, sandbox, setup):
    engine, clock, add = setup
    name = add(preset)
    sandbox.set_lifetime(preset, 777)
    result = engine.get_token(name, force=force)
    assert result.obtained_by == force
    assert result.expires_at is not None
    assert result.expires_at - sandbox.now() == pytest.approx(777, abs=3)
    assert result.lifetime == pytest.approx(777, abs=3)
    assert result.to_json(clock.now())["expires_in"] == pytest.approx(777, abs=3)


def test_true_markets_mint_succeeds_when_the_server_clock_is_two_minutes_ahead(sandbox, setup):
    engine, clock, add = setup
    name = add("true-markets")
    sandbox.set_clock_offset(120)
    result = engine.get_token(name)
    assert result.obtained_by == "mint"
    assert abs(clock.offset - 120) <= 1
    # The expiry is on the server's clock, so the countdown is a whole lifetime, not two minutes less.
    assert result.expires_at - clock.now() == pytest.approx(result.lifetime, abs=3)


def test_verify_remote_asks_token_of_trust_about_the_token(sandbox, setup):
    engine, _clock, add = setup
    name = add("token-of-trust")
    answer = engine.verify_remote(name)
    assert answer.get("valid") is True


def test_no_secret_or_token_value_lands_in_any_file(sandbox, setup, memory_vault, workbench_home):
    engine, _clock, add = setup
    values = []
    for preset in ALL_PRESETS:
        name = add(preset)
        engine.get_token(name)
        engine.call(name, "POST", "/api/echo", json_body={"n": 1})
        if preset in REFRESH_PRESETS:
            engine.get_token(name, force="refresh")
        for secret in (
            "access_token",
            "refresh_token",
            "private_key",
            "api_key",
            "secret_key",
            "client_secret",
        ):
            value = memory_vault.load(name, secret)
            if value:
                values.append(value)
    engine.flush_history()
    text = files_text(workbench_home)
    assert "history.sqlite3" in {p.name for p in workbench_home.iterdir()}
    leaked = [v[:12] for v in values if v in text]
    assert leaked == []


@pytest.mark.parametrize(
    ("preset", "how"),
    [("true-markets", "jwks"), ("api-key-sliding", "secret"), ("paymentsgate", None)],
)
def test_the_current_token_verifies_locally_the_way_its_preset_allows(preset, how, setup, memory_vault):
    engine, _clock, add = setup
    name = add(preset)
    assert engine.can_verify_locally(name) is (how is not None)
    inspection = engine.verify_local(name)
    assert inspection.signature_valid is (True if how else None)
    assert inspection.expired is False
    if how == "secret":
        # A wrong client secret must make the same token fail, not pass.
        memory_vault.store(name, "client_secret", "not-the-secret-the-provider-signs-with-at-all")
        assert engine.verify_local(name).signature_valid is False


# -- The vault is keyed by profile name only: tokens another same-named profile left there --


@pytest.mark.parametrize("preset", MINT_PRESETS)
def test_a_new_home_never_serves_or_sends_tokens_a_same_named_profile_of_another_home_left(
    preset, sandbox, memory_vault, make_engine, workbench_home, tmp_path, monkeypatch
):
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore
    from workbench.sandbox import Sandbox

    first_store = ProfileStore(presets=PresetCatalog.load_default())
    add_profile(first_store, memory_vault, sandbox, preset, "shared-name")
    old = make_engine(clock=FakeClock()).get_token("shared-name")
    assert old.obtained_by == "mint"

    # Another WORKBENCH_HOME, the same keychain, a profile of the same name on another server.
    other_home = tmp_path / "other-home"
    other_home.mkdir()
    monkeypatch.setenv("WORKBENCH_HOME", str(other_home))
    with Sandbox() as other:
        second_store = ProfileStore(presets=PresetCatalog.load_default())
        add_profile(second_store, memory_vault, other, preset, "shared-name")
        engine = make_engine(clock=FakeClock())
        fresh = engine.get_token("shared-name")
        assert fresh.obtained_by == "mint" and fresh.access_token != old.access_token
        assert other.calls(preset, "mint") == 1 and other.calls(preset, "refresh") == 0
        assert engine.call("shared-name", "GET", "/api/echo").status == 200


def test_a_profile_pointed_at_another_server_mints_instead_of_serving_the_old_servers_token(
    sandbox, setup, profile_store, memory_vault, make_engine
):
    from workbench.sandbox import Sandbox

    engine, _clock, add = setup
    name = add("true-markets")
    old = engine.get_token(name)
    profile_store.remove(name)  # the profile file only: vault entries and token state stay behind
    with Sandbox() as other:
        add_profile(profile_store, memory_vault, other, "true-markets", name)
        fresh = make_engine(clock=FakeClock()).get_token(name)
        assert fresh.obtained_by == "mint" and fresh.access_token != old.access_token
        assert other.calls("true-markets", "refresh") == 0


@pytest.mark.parametrize("preset", ["marketiger3d", "paymentsgate"])
def test_a_pasted_pair_is_used_in_a_new_home_without_any_token_state(
    preset, sandbox, memory_vault, make_engine, tmp_path, monkeypatch
):
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "pasted-home"))
    store = ProfileStore(presets=PresetCatalog.load_default())
    name = add_profile(store, memory_vault, sandbox, preset)
    result = make_engine(clock=FakeClock()).get_token(name)
    assert result.obtained_by == "cache"
    assert result.access_token == memory_vault.load(name, "access_token")


def test_token_of_trust_verify_mints_again_when_the_provider_says_the_token_has_expired(sandbox, setup):
    """Seed 002: a 401 "Token has expired" means request a new token (the preset's expired_markers)."""
    engine, _clock, add = setup
    name = add("token-of-trust")
    before = engine.get_token(name)
    # The provider's clock jumps ahead: the token is expired to it, still valid to the engine.
    sandbox.set_clock_offset(3600)
    answer = engine.verify_remote(name)
    assert answer.get("valid") is True
    assert sandbox.calls("token-of-trust", "mint") == 2
    assert engine.get_token(name).access_token != before.access_token


@pytest.mark.parametrize("preset", ["token-of-trust", "true-markets"])
def test_a_new_token_is_decoded_once_from_the_providers_answer_to_its_claims(
    preset, sandbox, setup, monkeypatch
):
    from workbench.core.jose import inspect as jwtinspect

    engine, _clock, add = setup
    name = add(preset)
    decoded: list[str] = []
    real = jwtinspect.decode_unverified

    def counting(token):
        decoded.append(token)
        return real(token)

    monkeypatch.setattr(jwtinspect, "decode_unverified", counting)
    result = engine.get_token(name, force="mint")
    assert result.jwt is not None and result.jwt.claims["exp"] == int(result.expires_at)
    assert engine.get_token(name).jwt is not None  # the warm path hands over the same reading
    assert decoded.count(result.access_token) == 1
