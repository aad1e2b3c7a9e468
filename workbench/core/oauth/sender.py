"""Sender-constrained tokens at login (RFC 9449): the profile's DPoP key on the code exchange and
the device grant's polls, `dpop_jkt` on the authorization request, and the answer's binding
checked before anything is stored. The engine does the same for mint, refresh and API calls
(`engine/wire.py`, `engine/tokens.py`); both use `jose/dpop.py`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core.errors import DpopError, ProviderResponseError
from workbench.core.jose.claims import read_jwt
from workbench.core.jose.dpop import (
    DPOP_KEY_SECRET,
    DpopKey,
    NonceBook,
    asks_for_nonce,
    binding_problem,
    nonce_refused_line,
)
from workbench.core.net.origins import origin_of
from workbench.core.oauth.protocol import OAuthError

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.oauth.discovery import Answer, OAuthTransport
    from workbench.core.oauth.protocol import ClientCredentials, Endpoints
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault


@dataclass
class DpopLogin:
    """The DPoP key of one login and the nonces its token endpoint gave."""

    key: DpopKey
    nonces: NonceBook = field(default_factory=NonceBook)


def dpop_pem(vault: Vault, profile: Profile) -> str | None:
    """The PEM of the profile's DPoP key (vault secret `dpop_key`), or None for a profile without
    DPoP. A profile uses DPoP when it lists that secret; one that lists it but whose keychain has
    no key fails here, before any request (never a silent fall back to Bearer)."""
    if DPOP_KEY_SECRET not in profile.secret_names:
        return None
    pem = vault.load(profile.name, DPOP_KEY_SECRET)
    if not pem:
        raise DpopError(
            f"profile '{profile.name}' uses DPoP but its DPoP key is not in the keychain",
            hint=f"make one with `workbench keygen --dpop --profile {profile.name}`",
        )
    return pem


def dpop_for_login(ctx: AppContext, profile: Profile) -> DpopLogin | None:
    """The profile's DPoP key for a login (None: no DPoP); one clear line when the key is missing."""
    pem = dpop_pem(ctx.vault, profile)
    return DpopLogin(DpopKey.from_pem(pem)) if pem is not None else None


def post_form(
    http: OAuthTransport,
    endpoint: str,
    creds: ClientCredentials,
    fields_: Sequence[tuple[str, str]],
    *,
    now: float,
    what: str,
    dpop: DpopLogin | None,
) -> Answer:
    """POST a form with the client's authentication to a token or PAR endpoint; with `dpop`, a
    fresh proof each time and one retry with the server's nonce when it asks (`use_dpop_nonce`),
    with a fresh client assertion for the retry."""

    origin = origin_of(endpoint)
    for attempt in (1, 2):
        headers, auth_fields = creds.apply(endpoint, now=now)
        names = {k for k, _ in fields_}
        form = [*fields_, *((k, v) for k, v in auth_fields if k not in names)]
        if dpop is not None:
            proof = dpop.key.proof("POST", endpoint, now=now, nonce=dpop.nonces.get(origin))
            headers = [*headers, ("DPoP", proof)]
        answer = http.request("POST", endpoint, what=what, headers=headers, form=form)
        if dpop is None:
            return answer
        dpop.nonces.learn(origin, answer.headers)
        if not asks_for_nonce(answer.status, answer.headers, answer.body):
            return answer
        if attempt == 2:
            raise OAuthError(nonce_refused_line(what), status=answer.status, error_type="use_dpop_nonce")
    raise AssertionError("unreachable")  # pragma: no cover


def check_offered(dpop: DpopLogin | None, endpoints: Endpoints, profile: str) -> None:
    """Before any request: a DPoP key the issuer's discovery document cannot take is one line."""
    if dpop is None or not endpoints.source.startswith("http"):
        return  # no DPoP, or endpoints the user typed (nothing advertised to check against)
    offered = endpoints.dpop_algs.split()
    if not offered:
        raise DpopError(
            f"profile '{profile}' has a DPoP key but the issuer does not offer DPoP (its discovery "
            "document has no dpop_signing_alg_values_supported); nothing was sent",
            hint=f"remove the key with `workbench profile set {profile}` or use an issuer that supports DPoP",
        )
    if dpop.key.alg not in offered:
        raise DpopError(
            f"profile '{profile}' has a {dpop.key.alg} DPoP key; the issuer takes {' '.join(offered)} "
            "DPoP proofs; nothing was sent",
            hint=f"make a fitting one with `workbench keygen --dpop --alg {offered[0]} --profile {profile}`",
        )


def dpop_hint(dpop: DpopLogin | None, endpoints: Endpoints, profile: str) -> str:
    """For a refused token request without DPoP at an issuer that offers it: how to add a key."""
    if dpop is not None or not endpoints.dpop_algs:
        return ""
    return (
        "the issuer offers DPoP; if this client must use it, give the profile a DPoP key with "
        f"`workbench keygen --dpop --profile {profile}`"
    )


def check_bound(document: Mapping[str, Any], dpop: DpopLogin | None, what: str) -> None:
    """A token answer to a request with a DPoP proof must be a DPoP token bound to the key."""
    if dpop is None:
        return
    token = document.get("access_token")
    jwt = read_jwt(token) if isinstance(token, str) else None
    problem = binding_problem(
        document.get("token_type") if isinstance(document.get("token_type"), str) else None,
        jwt.claims if jwt is not None else None,
        dpop.key.jkt,
        what,
    )
    if problem is not None:
        raise ProviderResponseError(problem, error_type="dpop_binding")
