"""The sandbox: a real HTTP/1.1 server on loopback that hosts every provider emulator.

One port, one path prefix per provider (see `emulators/`), the true-markets
JWKS at the origin, and admin endpoints under `/_sandbox/` so tests that run the
sandbox in another process can still inject faults, move its clock and read its
call counters::

    GET  /_sandbox/stats                      calls per preset/endpoint, faults, clock, lifetimes
    POST /_sandbox/fault     {"preset", "endpoint", "kind", "times", "delay"}
    POST /_sandbox/reset                      clear faults and call counters
    POST /_sandbox/lifetime  {"preset", "seconds", "kind": "access"|"refresh"}
    POST /_sandbox/clock     {"offset"}
    POST /_sandbox/issue     {"preset"}       → {"access_token", "refresh_token"} (paste-in presets)

Every response carries a `Date` header from the *sandbox* clock (local time plus
`clock_offset`), which is how clients learn the provider's clock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from workbench.sandbox.emulators import emulator_classes
from workbench.sandbox.emulators.base import ENDPOINTS, Provider, SandboxState
from workbench.sandbox.http import DROP, JSON_TYPE, Drop, Reject, Request, Response, json_response
from workbench.sandbox.tls import TlsAccept, TlsIdentity

log = logging.getLogger(__name__)

FAULT_KINDS = ("500-html", "invalid-json", "slow", "429", "drop")
DEFAULT_SLOW_DELAY = 30.0
MAX_BODY_BYTES = 1024 * 1024
KEEP_ALIVE_IDLE_TIMEOUT = 120.0
ADMIN_PREFIX = "/_sandbox"
JWKS_PATH = "/.well-known/jwks.json"

_HTML_500 = (
    b"<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
    b"<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_BROKEN_JSON = b'{"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIi'


@dataclass
class _Fault:
    preset: str
    endpoint: str
    kind: str
    remaining: int | None  # None: until cleared
    delay: float

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "endpoint": self.endpoint,
            "kind": self.kind,
            "times": self.remaining,
            "delay": self.delay,
        }


class Sandbox:
    """Local emulators of every preset's provider, on one loopback port.

    Use as a context manager or call `start()`/`stop()`. Thread-safe: tests may
    inject faults and read counters while requests are being served.

    Attributes:
        providers: provider key → emulator (`true-markets`, `marketiger3d`, `token-of-trust`,
            `api-key-sliding`, `paymentsgate`, `oauth2`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        lifetimes: Mapping[str, int] | None = None,
        clock_offset: float = 0.0,
        refresh_lifetimes: Mapping[str, int] | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._state = SandboxState(clock_offset=clock_offset)
        self.providers: dict[str, Provider] = {cls.key: cls(self._state) for cls in emulator_classes()}
        self._by_preset: dict[str, Provider] = {}
        for provider in self.providers.values():
            self._by_preset[provider.key] = provider
            for preset in provider.presets:
                self._by_preset[preset] = provider
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str]] = Counter()
        self._faults: deque[_Fault] = deque()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tls_server: _TlsServer | None = None
        self._tls: TlsIdentity | None = None
        for preset, seconds in (lifetimes or {}).items():
            self.set_lifetime(preset, seconds)
        for preset, seconds in (refresh_lifetimes or {}).items():
            self.set_refresh_lifetime(preset, seconds)

    # -- life cycle --

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self._host, self._port), _Handler)
        server.sandbox = self
        self._server = server
        port = server.server_port
        self._state.url = f"http://{self._host}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"sandbox:{port}", daemon=True
        )
        self._thread.start()
        return self

    def start_tls(self) -> str:
        """Start the TLS listener (mutual TLS, see `sandbox/tls.py`) once; its https:// URL."""
        self.url  # noqa: B018 - the plain listener first
        with self._lock:
            if self._tls_server is None:
                identity = TlsIdentity()
                server = _TlsServer((self._host, 0), _Handler)
                server.sandbox, server.tls = self, identity
                self._tls, self._tls_server = identity, server
                self._state.tls_url = f"https://{self._host}:{server.server_port}"
                threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.02},
                    name=f"sandbox-tls:{server.server_port}",
                    daemon=True,
                ).start()
                for provider in self.providers.values():
                    for pem in getattr(provider, "client_certificates", list)():
                        identity.trust_client(pem)
        return self._state.tls_url

    @property
    def tls_ca_file(self) -> str:
        """The TLS listener's self-signed certificate (PEM file): what a profile trusts explicitly."""
        self.start_tls()
        assert self._tls is not None
        return str(self._tls.ca_file)

    def trust_client_certificate(self, certificate_pem: str) -> None:
        """The TLS listener accepts this client certificate from now on."""
        self.start_tls()
        assert self._tls is not None
        self._tls.trust_client(certificate_pem)

    def tls_base_url(self, preset: str) -> str:
        return self.start_tls() + self.provider(preset).prefix

    def stop(self) -> None:
        tls_server, self._tls_server = self._tls_server, None
        if tls_server is not None:
            tls_server.shutdown()
            tls_server.close_all_connections()
            tls_server.server_close()
        if self._tls is not None:
            self._tls.close()
            self._tls = None
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes "slow" requests so they give up
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- public API --

    @property
    def url(self) -> str:
        if not self._state.url:
            raise RuntimeError("the sandbox is not started; call start() first")
        return self._state.url

    @property
    def clock_offset(self) -> float:
        return self._state.clock_offset

    def now(self) -> float:
        """The sandbox's idea of the current Unix time (local time + clock offset)."""
        return self._state.now()

    def provider(self, preset: str) -> Provider:
        try:
            return self._by_preset[preset]
        except KeyError:
            known = ", ".join(sorted(self._by_preset))
            raise ValueError(f"unknown preset {preset!r} (known: {known})") from None

    def base_url(self, preset: str) -> str:
        provider = self.provider(preset)
        return self.url + provider.prefix

    def demo_profiles(self) -> dict[str, dict[str, Any]]:
        """preset → {"base_url", "vars", "secrets"}. Paste-in presets get a NEW session each call."""
        self.url  # noqa: B018 - raises if not started: base URLs need the port
        profiles: dict[str, dict[str, Any]] = {}
        for provider in self.providers.values():
            for preset, creds in provider.demo_profiles().items():
                profiles[preset] = {"base_url": self.base_url(preset), **creds}
        return profiles

    def demo_extra_profiles(self) -> dict[str, dict[str, Any]]:
        """name → {"preset", "base_url", "vars", "secrets"}: demo profiles beyond one per preset
        (the DPoP client of the OAuth emulator, the PAR client of the FAPI issuer); a spec's own
        base_url wins over its preset's."""
        self.url  # noqa: B018 - raises if not started: base URLs need the port
        profiles: dict[str, dict[str, Any]] = {}
        for provider in self.providers.values():
            extras = getattr(provider, "demo_extra_profiles", None)
            for name, spec in (extras() if extras is not None else {}).items():
                if spec.get("tls"):  # served by the TLS listener, which the profile trusts explicitly
                    spec = {k: v for k, v in spec.items() if k != "tls"}
                    spec["settings"] = {**spec.get("settings", {}), "tls_ca_file": self.tls_ca_file}
                    profiles[name] = {"base_url": self.tls_base_url(spec["preset"]), **spec}
                    continue
                profiles[name] = {"base_url": self.base_url(spec["preset"]), **spec}
        return profiles

    def issue_pair(self, preset: str, *, lifetime: int | None = None) -> tuple[str, str]:
        """A fresh (access, refresh) pair in a new session; `lifetime` overrides the access lifetime."""
        self.url  # noqa: B018 - the issuer claim needs the URL
        return self.provider(preset).issue_pair(preset, lifetime=lifetime)

    def issue_token(self, preset: str, *, lifetime: int | None = None) -> str:
        """A valid access token for the demo account (negative `lifetime`: already expired)."""
        self.url  # noqa: B018
        return self.provider(preset).issue_token(preset, lifetime=lifetime)

    def register_key(self, public_key_pem: str | bytes) -> str:
        """Register an EC P-256 public key with true-markets (like its API Keys page); returns the key_id."""
        provider = self.providers["true-markets"]
        return provider.register_key(public_key_pem)  # type: ignore[attr-defined,no-any-return]

    def set_lifetime(self, preset: str, seconds: int) -> None:
        """Access-token lifetime for tokens issued from now on."""
        if int(seconds) < 1:
            raise ValueError("a token lifetime must be at least 1 second")
        self.provider(preset).lifetime = int(seconds)

    def set_refresh_lifetime(self, preset: str, seconds: int) -> None:
        """Refresh-token lifetime for refresh tokens issued from now on."""
        provider = self.provider(preset)
        if provider.default_refresh_lifetime is None:
            raise ValueError(f"{preset} has no refresh tokens")
        if int(seconds) < 1:
            raise ValueError("a token lifetime must be at least 1 second")
        provider.refresh_lifetime = int(seconds)

    def set_clock_offset(self, seconds: float) -> None:
        """Make the sandbox clock differ from the local one (the Date header and all time checks follow)."""
        self._state.clock_offset = float(seconds)

    def inject_fault(
        self, preset: str, endpoint: str, kind: str, *, times: int | None = 1, delay: float = 0
    ) -> None:
        """Make the next `times` requests to preset/endpoint misbehave (`times=None`: until cleared).

        Faults queue up: inject "500-html" then "429" and the first request gets the 500, the next the 429.
        `delay` is how long "slow" sleeps (default 30 s); for other kinds it is an extra wait first.
        A "slow" request is never processed: after the wait the connection is closed unanswered,
        like a hung upstream behind a proxy. (Processing it late would rotate a refresh token the
        client never saw, which tests of "the stored refresh token still works" must not trip on.)

        Endpoints: "mint" (the token request), "refresh", "verify" (token-of-trust's GET verify and
        the true-markets JWKS), "api" (`/api/echo`, `/me`). Both OAuth presets share one emulator
        ("oauth2"): its "mint" is the client_credentials grant, its "refresh" the refresh_token grant.
        """
        provider = self.provider(preset)
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r} (known: {', '.join(ENDPOINTS)})")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for 'until cleared')")
        if kind == "slow" and not delay:
            delay = DEFAULT_SLOW_DELAY
        with self._lock:
            self._faults.append(_Fault(provider.key, endpoint, kind, times, float(delay)))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def calls(self, preset: str, endpoint: str | None = None) -> int:
        """Requests that reached preset's endpoint (all endpoints when None), faulted ones included."""
        key = self.provider(preset).key
        with self._lock:
            return sum(
                n for (p, e), n in self._calls.items() if p == key and (endpoint is None or e == endpoint)
            )

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            calls: dict[str, dict[str, int]] = {key: {} for key in self.providers}
            for (preset, endpoint), n in self._calls.items():
                calls[preset][endpoint] = n
            faults = [f.to_json() for f in self._faults]
        return {
            "url": self._state.url,
            "now": self.now(),
            "clock_offset": self._state.clock_offset,
            "calls": calls,
            "faults": faults,
            "lifetimes": {
                k: {"access": p.lifetime, "refresh": p.refresh_lifetime} for k, p in self.providers.items()
            },
        }

    # -- request handling (called on server threads) --

    def handle(self, request: Request) -> Response | Drop:
        path = request.path
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self._admin(request)
        if path == JWKS_PATH:
            tm = self.providers["true-markets"]
            if request.method != "GET":
                return tm.error(405, "method_not_allowed", "method not allowed", headers=(("Allow", "GET"),))
            return self._provider_call(tm, "verify", tm.jwks, request)  # type: ignore[attr-defined]
        for provider in self.providers.values():
            if path.startswith(provider.prefix + "/"):
                return self._route(provider, request)
        return json_response(404, {"message": f"no such path: {path}"})

    def _route(self, provider: Provider, request: Request) -> Response | Drop:
        subpath = request.path[len(provider.prefix) :]
        methods = provider.routes.get(subpath)
        if methods is None:
            return provider.error(404, "not_found", f"no route for {request.method} {request.path}")
        route = methods.get(request.method)
        if route is None:
            allow = ", ".join(sorted(methods))
            return provider.error(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here (allowed: {allow})",
                headers=(("Allow", allow),),
            )
        request = replace(request, subpath=subpath)
        return self._provider_call(provider, route.endpoint_for(request), route.handler, request)

    def _provider_call(
        self, provider: Provider, endpoint: str, handler: Any, request: Request
    ) -> Response | Drop:
        with self._lock:
            self._calls[(provider.key, endpoint)] += 1
            fault = self._take_fault(provider.key, endpoint)
        if fault is not None:
            faulted = self._apply_fault(provider, fault)
            if faulted is not None:
                return faulted
        try:
            result: Response = handler(request)
        except Reject as rejected:
            return rejected.response
        return result

    def _take_fault(self, preset: str, endpoint: str) -> _Fault | None:
        for fault in self._faults:
            if fault.preset == preset and fault.endpoint == endpoint:
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _apply_fault(self, provider: Provider, fault: _Fault) -> Response | Drop | None:
        """The faulty answer (a "slow" fault waits, then drops the connection unanswered)."""
        if fault.delay and self._stopping.wait(fault.delay):
            return DROP  # shutting down: do not answer a request we were told to stall
        if fault.kind == "slow":
            return DROP
        if fault.kind == "500-html":
            return Response(500, _HTML_500, "text/html")
        if fault.kind == "invalid-json":
            return Response(200, _BROKEN_JSON, JSON_TYPE)
        if fault.kind == "429":
            return provider.error(
                429, "rate_limited", "Too many requests, retry later", headers=(("Retry-After", "1"),)
            )
        return DROP

    def _admin(self, request: Request) -> Response:
        action = request.path[len(ADMIN_PREFIX) :].strip("/")
        try:
            if action == "stats" and request.method == "GET":
                return json_response(200, self.stats())
            if request.method != "POST" or action not in {"fault", "reset", "lifetime", "clock", "issue"}:
                return json_response(404, {"message": f"no admin action {request.method} {request.path}"})
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("admin request body must be a JSON object")
            if action == "fault":
                times = body.get("times", 1)
                self.inject_fault(
                    str(body["preset"]),
                    str(body["endpoint"]),
                    str(body["kind"]),
                    times=None if times is None else int(times),
                    delay=float(body.get("delay", 0)),
                )
            elif action == "reset":
                self.clear_faults()
                self.reset_calls()
            elif action == "lifetime":
                if body.get("kind", "access") == "refresh":
                    self.set_refresh_lifetime(str(body["preset"]), int(body["seconds"]))
                else:
                    self.set_lifetime(str(body["preset"]), int(body["seconds"]))
            elif action == "clock":
                self.set_clock_offset(float(body["offset"]))
            else:
                access, refresh = self.issue_pair(str(body["preset"]))
                return json_response(200, {"access_token": access, "refresh_token": refresh})
        except KeyError as exc:
            return json_response(400, {"message": f"missing field {exc.args[0]!r}"})
        except (ValueError, TypeError) as exc:
            return json_response(400, {"message": str(exc)})
        return json_response(200, self.stats())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: Sandbox

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout after a "slow" fault, a dropped pool connection) is normal
        # here; the stdlib would print a traceback to stderr for it.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        log.exception("sandbox: error while serving %s", client_address)

    def close_all_connections(self) -> None:
        """Idle keep-alive connections would otherwise outlive the server (their threads are daemons)."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _TlsServer(TlsAccept, _Server):
    """The same server on another port, over TLS (`sandbox/tls.py`)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # WORKAROUND: without this, a keep-alive request whose answer is written in two parts (headers,
    # then body) waits for the client's delayed ACK of the first: Nagle's algorithm holds the
    # second, a ~40 ms floor per request on Linux loopback.
    disable_nagle_algorithm = True
    timeout = KEEP_ALIVE_IDLE_TIMEOUT
    server_version = "WorkbenchSandbox/1.0"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header reports the *sandbox* clock: that is how clients learn its offset.
        return formatdate(self.server.sandbox.now() if timestamp is None else timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self._send(json_response(400, {"message": "bad Content-Length or chunk size"}))
            self.close_connection = True
            return
        if body is None:
            self._send(json_response(413, {"message": f"request body larger than {MAX_BODY_BYTES} bytes"}))
            self.close_connection = True
            return
        path, _, query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, path, query, headers, body, client_cert=self._client_cert())
        try:
            outcome = self.server.sandbox.handle(request)
        except Exception:
            log.exception("sandbox handler failed for %s %s", self.command, path)
            outcome = json_response(500, {"message": "sandbox internal error"})
        if isinstance(outcome, Drop):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(outcome)

    def _client_cert(self) -> bytes | None:
        peer = getattr(self.connection, "getpeercert", None)
        return peer(binary_form=True) if peer is not None else None

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
        self.wfile.flush()
