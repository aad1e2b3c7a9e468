"""TokenEngine against a scripted provider (httpx.MockTransport), a FakeClock and a dict vault.

Integration over real loopback HTTP lives in tests/integration/test_engine_*.py; here
every branch of the engine's decisions is driven precisely and without sleeping.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections import Counter

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from workbench.core.clock import FakeClock
from workbench.core.engine.token_engine import (
    EngineEvent,
    LockTimeoutError,
    TokenEngine,
    TokenUnavailableError,
)
from workbench.core.errors import (
    NetworkError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    VaultError,
    user_message,
)
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore

HS_KEY = "unit-test-signing-key-0123456789abcdef"


class DictVault:
    """The slice of `Vault` the engine uses, with counters and switchable failures."""

    def __init__(self):
        self.data: dict[tuple[str, str], str] = {}
        self.loads = 0
        self.stores: list[str] = []
        self.fail_store: set[str] = set()
        self.fail_new_values = False  # refuse only values it does not hold yet (a keychain failing mid-way)
        self.lock = threading.Lock()

    def store(self, profile, name, value):
        unchanged = self.data.get((profile, name)) == value
        if name in self.fail_store and not (self.fail_new_values and unchanged):
            raise VaultError(f"the keychain refused to store {name} of profile '{profile}'")
        with self.lock:
            self.stores.append(name)
            self.data[(profile, name)] = value

    def load(self, profile, name):
        with self.lock:
            self.loads += 1
            return self.data.get((profile, name))

    def delete(self, profile, name):
        self.data.pop((profile, name), None)

    def has(self, profile, name):
        return (profile, name) in self.data


class FakeProvider:
    """Speaks true-markets, token-of-trust and paymentsgate well enough for the engine.

    `script[endpoint]` is a list of canned responses (or callables) served before the
    default behaviour. `server_offset` shifts the provider's clock (Date header, iat).
    """

    def __init__(self, clock: FakeClock, *, lifetime: int = 300):
        self.clock = clock
        self.lifetime = lifetime
        self.server_offset = 0.0
        self.calls: Counter[str] = Counter()
        self.script: dict[str, list] = {}
        self.delay = 0.0
        self.serial = 0
        self.valid_refresh: set[str] = set()
        self.valid_access: set[str] = set()
        self.api_headers: dict[str, str] = {}
        self.mu = threading.Lock()

    def server_now(self) -> float:
        return self.clock.local_time() + self.server_offset

    def jwt(self, **claims) -> str:
        with self.mu:
            self.serial += 1
            n = self.serial
        now = int(self.server_now())
        payload = {"sub": "unit", "iat": now, "exp": now + self.lifetime, "jti": str(n), **claims}
        token = jwt.encode(payload, HS_KEY, algorithm="HS256")
        self.valid_access.add(token)
        return token

    def refresh_token(self) -> str:
        with self.mu:
            self.serial += 1
            token = f"rt-{self.serial:04d}-opaque"
        self.valid_refresh.add(token)
        return token

    def _date(self) -> str:
        return email.utils.formatdate(self.server_now(), usegmt=True)

    def respond(self, status, body=None, headers=None, content=None):
        h = {"Date": self._date(), **(headers or {})}
        if content is not None:
            return httpx.Response(status, content=content, headers=h)
        return httpx.Response(status, json=body, headers=h)

    def endpoint(self, request: httpx.Request) -> str:
        path = request.url.path
        if path.endswith("/api-key/token") or (path.endswith("/auth/token") and request.method == "POST"):
            return "mint"
        if path.endswith("/refresh"):
            return "refresh"
        return "api"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        ep = self.endpoint(request)
        with self.mu:
            self.calls[ep] += 1
            scripted = self.script.get(ep)
            item = scripted.pop(0) if scripted else None
        if self.delay and ep != "api":
            time.sleep(self.delay)
        if item is not None:
            return item(request) if callable(item) else item
        return getattr(self, f"on_{ep}")(request)

    def on_mint(self, request):
        if request.url.path.endswith("/api-key/token"):
            body = json.loads(request.content)
            if abs(body["timestamp"] - self.server_now()) > 30:
                return self.respond(
                    400, {"error": {"type": "INVALID_TIMESTAMP", "message": "timestamp outside window"}}
                )
            access = self.jwt()
            return self.respond(
                200,
                {
                    "access_token": access,
                    "refresh_token": self.refresh_token(),
                    "token_type": "Bearer",
                    "expires_in": time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(self.server_now()) + self.lifetime)
                    ),
                },
            )
        access = self.jwt()
        return self.respond(200, {"token": access, "tokenType": "Bearer", "expiresIn": self.lifetime})

    def on_refresh(self, request):
        body = json.loads(request.content)
        rt = body.get("refresh_token")
        if rt not in self.valid_refresh:
            return self.respond(401, {"error": {"type": "UNAUTHORIZED", "message": "invalid refresh token"}})
        self.valid_refresh.discard(rt)  # rotation: the old one is single-use
        return self.respond(
            200,
            {"access_token": self.jwt(), "refresh_token": self.refresh_token(), "expires_in": self.lifetime},
        )

    def on_api(self, request):
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        if token not in self.valid_access:
            return self.respond(401, {"message": "Token has expired"})
        return self.respond(200, {"ok": True, "path": request.url.path}, headers=self.api_headers)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def provider(clock):
    return FakeProvider(clock)


@pytest.fixture
def vault():
    return DictVault()


@pytest.fixture
def store(workbench_home):
    return ProfileStore(presets=PresetCatalog.load_default())


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def engine(store, vault, clock, provider, sleeps):
    eng = TokenEngine(
        profiles=store,
        vault=vault,
        clock=clock,
        transport=httpx.MockTransport(provider),
        sleep=sleeps.append,
        lock_timeout=5,
    )
    yield eng
    eng.close()


def _pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def add_true_markets(store, vault, name="tm", **settings):
    store.create(
        name,
        preset="true-markets",
        base_url="http://provider.test/v1/auth",
        vars={"key_id": "0b7a3c6e-1111-4222-8333-444455556666"},
        secret_names=["private_key"],
        settings=settings or None,
    )
    vault.store(name, "private_key", _pem())
    return name


def add_token_of_trust(store, vault, name="tot", **settings):
    store.create(
        name,
        preset="token-of-trust",
        base_url="http://provider.test",
        vars={"app_domain": "myapp.com"},
        secret_names=["api_key", "secret_key"],
        settings=settings or None,
    )
    vault.store(name, "api_key", "pk_test_abc")
    vault.store(name, "secret_key", "sk_test_xyz")
    return name


def add_paymentsgate(store, vault, provider, name="pg", *, refresh=True):
    store.create(
        name,
        preset="paymentsgate",
        base_url="http://provider.test",
        vars={},
        secret_names=["access_token", "refresh_token"],
    )
    vault.store(name, "access_token", provider.jwt())
    if refresh:
        vault.store(name, "refresh_token", provider.refresh_token())
    return name


def all_text_under(path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in path.rglob("*") if p.is_file())


# ------------------------------------------------------------------ obtaining and caching


def test_first_request_mints_and_the_second_is_served_from_memory(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    first = engine.get_token("tot")
    assert first.obtained_by == "mint"
    loads = vault.loads
    second = engine.get_token("tot")
    assert second.obtained_by == "cache"
    assert second.access_token == first.access_token
    assert provider.calls["mint"] == 1
    assert vault.loads == loads  # warm path: no vault read


def test_token_json_has_the_exact_cli_shape(engine, store, vault, clock):
    add_token_of_trust(store, vault)
    result = engine.get_token("tot")
    data = result.to_json(clock.now())
    assert set(data) == {"access_token", "token_type", "expires_at", "expires_in", "obtained_by"}
    assert data["expires_at"].endswith("Z") and data["expires_in"] == 300
    assert data["token_type"] == "Bearer" and data["obtained_by"] == "mint"
    assert "access_token" not in repr(result) or result.access_token not in repr(result)


def test_fifty_threads_needing_a_token_cause_exactly_one_provider_call(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    provider.delay = 0.2
    barrier = threading.Barrier(50)
    tokens, errors = [], []

    def worker():
        barrier.wait()
        try:
            tokens.append(engine.get_token("tot").access_token)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert provider.calls["mint"] == 1
    assert len(set(tokens)) == 1 and len(tokens) == 50


def test_a_token_inside_its_refresh_lead_is_refreshed_and_the_refresh_token_rotates(
    engine, store, vault, provider, clock
):
    add_true_markets(store, vault)
    minted = engine.get_token("tm")
    old_refresh = vault.data[("tm", "refresh_token")]
    clock.advance(300 - 29)  # lead = min(60, 10 % of 300) = 30 s
    renewed = engine.get_token("tm")
    assert renewed.obtained_by == "refresh"
    assert renewed.access_token != minted.access_token
    assert vault.data[("tm", "refresh_token")] != old_refresh
    assert provider.calls == Counter({"mint": 1, "refresh": 1})


def test_a_token_just_outside_its_lead_is_still_served_from_cache(engine, store, vault, provider, clock):
    add_true_markets(store, vault)
    engine.get_token("tm")
    clock.advance(300 - 31)
    assert engine.get_token("tm").obtained_by == "cache"
    assert provider.calls["refresh"] == 0


def test_profile_refresh_lead_setting_overrides_the_default(engine, store, vault, provider, clock):
    add_token_of_trust(store, vault, refresh_lead=200)
    engine.get_token("tot")
    clock.advance(101)
    assert engine.get_token("tot").obtained_by == "mint"
    assert provider.calls["mint"] == 2
    assert engine.refresh_lead(300, "tot") == 200


def test_rotated_refresh_token_is_stored_before_the_access_token(engine, store, vault, provider, clock):
    add_true_markets(store, vault)
    engine.get_token("tm")
    vault.stores.clear()
    engine.get_token("tm", force="refresh")
    # The current refresh token is written back first (is the keychain writable?), then the
    # rotated one, and only then the access token.
    assert vault.stores[:3] == ["refresh_token", "refresh_token", "access_token"]


def test_refused_refresh_falls_back_to_minting_when_the_preset_can_mint(
    engine, store, vault, provider, clock
):
    add_true_markets(store, vault)
    engine.get_token("tm")
    provider.valid_refresh.clear()  # the provider forgot every refresh token
    clock.advance(290)
    result = engine.get_token("tm")
    assert result.obtained_by == "mint"
    assert provider.calls == Counter({"mint": 2, "refresh": 1})


def test_paste_in_pair_expiry_is_read_from_the_jwt(engine, store, vault, provider, clock):
    add_paymentsgate(store, vault, provider)
    result = engine.get_token("pg")
    assert result.obtained_by == "cache"
    assert result.expires_at == pytest.approx(int(clock.now()) + 300)
    assert sum(provider.calls.values()) == 0


def test_expired_paste_in_token_is_refreshed_with_both_tokens(engine, store, vault, provider, clock):
    add_paymentsgate(store, vault, provider)
    clock.advance(400)
    seen = {}
    provider.script["refresh"] = [
        lambda req: (seen.update(auth=req.headers["authorization"]), provider.on_refresh(req))[1]
    ]
    old_access = vault.data[("pg", "access_token")]
    result = engine.get_token("pg")
    assert result.obtained_by == "refresh"
    assert seen["auth"] == f"Bearer {old_access}"


def test_expired_paste_in_token_without_refresh_token_says_what_to_do(engine, store, vault, provider, clock):
    add_paymentsgate(store, vault, provider, refresh=False)
    clock.advance(400)
    with pytest.raises(TokenUnavailableError) as info:
        engine.get_token("pg")
    message = str(info.value) + info.value.hint
    assert "expired at" in message and "no refresh token" in message
    assert "workbench profile set pg --secret access_token" in message
    assert sum(provider.calls.values()) == 0


def test_mint_on_a_preset_that_cannot_mint_is_a_clear_error(engine, store, vault, provider):
    add_paymentsgate(store, vault, provider)
    with pytest.raises(TokenUnavailableError, match=r"cannot mint.*--refresh"):
        engine.get_token("pg", force="mint")


def test_refresh_on_a_mint_only_preset_mints_a_fresh_token(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    a = engine.get_token("tot")
    b = engine.get_token("tot", force="refresh")
    assert b.obtained_by == "mint" and b.access_token != a.access_token


def test_forced_mint_replaces_a_valid_token(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    a = engine.get_token("tot")
    b = engine.get_token("tot", force="mint")
    assert b.obtained_by == "mint" and b.access_token != a.access_token
    assert engine.get_token("tot").access_token == b.access_token


# ------------------------------------------------------------------ retries and errors


def test_server_errors_are_retried_with_backoff_then_succeed(engine, store, vault, provider, sleeps):
    add_token_of_trust(store, vault)
    provider.script["mint"] = [provider.respond(503, content=b"<html>busy</html>"), provider.respond(502, {})]
    assert engine.get_token("tot").obtained_by == "mint"
    assert provider.calls["mint"] == 3
    assert len(sleeps) == 2 and sleeps[1] > 0


def test_a_wait_in_backoff_is_published_with_the_time_of_the_next_attempt(
    engine, store, vault, provider, sleeps, clock
):
    add_token_of_trust(store, vault)
    provider.script["mint"] = [provider.respond(429, {"message": "slow down"}, headers={"Retry-After": "2"})]
    events = []
    engine.subscribe(events.append)
    engine.get_token("tot")
    retrying = [e for e in events if e.kind == "retrying"]
    assert len(retrying) == 1 and retrying[0].profile == "tot"
    assert retrying[0].retry_at == pytest.approx(clock.now() + 2.0, abs=1.0)
    assert "answered 429" in retrying[0].message and "attempt 1 of 3" in retrying[0].message


def test_persistent_server_errors_give_up_after_three_attempts_with_the_status(
    engine, store, vault, provider, sleeps
):
    add_token_of_trust(store, vault)
    provider.script["mint"] = [provider.respond(500, content=b"<html><body>Oops</body></html>")] * 5
    with pytest.raises(ProviderError, match=r"500.*HTML.*after 3 attempts"):
        engine.get_token("tot")
    assert provider.calls["mint"] == 3


def test_rate_limit_retry_after_is_honoured_and_capped(engine, store, vault, provider, sleeps):
    add_token_of_trust(store, vault)
    provider.script["mint"] = [
        provider.respond(429, {"message": "slow down"}, headers={"Retry-After": "2"}),
        provider.respond(429, {"message": "slow down"}, headers={"Retry-After": "3600"}),
    ]
    engine.get_token("tot")
    assert sleeps == [2.0, 5.0]


def test_rate_limited_three_times_surfaces_the_providers_message(engine, store, vault, provider, sleeps):
    add_token_of_trust(store, vault)
    provider.script["mint"] = [
        provider.respond(429, {"message": "slow down"}, headers={"Retry-After": "1"})
    ] * 3
    with pytest.raises(ProviderRateLimited, match="slow down"):
        engine.get_token("tot")


def test_refused_credentials_are_not_retried(engine, store, vault, provider, sleeps):
    add_token_of_trust(store, vault)
    provider.script["mint"] = [provider.respond(401, {"message": "Invalid credentials"})]
    with pytest.raises(ProviderAuthError, match=r"token-of-trust mint failed.*Invalid credentials"):
        engine.get_token("tot")
    assert provider.calls["mint"] == 1 and sleeps == []


def test_connection_errors_are_retried_then_reported_without_a_traceback(
    engine, store, vault, provider, sleeps
):
    add_token_of_trust(store, vault)

    def drop(request):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    provider.script["mint"] = [drop] * 3
    with pytest.raises(NetworkError, match=r"closed the connection.*after 3 attempts"):
        engine.get_token("tot")
    assert provider.calls["mint"] == 3


def test_signed_challenge_rejected_for_its_timestamp_is_retried_once_with_the_servers_time(
    engine, store, vault, provider, clock
):
    add_true_markets(store, vault)
    provider.server_offset = 120
    result = engine.get_token("tm")
    assert result.obtained_by == "mint"
    assert provider.calls["mint"] == 2
    assert abs(clock.offset - 120) <= 1  # a Date header has whole seconds
    # Expiry is on the server's clock: a full lifetime from the server's now.
    assert 298 <= result.expires_in(clock.now()) <= 300


def test_a_second_timestamp_rejection_is_not_retried_again(engine, store, vault, provider):
    add_true_markets(store, vault)
    bad = {"error": {"type": "INVALID_TIMESTAMP", "message": "timestamp outside window"}}
    provider.server_offset = 120
    provider.script["mint"] = [
        lambda r: provider.respond(400, bad),
        lambda r: provider.respond(400, bad),
        lambda r: provider.respond(400, bad),
    ]
    with pytest.raises(ProviderError, match="timestamp outside window"):
        engine.get_token("tm")
    assert provider.calls["mint"] == 2


def test_a_failed_flight_releases_every_waiter_and_the_next_call_is_free_to_try(
    engine, store, vault, provider
):
    add_token_of_trust(store, vault)
    provider.delay = 0.2
    provider.script["mint"] = [provider.respond(401, {"message": "Invalid credentials"})]
    barrier = threading.Barrier(10)
    errors = []

    def worker():
        barrier.wait()
        try:
            engine.get_token("tot")
        except ProviderAuthError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(errors) == 10 and provider.calls["mint"] == 1
    provider.delay = 0
    assert engine.get_token("tot").obtained_by == "mint"


def test_renewal_failure_keeps_serving_a_token_that_has_not_expired(engine, store, vault, provider, clock):
    add_token_of_trust(store, vault)
    first = engine.get_token("tot")
    clock.advance(285)  # inside the 30 s lead, not expired
    provider.script["mint"] = [provider.respond(503, {})] * 3
    events: list[EngineEvent] = []
    engine.subscribe(events.append)
    assert engine.get_token("tot").access_token == first.access_token
    assert any(e.kind == "failed" and "still using the current token" in e.message for e in events)
    assert any(e.kind == "expiring" for e in events)


def test_a_held_file_lock_times_out_with_a_clear_error(store, vault, clock, provider, workbench_home):
    from workbench.core.storage.process_lock import ProcessLock

    add_token_of_trust(store, vault)
    eng = TokenEngine(
        profiles=store, vault=vault, clock=clock, transport=httpx.MockTransport(provider), lock_timeout=0.2
    )
    held = ProcessLock(workbench_home / "locks" / "tot.lock", timeout=1)
    (workbench_home / "locks").mkdir(exist_ok=True)
    done = threading.Event()

    def hold():
        with held:
            done.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    try:
        with pytest.raises(LockTimeoutError, match="held the token lock of profile 'tot'"):
            eng.get_token("tot")
    finally:
        done.set()
        holder.join(5)
    assert eng.get_token("tot").obtained_by == "mint"  # lock not poisoned
    eng.close()


# ------------------------------------------------------------------ storage


def test_a_token_another_process_stored_meanwhile_is_used_from_the_vault(store, vault, clock, provider):
    add_token_of_trust(store, vault)
    other = TokenEngine(profiles=store, vault=vault, clock=clock, transport=httpx.MockTransport(provider))
    mine = TokenEngine(profiles=store, vault=vault, clock=clock, transport=httpx.MockTransport(provider))
    minted = other.get_token("tot")
    seen = mine.get_token("tot")
    assert seen.obtained_by == "cache" and seen.access_token == minted.access_token
    assert seen.expires_at == minted.expires_at
    assert provider.calls["mint"] == 1
    other.close()
    mine.close()


def test_state_file_holds_metadata_but_never_a_token_value(engine, store, vault, workbench_home):
    add_true_markets(store, vault)
    engine.get_token("tm")
    engine.get_token("tm", force="refresh")
    state = json.loads((workbench_home / "state" / "tm.json").read_text())
    assert state["obtained_by"] == "refresh" and state["expires_at"] and state["access_fingerprint"]
    text = all_text_under(workbench_home)
    for (_profile, _name), value in vault.data.items():
        assert value not in text


def test_vault_refusing_the_rotated_refresh_token_says_it_was_not_saved_and_how_to_recover(
    engine, store, vault, provider, clock
):
    add_true_markets(store, vault)
    engine.get_token("tm")
    events: list[EngineEvent] = []
    engine.subscribe(events.append)
    vault.fail_store = {"refresh_token"}
    vault.fail_new_values = True  # writable when checked, failing once the provider has rotated
    with pytest.raises(VaultError, match="the new refresh token of profile 'tm' could not be saved") as info:
        engine.get_token("tm", force="refresh")
    assert "rt-" not in str(info.value)
    assert "kept" not in user_message(info.value)
    assert "`workbench profile set tm --secret refresh_token`" in info.value.hint
    assert any(e.kind == "failed" and "could not be saved" in e.message for e in events)
    # A long-running process (the GUI) still holds it and retries the save: nothing more is lost.
    # Still failing: the next call retries the write and fails again, without a provider call.
    with pytest.raises(VaultError):
        engine.get_token("tm")
    assert provider.calls["refresh"] == 1
    vault.fail_store = set()
    result = engine.get_token("tm")
    assert result.obtained_by == "refresh"
    assert vault.data[("tm", "refresh_token")] in provider.valid_refresh
    assert provider.calls == Counter({"mint": 1, "refresh": 1})


def test_a_keychain_that_refuses_writes_stops_a_rotating_refresh_before_the_provider_call(
    engine, store, vault, provider, clock
):
    add_true_markets(store, vault)
    engine.get_token("tm")
    before = vault.data[("tm", "refresh_token")]
    vault.fail_store = {"refresh_token"}
    with pytest.raises(VaultError, match="refuses writes"):
        engine.get_token("tm", force="refresh")
    assert provider.calls["refresh"] == 0  # the provider never rotated anything
    assert vault.data[("tm", "refresh_token")] == before
    vault.fail_store = set()
    assert engine.get_token("tm", force="refresh").obtained_by == "refresh"


def test_a_failing_event_subscriber_does_not_break_the_engine(engine, store, vault):
    add_token_of_trust(store, vault)
    seen = []

    def broken(event):
        raise RuntimeError("subscriber bug")

    engine.subscribe(broken)
    unsubscribe = engine.subscribe(lambda e: seen.append(e.kind))
    assert engine.get_token("tot").obtained_by == "mint"
    assert "minted" in seen and "changed" in seen
    unsubscribe()
    engine.get_token("tot", force="mint")
    assert seen.count("minted") == 1


def test_forget_drops_minted_tokens_but_keeps_pasted_credentials(
    engine, store, vault, provider, workbench_home
):
    add_token_of_trust(store, vault)
    add_paymentsgate(store, vault, provider)
    engine.get_token("tot")
    engine.get_token("pg", force="refresh")
    engine.forget("tot")
    engine.forget("pg")
    assert ("tot", "access_token") not in vault.data and ("tot", "api_key") in vault.data
    assert ("pg", "access_token") in vault.data and ("pg", "refresh_token") in vault.data
    assert not (workbench_home / "state" / "tot.json").exists()
    assert engine.get_token("tot").obtained_by == "mint"


def test_cached_reports_the_stored_token_without_network(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    assert engine.cached("tot") is None
    minted = engine.get_token("tot")
    assert engine.cached("tot").access_token == minted.access_token
    assert provider.calls["mint"] == 1


# ------------------------------------------------------------------ calls


def test_call_joins_relative_paths_to_the_base_url_and_sends_the_token(engine, store, vault, provider):
    add_true_markets(store, vault)
    result = engine.call("tm", "get", "/me")
    assert result.status == 200 and result.method == "GET"
    assert result.url == "http://provider.test/v1/auth/me"
    assert result.json()["path"] == "/v1/auth/me"
    assert not result.retried


def test_call_after_a_401_obtains_a_fresh_token_once_and_retries(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    first = engine.get_token("tot")
    provider.valid_access.discard(first.access_token)  # server-side expiry
    result = engine.call("tot", "GET", "/api/echo")
    assert result.status == 200 and result.retried
    assert provider.calls["mint"] == 2
    assert engine.get_token("tot").access_token != first.access_token


def test_call_gives_up_after_one_retry_and_returns_the_401(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    provider.script["api"] = [provider.respond(401, {"message": "Token has expired"})] * 2
    result = engine.call("tot", "GET", "/api/echo")
    assert result.status == 401 and result.retried
    assert provider.calls["api"] == 2 and provider.calls["mint"] == 2
    err = engine.describe_failure("tot", result)
    assert "401" in str(err) and "Token has expired" in str(err)


def test_a_response_authorization_header_does_not_replace_the_token_of_a_preset_without_one(
    engine, store, vault, provider, workbench_home
):
    # Only a preset that declares a sliding header adopts tokens from answers (issue 17 item 3;
    # the sliding preset's own cases: tests/hostile/test_response_token.py).
    add_token_of_trust(store, vault)
    minted = engine.get_token("tot").access_token
    provider.api_headers = {"Authorization": f"Bearer {provider.jwt()}"}
    result = engine.call("tot", "GET", "/api/echo")
    assert not result.token_replaced
    assert engine.get_token("tot").access_token == minted
    assert vault.data[("tot", "access_token")] == minted
    state = json.loads((workbench_home / "state" / "tot.json").read_text())
    assert state["obtained_by"] == "mint"


def test_call_history_records_names_and_status_but_no_token(engine, store, vault, workbench_home):
    add_token_of_trust(store, vault)
    engine.call("tot", "POST", "/api/echo", json_body={"hello": "world"})
    assert engine.flush_history()
    from workbench.core.storage.history import History

    entry, mint = History().entries()  # newest first: the call, then the mint it needed
    assert mint["url"].endswith("/api/internal/auth/token") and mint["status"] == 200
    assert entry["profile"] == "tot" and entry["status"] == 200 and entry["method"] == "POST"
    assert entry["size"] and entry["size"] > 0
    raw = b"".join(p.read_bytes() for p in workbench_home.glob("history.sqlite3*"))
    assert vault.data[("tot", "access_token")].encode() not in raw


def test_warm_calls_do_not_read_the_vault(engine, store, vault):
    add_token_of_trust(store, vault)
    engine.call("tot", "GET", "/api/echo")
    loads = vault.loads
    for _ in range(20):
        assert engine.call("tot", "GET", "/api/echo").status == 200
    assert vault.loads == loads


def test_preferences_from_the_front_end_apply_to_profiles_without_their_own(engine, store, vault, provider):
    add_token_of_trust(store, vault)
    token = engine.get_token("tot")
    engine.configure(default_lead=token.lifetime + 10, timeout=3.0, verify_tls=False)
    assert engine.refresh_lead(token.lifetime, "tot") == token.lifetime + 10
    # The lead now covers the whole lifetime: the next request renews.
    assert engine.get_token("tot").obtained_by == "mint"
    plan = engine._wire.profile_and_plan("tot")[1]
    assert plan.verify_tls is False and plan.timeout_seconds == 3.0
    engine.configure()
    assert engine._wire.profile_and_plan("tot")[1].verify_tls is True


def test_a_corrupt_state_file_is_treated_as_unknown_not_an_internal_error(
    engine, store, vault, provider, workbench_home
):
    add_token_of_trust(store, vault)
    engine.get_token("tot")
    (workbench_home / "state" / "tot.json").write_bytes(b"\xff\xfe not utf-8 \x00")
    fresh = TokenEngine(profiles=store, vault=vault, clock=engine.clock, transport=engine._wire.transport)
    assert fresh.get_token("tot").access_token


def test_a_lock_file_that_is_a_folder_is_a_clear_error(engine, store, vault, workbench_home):
    add_token_of_trust(store, vault)
    (workbench_home / "locks").mkdir(exist_ok=True)
    (workbench_home / "locks" / "tot.lock").mkdir()
    with pytest.raises(LockTimeoutError, match="is a folder, not a file; remove it"):
        engine.get_token("tot")


def test_a_cancelled_token_request_is_not_retried(engine, store, vault, provider, sleeps):
    import threading

    from workbench.core.errors import CancelledError

    add_token_of_trust(store, vault)
    cancel = threading.Event()

    def busy_then_cancelled(_request):
        cancel.set()  # the user pressed Cancel while the first attempt was on the wire
        return provider.respond(503, content=b"<html>busy</html>")

    provider.script["mint"] = [busy_then_cancelled] + [provider.respond(200, {})] * 3
    events = []
    engine.subscribe(events.append)
    with pytest.raises(CancelledError, match="cancelled"):
        engine.get_token("tot", force="mint", cancel=cancel)
    assert provider.calls["mint"] == 1  # no retry after Cancel
    assert not any(e.kind == "failed" for e in events)  # cancelling is not a failure
