"""The probe variants are what their names say, checked with PyJWT (an API that verifies properly)."""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.jose import forge, keys, probes


@pytest.fixture
def now():
    """PyJWT checks times against the real clock: each test's tokens are made at its own moment."""
    return float(int(time.time()))


@pytest.fixture
def issuer():
    return forge.SigningKey(ec.generate_private_key(ec.SECP256R1()), "issuer key")


def _token(key, now, **claims):
    spec = forge.TokenSpec(
        iss="https://issuer.example", aud=("api",), exp="10m", claims=tuple(claims.items())
    )
    return forge.sign_token(spec, key, now=now).token


def _by_code(variants):
    return {v.code: v for v in variants}


def _claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def test_with_the_issuer_key_each_claim_variant_fails_only_its_own_check(issuer, now):
    variants = _by_code(probes.make_variants(_token(issuer, now), now=now, issuer_key=issuer))
    public = issuer.material.public_key()

    def decode(code, **options):
        return jwt.decode(
            variants[code].token, public, algorithms=["ES256"], audience="api", issuer="https://issuer.example",
            leeway=0, options=options,
        )  # fmt: skip

    with pytest.raises(jwt.ExpiredSignatureError):
        decode("expired")
    with pytest.raises(jwt.ImmatureSignatureError):
        decode("not-yet-valid")
    with pytest.raises(jwt.InvalidAudienceError):
        decode("wrong-audience")
    with pytest.raises(jwt.InvalidIssuerError):
        decode("wrong-issuer")
    # ... and nothing else is wrong with them: each passes once its one check is off.
    assert decode("expired", verify_exp=False)["iss"] == "https://issuer.example"
    assert decode("wrong-audience", verify_aud=False)["aud"] == probes.WRONG_AUDIENCE
    assert decode("not-yet-valid", verify_nbf=False, verify_iat=False)["nbf"] == int(now) + 3600


def test_without_the_issuer_key_claim_variants_keep_the_original_signature(issuer, now):
    token = _token(issuer, now)
    variants = _by_code(probes.make_variants(token, now=now))
    assert variants["expired"].token.split(".")[2] == token.split(".")[2]
    assert variants["expired"].signed_with == "the original signature"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            variants["expired"].token, issuer.material.public_key(), algorithms=["ES256"], audience="api"
        )


def test_unsigned_stripped_and_other_key_variants(issuer, now):
    token = _token(issuer, now)
    variants = _by_code(probes.make_variants(token, now=now))
    header = jwt.get_unverified_header(variants["alg-none"].token)
    assert header["alg"] == "none" and variants["alg-none"].token.endswith(".")
    assert variants["signature-stripped"].token == token.rsplit(".", 1)[0] + "."
    other = variants["other-key"].token
    assert jwt.get_unverified_header(other) == jwt.get_unverified_header(token)
    assert _claims(other) == _claims(token)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(other, issuer.material.public_key(), algorithms=["ES256"], audience="api")


def test_the_algorithm_confusion_variant_is_hmac_keyed_with_the_public_pem(issuer, now):
    variants = _by_code(probes.make_variants(_token(issuer, now), now=now, issuer_key=issuer))
    token = variants["hs256-public-key"].token
    assert token is not None and jwt.get_unverified_header(token)["alg"] == "HS256"
    signing_input, signature = token.rsplit(".", 1)
    pem = keys.public_pem(issuer.material)
    expected = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    assert keys.b64url_decode(signature) == expected
    with pytest.raises(jwt.InvalidAlgorithmError):  # PyJWT, asked for ES256, is not confused
        jwt.decode(token, issuer.material.public_key(), algorithms=["ES256"], audience="api")


def test_the_confusion_variant_is_skipped_when_it_cannot_be_made(issuer, now):
    without = _by_code(probes.make_variants(_token(issuer, now), now=now))["hs256-public-key"]
    assert without.token is None and "public key is unknown" in (without.skipped or "")
    hmac_key = forge.signing_key_from_secret(b"h" * 32)
    hs = _by_code(probes.make_variants(_token(hmac_key, now), now=now))["hs256-public-key"]
    assert hs.token is None and "HMAC-signed" in (hs.skipped or "")


def test_the_public_key_can_be_given_as_a_jwk(issuer, now):
    jwk_text = __import__("json").dumps(keys.public_jwk(issuer.material))
    pem = probes.public_key_pem_from_text(jwk_text, source="issuer.jwk")
    assert pem == keys.public_pem(issuer.material)


def test_a_key_that_cannot_sign_the_tokens_alg_is_refused(issuer, now):
    with pytest.raises(KeyFormatError, match="signed with ES256"):
        probes.make_variants(
            _token(issuer, now), now=now, issuer_key=forge.signing_key_from_secret(b"h" * 32)
        )


def test_an_unsigned_or_opaque_token_cannot_be_probed(now):
    unsigned = forge.sign_token(forge.TokenSpec(alg="none", allow_none=True), None, now=now).token
    with pytest.raises(InputError, match="validly signed"):
        probes.make_variants(unsigned, now=now)
    with pytest.raises(InputError):
        probes.make_variants("an-opaque-access-token", now=now)
