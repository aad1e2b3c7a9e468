"""marketiger3d: `POST /v2/Auth/RefreshToken {accessToken, refreshToken}` in a `{success, data}` envelope.

Errors: ``{"success": false, "error": {"type": "AUTHENTICATION", "message": "..."}}``.
"""

from __future__ import annotations

from typing import ClassVar

from workbench.sandbox.emulators.base import SandboxState
from workbench.sandbox.emulators.pasted_pair import PastedPairProvider
from workbench.sandbox.http import Request, Response, json_response


class MarkeTiger3D(PastedPairProvider):
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


EMULATOR = MarkeTiger3D
