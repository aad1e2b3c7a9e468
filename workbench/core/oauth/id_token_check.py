"""`id_token` validation (OIDC Core §3.1.3.7): signature by the issuer's JWKS (or the client
secret for HS*), iss (a multi-tenant template filled with the token's `tid`), aud, azp, exp,
nonce, max_age; on a refresh, the same iss/sub and the original auth_time (§12.2). Pure: no network."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import ProviderResponseError
from workbench.core.jose.inspect import VerificationKey, decode_unverified, inspect_token
from workbench.core.oauth.issuers import is_issuer_template, issuer_for_tenant

# Leeway for exp/iat/nbf of an id_token (clocks of laptops drift).
ID_TOKEN_LEEWAY = 60.0


@dataclass(frozen=True)
class IdTokenCheck:
    """What `validate_id_token` found. `claims` are the verified payload."""

    claims: dict[str, Any]
    verified_with: str


def validate_id_token(
    id_token: str,
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    jwks: Mapping[str, Any] | None,
    client_secret: str | None = None,
    now: float,
    max_age: int | None = None,
    previous: Mapping[str, Any] | None = None,
) -> IdTokenCheck:
    """OIDC Core §3.1.3.7. Raises ProviderResponseError naming the first check that failed.

    `issuer` may be a multi-tenant template (`…/{tenantid}/v2.0`): the token's `iss` must then be
    the template filled with the token's own `tid` claim, and nothing looser. `max_age`: it was
    asked for, so `auth_time` must be there and recent enough (§3.1.3.7 item 13). `previous`: the
    claims of the id_token this one replaces on a refresh (§12.2: same iss, sub and aud, the
    original auth_time)."""

    try:
        header, payload = decode_unverified(id_token)
    except Exception:
        raise ProviderResponseError("the id_token is not a readable JWT") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise ProviderResponseError("the id_token is unsigned (alg none); it was rejected")
    if alg.startswith("HS"):
        if not client_secret:
            raise ProviderResponseError(f"the id_token is signed with {alg}, but no client_secret is stored")
        key = VerificationKey.from_secret(client_secret, source="client_secret")
    else:
        if not jwks:
            raise ProviderResponseError(
                "the issuer names no JWKS (jwks_uri), so its id_token cannot be checked"
            )
        key = VerificationKey.from_jwks(dict(jwks), source="issuer JWKS")
    inspection = inspect_token(id_token, key=key, now=now)
    if not inspection.signature_valid:
        raise ProviderResponseError(
            f"the id_token signature is not valid ({inspection.signature_error or 'no matching key'})"
        )
    if is_issuer_template(issuer):
        tid = payload.get("tid")
        expected = issuer_for_tenant(issuer, tid)
        if expected is None:
            raise ProviderResponseError(
                "the id_token has no usable tid claim, so its iss cannot be checked against the "
                f"issuer template {issuer}"
            )
        if payload.get("iss") != expected:
            raise ProviderResponseError(
                f"the id_token's iss is not the issuer template filled with its tid '{tid}' "
                "(a token of another tenant); refused"
            )
    elif payload.get("iss") != issuer:
        raise ProviderResponseError("the id_token was issued by another issuer (iss does not match)")
    aud = payload.get("aud")
    audiences = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
    if client_id not in audiences:
        raise ProviderResponseError("the id_token is not meant for this client (aud does not name client_id)")
    azp = payload.get("azp")
    if len(audiences) > 1 and azp is not None and azp != client_id:
        raise ProviderResponseError("the id_token's azp names another client")
    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise ProviderResponseError("the id_token has no exp")
    if now > float(exp) + ID_TOKEN_LEEWAY:
        raise ProviderResponseError("the id_token has expired")
    iat = payload.get("iat")
    if isinstance(iat, int | float) and not isinstance(iat, bool) and float(iat) > now + ID_TOKEN_LEEWAY:
        raise ProviderResponseError("the id_token was issued in the future (check the clock)")
    if nonce is not None and payload.get("nonce") != nonce:
        raise ProviderResponseError("the id_token's nonce does not match this login (replayed token?)")
    auth_time = payload.get("auth_time")
    has_auth_time = isinstance(auth_time, int | float) and not isinstance(auth_time, bool)
    if max_age is not None:
        if not isinstance(auth_time, int | float) or isinstance(auth_time, bool):
            raise ProviderResponseError("max_age was asked for, but the id_token has no auth_time")
        if now > float(auth_time) + max_age + ID_TOKEN_LEEWAY:
            raise ProviderResponseError("the id_token's auth_time is older than the max_age asked for")
    if previous is not None:
        for claim in ("iss", "sub"):
            if payload.get(claim) != previous.get(claim):
                raise ProviderResponseError(
                    f"the id_token of the refresh names another {claim} than the login's (OIDC Core §12.2)"
                )
        if has_auth_time and "auth_time" in previous and auth_time != previous.get("auth_time"):
            raise ProviderResponseError(
                "the id_token of the refresh changes auth_time, the original login's time (OIDC Core §12.2)"
            )
    return IdTokenCheck(claims=dict(payload), verified_with=inspection.verified_with or str(alg))


__all__ = ["ID_TOKEN_LEEWAY", "IdTokenCheck", "validate_id_token"]
