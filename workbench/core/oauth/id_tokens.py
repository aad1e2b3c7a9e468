"""Checking an id_token against the issuer's keys: at login (OIDC Core §3.1.3.7) and when a
refresh brings a new one (§12.2: same issuer, subject and client, the original auth_time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ProviderResponseError
from workbench.core.jose.inspect import decode_unverified
from workbench.core.oauth.discovery import OAuthTransport
from workbench.core.oauth.login import oauth_vars
from workbench.core.oauth.protocol import ClientCredentials, Endpoints, validate_id_token
from workbench.core.profiles.secret_refs import load_input

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault


def _jwks(http: OAuthTransport, endpoints: Endpoints) -> Any:
    if not endpoints.jwks_uri:
        return None
    status, jwks = http.get_json(endpoints.jwks_uri, what="the issuer's JWKS")
    if status != 200 or not isinstance(jwks, Mapping):
        raise ProviderResponseError(
            f"the issuer's JWKS answered HTTP {status}; the id_token cannot be checked"
        )
    return jwks


def _client_secret(vault: Vault, profile: Profile) -> str | None:
    return load_input(vault, profile, "client_secret")


def check_id_token(
    ctx: AppContext,
    profile: Profile,
    http: OAuthTransport,
    endpoints: Endpoints,
    creds: ClientCredentials,
    id_token: str,
    *,
    nonce: str | None,
    max_age: int | None = None,
) -> dict[str, Any]:
    """The verified claims of a login's id_token; raises naming the first check that failed."""
    check = validate_id_token(
        id_token,
        issuer=endpoints.issuer or profile.base_url,
        client_id=creds.client_id,
        nonce=nonce,
        jwks=_jwks(http, endpoints),
        client_secret=_client_secret(ctx.vault, profile),
        now=ctx.clock.now(),
        max_age=max_age,
    )
    return check.claims


def check_refreshed_id_token(
    vault: Vault,
    profile: Profile,
    http: OAuthTransport,
    endpoints: Endpoints,
    id_token: str,
    previous: str | None,
    *,
    now: float,
) -> dict[str, Any]:
    """OIDC Core §12.2: the id_token a refresh returned, checked like the login's (no nonce) and
    against the one it replaces."""

    before: dict[str, Any] | None = None
    if previous:
        try:
            _header, before = decode_unverified(previous)
        except Exception:
            before = None
    check = validate_id_token(
        id_token,
        issuer=endpoints.issuer or profile.base_url,
        client_id=(oauth_vars(profile).get("client_id") or "").strip(),
        nonce=None,
        jwks=_jwks(http, endpoints),
        client_secret=_client_secret(vault, profile),
        now=now,
        previous=before,
    )
    return check.claims


__all__ = ["check_id_token", "check_refreshed_id_token"]
