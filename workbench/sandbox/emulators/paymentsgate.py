"""paymentsgate: `POST /auth/token/refresh {refresh_token}` with `Authorization: Bearer <access token>`.

Errors: ``{"status": 401, "code": "INVALID_REFRESH_TOKEN", "message": "..."}``.
"""

from __future__ import annotations

from workbench.sandbox.emulators.base import DAY, SandboxState
from workbench.sandbox.emulators.pasted_pair import PastedPairProvider
from workbench.sandbox.http import Request, Response, json_response


class PaymentsGate(PastedPairProvider):
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


EMULATOR = PaymentsGate
