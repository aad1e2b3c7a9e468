"""The end of every interactive login (`oauth.login.login`): read the token endpoint's answer,
check its id_token, store it through the engine, and on any failure revoke what was obtained, so
that a grant nobody holds never stays live at the server. Also: a new login revokes the refresh
token of the login it replaces."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.core.engine.answers import TokenAnswer, bounded_expiry, check_token_text, parse_duration
from workbench.core.errors import ProviderResponseError, VaultError, WorkbenchError, user_message
from workbench.core.jose.claims import jwt_times, read_jwt
from workbench.core.oauth.discovery import OAuthTransport
from workbench.core.oauth.id_tokens import check_id_token
from workbench.core.oauth.login import ID_TOKEN, Grant, LoginOutcome, oauth_vars
from workbench.core.oauth.mtls import check_cert_bound
from workbench.core.oauth.protocol import ClientCredentials, Endpoints, LoginCancelled
from workbench.core.oauth.revocation import revoke_token

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.jose.x509 import ClientCertificate
    from workbench.core.profiles.profile import Profile


def answer_to_tokens(document: Any, now: float, what: str, requested_scope: str = "") -> TokenAnswer:
    if not isinstance(document, Mapping):
        raise ProviderResponseError(f"{what}: the token endpoint's answer is not JSON")
    access = document.get("access_token")
    if not isinstance(access, str) or not access.strip():
        raise ProviderResponseError(f"{what}: the token endpoint's answer has no access_token")
    refresh = document.get("refresh_token")
    granted = document.get("scope")
    id_token = document.get("id_token")
    token_type = document.get("token_type")
    expires_in = document.get("expires_in")
    seconds = parse_duration(expires_in)  # 10^400 is inf here, not an OverflowError
    jwt = read_jwt(access.strip())
    jwt_exp, jwt_iat = jwt_times(jwt)
    expires_at = now + seconds if seconds is not None else jwt_exp
    lifetime = seconds if seconds is not None else (jwt_exp - jwt_iat if jwt_exp and jwt_iat else None)
    expires_at, lifetime = bounded_expiry(now, expires_at, lifetime)
    refresh_token = refresh.strip() if isinstance(refresh, str) and refresh.strip() else None
    kind = token_type if isinstance(token_type, str) and token_type else "Bearer"
    check_token_text(what, access.strip(), refresh_token, kind)
    return TokenAnswer(
        access_token=access.strip(),
        refresh_token=refresh_token,
        token_type=kind,
        expires_at=expires_at,
        lifetime=lifetime,
        issued_at=jwt_iat if jwt_iat is not None else now,
        jwt=jwt,
        # RFC 6749 §5.1: `scope` may be left out when it is what was asked for.
        scope=" ".join(granted.split())
        if isinstance(granted, str)
        else " ".join(requested_scope.split()) or None,
        id_token=id_token if isinstance(id_token, str) and id_token else None,
    )


def page_reason(exc: BaseException) -> str:
    if isinstance(exc, WorkbenchError):
        return user_message(exc)
    return "The login was interrupted; nothing was stored."


class Finisher:
    """The end of every login: read the answer, check its id_token, store it, and on any failure
    revoke what was obtained (a grant nobody holds must not stay live at the server)."""

    def __init__(
        self,
        ctx: AppContext,
        profile: Profile,
        http: OAuthTransport,
        endpoints: Endpoints,
        creds: ClientCredentials,
        grant: Grant,
        cancel: threading.Event,
        max_age: int | None,
    ) -> None:
        self.ctx, self.profile, self.http, self.endpoints, self.creds = ctx, profile, http, endpoints, creds
        self.grant, self.cancel, self.max_age = grant, cancel, max_age
        # mTLS (RFC 8705): the certificate the login presented, and whether tokens must be bound to it.
        self.cert: ClientCertificate | None = None
        self.bound = False

    def __call__(self, document: Mapping[str, Any], nonce: str | None) -> LoginOutcome:
        ctx, profile, name = self.ctx, self.profile, self.profile.name
        requested = oauth_vars(profile).get("scope", "")
        answer = answer_to_tokens(document, ctx.clock.now(), f"{profile.preset.name} login", requested)
        try:
            check_cert_bound(document, self.cert, f"{profile.preset.name} login", required=self.bound)
            id_token = answer.id_token
            claims = (
                check_id_token(
                    ctx,
                    profile,
                    self.http,
                    self.endpoints,
                    self.creds,
                    id_token,
                    nonce=nonce,
                    max_age=self.max_age,
                )
                if id_token
                else None
            )
            if self.cancel.is_set():
                raise LoginCancelled("login cancelled")
        except BaseException:
            self._revoke(answer.refresh_token, answer.access_token)  # tokens of a refused login
            raise
        try:
            previous = ctx.engine.held_refresh_token(name)
            result = ctx.engine.store_login(name, answer)
            if id_token:
                ctx.vault.store(name, ID_TOKEN, id_token)
            else:
                ctx.vault.delete(name, ID_TOKEN)
            if ctx.vault.fell_back:
                raise VaultError(ctx.vault.warning or "no usable OS keychain")
        except WorkbenchError as exc:
            revoked = self._revoke(answer.refresh_token, answer.access_token)
            ctx.engine.drop(name)
            done = "they were revoked at the issuer" if revoked else "revoke them at the provider if you can"
            raise VaultError(
                f"login to '{name}' obtained tokens, but the keychain could not keep them "
                f"({_first_sentence(user_message(exc))}); {done}",
                hint=f"fix or unlock the keychain, then run `workbench login {name}` again",
            ) from None
        if previous and previous != answer.refresh_token:
            self._revoke(previous, None)  # the grant this login replaces
        return LoginOutcome(
            profile=name,
            grant=self.grant,
            token=result,
            id_token_claims=claims,
            scope=answer.scope,
            refresh_token=bool(answer.refresh_token),
        )

    def _revoke(self, refresh: str | None, access: str | None) -> bool:
        """Best effort (RFC 7009): True when something was revoked."""

        revoked = False
        for token, hint in ((refresh, "refresh_token"), (access, "access_token")):
            if not token:
                continue
            try:
                revoked = (
                    revoke_token(self.http, self.endpoints, self.creds, token, hint, now=self.ctx.clock.now())
                    or revoked
                )
            except Exception:  # noqa: S112 - the caller's error is the one to report
                continue
        return revoked


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")


__all__ = ["Finisher", "answer_to_tokens", "page_reason"]
