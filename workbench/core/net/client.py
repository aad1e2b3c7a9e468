"""The HTTP client every provider call goes through, and the mapping of transport failures to errors.

`make_client` builds one `httpx.Client` per engine: keep-alive pool, TLS
verification on unless a profile turns it off, no redirects followed (a token
endpoint that redirects is a misconfiguration we want to see, and following it
could carry credentials to another host), and our own User-Agent.

`send_bounded` is how every request goes out: under one overall deadline (the
profile's timeout covers connect, TLS, sending and the whole answer, so a server
that drips a byte a second fails within it) and a byte budget (provider answers:
1 MiB; `call`: 100 MiB by default), read as a stream so an oversized answer is cut
off, never held. The deadline is enforced below httpx, in the network stream every
socket read and write goes through (`_DeadlineBackend`): httpx's own timeouts are
per operation. TLS failures raise `NetworkTLSError`, which nobody retries.

Importing this module does not import httpx (0.2 s): `workbench token` answered
from the cache never pays for it. The token goes on a request through
`workbench.core.engine.renew` (an `httpx.Auth` that renews a refused token once).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from workbench import __version__
from workbench.core.errors import (
    NetworkError,
    NetworkTimeoutError,
    NetworkTLSError,
    ProviderResponseError,
    ResponseTooLargeError,
)
from workbench.core.net.origins import origin_from, origin_of
from workbench.core.net.trust import verify_setting

if TYPE_CHECKING:
    import ssl

    import httpx


DEFAULT_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_CONNECTIONS = 20
DEFAULT_MAX_KEEPALIVE = 10
DEFAULT_KEEPALIVE_EXPIRY = 30.0
USER_AGENT = f"token-workbench/{__version__}"
# Token endpoints, JWKS and discovery documents are small; anything bigger is hostile or broken.
PROVIDER_MAX_BYTES = 1024 * 1024
# `call` answers are the user's data, but still bounded (`workbench call --max-bytes N`).
CALL_MAX_BYTES = 100 * 1024 * 1024
# More than one coding layer is what a bomb looks like (`gzip, gzip`: 2.5 KB → 1 GiB); no
# provider needs it.
MAX_CONTENT_CODINGS = 1
ACCEPT_ENCODING = "gzip, deflate"


def make_client(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    verify_tls: bool = True,
    transport: httpx.BaseTransport | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.Client:
    """An `httpx.Client` with the house defaults. `transport` lets tests pass `httpx.MockTransport`.
    `ssl_context`: a profile's own (a client certificate, its own trust anchors: `net/mtls.py`)."""
    import httpx

    limits = httpx.Limits(
        max_connections=DEFAULT_MAX_CONNECTIONS,
        max_keepalive_connections=DEFAULT_MAX_KEEPALIVE,
        keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY,
    )
    if transport is None:
        transport = deadline_transport(verify_tls=verify_tls, limits=limits, ssl_context=ssl_context)
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout)),
        # the OS trust store (core/trust.py), or the profile's own context
        verify=ssl_context if ssl_context is not None else verify_setting(verify_tls),
        limits=limits,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        cookies=_no_cookies(),
        follow_redirects=False,
        transport=transport,
    )


def _no_cookies() -> Any:
    """A cookie jar that keeps nothing. One client serves many profiles (the engine's pool), and
    cookies ignore ports: a jar would hand provider A's session to profile B's API on the same
    host. Credentials go only where a profile's preset puts them."""
    from http.cookiejar import CookieJar, DefaultCookiePolicy

    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


# ------------------------------------------------------------------------- overall deadline

_deadline = threading.local()


@contextmanager
def overall_deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread inside the block shares one deadline (nested blocks
    keep the earlier one). Used by `send_bounded`; the streams of `deadline_transport` obey it."""
    outer: float | None = getattr(_deadline, "at", None)
    at = time.monotonic() + seconds
    _deadline.at = at if outer is None else min(outer, at)
    try:
        yield
    finally:
        _deadline.at = outer


@contextmanager
def paused_deadline() -> Iterator[None]:
    """Lift this thread's overall deadline inside the block, and give back on leaving what was
    left of it on entering: a token renewed in the middle of a call (`engine.renew.RenewOnce`)
    runs under its own request's deadline and does not eat the call's."""
    outer: float | None = getattr(_deadline, "at", None)
    left = None if outer is None else outer - time.monotonic()
    _deadline.at = None
    try:
        yield
    finally:
        _deadline.at = None if left is None else time.monotonic() + left


def _clamp(timeout: float | None, exc_type: type[Exception]) -> float | None:
    """`timeout` shortened to what is left of this thread's deadline; past it, raise `exc_type`."""
    at: float | None = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise exc_type("the overall deadline of the request passed")
    return left if timeout is None else min(timeout, left)


def deadline_transport(
    *,
    verify_tls: bool = True,
    limits: httpx.Limits | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.HTTPTransport:
    """httpx's own transport, whose network streams obey `overall_deadline`."""
    import httpx

    kwargs: dict[str, Any] = {
        "verify": ssl_context if ssl_context is not None else verify_setting(verify_tls)
    }
    if limits is not None:
        kwargs["limits"] = limits
    transport = httpx.HTTPTransport(**kwargs)
    pool = transport._pool
    # httpx builds its httpcore pool without a way to pass a network backend; the attribute
    # is httpcore's (1.x) documented extension point, set here once (tests/unit/test_http.py
    # proves a drip-fed answer fails within the deadline, so a change here cannot go unnoticed).
    pool._network_backend = _deadline_backend_class()(pool._network_backend)
    return transport


_backend_class: type | None = None


def _deadline_backend_class() -> type:
    global _backend_class
    if _backend_class is not None:
        return _backend_class
    import httpcore

    class DeadlineStream(httpcore.NetworkStream):
        def __init__(self, inner: httpcore.NetworkStream) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._inner.close()

        def start_tls(
            self,
            ssl_context: Any,
            server_hostname: str | None = None,
            timeout: float | None = None,
        ) -> httpcore.NetworkStream:
            inner = self._inner.start_tls(
                ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
            )
            return DeadlineStream(inner)

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class DeadlineBackend(httpcore.NetworkBackend):
        def __init__(self, inner: httpcore.NetworkBackend) -> None:
            self._inner = inner

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.NetworkStream:
            stream = self._inner.connect_tcp(
                host,
                port,
                timeout=_clamp(timeout, httpcore.ConnectTimeout),
                local_address=local_address,
                socket_options=socket_options,
            )
            return DeadlineStream(stream)

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> httpcore.NetworkStream:
            stream = self._inner.connect_unix_socket(
                path, timeout=_clamp(timeout, httpcore.ConnectTimeout), socket_options=socket_options
            )
            return DeadlineStream(stream)

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    _backend_class = DeadlineBackend
    return DeadlineBackend


OriginCheck = Callable[[str], None]


def any_origin(origin: str) -> None:
    """The `origin_check` of a request that carries no credential (a JWKS URL the user typed)."""


def send_bounded(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    origin_check: OriginCheck,
    headers: Sequence[tuple[str, str]] = (),
    content: bytes | None = None,
    timeout: float,
    max_bytes: int = PROVIDER_MAX_BYTES,
    what: str,
    auth: Any = None,
    timeouts: httpx.Timeout | None = None,
    redirects: Literal["refuse", "return"] = "refuse",
) -> httpx.Response:
    """Send a request and read its whole answer within `timeout` seconds and `max_bytes` bytes.

    `origin_check` is called with the origin of the request as built, right before it is sent
    (the one place a URL becomes a connection; it raises to stop it: `origins.check_origin` for
    a profile's requests, `any_origin` for credential-free ones). Redirects are never followed;
    a 3xx answer with a `Location` raises `ProviderResponseError` unless `redirects="return"`
    (`call` shows it to the user). Returns a read `httpx.Response` (its `.content` is the decoded
    body). Transport failures become `NetworkError` / `NetworkTimeoutError` / `NetworkTLSError`;
    an answer over the budget, on the wire or decoded, `ResponseTooLargeError` (the connection
    is dropped, the rest never read).
    """
    import httpx

    if timeouts is None:
        timeouts = httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))
    try:
        with overall_deadline(timeout):
            request = client.build_request(
                method, url, headers=list(headers), content=content, timeout=timeouts
            )
            origin_check(request_origin(request.url))
            response = client.send(
                request,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                stream=True,
                follow_redirects=False,
            )
            try:
                if redirects == "refuse" and response.is_redirect:
                    raise _redirect_refused(response, url=url, what=what)
                if response.is_stream_consumed:  # an auth flow read it already (`read_answer`)
                    body = response.content
                else:
                    body = _read_within(response, max_bytes, url=url, what=what)
            finally:
                response.close()
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise network_error(exc, url=url, what=what, timeout=timeout) from None
    except httpx.StreamError as exc:
        raise NetworkError(
            f"{what}: {host_of(url)} broke off its answer ({exc.__class__.__name__})"
        ) from None
    # The body was read (and bounded) by hand; hand it over the way `response.read()` would.
    response._content = body
    return response


def request_origin(url: httpx.URL) -> str:
    """The origin a built request connects to (the host as httpx encodes it), by the one rule."""

    return origin_from(url.scheme, url.raw_host.decode("ascii", "replace"), url.port)


def _redirect_refused(response: httpx.Response, *, url: str, what: str) -> ProviderResponseError:
    target = origin_of(str(response.url.join(response.headers.get("location", "")))) or "another URL"
    return ProviderResponseError(
        f"{what}: {host_of(url)} answered with a redirect ({response.status_code}) to {target}; "
        "redirects are not followed",
        status=response.status_code,
        hint="use the URL it redirects to, if you trust it",
    )


def _codings(response: httpx.Response, *, url: str, what: str) -> list[str]:
    found = [
        value.strip().lower()
        for value in response.headers.get_list("content-encoding", split_commas=True)
        if value.strip() and value.strip().lower() != "identity"
    ]
    if len(found) > MAX_CONTENT_CODINGS:
        raise ResponseTooLargeError(
            f"{what}: the answer from {host_of(url)} is encoded {len(found)} times "
            f"({', '.join(found[:4])}); more than one content encoding is refused"
        )
    for coding in found:
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise NetworkError(
                f"{what}: the answer from {host_of(url)} is encoded with '{coding[:20]}', "
                "which workbench does not decode (it asks for gzip or deflate)"
            )
    return found


class _BoundedInflater:
    """zlib decoding that never produces more than `limit + 1` bytes in total: each call asks
    zlib for at most what is left of the budget (`max_length`), so a bomb is cut off at the
    budget instead of being expanded in memory first."""

    def __init__(self, coding: str, limit: int) -> None:
        self._coding = coding
        self._limit = limit
        self._produced = 0
        wbits = zlib.MAX_WBITS | 16 if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, data: bytes) -> Iterator[bytes]:
        # Until the input is used up and zlib holds nothing more back (output it could not hand
        # over within max_length stays inside it even when the input is all consumed).
        while not self._inflate.eof:
            room = self._limit - self._produced + 1
            try:
                piece = self._inflate.decompress(data, room)
            except zlib.error:
                if not (self._first and self._coding == "deflate"):
                    raise
                # Some servers send raw deflate without the zlib wrapper (httpx tolerates it too).
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                continue
            self._first = False
            self._produced += len(piece)
            if piece:
                yield piece
            if self._produced > self._limit:
                return
            data = self._inflate.unconsumed_tail
            if not data and not piece:
                return

    def finish(self) -> Iterator[bytes]:
        yield from self.feed(b"")  # whatever zlib still held back, within the budget
        rest = self._inflate.flush()
        self._produced += len(rest)
        if rest:
            yield rest


def _read_within(response: httpx.Response, max_bytes: int, *, url: str, what: str) -> bytes:
    """The decoded body, read raw and decoded here so that both the bytes on the wire and the
    bytes decoding produces count against `max_bytes`, as they arrive."""
    if response.is_stream_consumed:
        # Already read in memory (an in-process transport such as tests' `httpx.MockTransport`).
        if len(response.content) > max_bytes:
            raise _too_large(url, what, max_bytes)
        return response.content
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, what, max_bytes)
    codings = _codings(response, url=url, what=what)
    inflater = _BoundedInflater(codings[0], max_bytes) if codings else None
    body = bytearray()
    wire = 0
    try:
        for raw in response.iter_raw():
            wire += len(raw)
            if wire > max_bytes:
                raise _too_large(url, what, max_bytes)
            for piece in inflater.feed(raw) if inflater is not None else (raw,):
                body += piece
                if len(body) > max_bytes:
                    raise _too_large(url, what, max_bytes)
        if inflater is not None:
            for piece in inflater.finish():
                body += piece
                if len(body) > max_bytes:
                    raise _too_large(url, what, max_bytes)
    except zlib.error:
        raise NetworkError(f"{what}: the answer from {host_of(url)} is not valid {codings[0]}") from None
    return bytes(body)


def read_answer(response: httpx.Response, max_bytes: int, *, url: str, what: str) -> bytes:
    """Read a streamed answer within `max_bytes` and keep it as the response's content (as
    `response.read()` would), for code that must look at an answer before `send_bounded` returns
    it (an `httpx.Auth` deciding whether to send again; httpx then reads it once more, from memory)."""
    body = _read_within(response, max_bytes, url=url, what=what)
    response._content = body  # what `send_bounded` does too: the body was read (bounded) by hand
    return body


def _too_large(url: str, what: str, max_bytes: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{what}: the answer from {host_of(url)} is larger than {_size(max_bytes)}; not reading it",
        hint="raise the limit with --max-bytes" if max_bytes != PROVIDER_MAX_BYTES else "",
    )


def _size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"


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
        if reason.startswith("TLS"):
            return NetworkTLSError(
                f"{what}: {reason} for {host}",
                hint="not retried; fix the server's certificate or the system's trust store",
            )
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
        ("certificate verify failed", "TLS certificate not trusted"),
        ("certificate", "TLS certificate not accepted"),
        ("ssl", "TLS handshake failed"),
        ("unreachable", "network unreachable"),
        ("reset", "connection reset"),
    ):
        if needle in text:
            return reason
    return exc.__class__.__name__


__all__ = [
    "CALL_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "PROVIDER_MAX_BYTES",
    "USER_AGENT",
    "any_origin",
    "host_of",
    "make_client",
    "network_error",
    "overall_deadline",
    "paused_deadline",
    "read_answer",
    "request_origin",
    "send_bounded",
]
