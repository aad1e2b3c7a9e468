"""Checking a JWS signature with the user's key, under an algorithm allow-list taken from that key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.core.jose import keys as _keys
from workbench.core.jose.inspect.keyset import VerificationKey
from workbench.core.jose.inspect.results import TokenWarning

# RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
MIN_HMAC_SECRET_BYTES: Mapping[str, int] = {"HS256": 32, "HS384": 48, "HS512": 64}
NONE_ALGS = frozenset({"none"})


class KeySelectionProblem(str):
    """A signature error saying no key could be tried (no key with the token's kid, none of its
    type): the signature was not checked, as opposed to checked and found not to match. A
    `str`, so every caller that shows the message shows it unchanged."""


class KeyTypeMismatch(str):
    """A signature error saying the key given is of another type than the token's alg calls
    for. For a token the user named a key for, that key is wrong ("NOT valid"); for a token
    nested inside it, the key was meant for the outer one, so the inner is "not checked"."""


def is_key_selection_problem(error: str | None) -> bool:
    return isinstance(error, KeySelectionProblem)


def is_key_type_mismatch(error: str | None) -> bool:
    return isinstance(error, KeyTypeMismatch)


def verify_signature(
    header: Mapping[str, Any], alg: str | None, signing_input: bytes, signature: bytes, key: VerificationKey
) -> tuple[bool, str | None, str | None]:
    if alg is None or alg.lower() in NONE_ALGS:
        return False, "the token is unsigned (alg none); an unsigned token is never valid", None
    candidates, problem = key._candidates_for(header, alg)
    if problem is not None:
        return False, KeySelectionProblem(problem), None
    mismatches: list[str] = []
    for candidate in candidates:
        if alg not in candidate.algorithms:
            mismatches.append(f"the {candidate.label} verifies only {', '.join(candidate.algorithms)}")
            continue
        # Belt and braces (PyJWT refuses this too): an asymmetric key's text is never an HMAC secret.
        if alg in _keys.HMAC_ALGORITHMS and (
            not candidate.is_secret
            or not isinstance(candidate.material, bytes)
            or _keys.looks_like_asymmetric_key(candidate.material)
        ):
            mismatches.append(f"{alg} needs a shared secret, and the {candidate.label} is not one")
            continue
        if _pyjwt_verify(alg, candidate.material, signing_input, signature):
            return True, None, candidate.label
        if len(candidates) == 1:
            return False, f"the signature does not match the {candidate.label}", None
    if mismatches and len(mismatches) == len(candidates):
        return False, KeyTypeMismatch(f"the token is signed with {alg}, but {mismatches[0]}"), None
    return False, f"the signature matches none of the {len(candidates)} keys tried", None


def _pyjwt_verify(alg: str, material: Any, signing_input: bytes, signature: bytes) -> bool:
    """Signature check only (no claims), through PyJWT's algorithm implementations."""
    from jwt.algorithms import get_default_algorithms
    from jwt.exceptions import InvalidKeyError, PyJWTError

    algorithm = get_default_algorithms().get(alg)
    if algorithm is None:
        return False
    try:
        prepared = algorithm.prepare_key(material)
        return bool(algorithm.verify(signing_input, prepared, signature))
    except (InvalidKeyError, PyJWTError, ValueError, TypeError):
        return False


def weak_secret_warning(key: VerificationKey, alg: str | None) -> TokenWarning | None:
    secrets = [c for c in key.candidates if c.is_secret]
    if not secrets:
        return None
    length = len(secrets[0].material)
    needed = MIN_HMAC_SECRET_BYTES.get(alg or "", 32)
    if length >= needed:
        return None
    name = alg if alg in MIN_HMAC_SECRET_BYTES else "HMAC"
    return TokenWarning(
        "weak-hmac-secret",
        f"The HMAC secret is only {length} bytes; {name} needs at least {needed} random bytes "
        "(RFC 7518 §3.2), or it can be brute-forced offline from any token.",
    )
