"""The HTTP client every provider call goes through, and the mapping of transport failures to errors.

`make_client` builds one `httpx.Client` per engine: keep-alive pool, TLS
verification on unless a profile turns it off, no redirects followed (a token
endpoint that redirects is a misconfiguration we want to see, and following it
could carry credentials to another host), and our own User-Agent.

`send_spec` sends a `flows.RequestSpec` and turns httpx's transport exceptions
into `NetworkError` / `NetworkTimeoutError` with a one-line message naming the
host and what we were doing, never the request's headers or body.

Importing this module does not import httpx (0.2 s): `workbench token` answered
from the cache never pays for it. `BearerAuth`, an `httpx.Auth` subclass, is
therefore created on first access through the module's `__getattr__`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench import __version__
from workbench.core.errors import NetworkError, NetworkTimeoutError

if TYPE_CHECKING:
    import httpx

    from workbench.core.flows import RequestSpec

    class BearerAuth(httpx.Auth):  # the real class is built by _make_bearer_auth() on first access
        def __init__(
            self,
            get_token: Callable[[], str],
            *,
            header: str = "Authorization",
            scheme: str = "Bearer",
            on_unauthorized: Callable[[str], str | None] | None = None,
        ) -> None: ...


DEFAULT_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_CONNECTIONS = 20
DEFAULT_MAX_KEEPALIVE = 10
DEFAULT_KEEPALIVE_EXPIRY = 30.0
USER_AGENT = f"token-workbench/{__version__}"


def make_client(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    verify_tls: bool = True,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An `httpx.Client` with the house defaults. `transport` lets tests pass `httpx.MockTransport`."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout)),
        verify=verify_tls,
        limits=httpx.Limits(
            max_connections=DEFAULT_MAX_CONNECTIONS,
            max_keepalive_connections=DEFAULT_MAX_KEEPALIVE,
            keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY,
        ),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        transport=transport,
    )


def __getattr__(name: str) -> Any:
    # `BearerAuth` subclasses httpx.Auth, but importing this module must not import httpx.
    if name == "BearerAuth":
        cls = _make_bearer_auth()
        globals()["BearerAuth"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _make_bearer_auth() -> type[Any]:
    import httpx

    class BearerAuth(httpx.Auth):
        """Puts the current token on each request; on a 401, asks once for a fresh one and retries.

        `get_token()` returns the token to use now. `on_unauthorized(rejected)` (optional)
        is called with the token the server refused and returns a replacement, or None to
        give up (the 401 response is returned as is). Token work is serialised with an
        `RLock`, as httpx's authentication guide recommends for shared clients.
        """

        requires_request_body = False
        requires_response_body = False

        def __init__(
            self,
            get_token: Callable[[], str],
            *,
            header: str = "Authorization",
            scheme: str = "Bearer",
            on_unauthorized: Callable[[str], str | None] | None = None,
        ) -> None:
            self._get_token = get_token
            self._header = header
            self._scheme = scheme
            self._on_unauthorized = on_unauthorized
            self._lock = threading.RLock()

        def _apply(self, request: httpx.Request, token: str) -> None:
            request.headers[self._header] = f"{self._scheme} {token}" if self._scheme else token

        def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
            with self._lock:
                token = self._get_token()
            self._apply(request, token)
            response = yield request
            if response.status_code != 401 or self._on_unauthorized is None:
                return
            with self._lock:
                fresh = self._on_unauthorized(token)
            if not fresh or fresh == token:
                return
            self._apply(request, fresh)
            yield request

    BearerAuth.__module__ = __name__
    BearerAuth.__qualname__ = "BearerAuth"
    return BearerAuth


def host_of(url: str) -> str:
    """`host[:port]` of a URL, for messages (never the path or query: they may carry secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def network_error(exc: Exception, *, url: str, what: str, timeout: float | None = None) -> NetworkError:
    """Turn an httpx transport exception into our error with a one-line, secret-free message.

    `what` names the action, e.g. "true-markets mint" or "call".
    """
    import httpx

    host = host_of(url)
    if isinstance(exc, httpx.TimeoutException):
        limit = f" within {timeout:g} s" if timeout else ""
        if isinstance(exc, httpx.ConnectTimeout):
            return NetworkTimeoutError(f"{what}: could not connect to {host}{limit}")
        return NetworkTimeoutError(
            f"{what}: {host} did not answer{limit}", hint="try again, or raise the profile's timeout"
        )
    if isinstance(exc, httpx.ConnectError):
        reason = _connect_reason(exc)
        return NetworkError(f"{what}: could not connect to {host} ({reason})")
    if isinstance(exc, httpx.RemoteProtocolError):
        return NetworkError(f"{what}: {host} closed the connection without a valid HTTP answer")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return NetworkError(f"{what}: only http:// and https:// URLs are supported")
    if isinstance(exc, httpx.InvalidURL):
        return NetworkError(f"{what}: the URL is not valid")
    if isinstance(exc, httpx.TooManyRedirects):
        return NetworkError(f"{what}: too many redirects from {host}")
    return NetworkError(f"{what}: network error talking to {host} ({exc.__class__.__name__})")


def _connect_reason(exc: Exception) -> str:
    text = str(exc).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("temporary failure in name resolution", "DNS lookup failed"),
        ("certificate", "TLS certificate not trusted"),
        ("ssl", "TLS handshake failed"),
        ("unreachable", "network unreachable"),
        ("reset", "connection reset"),
    ):
        if needle in text:
            return reason
    return exc.__class__.__name__


def send_spec(
    client: httpx.Client,
    spec: RequestSpec,
    *,
    what: str = "",
    timeout: float | None = None,
) -> httpx.Response:
    """Send a built request; transport failures become `NetworkError` (see `network_error`)."""
    import httpx

    label = what or spec.step
    kwargs: dict[str, Any] = {}
    if timeout is not None:
        kwargs["timeout"] = httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))
    try:
        return client.request(
            spec.method, spec.url, headers=list(spec.headers), content=spec.content, **kwargs
        )
    except httpx.TransportError as exc:
        effective = timeout if timeout is not None else _client_read_timeout(client)
        raise network_error(exc, url=spec.url, what=label, timeout=effective) from None
    except httpx.InvalidURL:
        raise NetworkError(f"{label}: the URL is not valid") from None


def _client_read_timeout(client: httpx.Client) -> float | None:
    read = client.timeout.read
    return float(read) if read is not None else None


__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "BearerAuth",  # created on first access, see __getattr__
    "host_of",
    "make_client",
    "network_error",
    "send_spec",
]
