"""api-key-sliding (seed 003): ``POST /authenticate`` answers
``{"status": "success", "data": {"token": "<jwt>"}}`` (HS256, signed with the client secret); every
API response slides a fresh token in its ``Authorization`` header.

Errors are NestJS-style ``{"statusCode": 401, "message": "...", "error": "Unauthorized"}``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.base import (
    Provider,
    SandboxState,
)
from workbench.sandbox.http import Request, Response, json_response


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


EMULATOR = ApiKeySliding
