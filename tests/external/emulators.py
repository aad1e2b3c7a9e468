"""Strict, independent emulators of the five seed providers (written from the providers'
API documentation, not from workbench.sandbox), on loopback, for black-box CLI tests.

Each emulator is its own HTTP server on 127.0.0.1 (its own origin). It records every
request (`log`), counts token-endpoint calls (`calls[...]`) and knows which tokens it
issued, so a test can check what the CLI really sent. Everything it accepts follows the
seed text; everything else is a 4xx with the provider's documented error shape.

Protected API (every emulator): any other path answers 200 with an echo of the request
(method, path, query, headers, JSON body) when the bearer token is one it issued and is
still valid; `/always-401` answers 401 whatever the token.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(text: str) -> bytes:
    if any(c in text for c in "+/="):
        raise ValueError("not base64url (unpadded)")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class Emulator:
    """Base: one loopback server; subclasses implement `route`."""

    name = "base"

    def __init__(self) -> None:
        self.offset = 0.0  # server clock minus real clock
        self.log: list[dict[str, Any]] = []
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        self.hs_key = secrets.token_bytes(32)
        self.revoked: set[str] = set()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.formatdate(emulator.now(), usegmt=True)

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                entry = {
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "raw": raw,
                }
                with emulator.lock:
                    emulator.log.append(entry)
                try:
                    emulator.route(entry)
                    raise Reply(404, {"message": "not found"})
                except Reply as reply:
                    data = json.dumps(reply.body).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---------------------------------------------------------------- plumbing
    def __enter__(self) -> Emulator:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def now(self) -> float:
        return time.time() + self.offset

    def count(self, what: str) -> None:
        with self.lock:
            self.calls[what] = self.calls.get(what, 0) + 1

    @staticmethod
    def json_body(entry: dict[str, Any]) -> dict[str, Any]:
        ctype = entry["headers"].get("content-type", "")
        if not ctype.startswith("application/json"):
            raise Reply(415, {"message": f"Content-Type must be application/json, got {ctype!r}"})
        try:
            body = json.loads(entry["raw"])
        except ValueError:
            raise Reply(400, {"message": "malformed JSON"}) from None
        if not isinstance(body, dict):
            raise Reply(400, {"message": "JSON object expected"})
        return body

    @staticmethod
    def bearer(entry: dict[str, Any]) -> str | None:
        value = entry["headers"].get("authorization", "")
        if not value.startswith("Bearer ") or not value[7:].strip():
            return None
        return value[7:]

    def hs_token(self, lifetime: float, key: bytes | None = None, **claims: Any) -> str:
        now = int(self.now())
        payload = {"iat": now, "exp": now + int(lifetime), "jti": uuid.uuid4().hex, **claims}
        return jwt.encode(payload, key or self.hs_key, algorithm="HS256")

    def valid_hs(self, token: str, key: bytes | None = None) -> dict[str, Any] | None:
        """Claims of an unexpired, unrevoked token this emulator signed, else None."""
        if token in self.revoked:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key or self.hs_key,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        return claims if float(claims["exp"]) > self.now() else None

    def echo(self, entry: dict[str, Any]) -> dict[str, Any]:
        raw = entry["raw"]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        return {
            "method": entry["method"],
            "path": entry["path"],
            "query": entry["query"],
            "headers": entry["headers"],
            "body": body,
        }

    def api(self, entry: dict[str, Any], valid: Any, unauthorized: dict[str, Any]) -> None:
        """The protected API: echo for a valid bearer, else `unauthorized` as 401."""
        self.count("api")
        token = self.bearer(entry)
        if entry["path"] == "/always-401" or token is None or not valid(token):
            raise Reply(401, unauthorized)
        raise Reply(200, self.echo(entry), self.api_headers(token))

    def api_headers(self, token: str) -> dict[str, str]:
        return {}

    def route(self, entry: dict[str, Any]) -> None:
        raise NotImplementedError


# ====================================================================== 000 True Markets
class TrueMarkets(Emulator):
    """POST {base}/api-key/token (ES256 over `{key_id}.{timestamp}`, ±30 s), POST
    {base}/token/refresh (rotates), GET {origin}/.well-known/jwks.json; base = origin + /v1/auth.
    `expires_in` is a date-time string."""

    name = "true-markets"
    PREFIX = "/v1/auth"

    def __init__(self, access_lifetime: float = 900) -> None:
        super().__init__()
        self.keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self.signing_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = "tm-" + uuid.uuid4().hex[:8]
        self.refresh_tokens: dict[str, str] = {}  # refresh -> key_id (live ones only)
        self.access_lifetime = access_lifetime
        self.rejected_skew = 0

    @property
    def base_url(self) -> str:
        return self.origin + self.PREFIX

    def register(self, public_pem: bytes) -> str:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        key = load_pem_public_key(public_pem)
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        key_id = str(uuid.uuid4())
        self.keys[key_id] = key
        return key_id

    def _pair(self, key_id: str) -> dict[str, Any]:
        now = int(self.now())
        exp = now + int(self.access_lifetime)
        access = jwt.encode(
            {"sub": key_id, "iat": now, "exp": exp, "iss": self.origin, "jti": uuid.uuid4().hex},
            self.signing_key,
            algorithm="ES256",
            headers={"kid": self.kid},
        )
        refresh = secrets.token_urlsafe(32)
        self.refresh_tokens[refresh] = key_id
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": iso(exp),
            "token_type": "Bearer",
        }

    def valid_access(self, token: str) -> bool:
        if token in self.revoked:
            return False
        try:
            jwt.decode(
                token,
                self.signing_key.public_key(),
                algorithms=["ES256"],
                options={"verify_exp": False, "verify_iat": False},
            )
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        return float(claims["exp"]) > self.now()

    def jwks(self) -> dict[str, Any]:
        numbers = self.signing_key.public_key().public_numbers()

        def enc(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

        return {
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "x": enc(numbers.x),
                    "y": enc(numbers.y),
                    "kid": self.kid,
                    "use": "sig",
                    "alg": "ES256",
                }
            ]
        }

    def route(self, entry: dict[str, Any]) -> None:
        path, method = entry["path"], entry["method"]
        if path == "/.well-known/jwks.json" and method == "GET":
            self.count("jwks")
            raise Reply(200, self.jwks())
        if path == self.PREFIX + "/api-key/token" and method == "POST":
            self.count("mint")
            body = self.json_body(entry)
            key_id, ts, sig = body.get("key_id"), body.get("timestamp"), body.get("signature")
            if set(body) != {"key_id", "timestamp", "signature"}:
                raise Reply(400, {"message": f"expected key_id, timestamp, signature; got {sorted(body)}"})
            if not isinstance(ts, int) or isinstance(ts, bool):
                raise Reply(400, {"message": "timestamp must be an integer (Unix seconds)"})
            if abs(ts - self.now()) > 30:
                self.rejected_skew += 1
                raise Reply(401, {"message": "timestamp outside the ±30s window"})
            key = self.keys.get(key_id) if isinstance(key_id, str) else None
            if key is None:
                raise Reply(401, {"message": "unknown key_id"})
            try:
                raw = b64url_decode(sig)
                if len(raw) != 64:
                    raise ValueError("JOSE r||s is 64 bytes")
                der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
                key.verify(der, f"{key_id}.{ts}".encode(), ec.ECDSA(hashes.SHA256()))
            except Exception:
                raise Reply(401, {"message": "invalid signature"}) from None
            raise Reply(200, self._pair(key_id))
        if path == self.PREFIX + "/token/refresh" and method == "POST":
            self.count("refresh")
            body = self.json_body(entry)
            token = body.get("refresh_token")
            key_id = self.refresh_tokens.pop(token, None) if isinstance(token, str) else None
            if key_id is None:
                raise Reply(401, {"message": "invalid refresh token"})
            raise Reply(200, self._pair(key_id))
        self.api(entry, self.valid_access, {"message": "unauthorized"})


# ====================================================================== 001 MarkeTiger3D
class MarkeTiger3D(Emulator):
    """POST /v2/Auth/RefreshToken with the current accessToken AND refreshToken; envelope
    {success, data:{accessToken, refreshToken}}; no expiry field; refresh lives 12 h, rotates."""

    name = "marketiger3d"
    REFRESH_LIFETIME = 12 * 3600

    def __init__(self, access_lifetime: float = 900) -> None:
        super().__init__()
        self.pairs: dict[str, tuple[str, float]] = {}  # refresh -> (its access token, refresh expiry)
        self.access_lifetime = access_lifetime

    @property
    def base_url(self) -> str:
        return self.origin

    def login(self, access_lifetime: float | None = None) -> tuple[str, str]:
        """What the provider's login endpoint would hand out (the user pastes it)."""
        lifetime = self.access_lifetime if access_lifetime is None else access_lifetime
        access = self.hs_token(lifetime, sub="user-1")
        refresh = secrets.token_urlsafe(24)
        self.pairs[refresh] = (access, self.now() + self.REFRESH_LIFETIME)
        return access, refresh

    def _error(self, status: int, message: str, kind: str = "AUTHENTICATION") -> Reply:
        return Reply(status, {"success": False, "error": {"type": kind, "message": message}})

    def route(self, entry: dict[str, Any]) -> None:
        if entry["path"] == "/v2/Auth/RefreshToken" and entry["method"] == "POST":
            self.count("refresh")
            try:
                body = self.json_body(entry)
            except Reply as bad:
                raise self._error(bad.status, bad.body["message"], "VALIDATION") from None
            access, refresh = body.get("accessToken"), body.get("refreshToken")
            if not isinstance(access, str) or not isinstance(refresh, str):
                raise self._error(400, "accessToken and refreshToken are required", "VALIDATION")
            pair = self.pairs.get(refresh)
            if pair is None or pair[0] != access or pair[1] <= self.now():
                raise self._error(401, "Invalid or expired refresh token")
            del self.pairs[refresh]  # rotation: the old refresh token is spent
            new_access, new_refresh = self.login()
            raise Reply(
                200, {"success": True, "data": {"accessToken": new_access, "refreshToken": new_refresh}}
            )
        self.api(
            entry,
            lambda t: self.valid_hs(t) is not None,
            {"success": False, "error": {"type": "AUTHENTICATION", "message": "Unauthorized"}},
        )


# ====================================================================== 002 Token of Trust
class TokenOfTrust(Emulator):
    """POST /api/internal/auth/token {appDomain, totApiKey, totSecretKey} → {token, tokenType,
    expiresIn, expiresAt}; GET same path verifies; API 401 "Token has expired"."""

    name = "token-of-trust"

    def __init__(self, app_domain: str = "myapp.com") -> None:
        super().__init__()
        self.app_domain = app_domain
        self.api_key = "pk_test_" + secrets.token_hex(8)
        self.secret_key = "sk_test_" + secrets.token_hex(12) + "=="  # an '=' inside the value
        self.lifetime = 900

    @property
    def base_url(self) -> str:
        return self.origin

    def route(self, entry: dict[str, Any]) -> None:
        path, method = entry["path"], entry["method"]
        if path == "/api/internal/auth/token" and method == "POST":
            self.count("mint")
            body = self.json_body(entry)
            if (body.get("appDomain"), body.get("totApiKey"), body.get("totSecretKey")) != (
                self.app_domain,
                self.api_key,
                self.secret_key,
            ):
                raise Reply(401, {"message": "Invalid credentials"})
            token = self.hs_token(self.lifetime, appDomain=self.app_domain)
            exp = jwt.decode(token, options={"verify_signature": False})["exp"]
            raise Reply(
                200,
                {
                    "token": token,
                    "tokenType": "Bearer",
                    "expiresIn": self.lifetime,
                    "expiresAt": iso(exp)[:-1] + ".000Z",
                },
            )
        if path == "/api/internal/auth/token" and method == "GET":
            self.count("verify")
            token = self.bearer(entry)
            claims = self.valid_hs(token) if token else None
            if claims is None:
                raise Reply(401, {"message": "Token is invalid, expired, or malformed"})
            raise Reply(
                200,
                {
                    "valid": True,
                    "appDomain": claims["appDomain"],
                    "issuedAt": iso(claims["iat"]),
                    "expiresAt": iso(claims["exp"]),
                },
            )
        self.api(entry, lambda t: self.valid_hs(t) is not None, {"message": "Token has expired"})


# ====================================================================== 003 api-key sliding
class ApiKeySliding(Emulator):
    """POST /authenticate {apiKey, clientSecret} → a 1 h HS256 JWT signed with the client
    secret, somewhere in a body whose shape is not pinned; every successful API answer
    carries a new token in its `Authorization` response header."""

    name = "api-key-sliding"

    def __init__(self) -> None:
        super().__init__()
        self.api_key = "ak_" + secrets.token_hex(8)
        self.client_secret = "cs_" + secrets.token_hex(16)
        self.slid: list[str] = []

    @property
    def base_url(self) -> str:
        return self.origin

    def token(self) -> str:
        return self.hs_token(3600, key=self.client_secret.encode(), sub=self.api_key)

    def route(self, entry: dict[str, Any]) -> None:
        if entry["path"] == "/authenticate" and entry["method"] == "POST":
            self.count("mint")
            body = self.json_body(entry)
            if (body.get("apiKey"), body.get("clientSecret")) != (self.api_key, self.client_secret):
                raise Reply(401, {"message": "invalid apiKey or clientSecret"})
            # Shape deliberately not the obvious one: the JWT is nested.
            raise Reply(200, {"status": "ok", "result": {"session": {"jwt": self.token()}, "ttl": "1h"}})
        key = self.client_secret.encode()
        self.api(entry, lambda t: self.valid_hs(t, key) is not None, {"message": "invalid token"})

    def api_headers(self, token: str) -> dict[str, str]:
        new = self.token()
        self.slid.append(new)
        return {"Authorization": f"Bearer {new}"}


# ====================================================================== 004 PaymentsGate
class PaymentsGate(Emulator):
    """POST /auth/token/refresh with body {refresh_token} AND `Authorization: Bearer <access>`
    (the access token issued with that refresh token, expired or not); `expires_in` seconds."""

    name = "paymentsgate"

    def __init__(self) -> None:
        super().__init__()
        self.pairs: dict[str, str] = {}  # refresh -> its access token

    @property
    def base_url(self) -> str:
        return self.origin

    def login(self, access_lifetime: float = 3600) -> tuple[str, str]:
        access = self.hs_token(access_lifetime, sub="svc-1")
        refresh = secrets.token_urlsafe(32)
        self.pairs[refresh] = access
        return access, refresh

    def route(self, entry: dict[str, Any]) -> None:
        if entry["path"] == "/auth/token/refresh" and entry["method"] == "POST":
            self.count("refresh")
            body = self.json_body(entry)
            refresh = body.get("refresh_token")
            bearer = self.bearer(entry)
            if not isinstance(refresh, str) or refresh not in self.pairs:
                raise Reply(401, {"message": "invalid refresh_token"})
            if bearer is None or bearer != self.pairs[refresh]:
                raise Reply(401, {"message": "Authorization: Bearer <access_token> required"})
            del self.pairs[refresh]
            access, new_refresh = self.login()
            raise Reply(200, {"access_token": access, "refresh_token": new_refresh, "expires_in": 3600})
        self.api(entry, lambda t: self.valid_hs(t) is not None, {"message": "unauthorized"})
