"""Sign out: revoke a profile's tokens at its issuer (RFC 7009) and forget them here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core.errors import WorkbenchError, user_message
from workbench.core.oauth.protocol import (
    Endpoints,
    OAuthError,
    error_line,
)

if TYPE_CHECKING:
    import httpx

    from workbench.core.context import AppContext
    from workbench.core.profiles.profile import Profile
from workbench.core.oauth.login import (
    ID_TOKEN,
    client_credentials,
    discovery_cache,
    oauth_section,
    oauth_vars,
    profile_endpoints,
    profile_transport,
)

# --------------------------------------------------------------------------- revocation, sign-out


@dataclass(frozen=True)
class Revocation:
    revoked: bool
    message: str


def revoke(ctx: AppContext, name: str, *, transport: httpx.BaseTransport | None = None) -> Revocation:
    """Revoke the stored refresh token (or, without one, the access token) per RFC 7009.

    Never raises for "nothing to do": a profile that is not OAuth, has no token, or whose
    issuer offers no revocation endpoint gets `revoked=False` and a message saying so.
    Network and server errors raise (the caller decides whether they block anything).
    """
    profile = ctx.profiles.get(name)
    if oauth_section(profile) is None:
        return Revocation(False, f"profile '{name}' is not an OAuth login; nothing to revoke")
    refresh = ctx.vault.load(name, "refresh_token")
    token, hint = (
        (refresh, "refresh_token") if refresh else (ctx.vault.load(name, "access_token"), "access_token")
    )
    if not token:
        return Revocation(False, f"profile '{name}' holds no token; nothing to revoke")
    with profile_transport(profile, transport) as http:
        endpoints = profile_endpoints(profile, http)
        if not endpoints.revocation_endpoint:
            return Revocation(
                False, "the issuer offers no revocation endpoint; tokens were only forgotten here"
            )
        creds = client_credentials(ctx, profile)
        headers, auth_fields = creds.apply(endpoints.revocation_endpoint, now=ctx.clock.now())
        form = [("token", token), ("token_type_hint", hint), *auth_fields]
        answer = http.request(
            "POST", endpoints.revocation_endpoint, what="token revocation", headers=headers, form=form
        )
    if answer.status == 200:
        return Revocation(True, f"the {hint.replace('_', ' ')} of '{name}' was revoked at the issuer")
    line, code = error_line(answer.json(), answer.status, "token revocation")
    raise OAuthError(line, status=answer.status, error_type=code)


def sign_out(ctx: AppContext, name: str, *, transport: httpx.BaseTransport | None = None) -> Revocation:
    """Revoke (best effort) and forget the profile's tokens. A failed revocation still forgets
    the tokens here and says the server may still honour them."""
    try:
        outcome = revoke(ctx, name, transport=transport)
    except WorkbenchError as exc:
        outcome = Revocation(
            False, f"revocation failed ({user_message(exc)}); tokens were forgotten here only"
        )
    ctx.engine.forget(name)
    ctx.vault.delete(name, ID_TOKEN)
    return outcome


def revoke_before_remove(ctx: AppContext, name: str) -> tuple[bool, str | None]:
    """For removing a profile: (revoked, warning line or None). Never raises: removal goes on."""
    from workbench.core.errors import ProfileError

    try:
        outcome = revoke(ctx, name)
    except ProfileError:
        return False, None  # no such profile (the removal says so) or a file that does not load
    except Exception as exc:  # removal must go on whatever the network or the keychain does
        return False, f"could not revoke the tokens of '{name}' at the issuer ({user_message(exc)})"
    if outcome.revoked or "nothing to revoke" in outcome.message:
        return outcome.revoked, None
    return False, outcome.message


def forget_discovery(name: str) -> None:
    """Drop a profile's cached discovery document (its endpoints; public data)."""
    try:
        discovery_cache().forget(name)
    except WorkbenchError:
        pass


def credential_origins(profile: Profile) -> tuple[str, ...]:
    """Origins a profile's credentials may go to besides its own: its issuer's endpoints, as the
    cached discovery and the vars name them (no network). Used by the origin rule in `http`."""
    if oauth_section(profile) is None:
        return ()
    from workbench.core.oauth.discovery import vars_endpoints

    cached = discovery_cache().load(profile.name, profile.base_url)
    endpoints = (cached or Endpoints(issuer=profile.base_url)).with_overrides(oauth_vars(profile))
    merged = dict.fromkeys(
        [*endpoints.origins(), *vars_endpoints(profile.base_url, oauth_vars(profile)).origins()]
    )
    return tuple(merged)
