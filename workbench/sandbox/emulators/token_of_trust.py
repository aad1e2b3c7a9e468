"""token-of-trust (seed 002): mint from appDomain + totApiKey + totSecretKey; a GET on the same path
verifies; no refresh.

Errors: ``{"code": "token_expired", "message": "Token has expired"}``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.base import Provider, SandboxState, iso_millis
from workbench.sandbox.http import Request, Response, json_response


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
        return self.hs256_jwt(
            self.secret,
            key.app_domain,
            lifetime=lifetime,
            appDomain=key.app_domain,
            apiKeyId=key.key_id,
            permissions=[*key.permissions, "manage_api_keys"],
        )

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


EMULATOR = TokenOfTrust
