"""What a login left, in words both front ends show: the granted scope, whether a refresh token
was granted (and whether the server has since refused it), and the redirect URI to register.

`login_state(ctx, name)` reads the engine's state file only (no network, no keychain), so
`profile show` and the GUI's token view can call it freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from workbench.core.durations import humanize_duration
from workbench.core.engine.types import iso_z
from workbench.core.oauth.login import grant_of, oauth_vars
from workbench.core.oauth.params import redirect_uri_note, redirect_uri_to_register

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.oauth.login import LoginOutcome

RefreshState = Literal["granted", "none", "refused", "unknown"]


@dataclass(frozen=True)
class LoginState:
    """`refresh`: "granted" (a refresh token is stored), "none" (the last login got none),
    "refused" (the server answered invalid_grant; it is never sent again), "unknown" (no login)."""

    profile: str
    redirect_uri: str | None  # browser logins only
    redirect_note: str
    granted_scope: str | None
    refresh: RefreshState
    refresh_refused_at: float | None = None

    def refresh_words(self) -> str:
        if self.refresh == "granted":
            return "granted"
        if self.refresh == "none":
            return "none granted: log in again when the access token expires"
        if self.refresh == "refused":
            when = (
                iso_z(self.refresh_refused_at) if self.refresh_refused_at is not None else "the last refresh"
            )
            return f"refused by the server at {when} (revoked or expired): log in again"
        return "not logged in yet"


def login_state(ctx: AppContext, name: str) -> LoginState | None:
    """The login state of an interactive OAuth profile; None for any other profile."""

    profile = ctx.profiles.get(name)
    grant = grant_of(profile)
    if grant is None:
        return None
    vars_ = oauth_vars(profile)
    browser = grant == "authorization_code"
    state = ctx.engine.token_state(name)
    refresh: RefreshState
    if state is None:
        refresh = "unknown"
    elif state.refresh_fingerprint:
        refresh = "granted"
    elif state.refresh_refused_at is not None:
        refresh = "refused"
    elif state.access_fingerprint:
        refresh = "none"
    else:
        refresh = "unknown"
    return LoginState(
        profile=name,
        redirect_uri=redirect_uri_to_register(vars_) if browser else None,
        redirect_note=redirect_uri_note(vars_) if browser else "",
        granted_scope=state.granted_scope if state is not None and refresh != "unknown" else None,
        refresh=refresh,
        refresh_refused_at=state.refresh_refused_at if state is not None else None,
    )


def no_refresh_token_note(outcome: LoginOutcome) -> str | None:
    """What a login that got no refresh token means for the user, in one line (None when it got one)."""

    if outcome.refresh_token:
        return None
    lifetime = outcome.token.lifetime
    when = f"in {humanize_duration(lifetime)}, " if lifetime else ""
    return (
        f"no refresh token was granted: log in again {when}when the access token expires "
        "(for one, the scope must ask for offline_access and the client be allowed the refresh_token grant)"
    )


__all__ = ["LoginState", "RefreshState", "login_state", "no_refresh_token_note"]
