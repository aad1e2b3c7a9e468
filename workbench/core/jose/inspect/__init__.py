"""Look inside a JWT without trusting it, and check it with a key when given one.

A package by responsibility; import everything from here (``workbench.core.jose.inspect``):

=================  ============================================================
``compact``        splitting and decoding a JWS (3 segments) or JWE (5): limits,
                   base64url, the JSON header, `decode_unverified`
``inspection``     `inspect_token`: payload as claims, text or bytes; JWE headers;
                   nested tokens (``cty: JWT``); the x5c chain
``keyset``         `VerificationKey` and where keys come from (file, text, JWKS URL,
                   OIDC discovery of a JWKS URL from an issuer)
``signature``      the signature check and its algorithm allow-list
``claims``         header warnings and the time claims
``x5c``            describing (never trusting) a certificate chain
``finding``        `find_jwt`: the token in a provider's answer
``results``        `Inspection`, `TokenWarning`, `CertificateInfo`, time wording
``registry``       what the registered claims and header parameters mean
=================  ============================================================

Decoding never trusts the token: header fields that point at keys (``jku``,
``x5u``, an embedded ``jwk``) are reported, never fetched or used. Verification
uses only the key the *user* supplied, with an algorithm allow-list derived
from that key's type, so neither ``alg: none`` nor the HS256-with-a-public-key
confusion can pass:

=========================  ===============================
key                        algorithms it may verify
=========================  ===============================
HMAC secret / ``oct`` JWK   HS256, HS384, HS512
EC P-256 / P-384 / P-521    ES256 / ES384 / ES512
RSA                         RS256/384/512, PS256/384/512
Ed25519 / Ed448 (OKP)       EdDSA
=========================  ===============================

``signature_valid`` is only about the signature. Time claims (``exp``, ``nbf``,
``iat``) are interpreted separately and reported as warnings, so an expired
token with a good signature says exactly that.

A JWS whose payload is not JSON (RFC 7520's cookbook signs plain text) is still
verified; its payload is reported as text. Every malformed input raises
`TokenFormatError` with a sentence that says what is wrong; nothing else escapes
`decode_unverified` / `inspect_token` for bad input (a hypothesis fuzz test holds us to it).
"""

from __future__ import annotations

from workbench.core.durations import humanize_duration
from workbench.core.jose.inspect.claims import LONG_LIFETIME_SECONDS
from workbench.core.jose.inspect.compact import (
    MAX_JSON_DEPTH,
    MAX_TOKEN_BYTES,
    CompactToken,
    decode_unverified,
    looks_like_jwt,
    normalize_token,
    parse_compact,
)
from workbench.core.jose.inspect.finding import find_jwt
from workbench.core.jose.inspect.inspection import inspect_token
from workbench.core.jose.inspect.keyset import (
    DEFAULT_JWKS_TIMEOUT,
    KEY_KINDS,
    MAX_JWKS_BYTES,
    VerificationKey,
    discover_jwks_uri,
    discovery_url,
    fetch_jwks,
    key_for_kind,
    key_from_text,
    load_key_file,
)
from workbench.core.jose.inspect.results import (
    CertificateInfo,
    Inspection,
    TokenWarning,
    format_moment,
    humanize_relative,
    iso_utc,
)
from workbench.core.jose.inspect.signature import MIN_HMAC_SECRET_BYTES

__all__ = [
    "DEFAULT_JWKS_TIMEOUT",
    "KEY_KINDS",
    "LONG_LIFETIME_SECONDS",
    "MAX_JSON_DEPTH",
    "MAX_JWKS_BYTES",
    "MAX_TOKEN_BYTES",
    "MIN_HMAC_SECRET_BYTES",
    "CertificateInfo",
    "CompactToken",
    "Inspection",
    "TokenWarning",
    "VerificationKey",
    "decode_unverified",
    "discover_jwks_uri",
    "discovery_url",
    "fetch_jwks",
    "find_jwt",
    "format_moment",
    "humanize_duration",
    "humanize_relative",
    "inspect_token",
    "iso_utc",
    "key_for_kind",
    "key_from_text",
    "load_key_file",
    "looks_like_jwt",
    "normalize_token",
    "parse_compact",
]
