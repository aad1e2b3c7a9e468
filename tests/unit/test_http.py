"""The shared HTTP client: safe defaults and clear network errors (the token on a request:
tests/unit/test_renew_once.py)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys

import httpx
import pytest

from workbench import __version__
from workbench.core.engine.flows import RequestSpec
from workbench.core.errors import NetworkError, NetworkTimeoutError, ProviderResponseError
from workbench.core.net.client import any_origin, make_client, network_error, send_bounded


def spec(url: str = "https://api.example.com/v1/auth/token", **kw) -> RequestSpec:
    values = {
        "method": "POST",
        "url": url,
        "headers": (("Content-Type", "application/json"),),
        "content": b'{"a":1}',
        "step": "mint",
    }
    values.update(kw)
    return RequestSpec(**values)


def send_spec(client: httpx.Client, request: RequestSpec, *, what: str = "", timeout: float = 10.0):
    return send_bounded(
        client,
        request.method,
        request.url,
        headers=request.headers,
        content=request.content,
        timeout=timeout,
        what=what or request.step,
        origin_check=any_origin,
    )


def test_requests_carry_our_user_agent_and_the_specs_headers_and_body():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    with make_client(transport=httpx.MockTransport(handler)) as client:
        response = send_spec(client, spec())
    assert response.status_code == 200
    (request,) = seen
    assert request.headers["User-Agent"] == f"token-workbench/{__version__}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.method == "POST" and request.content == b'{"a":1}'


def test_redirects_are_not_followed():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(302, headers={"Location": "https://elsewhere.example/steal"})
        raise AssertionError("followed a redirect")

    with make_client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderResponseError, match=r"redirect \(302\) to https://elsewhere\.example"):
            send_spec(client, spec("https://api.example.com/token"))


def test_timeouts_and_tls_verification_defaults():
    with make_client(timeout=12.0) as client:
        assert client.timeout.connect == 5.0
        assert client.timeout.read == 12.0 and client.timeout.write == 12.0
        assert client.follow_redirects is False
        context = client._transport._pool._ssl_context  # httpx keeps the verifying context here
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with make_client(timeout=2.0, verify_tls=False) as client:
        assert client.timeout.connect == 2.0
        assert client._transport._pool._ssl_context.verify_mode == ssl.CERT_NONE


def test_a_refused_connection_names_the_host_not_the_request():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with make_client(transport=httpx.MockTransport(handler)) as client, pytest.raises(NetworkError) as info:
        send_spec(
            client, spec("https://api.example.com:8443/v1/auth/token?key=sk_live_x"), what="true-markets mint"
        )
    assert (
        str(info.value) == "true-markets mint: could not connect to api.example.com:8443 (connection refused)"
    )
    assert not isinstance(info.value, NetworkTimeoutError)


def test_a_silent_server_is_a_timeout_error():
    # A real listening socket that never answers: the kernel accepts the connection, nobody reads.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        with make_client(timeout=0.3) as client, pytest.raises(NetworkTimeoutError) as info:
            send_spec(client, spec(f"http://127.0.0.1:{port}/token"), what="token-of-trust mint", timeout=0.3)
    finally:
        listener.close()
    assert str(info.value) == f"token-of-trust mint: 127.0.0.1:{port} did not answer within 0.3 s"


def test_network_error_messages_for_other_transport_failures():
    request = httpx.Request("GET", "https://h.example/x")
    assert "closed the connection" in str(
        network_error(
            httpx.RemoteProtocolError("boom", request=request), url="https://h.example/x", what="call"
        )
    )
    assert (
        str(
            network_error(
                httpx.ConnectTimeout("t", request=request), url="https://h.example/x", what="call", timeout=5
            )
        )
        == "call: could not connect to h.example within 5 s"
    )


def test_importing_the_flow_modules_pulls_in_no_heavy_libraries():
    code = (
        "import sys, workbench.core.net.client, workbench.core.engine.flows, workbench.core.storage.history,"
        " workbench.core.request.codegen, workbench.core.request.templating;"
        "heavy = [m for m in ('httpx', 'jinja2', 'jwt', 'cryptography') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
