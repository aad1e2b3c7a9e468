"""Token exchange (RFC 8693) inside the engine: the subject (and actor) token of another profile.

A profile whose preset's `[mint]` says `exchange = true` names another profile in its
`subject_profile` var (on-behalf-of: a user's login) and optionally an `actor_profile` (the
party acting, RFC 8693 §4.1). Their tokens are obtained through the engine like any caller's,
so they are fresh (renewed first when due). Before anything is asked of the network, the chain
of profiles is walked: a missing profile or a cycle (A exchanges B's token, B exchanges A's) is
one line. `exchange_fields` answers what the request templates see as `{{ exchange.* }}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from workbench.core.engine.flows import template_vars
from workbench.core.errors import InputError, TokenUnavailableError
from workbench.core.jose.claims import read_jwt
from workbench.core.oauth.grants import HANDED_TYPES, exchange_chain, token_type_urn

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile


def exchanges(profile: Profile) -> bool:
    """The profile's mint is a token exchange (its preset's `[mint]` has `exchange = true`)."""
    section = profile.preset.section("mint")
    return bool(section and section.get("exchange"))


def check_chain(name: str, profile_of: Callable[[str], Profile | None], *, missing_ok: bool = False) -> None:
    """Refuse a missing subject/actor profile or a cycle; `profile_of` answers None for none.
    `missing_ok`: only a cycle (saving a profile whose subject may be created next)."""

    def vars_of(other: str) -> Mapping[str, str] | None:
        found = profile_of(other)
        if found is None:
            return None
        return template_vars(found) if exchanges(found) else {}

    exchange_chain(name, vars_of, missing_ok=missing_ok)


def exchange_fields(
    profile: Profile,
    *,
    profile_of: Callable[[str], Profile | None],
    token_of: Callable[[str], str],
    id_token_of: Callable[[str], str | None],
) -> dict[str, str]:
    """subject_token, subject_token_type, actor_token, actor_token_type, requested_token_type
    (URNs), from the profiles the exchange profile names. The tokens are secrets."""
    check_chain(profile.name, profile_of)
    variables = template_vars(profile)
    fields: dict[str, str] = {"actor_token": "", "actor_token_type": ""}
    for role in ("subject", "actor"):
        other = variables.get(f"{role}_profile", "").strip()
        if not other:
            continue
        kind = variables.get(f"{role}_token_type", "").strip() or "access_token"
        if kind not in HANDED_TYPES:
            raise InputError(
                f"profile '{profile.name}': {role}_token_type '{kind}' cannot be taken from a profile"
                f" (use {', '.join(HANDED_TYPES)})",
                field=f"{role}_token_type",
            )
        fields[f"{role}_token"] = _handed_token(profile.name, other, role, kind, token_of, id_token_of)
        fields[f"{role}_token_type"] = token_type_urn(kind, field=f"{role}_token_type")
    fields["requested_token_type"] = token_type_urn(
        variables.get("requested_token_type", ""), field="requested_token_type"
    )
    return fields


def _handed_token(
    name: str,
    other: str,
    role: str,
    kind: str,
    token_of: Callable[[str], str],
    id_token_of: Callable[[str], str | None],
) -> str:
    try:
        access = token_of(other)
    except TokenUnavailableError as exc:
        raise TokenUnavailableError(
            f"profile '{name}' exchanges the token of profile '{other}', which has none ({exc})",
            hint=exc.hint or f"get one first with `workbench token {other}` or `workbench login {other}`",
            field=f"{role}_profile",
        ) from None
    if kind == "id_token":
        id_token = id_token_of(other)
        if not id_token:
            raise TokenUnavailableError(
                f"profile '{name}' exchanges the id_token of profile '{other}', which holds none",
                hint=f"log in with the openid scope: `workbench login {other}`",
                field=f"{role}_token_type",
            )
        return id_token
    if kind == "jwt" and read_jwt(access) is None:
        raise InputError(
            f"profile '{name}': the access token of profile '{other}' is opaque, not a JWT"
            f" ({role}_token_type jwt)",
            hint=f"use `--set {role}_token_type=access_token`",
            field=f"{role}_token_type",
        )
    return access


__all__ = ["check_chain", "exchange_fields", "exchanges"]
