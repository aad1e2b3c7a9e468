"""The emulated providers, one class each, written strictly to the seed documents in `shared/seeds/`.

Each provider owns a URL prefix, a route table, its own error body style and its
own token format. They are deliberately strict, like the real services: wrong
field names, wrong types, unknown fields, a wrong Content-Type, a bad signature,
a timestamp outside the window or a rotated refresh token are all refused with
the provider's own kind of error body.

Shapes chosen where the seeds leave room (documented here because clients and
tests rely on them):

- true-markets errors: ``{"code": "invalid_timestamp", "message": "..."}``.
- token-of-trust errors: ``{"code": "token_expired", "message": "Token has expired"}``.
- api-key-sliding: ``POST /authenticate`` answers ``{"status": "success", "data": {"token": "<jwt>"}}``;
  errors are NestJS-style ``{"statusCode": 401, "message": "...", "error": "Unauthorized"}``.
- paymentsgate errors: ``{"status": 401, "code": "INVALID_REFRESH_TOKEN", "message": "..."}``.
- oauth2: RFC 6749 §5.2 ``{"error", "error_description"}``; RFC 6750 ``WWW-Authenticate`` on the API.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote_plus

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
                new_refresh_token=lambda s: _token(),
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
                "json": payload,
                "claims": claims,
            },
            self.api_headers(claims),
        )

    def _times(self, lifetime: int | None) -> tuple[int, int]:
        iat = int(self.now())
        return iat, iat + (self.lifetime if lifetime is None else lifetime)


def _token() -> str:
    return secrets.token_urlsafe(32)


# --- true-markets (seed 000) -----------------------------------------------------------------------


class TrueMarkets(Provider):
    """ES256-signed `{key_id}.{timestamp}` challenge; ES256 JWT pair; rotating refresh; JWKS at the origin."""

    key = "true-markets"
    presets = ("true-markets",)
    prefix = "/true-markets/v1/auth"
    default_lifetime = 900
    default_refresh_lifetime = 7 * DAY
    TIMESTAMP_WINDOW = 30

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self._issuer_key = jose.generate_ec_key()
        self.jwk = jose.ec_public_jwk(self._issuer_key.public_key())
        self._verify_keys = {self.jwk["kid"]: self._issuer_key.public_key()}
        self._api_keys: dict[str, tuple[Any, str]] = {}  # key_id → (public key, account id)
        self._lock = threading.Lock()
        self.sessions = SessionStore()
        self.demo_private_key = jose.generate_ec_key()
        self.demo_private_key_pem = jose.private_key_pem(self.demo_private_key)
        self.demo_key_id = self.register_key(self.demo_private_key.public_key())
        self.route("POST", "/api-key/token", "mint", self.mint)
        self.route("POST", "/token/refresh", "refresh", self.refresh)

    def register_key(self, public_key: Any) -> str:
        """Register an EC P-256 public key (object or PEM), like the API Keys page; returns the key_id."""
        if isinstance(public_key, str | bytes):
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            public_key = load_pem_public_key(
                public_key.encode() if isinstance(public_key, str) else public_key
            )
        from cryptography.hazmat.primitives.asymmetric import ec

        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise ValueError("true-markets API keys are EC P-256 public keys")
        key_id = str(uuid.uuid4())
        with self._lock:
            self._api_keys[key_id] = (public_key, f"acct_{uuid.uuid4().hex[:12]}")
        return key_id

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        return json_response(status, {"code": code, "message": message}, headers)

    def jwks(self, request: Request) -> Response:
        return json_response(200, {"keys": [self.jwk]}, [("Cache-Control", "public, max-age=300")])

    def mint(self, request: Request) -> Response:
        body = self.json_body(request, {"key_id": str, "timestamp": int, "signature": str})
        key_id, timestamp, signature = body["key_id"], body["timestamp"], body["signature"]
        with self._lock:
            registered = self._api_keys.get(key_id)
        if registered is None:
            return self.error(401, "invalid_api_key", "unknown key_id")
        now = self.now()
        if abs(timestamp - now) > self.TIMESTAMP_WINDOW:
            return self.error(
                401,
                "invalid_timestamp",
                f"timestamp is outside the allowed window (±{self.TIMESTAMP_WINDOW}s of server "
                f"time {int(now)})",
            )
        try:
            raw = jose.b64url_decode_strict(signature)
        except ValueError:
            return self.error(401, "invalid_signature", "signature must be base64url-encoded without padding")
        if len(raw) != jose.ES256_SIGNATURE_BYTES:
            return self.error(
                401, "invalid_signature", "signature must be a 64-byte ES256 signature (raw r||s), not DER"
            )
        public_key, account = registered
        if not jose.es256_verify(public_key, f"{key_id}.{timestamp}".encode(), raw):
            return self.error(
                401,
                "invalid_signature",
                "signature does not verify over '{key_id}.{timestamp}' with the registered key",
            )
        return self._issue(account, key_id)

    def _refresh_jwt(self, session_id: str, subject: str, expires_at: int) -> str:
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "sid": session_id,
            "token_use": "refresh",
            "iat": int(self.now()),
            "exp": expires_at,
            "jti": uuid.uuid4().hex,
        }
        return jose.encode_es256(claims, self._issuer_key, self.jwk["kid"])

    def _access_jwt(self, session: Session, lifetime: int | None = None) -> tuple[str, int]:
        iat, exp = self._times(lifetime)
        claims = {
            "iss": self.issuer,
            "sub": session.subject,
            "aud": "true-markets",
            "key_id": session.data["key_id"],
            "sid": session.id,
            "token_use": "access",
            "iat": iat,
            "exp": exp,
            "jti": uuid.uuid4().hex,
        }
        return jose.encode_es256(claims, self._issuer_key, self.jwk["kid"]), exp

    def _pair_body(self, access: str, exp: int, refresh: str) -> Response:
        return json_response(
            200,
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": iso_seconds(exp),
                "token_type": "Bearer",
            },
            [("Cache-Control", "no-store")],
        )

    def _open(self, account: str, key_id: str) -> Session:
        refresh_exp = int(self.now()) + int(self.refresh_lifetime or 0)
        return self.sessions.open(
            account, lambda s: self._refresh_jwt(s.id, s.subject, refresh_exp), refresh_exp, key_id=key_id
        )

    def _issue(self, account: str, key_id: str) -> Response:
        session = self._open(account, key_id)
        access, exp = self._access_jwt(session)
        return self._pair_body(access, exp, session.refresh_token)

    def refresh(self, request: Request) -> Response:
        body = self.json_body(request, {"refresh_token": str})
        now = self.now()
        refresh_exp = int(now) + int(self.refresh_lifetime or 0)
        try:
            session = self.sessions.rotate(
                body["refresh_token"],
                now=now,
                expires_at=refresh_exp,
                new_refresh_token=lambda s: self._refresh_jwt(s.id, s.subject, refresh_exp),
            )
        except LookupError:
            return self.error(
                401, "invalid_refresh_token", "refresh token is invalid, expired or has already been used"
            )
        access, exp = self._access_jwt(session)
        return self._pair_body(access, exp, session.refresh_token)

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        claims = jose.decode_verified(token, now=now, es256_keys=self._verify_keys, issuer=self.issuer)
        if claims.get("token_use") != "access":
            raise jose.TokenInvalid("a refresh token cannot be used as an access token")
        return claims

    def issue_pair(self, preset: str, *, lifetime: int | None = None) -> tuple[str, str]:
        with self._lock:
            account = self._api_keys[self.demo_key_id][1]
        session = self._open(account, self.demo_key_id)
        return self._access_jwt(session, lifetime)[0], session.refresh_token

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        return {
            "true-markets": {
                "vars": {"key_id": self.demo_key_id},
                "secrets": {"private_key": self.demo_private_key_pem},
            }
        }


# --- HS256 pair providers with pasted tokens (marketiger3d, paymentsgate) --------------------------


class _PastedPairProvider(Provider):
    """A provider whose pair comes from a login we do not emulate; refresh rotates it."""

    subject_prefix: ClassVar[str] = "user"

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.secret = secrets.token_bytes(32)
        self.sessions = SessionStore()

    def access_jwt(self, session: Session, lifetime: int | None = None) -> str:
        iat, exp = self._times(lifetime)
        claims = {
            "iss": self.issuer,
            "sub": session.subject,
            "sid": session.id,
            "iat": iat,
            "exp": exp,
            "jti": uuid.uuid4().hex,
        }
        return jose.encode_hs256(claims, self.secret)

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        return jose.decode_verified(token, now=now, hs256_secret=self.secret, issuer=self.issuer)

    def issue_pair(self, preset: str, *, lifetime: int | None = None) -> tuple[str, str]:
        subject = f"{self.subject_prefix}_{uuid.uuid4().hex[:10]}"
        session = self.sessions.open(subject, _token(), self.now() + int(self.refresh_lifetime or 0))
        return self.access_jwt(session, lifetime), session.refresh_token

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        access, refresh = self.issue_pair(self.presets[0])
        return {self.presets[0]: {"vars": {}, "secrets": {"access_token": access, "refresh_token": refresh}}}

    def rotate_with_access(
        self,
        refresh_token: str,
        access_token: str,
        *,
        invalid_refresh: Callable[[], Response],
        invalid_access: Callable[[str], Response],
    ) -> tuple[str, str]:
        """Rotate `refresh_token`, insisting that `access_token` is a token we issued for the same session.

        The access token may be expired (that is why one refreshes) but must be genuine.
        """
        try:
            claims = jose.decode_verified(
                access_token, now=self.now(), hs256_secret=self.secret, issuer=self.issuer, check_exp=False
            )
        except jose.TokenInvalid as exc:
            raise Reject(invalid_access(f"access token is invalid: {exc}")) from None

        def same_session(session: Session) -> None:
            if claims.get("sid") != session.id:
                raise Reject(invalid_access("access token does not belong to this refresh token"))

        session = self.rotate_opaque(self.sessions, refresh_token, check=same_session)
        if session is None:
            raise Reject(invalid_refresh())
        return self.access_jwt(session), session.refresh_token


class MarkeTiger3D(_PastedPairProvider):
    """`POST /v2/Auth/RefreshToken {accessToken, refreshToken}` in a `{success, data}` envelope."""

    key = "marketiger3d"
    presets = ("marketiger3d",)
    prefix = "/marketiger3d"
    default_lifetime = 3600
    default_refresh_lifetime = 12 * 3600

    _TYPES: ClassVar[dict[int, str]] = {
        400: "VALIDATION",
        401: "AUTHENTICATION",
        403: "AUTHORIZATION",
        404: "NOT_FOUND",
        405: "NOT_FOUND",
        415: "VALIDATION",
        429: "RATE_LIMIT",
    }

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.route("POST", "/v2/Auth/RefreshToken", "refresh", self.refresh)

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        kind = self._TYPES.get(status, "SERVER_ERROR")
        return json_response(status, {"success": False, "error": {"type": kind, "message": message}}, headers)

    def unauthorized(self, message: str, *, expired: bool) -> Response:
        return self.error(401, "unauthorized", "Invalid or expired access token" if expired else message)

    def refresh(self, request: Request) -> Response:
        body = self.json_body(request, {"accessToken": str, "refreshToken": str})
        access, refresh = self.rotate_with_access(
            body["refreshToken"],
            body["accessToken"],
            invalid_refresh=lambda: self.error(401, "unauthorized", "Invalid or expired refresh token"),
            invalid_access=lambda msg: self.error(401, "unauthorized", msg),
        )
        return json_response(200, {"success": True, "data": {"accessToken": access, "refreshToken": refresh}})


class PaymentsGate(_PastedPairProvider):
    """`POST /auth/token/refresh {refresh_token}` with `Authorization: Bearer <current access token>`."""

    key = "paymentsgate"
    presets = ("paymentsgate",)
    prefix = "/paymentsgate"
    default_lifetime = 3600
    default_refresh_lifetime = 30 * DAY
    subject_prefix = "sa"

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.route("POST", "/auth/token/refresh", "refresh", self.refresh)

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        return json_response(status, {"status": status, "code": code.upper(), "message": message}, headers)

    def refresh(self, request: Request) -> Response:
        # Auth middleware first, as on the real service: no Bearer, no look at the body.
        access_token = self.bearer(request)
        body = self.json_body(request, {"refresh_token": str})
        access, refresh = self.rotate_with_access(
            body["refresh_token"],
            access_token,
            invalid_refresh=lambda: self.error(
                401, "invalid_refresh_token", "Refresh token is invalid or expired"
            ),
            invalid_access=lambda msg: self.unauthorized(msg, expired=False),
        )
        return json_response(
            200,
            {"access_token": access, "refresh_token": refresh, "expires_in": self.lifetime},
            [("Cache-Control", "no-store")],
        )


# --- token-of-trust (seed 002) ---------------------------------------------------------------------


@dataclass(frozen=True)
class _TotKey:
    secret: str
    app_domain: str
    key_id: str
    permissions: tuple[str, ...]


class TokenOfTrust(Provider):
    """Mint from appDomain + totApiKey + totSecretKey; GET the same path verifies; no refresh."""

    key = "token-of-trust"
    presets = ("token-of-trust",)
    prefix = "/token-of-trust"
    default_lifetime = 900
    TOKEN_PATH = "/api/internal/auth/token"  # noqa: S105 - a URL path, not a password
    EXPIRED_MESSAGE = "Token has expired"

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.secret = secrets.token_bytes(32)
        self.app_domain = "demo.workbench.test"
        self.demo_api_key = f"pk_test_{secrets.token_hex(12)}"
        self.demo_secret_key = f"sk_test_{secrets.token_hex(16)}"
        # A second key that authenticates but lacks permissions: 403, as the seed documents.
        self.limited_api_key = f"pk_test_{secrets.token_hex(12)}"
        self.limited_secret_key = f"sk_test_{secrets.token_hex(16)}"
        self._keys = {
            self.demo_api_key: _TotKey(
                self.demo_secret_key, self.app_domain, "key_demo", ("verify", "api_keys")
            ),
            self.limited_api_key: _TotKey(self.limited_secret_key, self.app_domain, "key_limited", ()),
        }
        self.route("POST", self.TOKEN_PATH, "mint", self.mint)
        self.route("GET", self.TOKEN_PATH, "verify", self.verify)

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        return json_response(status, {"code": code, "message": message}, headers)

    def unauthorized(self, message: str, *, expired: bool) -> Response:
        if expired:
            return self.error(401, "token_expired", self.EXPIRED_MESSAGE)
        return self.error(401, "invalid_token", f"Token is invalid or malformed: {message}")

    def _jwt(self, key: _TotKey, lifetime: int | None = None) -> tuple[str, int, int]:
        iat, exp = self._times(lifetime)
        claims = {
            "iss": self.issuer,
            "sub": key.app_domain,
            "appDomain": key.app_domain,
            "apiKeyId": key.key_id,
            "permissions": [*key.permissions, "manage_api_keys"],
            "iat": iat,
            "exp": exp,
            "jti": uuid.uuid4().hex,
        }
        return jose.encode_hs256(claims, self.secret), iat, exp

    def mint(self, request: Request) -> Response:
        body = self.json_body(request, {"appDomain": str, "totApiKey": str, "totSecretKey": str})
        key = self._keys.get(body["totApiKey"])
        if (
            key is None
            or not hmac.compare_digest(key.secret.encode(), body["totSecretKey"].encode())
            or body["appDomain"] != key.app_domain
        ):
            return self.error(401, "invalid_credentials", "Invalid credentials")
        if not key.permissions:
            return self.error(403, "forbidden", "API key lacks necessary permissions")
        token, _iat, exp = self._jwt(key)
        return json_response(
            200,
            {"token": token, "tokenType": "Bearer", "expiresIn": exp - _iat, "expiresAt": iso_millis(exp)},
            [("Cache-Control", "no-store")],
        )

    def verify(self, request: Request) -> Response:
        claims = self.authenticate(request)
        return json_response(
            200,
            {
                "valid": True,
                "appDomain": claims["appDomain"],
                "issuedAt": iso_millis(claims["iat"]),
                "expiresAt": iso_millis(claims["exp"]),
            },
        )

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        return jose.decode_verified(token, now=now, hs256_secret=self.secret, issuer=self.issuer)

    def issue_token(self, preset: str, *, lifetime: int | None = None) -> str:
        return self._jwt(self._keys[self.demo_api_key], lifetime)[0]

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        return {
            "token-of-trust": {
                "vars": {"app_domain": self.app_domain},
                "secrets": {"api_key": self.demo_api_key, "secret_key": self.demo_secret_key},
            }
        }


# --- api-key-sliding (seed 003) --------------------------------------------------------------------


class ApiKeySliding(Provider):
    """`POST /authenticate {apiKey, clientSecret}`; HS256 signed with the client secret; sliding header."""

    key = "api-key-sliding"
    presets = ("api-key-sliding",)
    prefix = "/api-key-sliding"
    default_lifetime = 3600

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.demo_api_key = f"ak_{secrets.token_hex(16)}"
        self.demo_client_secret = secrets.token_urlsafe(32)
        self._accounts = {self.demo_api_key: (self.demo_client_secret, "acct_demo")}
        self._secret_of = {"acct_demo": self.demo_client_secret}
        self.route("POST", "/authenticate", "mint", self.authenticate_endpoint)

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        return json_response(status, {"statusCode": status, "message": message, "error": reason}, headers)

    def _jwt(self, account: str, lifetime: int | None = None) -> str:
        iat, exp = self._times(lifetime)
        return jose.encode_hs256(
            {"sub": account, "iat": iat, "exp": exp, "jti": uuid.uuid4().hex},
            self._secret_of[account].encode(),
        )

    def authenticate_endpoint(self, request: Request) -> Response:
        body = self.json_body(request, {"apiKey": str, "clientSecret": str})
        account = self._accounts.get(body["apiKey"])
        if account is None or not hmac.compare_digest(account[0].encode(), body["clientSecret"].encode()):
            return self.error(401, "unauthorized", "Invalid API key or client secret")
        # The response shape is "not pinned down" by the provider; we nest the JWT under data.token.
        return json_response(200, {"status": "success", "data": {"token": self._jwt(account[1])}})

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        secret = self._secret_of.get(str(jose.unverified_claims(token).get("sub")))
        if secret is None:
            raise jose.TokenInvalid("token does not name a known account")
        return jose.decode_verified(token, now=now, hs256_secret=secret.encode())

    def api_headers(self, claims: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("Authorization", f"Bearer {self._jwt(str(claims['sub']))}")]

    def issue_token(self, preset: str, *, lifetime: int | None = None) -> str:
        return self._jwt("acct_demo", lifetime)

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        return {
            "api-key-sliding": {
                "vars": {},
                "secrets": {"api_key": self.demo_api_key, "client_secret": self.demo_client_secret},
            }
        }


# --- OAuth 2.0 (RFC 6749) --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Client:
    secret: str | None  # None: a public client
    scopes: frozenset[str]


class OAuth2(Provider):
    """Token endpoint with client_credentials and (rotating) refresh_token grants."""

    key = "oauth2"
    presets = ("oauth2-client-credentials", "oauth2-refresh-token")
    prefix = "/oauth2"
    default_lifetime = 3600
    default_refresh_lifetime = 30 * DAY
    TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a password
    FORM_TYPE = "application/x-www-form-urlencoded"
    _NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.secret = secrets.token_bytes(32)
        self.sessions = SessionStore()
        self.demo_client_id = "workbench-demo"
        self.demo_client_secret = secrets.token_urlsafe(24)
        self.public_client_id = "workbench-public"
        self._clients = {
            self.demo_client_id: _Client(self.demo_client_secret, frozenset({"read", "write"})),
            self.public_client_id: _Client(None, frozenset({"read"})),
        }
        self.route("POST", self.TOKEN_PATH, self._grant_endpoint, self.token)

    @staticmethod
    def _grant_endpoint(request: Request) -> str:
        fields = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        return "refresh" if fields.get("grant_type") == "refresh_token" else "mint"

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        return json_response(
            status, {"error": code, "error_description": message}, (*self._NO_STORE, *headers)
        )

    def unauthorized(self, message: str, *, expired: bool) -> Response:
        # RFC 6750 §3.1: no error code when the request carried no token at all.
        challenge = 'Bearer realm="sandbox"'
        if not message.startswith("missing"):
            description = message.replace('"', "'")
            challenge += f', error="invalid_token", error_description="{description}"'
        return json_response(
            401, {"error": "invalid_token", "error_description": message}, [("WWW-Authenticate", challenge)]
        )

    def preset_of(self, claims: Mapping[str, Any]) -> str:
        return "oauth2-refresh-token" if claims.get("gty") == "refresh_token" else "oauth2-client-credentials"

    def _access(
        self, subject: str, client_id: str, scope: str, grant: str, lifetime: int | None = None
    ) -> str:
        iat, exp = self._times(lifetime)
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.base_url,
            "client_id": client_id,
            "scope": scope,
            "gty": grant,
            "iat": iat,
            "exp": exp,
            "jti": uuid.uuid4().hex,
        }
        return jose.encode_hs256(claims, self.secret)

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        return jose.decode_verified(token, now=now, hs256_secret=self.secret, issuer=self.issuer)

    def _client_auth(self, request: Request, form: dict[str, str]) -> tuple[str | None, bool]:
        """(client_id, authenticated). Raises Reject for bad credentials or two methods at once."""
        header = request.header("authorization")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                raise Reject(
                    self.error(
                        401,
                        "invalid_client",
                        "unsupported client authentication scheme",
                        headers=(("WWW-Authenticate", 'Basic realm="sandbox"'),),
                    )
                )
            if "client_secret" in form:
                raise Reject(
                    self.error(
                        400,
                        "invalid_request",
                        "use only one client authentication method (Basic or client_secret)",
                    )
                )
            try:
                user, sep, password = (
                    base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                user, sep, password = "", "", ""
            client_id, secret = unquote_plus(user), unquote_plus(password)  # RFC 6749 §2.3.1 form-encoding
            if not sep or ("client_id" in form and form["client_id"] != client_id):
                raise Reject(
                    self.error(
                        401,
                        "invalid_client",
                        "client authentication failed",
                        headers=(("WWW-Authenticate", 'Basic realm="sandbox"'),),
                    )
                )
            self._check_secret(client_id, secret, basic=True)
            return client_id, True
        if "client_secret" in form:
            client_id = form.get("client_id", "")
            self._check_secret(client_id, form["client_secret"], basic=False)
            return client_id, True
        return (form.get("client_id") or None), False

    def _check_secret(self, client_id: str, secret: str, *, basic: bool) -> None:
        client = self._clients.get(client_id)
        if (
            client is None
            or client.secret is None
            or not hmac.compare_digest(client.secret.encode(), secret.encode())
        ):
            headers = (("WWW-Authenticate", 'Basic realm="sandbox"'),) if basic else ()
            raise Reject(self.error(401, "invalid_client", "client authentication failed", headers=headers))

    def _scope(self, requested: str | None, allowed: frozenset[str]) -> str:
        if not requested:
            return " ".join(sorted(allowed))
        wanted = set(requested.split())
        if not wanted <= allowed:
            extra = " ".join(sorted(wanted - allowed))
            raise Reject(self.error(400, "invalid_scope", f"scope not allowed for this client: {extra}"))
        return " ".join(sorted(wanted))

    def token(self, request: Request) -> Response:
        if request.media_type != self.FORM_TYPE:
            return self.error(400, "invalid_request", f"Content-Type must be {self.FORM_TYPE}")
        try:
            pairs = parse_qsl(
                request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(request.body)
            )
        except (UnicodeDecodeError, ValueError):
            return self.error(400, "invalid_request", "request body is not a valid form")
        form: dict[str, str] = {}
        for name, value in pairs:
            if name in form:
                return self.error(400, "invalid_request", f"parameter '{name}' is included more than once")
            form[name] = value
        grant = form.get("grant_type")
        if not grant:
            return self.error(400, "invalid_request", "grant_type is required")
        client_id, authenticated = self._client_auth(request, form)
        if grant == "client_credentials":
            return self._client_credentials(form, client_id, authenticated)
        if grant == "refresh_token":
            return self._refresh(form, client_id, authenticated)
        return self.error(400, "unsupported_grant_type", f"grant_type '{grant}' is not supported")

    def _client_credentials(
        self, form: dict[str, str], client_id: str | None, authenticated: bool
    ) -> Response:
        if not authenticated or client_id is None:
            return self.error(
                401, "invalid_client", "client authentication is required for client_credentials"
            )
        scope = self._scope(form.get("scope"), self._clients[client_id].scopes)
        access = self._access(client_id, client_id, scope, "client_credentials")
        return json_response(
            200,
            {"access_token": access, "token_type": "Bearer", "expires_in": self.lifetime, "scope": scope},
            self._NO_STORE,
        )

    def _refresh(self, form: dict[str, str], client_id: str | None, authenticated: bool) -> Response:
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            return self.error(400, "invalid_request", "refresh_token is required")
        if client_id is not None and client_id not in self._clients:
            return self.error(401, "invalid_client", "unknown client")

        def check(session: Session) -> None:
            owner = session.data["client_id"]
            if client_id is not None and client_id != owner:
                raise Reject(self.error(400, "invalid_grant", "refresh token was issued to another client"))
            if self._clients[owner].secret is not None and not authenticated:
                raise Reject(self.error(401, "invalid_client", "client authentication is required"))
            requested = form.get("scope")
            if requested:
                session.data["scope"] = self._scope(requested, frozenset(session.data["scope"].split()))

        session = self.rotate_opaque(self.sessions, refresh_token, check=check)
        if session is None:
            return self.error(
                400, "invalid_grant", "refresh token is invalid, expired, revoked or already used"
            )
        scope = session.data["scope"]
        access = self._access(session.subject, session.data["client_id"], scope, "refresh_token")
        return json_response(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.lifetime,
                "refresh_token": session.refresh_token,
                "scope": scope,
            },
            self._NO_STORE,
        )

    def issue_pair(
        self, preset: str, *, lifetime: int | None = None, client_id: str | None = None
    ) -> tuple[str, str]:
        client_id = client_id or self.demo_client_id
        scope = " ".join(sorted(self._clients[client_id].scopes))
        session = self.sessions.open(
            f"user_{uuid.uuid4().hex[:10]}",
            _token(),
            self.now() + int(self.refresh_lifetime or 0),
            client_id=client_id,
            scope=scope,
        )
        return self._access(
            session.subject, client_id, scope, "refresh_token", lifetime
        ), session.refresh_token

    def issue_token(self, preset: str, *, lifetime: int | None = None) -> str:
        if preset == "oauth2-refresh-token":
            return self.issue_pair(preset, lifetime=lifetime)[0]
        scope = " ".join(sorted(self._clients[self.demo_client_id].scopes))
        return self._access(self.demo_client_id, self.demo_client_id, scope, "client_credentials", lifetime)

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        _access, refresh = self.issue_pair("oauth2-refresh-token")
        return {
            "oauth2-client-credentials": {
                "vars": {"client_id": self.demo_client_id},
                "secrets": {"client_secret": self.demo_client_secret},
            },
            "oauth2-refresh-token": {
                "vars": {"client_id": self.demo_client_id},
                "secrets": {"refresh_token": refresh, "client_secret": self.demo_client_secret},
            },
        }


def _provider_classes() -> tuple[type[Provider], ...]:
    from workbench.sandbox.authorization_server import AuthorizationServer

    return (TrueMarkets, MarkeTiger3D, TokenOfTrust, ApiKeySliding, PaymentsGate, OAuth2, AuthorizationServer)


PROVIDER_CLASSES: tuple[type[Provider], ...] = _provider_classes()
