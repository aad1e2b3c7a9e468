"""HS256 pair providers whose pair comes from a login the sandbox does not emulate (the user pastes
it); refresh rotates it and insists the access token belongs to the same session.
Shared by `marketiger3d` and `paymentsgate`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.base import (
    Provider,
    SandboxState,
    Session,
    SessionStore,
    new_opaque_token,
)
from workbench.sandbox.http import Reject, Response


class PastedPairProvider(Provider):
    """A provider whose pair comes from a login we do not emulate; refresh rotates it."""

    subject_prefix: ClassVar[str] = "user"

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.secret = secrets.token_bytes(32)
        self.sessions = SessionStore()

    def access_jwt(self, session: Session, lifetime: int | None = None) -> str:
        return self.hs256_jwt(self.secret, session.subject, lifetime=lifetime, sid=session.id)[0]

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        return jose.decode_verified(token, now=now, hs256_secret=self.secret, issuer=self.issuer)

    def issue_pair(self, preset: str, *, lifetime: int | None = None) -> tuple[str, str]:
        subject = f"{self.subject_prefix}_{uuid.uuid4().hex[:10]}"
        expires_at = self.now() + int(self.refresh_lifetime or 0)
        session = self.sessions.open(subject, new_opaque_token(), expires_at)
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
