"""Introspection operation (RFC 7662): `workbench decode --introspect PROFILE` and the Inspector's
Introspect button, over `oauth.introspection`. Imported from this module when used (it loads OAuth).

The endpoint is the profile's `introspection_endpoint` var (a URL, or a path on its base URL), else
what its issuer's discovery document names; the client authenticates the way the profile does at
the token endpoint. Nothing is stored: the answer is shown and kept by the front end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.engine.flows import resolve_url, template_vars
from workbench.core.errors import InputError, WorkbenchError
from workbench.core.oauth.discovery import vars_endpoints
from workbench.core.oauth.introspection import Introspected, introspect
from workbench.core.oauth.login import client_credentials, oauth_section, profile_endpoints, profile_transport

if TYPE_CHECKING:
    import httpx

    from workbench.core.context import AppContext

INTROSPECTION_VAR = "introspection_endpoint"
MAX_TOKEN_CHARS = 64 * 1024  # the inspector's own cap: nothing longer is a token worth sending


def clean_token(text: str) -> str:
    """The token as pasted: surrounding space and a "Bearer "/"DPoP " prefix removed."""
    token = text.strip()
    scheme, _, rest = token.partition(" ")
    if rest and scheme.lower() in ("bearer", "dpop"):
        token = rest.strip()
    if not token or len(token) > MAX_TOKEN_CHARS or any(c.isspace() for c in token):
        raise InputError("that is not a token to introspect (empty, too long, or it holds spaces)")
    return token


def introspectable_profiles(ctx: AppContext) -> list[str]:
    """The profiles whose preset names an introspection endpoint (the OAuth ones). Reads the
    profile files: run it off the GUI thread. A profile that does not load is left out."""
    names: list[str] = []
    for name in ctx.profiles.names():
        try:
            profile = ctx.profiles.get(name)
        except WorkbenchError:
            continue
        if INTROSPECTION_VAR in {spec.name for spec in profile.preset.var_inputs}:
            names.append(name)
    return names


def introspect_token(
    ctx: AppContext, name: str, token: str, *, transport: httpx.BaseTransport | None = None
) -> Introspected:
    """Ask profile `name`'s issuer whether `token` is active (RFC 7662). Network: run it off the
    GUI thread. One clear line, before any request, when the profile has no introspection
    endpoint; `active: false` is an answer, not an error."""
    token = clean_token(token)
    profile = ctx.profiles.get(name)
    vars_ = template_vars(profile)
    if INTROSPECTION_VAR not in {spec.name for spec in profile.preset.var_inputs}:
        raise InputError(
            f"profile '{name}' (preset {profile.preset_name}) cannot introspect tokens: only the OAuth "
            "presets name an introspection endpoint",
        )
    with profile_transport(profile, transport) as http:
        if oauth_section(profile) is not None:
            endpoints = profile_endpoints(profile, http)
        else:
            endpoints = vars_endpoints(profile.base_url, vars_)
        if not endpoints.introspection_endpoint:
            raise InputError(
                f"the issuer of profile '{name}' names no introspection endpoint (RFC 7662); "
                "nothing was sent",
                hint=f"set it with `workbench profile set {name} --set introspection_endpoint=URL`",
                field="vars.introspection_endpoint",
            )
        endpoint = resolve_url(profile, endpoints.introspection_endpoint)
        creds = client_credentials(ctx, profile, endpoints)
        creds.check()
        hint = "refresh_token" if token == ctx.vault.load(name, "refresh_token") else "access_token"
        now = ctx.clock.now()
        active, claims = introspect(http, endpoint, creds, token, hint, now=now)
    return Introspected(
        profile=name, endpoint=endpoint, active=active, claims=claims, checked_at=now, token_type_hint=hint
    )


__all__ = ["Introspected", "clean_token", "introspect_token", "introspectable_profiles"]
