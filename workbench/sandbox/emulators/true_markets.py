"""true-markets (seed 000): an ES256-signed `{key_id}.{timestamp}` challenge mints an ES256 JWT pair;
the refresh token rotates; the JWKS is served at the sandbox origin.

Errors: ``{"code": "invalid_timestamp", "message": "..."}``.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.base import (
    DAY,
    Provider,
    SandboxState,
    Session,
    SessionStore,
    iso_seconds,
)
from workbench.sandbox.http import Request, Response, json_response


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


EMULATOR = TrueMarkets
