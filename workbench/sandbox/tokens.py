"""Minimal JOSE for the emulators: HS256/ES256 JWTs, raw r‖s ECDSA, JWKs.

The sandbox plays the *server* and must stay independent of the client code it
tests (`workbench.core.jose.keys`, `workbench.core.jose.inspect`), so it carries its own
few lines of JOSE. PyJWT is not used either: importing it costs ~0.2 s and the
sandbox must start in well under 0.3 s.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

_B64URL_NOPAD = re.compile(r"^[A-Za-z0-9_-]*$")
ES256_SIGNATURE_BYTES = 64


class TokenInvalid(Exception):
    """The token is malformed, has the wrong algorithm/key or a bad signature."""


class TokenExpired(TokenInvalid):
    """The token is well-formed and correctly signed, but `exp` has passed."""

    def __init__(self, message: str, claims: dict[str, Any]) -> None:
        super().__init__(message)
        self.claims = claims


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode_strict(text: str) -> bytes:
    """Decode base64url *without* padding; refuse padding and foreign characters (like Go RawURLEncoding)."""
    if not _B64URL_NOPAD.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url without padding") from exc


# --- ECDSA P-256 -----------------------------------------------------------------------------------


def generate_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def es256_sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """ES256 signature as JOSE wants it: raw r‖s, 32 bytes each."""
    der = key.sign(message, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def es256_verify(public_key: ec.EllipticCurvePublicKey, message: bytes, raw_signature: bytes) -> bool:
    if len(raw_signature) != ES256_SIGNATURE_BYTES:
        return False
    r = int.from_bytes(raw_signature[:32], "big")
    s = int.from_bytes(raw_signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def ec_public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public JWK with `kid` = RFC 7638 thumbprint, `alg` and `use`."""
    numbers = public_key.public_numbers()
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    thumbprint = b64url_encode(hashlib.sha256(canonical).digest())
    return {**jwk, "kid": thumbprint, "alg": "ES256", "use": "sig"}


# --- JWT -------------------------------------------------------------------------------------------


def _json_segment(obj: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":")).encode())


def encode_hs256(claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_json_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_json_segment(claims)}"
    sig = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(sig)}"


def encode_es256(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    signing_input = f"{_json_segment({'alg': 'ES256', 'typ': 'JWT', 'kid': kid})}.{_json_segment(claims)}"
    return f"{signing_input}.{b64url_encode(es256_sign(key, signing_input.encode('ascii')))}"


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenInvalid("token is not a JWT (expected three dot-separated parts)")
    try:
        header = json.loads(b64url_decode_strict(parts[0]))
        claims = json.loads(b64url_decode_strict(parts[1]))
        signature = b64url_decode_strict(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenInvalid("token is malformed") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenInvalid("token is malformed")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def unverified_claims(token: str) -> dict[str, Any]:
    return _split(token)[1]


def decode_verified(
    token: str,
    *,
    now: float,
    hs256_secret: bytes | None = None,
    es256_keys: dict[str, ec.EllipticCurvePublicKey] | None = None,
    issuer: str | None = None,
    check_exp: bool = True,
) -> dict[str, Any]:
    """Verify signature (only the algorithm the provider uses), `iss`, then `exp`/`nbf` against `now`.

    Raises `TokenExpired` (carrying the claims) when only the time is wrong, so
    refresh endpoints can accept an expired-but-genuine access token.
    """
    header, claims, signing_input, signature = _split(token)
    alg = header.get("alg")
    if hs256_secret is not None:
        if alg != "HS256":
            raise TokenInvalid(f"unexpected token algorithm {alg!r}")
        expected = hmac.new(hs256_secret, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise TokenInvalid("token signature is invalid")
    elif es256_keys is not None:
        if alg != "ES256":
            raise TokenInvalid(f"unexpected token algorithm {alg!r}")
        public_key = es256_keys.get(str(header.get("kid")))
        if public_key is None:
            raise TokenInvalid("token was signed with an unknown key")
        if not es256_verify(public_key, signing_input, signature):
            raise TokenInvalid("token signature is invalid")
    else:  # pragma: no cover - programming error in the sandbox itself
        raise TypeError("decode_verified needs a key")
    if issuer is not None and claims.get("iss") != issuer:
        raise TokenInvalid("token was not issued by this service")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise TokenInvalid("token has no expiry")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and not isinstance(nbf, bool) and now < nbf:
        raise TokenInvalid("token is not valid yet")
    if check_exp and now >= exp:
        raise TokenExpired("token has expired", claims)
    return claims
