"""Extension grants: the JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693).

Pure pieces, no network: the signed assertion a JWT bearer mint sends (`bearer_assertion`),
the token type names of RFC 8693 §3 (`token_type_urn`), and the check that a chain of
token-exchange profiles ends (`exchange_chain`: "A exchanges B's token, B exchanges A's" is
refused before any request). The engine (`engine/exchange.py`) obtains the subject and actor
tokens; `engine/flows.py` puts the assertion into the request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.jose import keys
from workbench.core.oauth.protocol import assertion_alg
from workbench.core.redact import redact

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a grant type
# An assertion is good for one request: a short life limits what a captured one is worth
# (Google takes up to an hour; oidc-provider and most servers want minutes).
BEARER_ASSERTION_LIFETIME = 300
MAX_BEARER_ASSERTION_LIFETIME = 3600
# RFC 8693 §3: the token type identifiers, by the short names a profile may use.
TOKEN_TYPES = {
    "access_token": "urn:ietf:params:oauth:token-type:access_token",
    "refresh_token": "urn:ietf:params:oauth:token-type:refresh_token",
    "id_token": "urn:ietf:params:oauth:token-type:id_token",
    "jwt": "urn:ietf:params:oauth:token-type:jwt",
    "saml1": "urn:ietf:params:oauth:token-type:saml1",
    "saml2": "urn:ietf:params:oauth:token-type:saml2",
}
# What a subject or actor profile can hand over: its access token (as an access token or a
# JWT) or the id_token of its login.
HANDED_TYPES = ("access_token", "jwt", "id_token")
# What a token exchange request's templates see (`{{ exchange.subject_token }}`).
EXCHANGE_FIELDS = (
    "subject_token",
    "subject_token_type",
    "actor_token",
    "actor_token_type",
    "requested_token_type",
)
# The vars of a token-exchange profile that name other profiles.
EXCHANGE_PROFILE_VARS = ("subject_profile", "actor_profile")


def token_type_urn(value: str, *, field: str) -> str:
    """`access_token` → `urn:ietf:params:oauth:token-type:access_token`; a URN or URI passes."""
    text = value.strip()
    if not text:
        return ""
    if text in TOKEN_TYPES:
        return TOKEN_TYPES[text]
    if ":" in text:
        return text
    raise InputError(
        f"{field} '{text}' is not a token type (use {', '.join(TOKEN_TYPES)} or a full URN)",
        field=field,
    )


def short_token_type(value: str) -> str:
    """The short name of a token type URN (`…:token-type:access_token` → `access_token`)."""
    for short, urn in TOKEN_TYPES.items():
        if value.strip() == urn:
            return short
    return value.strip()


def bearer_assertion(
    claims: Mapping[str, Any],
    private_key_pem: str,
    *,
    kid: str = "",
    now: float | None = None,
    lifetime: int = BEARER_ASSERTION_LIFETIME,
    supported_algs: tuple[str, ...] = (),
) -> str:
    """A JWT bearer grant assertion (RFC 7523 §2.1, §3): `claims` (iss, sub, aud, scope…; an
    empty value is left out) plus iat, exp (short) and a fresh jti, signed with the profile's
    private key; `kid` is the header's key id (the RFC 7638 thumbprint when empty)."""
    import jwt

    try:
        key = keys.load_private_key(private_key_pem)
    except KeyFormatError as exc:
        raise KeyFormatError(f"JWT bearer grant: the stored private_key cannot be used ({exc})") from None
    alg = assertion_alg(key, supported_algs)
    issued = int(time.time() if now is None else now)
    payload: dict[str, Any] = {k: v for k, v in claims.items() if v not in ("", None)}
    for needed in ("iss", "aud"):
        if needed not in payload:
            raise InputError(f"JWT bearer grant: the assertion has no {needed} (RFC 7523 §3 needs one)")
    payload.update(
        iat=issued,
        exp=issued + max(1, min(int(lifetime), MAX_BEARER_ASSERTION_LIFETIME)),
        jti=str(uuid.uuid4()),
    )
    header = {"typ": "JWT", "kid": kid.strip() or keys.jwk_thumbprint(keys.public_jwk(key, alg=alg))}
    return jwt.encode(payload, key, algorithm=alg, headers=header)


def exchange_chain(
    name: str, vars_of: Callable[[str], Mapping[str, str] | None], *, missing_ok: bool = False
) -> None:
    """Refuse, before any request, a token-exchange profile whose subject (or actor) profile is
    missing or leads back to it. `vars_of(name)`: the profile's vars when it is a token-exchange
    profile, {} when it is another kind, None when there is no such profile. `missing_ok`
    (saving a profile: its subject may be created next): only a cycle is refused."""

    def walk(current: str, path: tuple[str, ...]) -> None:
        variables = vars_of(current)
        for var in EXCHANGE_PROFILE_VARS:
            other = str((variables or {}).get(var) or "").strip()
            if not other:
                if var == "subject_profile" and current == name and not missing_ok:
                    raise InputError(
                        f"profile '{name}' exchanges the token of another profile but names none",
                        hint=f"set it with `workbench profile set {name} --set subject_profile=NAME`",
                        field="subject_profile",
                    )
                continue
            if other in path or other == current:
                loop = " → ".join((*path, current, other)[(*path, current).index(other) :])
                raise InputError(
                    f"profile '{name}': the token exchange goes round in a cycle ({loop})",
                    hint=f"name a {var.replace('_', ' ')} that does not exchange this profile's token",
                    field=var,
                )
            if vars_of(other) is None:
                if missing_ok:
                    continue
                raise InputError(
                    f"profile '{current}' exchanges the token of profile '{redact(other)[:64]}', "
                    "which does not exist",
                    hint=f"create it, or name another: `workbench profile set {current} --set {var}=NAME`",
                    field=var,
                )
            walk(other, (*path, current))

    walk(name, ())


__all__ = [
    "BEARER_ASSERTION_LIFETIME",
    "EXCHANGE_FIELDS",
    "EXCHANGE_PROFILE_VARS",
    "HANDED_TYPES",
    "JWT_BEARER_GRANT",
    "TOKEN_EXCHANGE_GRANT",
    "TOKEN_TYPES",
    "bearer_assertion",
    "exchange_chain",
    "short_token_type",
    "token_type_urn",
]
