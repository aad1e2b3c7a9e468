"""DPoP operations: give a profile a DPoP key, make a proof for another tool, and say whether a
token is bound to the profile's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core.engine.flows import resolve_url
from workbench.core.errors import DpopError, ProfileError
from workbench.core.jose.dpop import DPOP_KEY_SECRET, DpopKey, htu, is_dpop
from workbench.core.operations.secrets import store_listed_secret

if TYPE_CHECKING:
    from typing import Any

    from workbench.core.context import AppContext
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.engine.types import TokenResult
    from workbench.core.profiles.profile import Profile


@dataclass(frozen=True)
class DpopKeyAttached:
    """A DPoP key was stored in the profile's `dpop_key` secret."""

    profile: str
    secret: str
    algorithm: str
    jkt: str  # the key's thumbprint: what `cnf.jkt` of its tokens must say
    replaced: bool


@dataclass(frozen=True)
class DpopProof:
    """A fresh proof for one request (`proof` is the `DPoP` header's value)."""

    proof: str
    jkt: str
    bound_to_token: bool  # carries `ath` of the profile's current (DPoP) access token
    nonce: str | None


def check_dpop_slot(ctx: AppContext, name: str) -> None:
    """The profile's preset takes a `dpop_key` (ProfileError naming the profile otherwise)."""
    profile = ctx.profiles.get(name)
    if DPOP_KEY_SECRET not in {spec.name for spec in profile.preset.secret_inputs}:
        raise ProfileError(
            f"profile '{name}' (preset {profile.preset_name}) cannot use DPoP: only the OAuth presets "
            "send DPoP proofs"
        )


def attach_dpop_key(ctx: AppContext, name: str, pem: str) -> DpopKeyAttached:
    """Store `pem` as the profile's DPoP key (checked first). Tokens held already stay as they
    are (a refresh token may be the profile's only credential); the next token request binds."""
    check_dpop_slot(ctx, name)
    key = DpopKey.from_pem(pem)
    replaced, _listed = store_listed_secret(ctx, name, DPOP_KEY_SECRET, pem)
    return DpopKeyAttached(
        profile=name,
        secret=DPOP_KEY_SECRET,
        algorithm=key.alg,
        jkt=key.jkt,
        replaced=replaced,
    )


def dpop_proof(
    ctx: AppContext, name: str, method: str, url: str, *, nonce: str | None = None, ath: bool = True
) -> DpopProof:
    """A fresh DPoP proof of profile `name` for `METHOD URL` (what `workbench dpop-proof` prints).

    With `ath`, the proof carries the hash of the profile's current access token when that is a
    DPoP token (obtained first if needed: the one `workbench token NAME` prints), so it goes with
    `Authorization: DPoP $(workbench token NAME)`. The nonce is `nonce`, else the newest the
    URL's origin gave this process."""

    htu(url)  # a URL a proof can name, before any request
    key = ctx.engine.dpop_key(name)
    if key is None:
        raise DpopError(
            f"profile '{name}' has no DPoP key",
            hint=f"make one with `workbench keygen --dpop --profile {name}`",
        )
    access_token = None
    if ath:
        token = ctx.engine.get_token(name)
        if is_dpop(token.token_type):
            access_token = token.access_token
    chosen_nonce = nonce or ctx.engine.dpop_nonce(url)
    proof = key.proof(method, url, now=ctx.clock.now(), access_token=access_token, nonce=chosen_nonce)
    return DpopProof(proof=proof, jkt=key.jkt, bound_to_token=access_token is not None, nonce=chosen_nonce)


def request_proof(
    engine: TokenEngine, profile: Profile, token: TokenResult, spec: tuple[Any, ...] | None
) -> str | None:
    """A fresh proof for the request `spec` ((method, path, headers, body); None: GET of the base
    URL) sent with `token`, for a copied curl command; None when the token is not a DPoP token."""

    if not is_dpop(token.token_type):
        return None
    key = engine.dpop_key(profile.name)
    if key is None:
        raise DpopError(
            f"the token of '{profile.name}' is DPoP-bound but the profile has no DPoP key to prove it",
            hint=f"give it one with `workbench keygen --dpop --profile {profile.name}`",
        )
    method, path = (spec[0], spec[1]) if spec else ("GET", "")
    url = resolve_url(profile, path) if path else profile.base_url
    return key.proof(
        method, url, now=engine.clock.now(), access_token=token.access_token, nonce=engine.dpop_nonce(url)
    )


def profile_dpop_jkt(ctx: AppContext, name: str) -> str | None:
    """The thumbprint of profile `name`'s DPoP key, for comparing with a token's `cnf.jkt` (None:
    it has no usable key)."""
    try:
        key = ctx.engine.dpop_key(name)
    except (DpopError, ProfileError):
        return None
    return key.jkt if key is not None else None
