"""The sandbox's own JOSE helpers: strict where a real server is strict, interoperable with PyJWT."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import jwt
import pytest

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.base import iso_millis, iso_seconds


def test_hs256_tokens_interoperate_with_pyjwt_both_ways():
    secret = b"s" * 32
    token = jose.encode_hs256({"sub": "a", "exp": int(time.time()) + 60}, secret)
    assert jwt.decode(token, secret, algorithms=["HS256"])["sub"] == "a"
    theirs = jwt.encode({"sub": "b", "exp": int(time.time()) + 60}, secret, algorithm="HS256")
    assert jose.decode_verified(theirs, now=time.time(), hs256_secret=secret)["sub"] == "b"


def test_es256_signatures_are_raw_r_s_and_verify():
    key = jose.generate_ec_key()
    signature = jose.es256_sign(key, b"message")
    assert len(signature) == 64
    assert jose.es256_verify(key.public_key(), b"message", signature)
    assert not jose.es256_verify(key.public_key(), b"other", signature)
    assert not jose.es256_verify(key.public_key(), b"message", signature[:63])


def test_the_jwk_kid_is_the_rfc7638_thumbprint():
    key = jose.generate_ec_key()
    jwk = jose.ec_public_jwk(key.public_key())
    token = jose.encode_es256({"sub": "x", "exp": int(time.time()) + 60}, key, jwk["kid"])
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"])["sub"] == "x"
    # RFC 7638 §3: required members in lexicographic order, no whitespace, SHA-256, base64url.
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":")).encode()
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    assert jwk["kid"] == expected


def test_alg_none_and_algorithm_confusion_are_refused():
    secret = b"s" * 32
    unsigned = jwt.encode({"sub": "a", "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(jose.TokenInvalid, match="algorithm"):
        jose.decode_verified(unsigned, now=time.time(), hs256_secret=secret)
    key = jose.generate_ec_key()
    jwk = jose.ec_public_jwk(key.public_key())
    hs = jose.encode_hs256({"sub": "a", "exp": int(time.time()) + 60}, secret)
    with pytest.raises(jose.TokenInvalid, match="algorithm"):
        jose.decode_verified(hs, now=time.time(), es256_keys={jwk["kid"]: key.public_key()})


def test_expiry_raises_token_expired_with_the_claims_and_can_be_skipped():
    secret = b"s" * 32
    token = jose.encode_hs256({"sub": "a", "exp": 1000}, secret)
    with pytest.raises(jose.TokenExpired) as info:
        jose.decode_verified(token, now=1000, hs256_secret=secret)
    assert info.value.claims["sub"] == "a"
    assert jose.decode_verified(token, now=999, hs256_secret=secret)["sub"] == "a"
    assert jose.decode_verified(token, now=5000, hs256_secret=secret, check_exp=False)["sub"] == "a"


def test_tokens_without_exp_or_from_another_issuer_are_refused():
    secret = b"s" * 32
    with pytest.raises(jose.TokenInvalid, match="expiry"):
        jose.decode_verified(jose.encode_hs256({"sub": "a"}, secret), now=0, hs256_secret=secret)
    token = jose.encode_hs256({"iss": "a", "exp": 10}, secret)
    with pytest.raises(jose.TokenInvalid, match="issued"):
        jose.decode_verified(token, now=0, hs256_secret=secret, issuer="b")


@pytest.mark.parametrize("text", ["abc=", "ab+c", "ab/c", "a", "ab cd"])
def test_strict_base64url_refuses_padding_and_foreign_characters(text):
    with pytest.raises(ValueError):
        jose.b64url_decode_strict(text)


def test_iso_formats_match_the_seeds():
    assert iso_seconds(1566656122) == "2019-08-24T14:15:22Z"
    assert iso_millis(1761763102) == "2025-10-29T18:38:22.000Z"


def test_the_sandbox_command_refuses_an_impossible_port(capsys):
    from workbench.cli import main

    assert main(["sandbox", "--port", "70000"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: --port must be between 0 and 65535")
