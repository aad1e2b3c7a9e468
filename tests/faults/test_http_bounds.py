"""Every request has an overall deadline and a byte budget; TLS failures are one line, not retried."""

from __future__ import annotations

import time

import pytest

from tests.faults.hostile import HostileServer
from workbench.core.errors import NetworkTimeoutError, NetworkTLSError, ResponseTooLargeError, user_message
from workbench.core.net.client import (
    CALL_MAX_BYTES,
    PROVIDER_MAX_BYTES,
    any_origin,
    make_client,
    send_bounded,
)


def send(client, method, url, **kwargs):
    """`send_bounded` for requests that carry no credential (any origin may answer)."""
    return send_bounded(client, method, url, origin_check=any_origin, **kwargs)


@pytest.fixture
def hostile():
    with HostileServer(drip_interval=0.2) as server:
        yield server


@pytest.fixture
def client():
    with make_client(timeout=5) as c:
        yield c


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_an_answer_that_drips_fails_within_the_overall_deadline(hostile, client, path):
    started = time.monotonic()
    with pytest.raises(NetworkTimeoutError, match=r"did not answer within 1\.5 s"):
        send(client, "POST", hostile.url + path, timeout=1.5, what="pg refresh")
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 2.5  # each byte arrives well within the per-read timeout


@pytest.mark.parametrize("path", [f"/big/{200 * 1024 * 1024}", f"/big-chunked/{200 * 1024 * 1024}"])
def test_a_provider_answer_over_one_mib_is_cut_off(hostile, client, path):
    with pytest.raises(ResponseTooLargeError, match=r"larger than 1 MiB; not reading it"):
        send(client, "POST", hostile.url + path, timeout=10, what="pg refresh")


def test_a_call_answer_is_bounded_by_its_own_budget(hostile, client):
    response = send(client, "GET", hostile.url + "/big/300000", timeout=5, max_bytes=300_000, what="call")
    assert len(response.content) == 300_000
    with pytest.raises(ResponseTooLargeError) as info:
        send(client, "GET", hostile.url + "/big/300000", timeout=5, max_bytes=299_999, what="call")
    assert user_message(info.value) == (
        f"call: the answer from 127.0.0.1:{hostile.port} is larger than 299999 bytes; not reading it"
        " (raise the limit with --max-bytes)"
    )
    assert PROVIDER_MAX_BYTES == 1024 * 1024 and CALL_MAX_BYTES == 100 * 1024 * 1024


def test_a_small_answer_reads_normally_and_keeps_its_headers(hostile, client):
    response = send(client, "POST", hostile.url + "/json", timeout=5, what="mint")
    assert response.status_code == 200
    assert response.json()["access_token"] == "opaque-token-value"
    assert response.headers["content-type"] == "application/json"


def test_a_self_signed_certificate_is_one_clear_tls_error():
    with HostileServer(tls=True) as server, make_client(timeout=5) as client:
        with pytest.raises(NetworkTLSError) as info:
            send(client, "POST", server.url + "/json", timeout=5, what="pg refresh")
    message = str(info.value)
    assert message == "pg refresh: TLS certificate not trusted for 127.0.0.1:" + str(server.port)
    assert "not retried" in info.value.hint
    assert server.received == []  # nothing reached the server


def test_decode_jwks_from_a_dripping_server_fails_within_its_timeout(hostile):
    from workbench.core.jose.inspect import fetch_jwks

    started = time.monotonic()
    with pytest.raises(NetworkTimeoutError, match=r"did not answer within 1\.5 s"):
        fetch_jwks(hostile.url + "/drip-body", timeout=1.5)
    assert time.monotonic() - started < 2.5
