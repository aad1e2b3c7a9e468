"""Attack probes: from one valid token, the variants an API must refuse.

Pure: no network. `operations/probe.py` sends each variant to a saved request of the
profile's own API and reports which ones were wrongly accepted.

The variants (``code``: what changes):

======================  ===========================================================
``expired``             exp an hour ago (iat two hours ago)
``not-yet-valid``       nbf an hour ahead
``wrong-audience``      aud another service's
``wrong-issuer``        iss another issuer's
``alg-none``            header alg none, no signature (RFC 7518 §3.6's unsecured JWS)
``signature-stripped``  the original header and payload, an empty signature
``other-key``           the same header and claims, signed with a fresh key of the same kind
``hs256-public-key``    HS256 with the issuer's *public* key text as the HMAC secret
======================  ===========================================================

The four claim variants are signed with the issuer's key when the user has it (their own
API: then they test exactly the claim check); without it they keep the original signature,
so they also test that the signature covers the claims. The ``hs256-public-key`` variant
needs the issuer's public key (given, or the public half of the issuer key) and is skipped
for a token that is HMAC-signed already.

Signing goes through `forge.sign_segments` (PyJWT's algorithm objects) except for the
algorithm-confusion variant: PyJWT refuses, by design, to use a PEM as an HMAC secret, and
making exactly that token is the point, so it is one HMAC over the signing input here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.jose import keys as _keys
from workbench.core.jose.forge import NONE_ALG, SigningKey, encode_segment, sign_segments
from workbench.core.jose.inspect.compact import normalize_token, parse_compact, payload_object

WRONG_AUDIENCE = "https://wrong-audience.invalid"
WRONG_ISSUER = "https://wrong-issuer.invalid"
HOUR = 3600

VARIANT_TITLES: Mapping[str, str] = {
    "expired": "expired (exp an hour ago)",
    "not-yet-valid": "not yet valid (nbf an hour ahead)",
    "wrong-audience": f"wrong audience (aud {WRONG_AUDIENCE})",
    "wrong-issuer": f"wrong issuer (iss {WRONG_ISSUER})",
    "alg-none": "alg none (unsigned)",
    "signature-stripped": "signature stripped",
    "other-key": "signed with another key",
    "hs256-public-key": "HS256 signed with the public key (algorithm confusion)",
}


@dataclass(frozen=True)
class Variant:
    """One token an API must refuse, or why it could not be made.

    Attributes:
        code / title: which variant ("expired", "expired (exp an hour ago)").
        token: the variant token; None when skipped.
        signed_with: how it is signed ("your issuer key", "the original signature", "none").
        skipped: why it was not made (None when it was).
    """

    code: str
    title: str
    token: str | None
    signed_with: str
    skipped: str | None = None


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    compact = parse_compact(normalize_token(token))
    if compact.kind != "JWS" or compact.payload is None:
        raise InputError("the probes start from a signed token (JWS); this one is encrypted")
    try:
        payload = payload_object(compact.payload)
    except Exception as exc:  # TokenFormatError: say what the probes need
        raise InputError(f"the probes need a token with JSON claims: {exc}") from None
    return compact.header, payload, list(compact.parts)


def _fresh_key_like(alg: str) -> SigningKey:
    """A new key that signs `alg` (the "other key")."""
    import secrets

    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if alg in _keys.HMAC_ALGORITHMS:
        return SigningKey(secrets.token_bytes(64), "a random secret")
    if alg in _keys.RSA_ALGORITHMS:
        return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "a new RSA key")
    curves = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
    if alg in curves:
        return SigningKey(ec.generate_private_key(curves[alg]), f"a new {alg} key")
    if alg == "EdDSA":
        return SigningKey(ed25519.Ed25519PrivateKey.generate(), "a new Ed25519 key")
    raise InputError(f"the token's alg {_keys.shown_alg(alg)} is not one the probes can imitate")


def make_variants(
    token: str,
    *,
    now: float,
    issuer_key: SigningKey | None = None,
    public_key_pem: bytes | None = None,
) -> list[Variant]:
    """Every variant of `token` (see the module docstring), in a fixed order."""
    header, payload, parts = _segments(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == NONE_ALG or alg not in _keys.SIGNING_ALGORITHMS:
        raise InputError(f"the probes start from a validly signed token; its alg is {_keys.shown_alg(alg)}")
    if issuer_key is not None and alg not in issuer_key.algorithms:
        raise KeyFormatError(f"the token is signed with {alg}; the {issuer_key.label} cannot sign that")
    if public_key_pem is None and issuer_key is not None and not issuer_key.is_secret:
        public_key_pem = _keys.public_pem(issuer_key.material)
    signed_with = f"your issuer key ({issuer_key.label})" if issuer_key else "the original signature"

    def claims_variant(code: str, changed: Mapping[str, Any]) -> Variant:
        new_payload = {**payload, **changed}
        payload_b64 = encode_segment(new_payload)
        if issuer_key is not None:
            made = sign_segments(parts[0], payload_b64, alg, issuer_key)
        else:
            made = f"{parts[0]}.{payload_b64}.{parts[2]}"
        return Variant(code, VARIANT_TITLES[code], made, signed_with)

    lifetime = _lifetime(payload)
    expired = {"iat": int(now) - 2 * HOUR, "exp": int(now) - HOUR}
    if "nbf" in payload:
        expired["nbf"] = int(now) - 2 * HOUR
    out = [
        claims_variant("expired", expired),
        claims_variant(
            "not-yet-valid",
            {"nbf": int(now) + HOUR, "iat": int(now) + HOUR, "exp": int(now) + HOUR + lifetime},
        ),
        claims_variant("wrong-audience", {"aud": WRONG_AUDIENCE}),
        claims_variant("wrong-issuer", {"iss": WRONG_ISSUER}),
    ]
    none_header = {**header, "alg": "none"}
    out.append(
        Variant("alg-none", VARIANT_TITLES["alg-none"], f"{encode_segment(none_header)}.{parts[1]}.", "none")
    )
    out.append(
        Variant("signature-stripped", VARIANT_TITLES["signature-stripped"], f"{parts[0]}.{parts[1]}.", "none")
    )
    other = _fresh_key_like(alg)
    out.append(
        Variant(
            "other-key",
            VARIANT_TITLES["other-key"],
            sign_segments(parts[0], parts[1], alg, other),
            other.label,
        )
    )
    out.append(_confusion_variant(header, parts[1], alg, public_key_pem))
    return out


def _lifetime(payload: Mapping[str, Any]) -> int:
    exp, iat = payload.get("exp"), payload.get("iat")
    if (
        isinstance(exp, int | float)
        and isinstance(iat, int | float)
        and not isinstance(exp, bool)
        and exp > iat
    ):
        return int(exp - iat)
    return HOUR


def _confusion_variant(
    header: Mapping[str, Any], payload_b64: str, alg: str, public_pem: bytes | None
) -> Variant:
    code = "hs256-public-key"
    if alg in _keys.HMAC_ALGORITHMS:
        return Variant(
            code, VARIANT_TITLES[code], None, "", skipped="the token is HMAC-signed: no public key"
        )
    if public_pem is None:
        return Variant(
            code,
            VARIANT_TITLES[code],
            None,
            "",
            skipped="the issuer's public key is unknown (give --public-key)",
        )
    confused = {**header, "alg": "HS256"}
    signing_input = f"{encode_segment(confused)}.{payload_b64}"
    # Deliberately what a confused verifier computes: HMAC-SHA256 keyed with the PEM text.
    mac = hmac.new(public_pem, signing_input.encode("ascii"), hashlib.sha256).digest()
    return Variant(
        code, VARIANT_TITLES[code], f"{signing_input}.{_keys.b64url_encode(mac)}", "the public key's PEM"
    )


def public_key_pem_from_text(text: str, *, source: str) -> bytes:
    """The issuer's public key as PEM bytes (what a confused verifier would use as its secret)."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN PUBLIC KEY-----"):
        return (stripped + "\n").encode("ascii", "replace")
    try:
        key = _keys.load_public_key(stripped)
    except KeyFormatError as exc:
        raise KeyFormatError(f"{source}: {exc}") from None
    return _keys.public_pem(key)
