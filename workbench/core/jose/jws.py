"""JOSE signatures (RFC 7515): sign and verify a message with a key, by algorithm name.

The signing itself is PyJWT's: its algorithm objects (`jwt.algorithms.get_default_algorithms()`,
over `cryptography`) produce and check the JOSE forms (ECDSA as raw ``r‖s``, RSASSA-PSS with a
salt as long as the hash, HMAC compared in constant time). What stays here is the checking
around them: which algorithms we accept (never ``none``), which key fits which algorithm
(an algorithm-confusion attack hands a public key where a secret belongs), and the base64url
text in and out.

PyJWT's algorithm module imports `cryptography` (0.1 s), so it is imported on first use:
templating imports this module and the CLI's start-up time matters.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.jose.keys import (
    HMAC_ALGORITHMS,
    SIGNING_ALGORITHMS,
    algorithms_for_key,
    b64url_decode,
    b64url_encode,
    curve_name,
    load_private_key,
    load_public_key,
    looks_like_asymmetric_key,
    shown_alg,
)

if TYPE_CHECKING:
    from jwt.algorithms import Algorithm

# --------------------------------------------------------------------------- JOSE signatures


@functools.cache
def _algorithm(alg: str) -> Algorithm:
    from jwt.algorithms import get_default_algorithms

    return get_default_algorithms()[alg]


def _check_alg(alg: str) -> None:
    if not isinstance(alg, str) or alg not in SIGNING_ALGORITHMS:
        if isinstance(alg, str) and alg.lower() == "none":
            raise InputError("'none' is not a signing algorithm")
        raise InputError(
            f"unsupported signing algorithm {shown_alg(alg)}; use one of {', '.join(SIGNING_ALGORITHMS)}"
        )


def _hmac_secret(alg: str, key: Any) -> bytes:
    if not isinstance(key, str | bytes | bytearray):
        raise KeyFormatError(f"{alg} needs a shared secret, not a {type(key).__name__}")
    if looks_like_asymmetric_key(bytes(key) if isinstance(key, bytearray) else key):
        raise KeyFormatError(f"{alg} needs a shared secret; a PEM/JWK key is never used as an HMAC secret")
    secret = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not secret:
        raise KeyFormatError(f"{alg} needs a non-empty secret")
    return secret


def _message_bytes(message: str | bytes) -> bytes:
    return message.encode("utf-8") if isinstance(message, str) else bytes(message)


def _require_key_for(alg: str, key: Any) -> None:
    allowed = algorithms_for_key(key)
    if alg not in allowed:
        fits = ", ".join(allowed)
        raise KeyFormatError(f"a {_describe_key(key)} cannot be used with {alg} (it fits {fits})")


def _describe_key(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"EC {curve_name(key)} key"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA {key.key_size}-bit key"
    return f"{type(key).__name__.removeprefix('_').replace('PrivateKey', '').replace('PublicKey', '')} key"


def describe_key(key: Any) -> str:
    """A short human name for a key ("EC P-256 key", "RSA 2048-bit key", "Ed25519 key")."""
    return _describe_key(key)


def jose_sign(alg: str, private_key: Any | str | bytes, message: str | bytes) -> str:
    """Sign `message` the JOSE way and return the base64url signature (no padding).

    `private_key` is a key object or PEM/JWK text; for HS* it is the shared secret.
    ECDSA gives raw ``r‖s`` (64 bytes for ES256, 96 for ES384, 132 for ES512).
    """
    _check_alg(alg)
    data = _message_bytes(message)
    if alg in HMAC_ALGORITHMS:
        return b64url_encode(_algorithm(alg).sign(data, _hmac_secret(alg, private_key)))
    key = load_private_key(private_key) if isinstance(private_key, str | bytes) else private_key
    if not hasattr(key, "private_bytes"):
        raise KeyFormatError(f"{alg} signing needs a private key, not a public one")
    _require_key_for(alg, key)
    return b64url_encode(_algorithm(alg).sign(data, key))


def jose_verify(alg: str, public_key: Any | str | bytes, message: str | bytes, signature: str) -> bool:
    """True when `signature` (base64url) is a valid JOSE signature of `message` under `public_key`.

    A malformed or wrong signature gives False; a key that does not fit `alg` raises KeyFormatError.
    """
    _check_alg(alg)
    data = _message_bytes(message)
    try:
        sig = b64url_decode(signature)
    except (ValueError, UnicodeError, TypeError):
        return False
    if alg in HMAC_ALGORITHMS:
        return _algorithm(alg).verify(data, _hmac_secret(alg, public_key), sig)
    key = load_public_key(public_key) if isinstance(public_key, str | bytes) else public_key
    if hasattr(key, "private_bytes"):
        key = key.public_key()
    _require_key_for(alg, key)
    try:
        return _algorithm(alg).verify(data, key, sig)
    except ValueError:  # a signature of an impossible size for the key
        return False
