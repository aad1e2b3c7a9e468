"""The base of every provider emulator: the sandbox clock, refresh-token sessions with rotation,
the route table, and the strict request checks all emulators share.

An emulator is a `Provider` subclass in its own module of this package, exported as the module's
`EMULATOR`; `workbench.sandbox.emulators.EMULATOR_MODULES` lists the modules the sandbox hosts.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from workbench.sandbox import tokens as jose
from workbench.sandbox.http import JSON_TYPE, Reject, Request, Response, json_response

ENDPOINTS = ("mint", "refresh", "verify", "api")
API_PATHS = ("/api/echo", "/me")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

DAY = 24 * 3600


def iso_seconds(t: float) -> str:
    """2019-08-24T14:15:22Z"""
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(t: float) -> str:
    """2025-10-29T18:38:22.000Z"""
    dt = datetime.fromtimestamp(t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class SandboxState:
    """What all providers share: the sandbox clock and the public URL."""

    def __init__(self, *, clock_offset: float = 0.0) -> None:
        self.clock_offset = float(clock_offset)
        self.url = ""
        self.tls_url = ""  # the TLS listener (mutual TLS), once started

    def now(self) -> float:
        return time.time() + self.clock_offset


# --- refresh-token sessions ------------------------------------------------------------------------


@dataclass
class Session:
    id: str
    subject: str
    refresh_token: str
    refresh_expires_at: float
    data: dict[str, Any] = field(default_factory=dict)


class SessionStore:
    """Refresh-token sessions with rotation: only the newest refresh token of a session is accepted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_refresh: dict[str, Session] = {}

    def open(
        self, subject: str, refresh_token: str | Callable[[Session], str], expires_at: float, **data: Any
    ) -> Session:
        """A new session; `refresh_token` may be a function of the session (a JWT naming its id)."""
        session = Session(uuid.uuid4().hex, subject, "", expires_at, dict(data))
        session.refresh_token = refresh_token if isinstance(refresh_token, str) else refresh_token(session)
        with self._lock:
            self._by_refresh[session.refresh_token] = session
        return session

    def find(self, refresh_token: str, *, now: float) -> Session | None:
        """The live session whose current refresh token this is (introspection), else None."""
        with self._lock:
            session = self._by_refresh.get(refresh_token)
        return session if session is not None and session.refresh_expires_at > now else None

    def rotate(
        self,
        refresh_token: str,
        *,
        now: float,
        new_refresh_token: Callable[[Session], str],
        expires_at: float,
        check: Callable[[Session], None] | None = None,
    ) -> Session:
        """Atomically accept `refresh_token` once and replace it. LookupError if unknown/used/expired.

        `check` may raise `Reject` (e.g. the access token does not belong to this session);
        nothing is rotated then.
        """
        with self._lock:
            session = self._by_refresh.get(refresh_token)
            if session is None or session.refresh_expires_at <= now:
                raise LookupError(refresh_token)
            if check is not None:
                check(session)
            del self._by_refresh[refresh_token]
            session.refresh_token = new_refresh_token(session)
            session.refresh_expires_at = expires_at
            self._by_refresh[session.refresh_token] = session
        return session


# --- the provider base class -----------------------------------------------------------------------

Handler = Callable[[Request], Response]
EndpointOf = str | Callable[[Request], str]


@dataclass(frozen=True)
class Route:
    endpoint: EndpointOf
    handler: Handler

    def endpoint_for(self, request: Request) -> str:
        return self.endpoint if isinstance(self.endpoint, str) else self.endpoint(request)


_TYPE_NAMES = {str: "a string", int: "an integer"}


class Provider:
    """One emulated provider. Subclasses set the class attributes and add routes in `__init__`."""

    key: ClassVar[str]
    presets: ClassVar[tuple[str, ...]]
    prefix: ClassVar[str]
    default_lifetime: ClassVar[int]
    default_refresh_lifetime: ClassVar[int | None] = None

    def rotate_opaque(
        self, sessions: SessionStore, refresh_token: str, *, check: Callable[[Session], None] | None = None
    ) -> Session | None:
        """Rotate an opaque refresh token (a new random one, this provider's refresh lifetime);
        None when it is unknown, expired or already used."""
        now = self.now()
        try:
            return sessions.rotate(
                refresh_token,
                now=now,
                new_refresh_token=lambda s: new_opaque_token(),
                expires_at=now + int(self.refresh_lifetime or 0),
                check=check,
            )
        except LookupError:
            return None

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.lifetime = self.default_lifetime
        self.refresh_lifetime = self.default_refresh_lifetime
        self.routes: dict[str, dict[str, Route]] = {}
        for path in API_PATHS:
            for method in API_METHODS:
                self.route(method, path, "api", self.api_echo)

    # -- routing --

    def route(self, method: str, path: str, endpoint: EndpointOf, handler: Handler) -> None:
        self.routes.setdefault(path, {})[method] = Route(endpoint, handler)

    @property
    def base_url(self) -> str:
        return self.state.url + self.prefix

    @property
    def issuer(self) -> str:
        return self.base_url

    # -- what subclasses define --

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        raise NotImplementedError

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        """Claims of a valid access token; raises `jose.TokenExpired` / `jose.TokenInvalid`."""
        raise NotImplementedError

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        """preset → {"vars": {...}, "secrets": {...}}; paste-in presets get a fresh session each call."""
        raise NotImplementedError

    def issue_pair(self, preset: str, *, lifetime: int | None = None) -> tuple[str, str]:
        raise ValueError(f"{preset} has no refresh tokens; it mints access tokens from its credentials")

    def issue_token(self, preset: str, *, lifetime: int | None = None) -> str:
        return self.issue_pair(preset, lifetime=lifetime)[0]

    def unauthorized(self, message: str, *, expired: bool) -> Response:
        return self.error(
            401,
            "token_expired" if expired else "unauthorized",
            message,
            headers=(("WWW-Authenticate", "Bearer"),),
        )

    def api_headers(self, claims: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Extra headers on a successful protected-API response (the sliding token)."""
        return []

    def preset_of(self, claims: Mapping[str, Any]) -> str:
        return self.presets[0]

    # -- shared helpers --

    def now(self) -> float:
        return self.state.now()

    def bearer(self, request: Request) -> str:
        value = request.header("authorization")
        if not value:
            raise Reject(self.unauthorized("missing Authorization: Bearer <token> header", expired=False))
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise Reject(self.unauthorized("Authorization header must be 'Bearer <token>'", expired=False))
        return token

    def authenticate(self, request: Request) -> dict[str, Any]:
        token = self.bearer(request)
        try:
            return self.verify_access(token, self.now())
        except jose.TokenExpired:
            raise Reject(self.unauthorized("token has expired", expired=True)) from None
        except jose.TokenInvalid as exc:
            raise Reject(self.unauthorized(str(exc), expired=False)) from None

    def json_body(
        self, request: Request, fields: Mapping[str, type], *, allow_unknown: bool = False
    ) -> dict[str, Any]:
        """Parse a JSON object body and check required fields and their types, like a strict validator."""
        if request.media_type != JSON_TYPE:
            got = request.header("content-type") or "none"
            raise Reject(
                self.error(
                    415, "unsupported_media_type", f"Content-Type must be application/json (got {got})"
                )
            )
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Reject(self.error(400, "invalid_request", "request body is not valid JSON")) from None
        if not isinstance(body, dict):
            raise Reject(self.error(400, "invalid_request", "request body must be a JSON object"))
        for name, kind in fields.items():
            value = body.get(name)
            if value is None or value == "":
                raise Reject(self.error(400, "invalid_request", f"{name} is required"))
            if not isinstance(value, kind) or isinstance(value, bool):
                raise Reject(self.error(400, "invalid_request", f"{name} must be {_TYPE_NAMES[kind]}"))
        if not allow_unknown:
            unknown = sorted(set(body) - set(fields))
            if unknown:
                expected = ", ".join(fields)
                raise Reject(
                    self.error(400, "invalid_request", f"unknown field '{unknown[0]}' (expected: {expected})")
                )
        return body

    def api_echo(self, request: Request) -> Response:
        claims = self.authenticate(request)
        payload: Any = None
        if request.body and request.media_type == JSON_TYPE:
            try:
                payload = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise Reject(self.error(400, "invalid_request", "request body is not valid JSON")) from None
        return json_response(
            200,
            {
                "ok": True,
                "preset": self.preset_of(claims),
                "sub": claims.get("sub"),
                "method": request.method,
                "path": request.path,
                "query": dict(parse_qsl(request.query, keep_blank_values=True)),
                "content_type": request.header("content-type"),
                "json": payload,
                "claims": claims,
            },
            self.api_headers(claims),
        )

    def _times(self, lifetime: int | None) -> tuple[int, int]:
        iat = int(self.now())
        return iat, iat + (self.lifetime if lifetime is None else lifetime)

    def hs256_jwt(
        self, secret: bytes, subject: str, *, lifetime: int | None = None, **claims: Any
    ) -> tuple[str, int, int]:
        """(token, iat, exp): an HS256 JWT this provider issues to `subject`, with `claims` between
        `iss`/`sub` and `iat`/`exp`/`jti`; `lifetime` defaults to the provider's."""
        iat, exp = self._times(lifetime)
        jti = uuid.uuid4().hex
        payload = {"iss": self.issuer, "sub": subject, **claims, "iat": iat, "exp": exp, "jti": jti}
        return jose.encode_hs256(payload, secret), iat, exp


def new_opaque_token() -> str:
    """A random opaque token (refresh tokens of the providers that do not use JWTs)."""
    return secrets.token_urlsafe(32)
