"""Token operations: obtain a token, what a profile's tokens look like to a front end, verify
and inspect."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.core.engine.stored import ACCESS_TOKEN
from workbench.core.errors import InputError
from workbench.core.jose import inspect as jwtinspect
from workbench.core.jose.dpop import DPOP_CNF, is_dpop
from workbench.core.jose.inspect.compact import normalize_token
from workbench.core.jose.inspect.results import TokenWarning
from workbench.core.jose.jwe import encryption_key_from_text
from workbench.core.jose.x509 import CERT_CNF
from workbench.core.operations.dpop import profile_dpop_jkt
from workbench.core.operations.mtls import profile_cert_thumbprint
from workbench.core.redact import fingerprint

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Mapping
    from typing import Any

    from workbench.core.context import AppContext
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.engine.types import Force, TokenResult
    from workbench.core.jose.cnf import Confirmation
    from workbench.core.jose.inspect import Inspection, VerificationKey
    from workbench.core.jose.jwe import EncryptionKey
    from workbench.core.profiles.profile import Profile


@dataclass(frozen=True)
class Verification:
    """The answer to "is this profile's token valid?".

    Attributes:
        valid: True / False, or None when the provider answered without saying.
        how: "signature checked locally" or "provider's check".
        summary: one line for a label ("✓ valid (signature checked locally)").
        details: (label, text) lines saying what was checked, readable as they are.
        token_fingerprint: which access token this verdict is about (`redact.fingerprint`);
            a front end shows the verdict only while that token is the current one.
    """

    profile: str
    valid: bool | None
    how: str
    summary: str
    details: tuple[tuple[str, str], ...]
    token_fingerprint: str


# --------------------------------------------------------------------------- obtain


@dataclass(frozen=True)
class TokenObtained:
    """A token request done: for which profile, and how its token was obtained ("mint",
    "refresh", "cache", "response-header"). Not the token: a front end learns what a profile
    holds from the engine's "changed" event (one route for token state)."""

    profile: str
    obtained_by: str


def obtain_token(
    engine: TokenEngine, name: str, *, force: Force | None = None, cancel: threading.Event | None = None
) -> TokenObtained:
    """Mint / Refresh / "renew if needed" for `name` (force: "mint" or "refresh"). Network:
    run off the GUI thread. Setting `cancel` stops its retries (the CLI's Ctrl-C, the GUI's Cancel)."""
    result = engine.get_token(name, force=force, cancel=cancel)
    return TokenObtained(name, result.obtained_by)


# --------------------------------------------------------------------------- token facts


@dataclass(frozen=True)
class TokenFacts:
    """What a front end shows or builds about a profile's tokens, read from its preset once.

    Attributes:
        header / scheme: how the token is sent ("Authorization", "Bearer"; scheme may be "").
        placement: "header", "query" (`header` is then the parameter's name) or "cookie".
        can_mint / can_refresh / can_verify: the actions the provider offers (verify: a provider
            check or a key to check signatures with).
        refresh_token_lifetime: seconds the provider says a refresh token lives, when stated.
        rotates_refresh_token: every refresh hands out a new refresh token.
        pasted: the token is pasted by the user (a `bearer` profile, a curl import): nothing
            renews it, a new one is pasted when it expires.
    """

    header: str
    scheme: str
    can_mint: bool
    can_refresh: bool
    can_verify: bool
    refresh_token_lifetime: float | None
    rotates_refresh_token: bool
    pasted: bool = False
    placement: str = "header"


def token_facts(profile: Profile) -> TokenFacts:
    preset = profile.preset
    spec = profile.token_spec
    lifetime = spec.refresh_token_lifetime
    return TokenFacts(
        header=spec.header,
        scheme=spec.scheme,
        can_mint=preset.can_mint(),
        can_refresh=preset.can_refresh(),
        can_verify=preset.can_verify() or preset.can_verify_locally(),
        refresh_token_lifetime=float(lifetime) if lifetime else None,
        rotates_refresh_token=spec.rotates_refresh_token,
        pasted=is_pasted(profile),
        placement=spec.placement,
    )


def sender_binding(result: TokenResult | None) -> str | None:
    """What a token says it is bound to, for the Token tab's "Bound to" row (None: a bearer token).

    A DPoP token (RFC 9449) names its key's thumbprint in `cnf.jkt`; a certificate-bound one
    (RFC 8705) its certificate's in `cnf.x5t#S256`; an opaque DPoP token only says "DPoP". The
    engine refused any token bound to another key or certificate before storing it.
    """
    if result is None:
        return None
    claims = result.jwt.claims if result.jwt is not None else None
    jkt, x5t = DPOP_CNF.of(claims), CERT_CNF.of(claims)
    if jkt is not None:
        return f"DPoP key {jkt} (cnf.jkt): each request carries a proof signed with it"
    if x5t is not None:
        return f"client certificate {x5t} (cnf.x5t#S256): sent only over mutual TLS with it"
    if is_dpop(result.token_type):
        return "a DPoP key (an opaque token: which one is not visible); each request carries a proof"
    return None


def is_pasted(profile: Profile) -> bool:
    """A profile whose token the user pastes: its preset can neither mint, refresh nor log in,
    and takes the access token as an input."""

    preset = profile.preset
    if preset.can_mint() or preset.can_refresh() or preset.section("oauth") is not None:
        return False
    return any(i.kind == "secret" and i.name == ACCESS_TOKEN for i in preset.inputs)


def paste_token(ctx: AppContext, name: str, token: str) -> TokenObtained:
    """Store a newly pasted access token for `name` (as `workbench profile set NAME --secret
    access_token` does); the engine announces it. Bad input is one clear line."""
    from workbench.core.operations.profiles import update_profile

    value = normalize_token(token)
    if not value:
        raise InputError("the pasted token is empty", hint="copy the token first, then paste it here")
    update_profile(ctx, name, secrets={ACCESS_TOKEN: value})
    return TokenObtained(name, "paste")


# --------------------------------------------------------------------------- verify


def verify_token(engine: TokenEngine, name: str) -> Verification:
    """Check the current token: its signature with the preset's JWKS or shared secret, then the
    provider's own check when it has one. Network: run off the GUI thread."""

    token = engine.get_token(name)
    stamp = fingerprint(token.access_token)
    details: list[tuple[str, str]] = []
    if engine.can_verify_locally(name):
        inspection = engine.verify_local(name)
        sig = inspection.signature_valid
        details.append(("Signature", "valid" if sig is True else "not checked" if sig is None else "INVALID"))
        if inspection.signature_error:
            details.append(("Why", inspection.signature_error))
        details.append(("Expired", "yes" if inspection.expired else "no"))
        for warning in inspection.warnings:
            details.append(("Warning", warning.message))
        valid = sig is True and not inspection.expired
        if not valid or not engine.provider_can_verify(name):
            how = "signature checked locally"
            return Verification(name, valid, how, _summary(valid, how), tuple(details), stamp)
    answer = engine.verify_remote(name)
    how = "provider's check"
    raw_valid = answer.get("valid")
    valid_remote = raw_valid if isinstance(raw_valid, bool) else None
    if details:
        how = "signature checked locally and provider's check"
    for key, value in answer.items():
        if key in ("how",):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        details.append((_label(key), text))
    return Verification(name, valid_remote, how, _summary(valid_remote, how), tuple(details), stamp)


def inspect_token(
    token: str,
    *,
    key: VerificationKey | None = None,
    key_kind: str = "none",
    key_text: str = "",
    now: float | None = None,
    timeout: float = 10.0,
    verify_tls: bool = True,
    ctx: AppContext | None = None,
    profile: str | None = None,
    decrypt_key: EncryptionKey | None = None,
    decrypt_key_text: str = "",
    secret_base64: bool = False,
) -> Inspection:
    """Decode any token and check it with the key the user gave: the Inspector and `decode`.

    The key is given built (`key`, from the CLI's files and flags) or as the kind and text
    the Inspector's key box holds (`key_kind`, `key_text`; a JWKS URL is fetched here).
    With `ctx` and `profile`, a DPoP binding (`cnf.jkt`) is compared with that profile's DPoP
    key (a `dpop-binding` or `dpop-other-key` line among the warnings), a certificate binding
    (`cnf.x5t#S256`) with its client certificate (`mtls-binding` or `mtls-other-cert`). Network and keychain:
    run off the GUI thread. A JWE is opened with `decrypt_key` when one is given
    (its nested token is then checked with `key`); the Inspector gives it as text
    (`decrypt_key_text`: a PEM or JWK, read here, off the GUI thread). `secret_base64`: the
    secret typed is base64url text for the HMAC key's bytes.
    """
    if key is None:
        key = jwtinspect.key_for_kind(
            key_kind, key_text, timeout=timeout, verify_tls=verify_tls, secret_base64=secret_base64
        )
    if decrypt_key is None and decrypt_key_text.strip():
        decrypt_key = encryption_key_from_text(decrypt_key_text, source="the decryption key")
    inspection = jwtinspect.inspect_token(token, key=key, now=now, decrypt_key=decrypt_key)
    for cnf, mine, codes in BINDINGS:
        warning = _binding_warning(cnf, inspection.claims or None, ctx, profile, mine, codes)
        if warning is not None:
            inspection.warnings.append(warning)
    return inspection


# A token's `cnf` against the profile's own key or certificate: (the binding, what the profile
# holds, (warning code when it is the profile's or there is nothing to compare, when it is another)).
BINDINGS: tuple[tuple[Confirmation, Callable[[AppContext, str], str | None], tuple[str, str]], ...] = (
    (DPOP_CNF, profile_dpop_jkt, ("dpop-binding", "dpop-other-key")),
    (CERT_CNF, profile_cert_thumbprint, ("mtls-binding", "mtls-other-cert")),
)


def _binding_warning(
    cnf: Confirmation,
    claims: Mapping[str, Any] | None,
    ctx: AppContext | None,
    name: str | None,
    mine_of: Callable[[AppContext, str], str | None],
    codes: tuple[str, str],
) -> TokenWarning | None:
    """The inspector's line on one kind of binding (None: the token is not bound that way and the
    profile holds nothing of that kind: nothing to say)."""
    bound = cnf.of(claims)
    named = ctx is not None and name is not None
    mine = mine_of(ctx, name) if ctx is not None and name is not None else None
    if bound is None and mine is None:
        return None
    other = bound is not None and mine is not None and bound != mine
    return TokenWarning(codes[other], cnf.describe(bound, mine, profile_named=named))


def _summary(valid: bool | None, how: str) -> str:
    mark = "✓ valid" if valid is True else "✗ not valid" if valid is False else "answered"
    return f"{mark} ({how})"


def _label(key: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]
