"""The sandbox server itself: Date header clock, fault injection, call counters, admin API, keep-alive."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.integration.conftest import ALL_PRESETS, GRANT_PRESETS, LOGIN_PRESETS
from workbench.sandbox import FAULT_KINDS, Sandbox

PRESETS = ALL_PRESETS


def tot_mint(client: httpx.Client, sandbox: Sandbox, **kwargs) -> httpx.Response:
    demo = sandbox.demo_profiles()["token-of-trust"]
    body = {
        "appDomain": demo["vars"]["app_domain"],
        "totApiKey": demo["secrets"]["api_key"],
        "totSecretKey": demo["secrets"]["secret_key"],
    }
    return client.post(sandbox.base_url("token-of-trust") + "/api/internal/auth/token", json=body, **kwargs)


def test_demo_profiles_cover_every_shipped_preset_with_base_url_vars_and_secrets(sandbox):
    profiles = sandbox.demo_profiles()
    assert set(profiles) == {*PRESETS, *LOGIN_PRESETS, *GRANT_PRESETS}
    for preset, profile in profiles.items():
        assert set(profile) == {"base_url", "vars", "secrets"}
        assert profile["base_url"] == sandbox.base_url(preset)
        # A login preset's demo client is public: its credential is the user's consent.
        assert profile["secrets"] or preset in LOGIN_PRESETS
    assert profiles["true-markets"]["base_url"].endswith("/true-markets/v1/auth")


def test_every_response_has_a_date_header_from_the_sandbox_clock(sandbox, client):
    r = client.get(sandbox.url + "/.well-known/jwks.json")
    date = parsedate_to_datetime(r.headers["date"]).timestamp()
    assert abs(date - time.time()) < 2
    sandbox.set_clock_offset(-600)
    r = client.get(sandbox.url + "/nowhere")
    assert r.status_code == 404
    assert abs(parsedate_to_datetime(r.headers["date"]).timestamp() - (time.time() - 600)) < 2


def test_the_clock_offset_can_be_given_at_construction(client):
    with Sandbox(clock_offset=3600) as sandbox:
        r = client.get(sandbox.url + "/.well-known/jwks.json")
        assert abs(parsedate_to_datetime(r.headers["date"]).timestamp() - (time.time() + 3600)) < 2


def test_fault_500_html(sandbox, client):
    sandbox.inject_fault("token-of-trust", "mint", "500-html")
    r = tot_mint(client, sandbox)
    assert r.status_code == 500 and r.headers["content-type"] == "text/html" and b"<html>" in r.content
    assert tot_mint(client, sandbox).status_code == 200  # times=1 by default


def test_fault_invalid_json(sandbox, client):
    sandbox.inject_fault("token-of-trust", "mint", "invalid-json")
    r = tot_mint(client, sandbox)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        r.json()


def test_fault_429_has_retry_after_and_a_provider_style_body(sandbox, client):
    sandbox.inject_fault("marketiger3d", "refresh", "429", times=2)
    access, refresh = sandbox.issue_pair("marketiger3d")
    url = sandbox.base_url("marketiger3d") + "/v2/Auth/RefreshToken"
    for _ in range(2):
        r = client.post(url, json={"accessToken": access, "refreshToken": refresh})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert r.json()["error"]["type"] == "RATE_LIMIT"
    assert client.post(url, json={"accessToken": access, "refreshToken": refresh}).status_code == 200


def test_fault_drop_closes_the_connection_without_an_answer(sandbox, client):
    sandbox.inject_fault("token-of-trust", "mint", "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        tot_mint(client, sandbox)
    assert tot_mint(client, sandbox).status_code == 200


def test_fault_slow_outlasts_the_client_timeout_without_blocking_other_requests(sandbox, client):
    sandbox.inject_fault("token-of-trust", "mint", "slow", delay=2)
    errors: list[BaseException] = []

    def slow_call() -> None:
        try:
            tot_mint(httpx.Client(timeout=0.5), sandbox)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=slow_call)
    t.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert client.get(sandbox.url + "/.well-known/jwks.json").status_code == 200
    assert time.monotonic() - started < 0.5
    t.join()
    assert len(errors) == 1 and isinstance(errors[0], httpx.ReadTimeout)


def test_slow_defaults_to_thirty_seconds():
    with Sandbox() as sandbox:
        sandbox.inject_fault("oauth2", "mint", "slow")
        assert sandbox.stats()["faults"][0]["delay"] == 30.0
        started = time.monotonic()
    assert time.monotonic() - started < 2  # stopping does not wait for stalled requests


def test_a_fault_without_a_count_lasts_until_cleared_and_faults_queue_in_order(sandbox, client):
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None)
    for _ in range(3):
        assert tot_mint(client, sandbox).status_code == 500
    sandbox.clear_faults()
    sandbox.inject_fault("token-of-trust", "mint", "429")
    sandbox.inject_fault("token-of-trust", "mint", "500-html")
    assert [tot_mint(client, sandbox).status_code for _ in range(3)] == [429, 500, 200]


def test_faults_hit_only_their_endpoint(sandbox, client):
    sandbox.inject_fault("token-of-trust", "verify", "500-html")
    token = tot_mint(client, sandbox).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(sandbox.base_url("token-of-trust") + "/api/echo", headers=auth).status_code == 200
    r = client.get(sandbox.base_url("token-of-trust") + "/api/internal/auth/token", headers=auth)
    assert r.status_code == 500


def test_unknown_fault_kinds_endpoints_and_presets_are_refused(sandbox):
    with pytest.raises(ValueError, match="unknown fault"):
        sandbox.inject_fault("token-of-trust", "mint", "explode")
    with pytest.raises(ValueError, match="unknown endpoint"):
        sandbox.inject_fault("token-of-trust", "login", "429")
    with pytest.raises(ValueError, match="unknown preset"):
        sandbox.inject_fault("nope", "mint", "429")
    assert set(FAULT_KINDS) == {"500-html", "invalid-json", "slow", "429", "drop"}


def test_calls_are_counted_per_preset_and_endpoint_across_threads(sandbox, client):
    def mint_once(_: int) -> int:
        return tot_mint(client, sandbox).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(mint_once, range(40))) == {200}
    assert sandbox.calls("token-of-trust", "mint") == 40
    assert sandbox.calls("token-of-trust", "verify") == 0
    assert sandbox.calls("token-of-trust") == 40
    assert sandbox.calls("marketiger3d") == 0


def test_faulted_requests_are_counted_too(sandbox, client):
    sandbox.inject_fault("token-of-trust", "mint", "429")
    tot_mint(client, sandbox)
    tot_mint(client, sandbox)
    assert sandbox.calls("token-of-trust", "mint") == 2


def test_oauth_calls_count_by_grant(sandbox, client):
    demo = sandbox.demo_profiles()
    cc = demo["oauth2-client-credentials"]
    url = sandbox.base_url("oauth2-client-credentials") + "/oauth/token"
    client.post(
        url,
        data={"grant_type": "client_credentials"},
        auth=(cc["vars"]["client_id"], cc["secrets"]["client_secret"]),
    )
    rt = demo["oauth2-refresh-token"]
    client.post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": rt["secrets"]["refresh_token"]},
        auth=(rt["vars"]["client_id"], rt["secrets"]["client_secret"]),
    )
    assert sandbox.calls("oauth2-client-credentials", "mint") == 1
    assert sandbox.calls("oauth2-refresh-token", "refresh") == 1


def test_the_admin_api_drives_faults_clock_lifetimes_and_stats(sandbox, client):
    admin = sandbox.url + "/_sandbox"
    r = client.post(
        admin + "/fault",
        json={"preset": "token-of-trust", "endpoint": "mint", "kind": "429", "times": 1, "delay": 0},
    )
    assert r.status_code == 200 and r.json()["faults"][0]["kind"] == "429"
    assert tot_mint(client, sandbox).status_code == 429
    assert (
        client.post(admin + "/lifetime", json={"preset": "token-of-trust", "seconds": 42}).status_code == 200
    )
    assert tot_mint(client, sandbox).json()["expiresIn"] == 42
    assert client.post(admin + "/clock", json={"offset": 90}).status_code == 200
    assert sandbox.clock_offset == 90
    stats = client.get(admin + "/stats").json()
    assert stats["calls"]["token-of-trust"]["mint"] == 2
    assert stats["lifetimes"]["token-of-trust"]["access"] == 42
    pair = client.post(admin + "/issue", json={"preset": "paymentsgate"}).json()
    assert pair["access_token"] and pair["refresh_token"]
    client.post(admin + "/fault", json={"preset": "oauth2", "endpoint": "api", "kind": "drop", "times": None})
    assert client.post(admin + "/reset").json()["faults"] == []
    assert sandbox.calls("token-of-trust") == 0
    bad = client.post(admin + "/fault", json={"preset": "token-of-trust", "endpoint": "mint", "kind": "boom"})
    assert bad.status_code == 400 and "unknown fault" in bad.json()["message"]
    assert client.post(admin + "/fault", json={"preset": "x"}).status_code == 400


def test_unknown_paths_are_404_and_wrong_methods_are_405_in_the_providers_style(sandbox, client):
    r = client.get(sandbox.base_url("marketiger3d") + "/v2/Auth/RefreshToken")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json()["success"] is False
    r = client.post(sandbox.base_url("oauth2-client-credentials") + "/oauth/authorize")
    assert r.status_code == 404 and "error" in r.json()


def test_keep_alive_requests_are_fast(sandbox, client):
    url = sandbox.url + "/.well-known/jwks.json"
    client.get(url)
    timings = []
    for _ in range(21):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.02  # no 44 ms Nagle/delayed-ACK floor


def test_stop_closes_idle_keep_alive_connections(client):
    sandbox = Sandbox().start()
    url = sandbox.url + "/.well-known/jwks.json"
    assert client.get(url).status_code == 200
    sandbox.stop()
    with pytest.raises(httpx.TransportError):
        client.get(url)


def test_lifetimes_given_at_construction_apply_and_bad_values_are_refused(client):
    with Sandbox(lifetimes={"oauth2-client-credentials": 120, "paymentsgate": 30}) as sandbox:
        cc = sandbox.demo_profiles()["oauth2-client-credentials"]
        r = client.post(
            sandbox.base_url("oauth2-client-credentials") + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(cc["vars"]["client_id"], cc["secrets"]["client_secret"]),
        )
        assert r.json()["expires_in"] == 120
        with pytest.raises(ValueError):
            sandbox.set_lifetime("paymentsgate", 0)


def test_the_url_needs_a_started_sandbox():
    with pytest.raises(RuntimeError, match="start"):
        Sandbox().url  # noqa: B018
