"""Sign out: revoke a profile's tokens at its issuer (RFC 7009) and forget them here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbench.core.errors import InputError, WorkbenchError, user_message
from workbench.core.oauth.protocol import Endpoints

if TYPE_CHECKING:
    import httpx

    from workbench.core.context import AppContext
    from workbench.core.profiles.profile import Profile
from workbench.core.errors import ProfileError
from workbench.core.jose.client_tls import vault_tls
from workbench.core.oauth.discovery import vars_endpoints
from workbench.core.oauth.login import (
    ID_TOKEN,
    client_credentials,
    discovery_cache,
    oauth_section,
    oauth_vars,
    profile_endpoints,
    profile_transport,
)
from workbench.core.oauth.mtls import endpoints_for
from workbench.core.oauth.revocation import revoke_token

# --------------------------------------------------------------------------- revocation, sign-out


@dataclass(frozen=True)
class Revocation:
    revoked: bool
    message: str
    # With `end_session`: the provider's logout page to open (OIDC RP-Initiated Logout 1.0 §2),
    # or "" when the issuer names no end_session_endpoint.
    end_session_url: str = field(default="", repr=False)


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
    with profile_transport(profile, transport, vault_tls(ctx.vault)) as http:
        endpoints = endpoints_for(profile_endpoints(profile, http), profile)
        creds = client_credentials(ctx, profile, endpoints)
        if not revoke_token(http, endpoints, creds, token, hint, now=ctx.clock.now()):
            return Revocation(
                False, "the issuer offers no revocation endpoint; tokens were only forgotten here"
            )
    return Revocation(True, f"the {hint.replace('_', ' ')} of '{name}' was revoked at the issuer")


def sign_out(
    ctx: AppContext,
    name: str,
    *,
    end_session: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Revocation:
    """`workbench logout` and the GUI's Sign out: revoke (best effort) and forget the profile's
    tokens. A failed revocation still forgets the tokens here and says the server may still
    honour them. With `end_session`, also the URL of the provider's logout page (with the
    id_token as `id_token_hint`); the caller opens it in the browser."""
    profile = ctx.profiles.get(name)
    if oauth_section(profile) is None:
        raise InputError(
            f"profile '{name}' uses preset '{profile.preset_name}', which has no login to log out of",
            hint=f"forget its token with `workbench profile rm {name}` or replace its secrets",
        )
    id_token = ctx.vault.load(name, ID_TOKEN) if end_session else None
    try:
        outcome = revoke(ctx, name, transport=transport)
    except WorkbenchError as exc:
        outcome = Revocation(
            False, f"revocation failed ({user_message(exc)}); tokens were forgotten here only"
        )
    ctx.engine.forget(name)
    ctx.vault.delete(name, ID_TOKEN)
    if end_session:
        url = _end_session_url(ctx, profile, id_token, transport)
        outcome = Revocation(outcome.revoked, outcome.message, end_session_url=url)
    return outcome


def _end_session_url(
    ctx: AppContext, profile: Profile, id_token: str | None, transport: httpx.BaseTransport | None
) -> str:
    """OIDC RP-Initiated Logout 1.0 §2: the end_session_endpoint with id_token_hint and client_id."""
    from urllib.parse import urlencode, urlsplit, urlunsplit

    with profile_transport(profile, transport, vault_tls(ctx.vault)) as http:
        endpoints = profile_endpoints(profile, http)
    if not endpoints.end_session_endpoint:
        return ""
    params = [("client_id", (oauth_vars(profile).get("client_id") or "").strip())]
    if id_token:
        params.insert(0, ("id_token_hint", id_token))
    parts = urlsplit(endpoints.end_session_endpoint)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def revoke_before_remove(ctx: AppContext, name: str) -> tuple[bool, str | None]:
    """For removing a profile: (revoked, warning line or None). Never raises: removal goes on."""

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

    cached = discovery_cache().load(profile.name, profile.base_url)
    endpoints = (cached or Endpoints(issuer=profile.base_url)).with_overrides(oauth_vars(profile))
    merged = dict.fromkeys(
        [*endpoints.origins(), *vars_endpoints(profile.base_url, oauth_vars(profile)).origins()]
    )
    return tuple(merged)
