"""Keys: generation, PEM/JWK round trips, RFC 7638 kids, JOSE signatures."""

from __future__ import annotations

import json
import os
import stat

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.jose import jws, keys

# RFC 7638 §3.1: the example RSA key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXj"
    "BZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8K"
    "JZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBni"
    "Iqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_KID = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

# RFC 7515 appendix A.3: an ES256 JWS (public key and signature).
RFC7515_A3_PUBLIC_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
RFC7515_A3_SIGNING_INPUT = (
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
)
RFC7515_A3_SIGNATURE = (
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)


@pytest.fixture(scope="module")
def pairs() -> dict[str, keys.KeyPair]:
    return {alg: keys.generate_key_pair(alg) for alg in keys.ALGORITHMS}


def test_thumbprint_matches_the_rfc_7638_example():
    assert keys.jwk_thumbprint(RFC7638_JWK) == RFC7638_KID


def test_thumbprint_ignores_optional_members_and_needs_the_required_ones():
    bare = {k: RFC7638_JWK[k] for k in ("kty", "n", "e")}
    assert keys.jwk_thumbprint({**bare, "use": "sig", "kid": "x"}) == RFC7638_KID
    with pytest.raises(KeyFormatError, match="'n'"):
        keys.jwk_thumbprint({"kty": "RSA", "e": "AQAB"})
    with pytest.raises(KeyFormatError, match="kty"):
        keys.jwk_thumbprint({"kty": "DSA"})


@pytest.mark.parametrize("alg", keys.ALGORITHMS)
def test_generated_public_jwk_carries_its_thumbprint_as_kid(pairs, alg):
    jwk = pairs[alg].public_jwk()
    assert jwk["alg"] == alg and jwk["use"] == "sig"
    assert jwk["kid"] == keys.jwk_thumbprint(jwk)
    assert "d" not in jwk
    # The JWK and the PEM describe the same public key.
    assert keys.public_jwk(keys.load_public_key(pairs[alg].public_pem()))["kid"] == jwk["kid"]


def test_key_types_match_the_algorithms(pairs):
    assert isinstance(pairs["ES256"].private_key, ec.EllipticCurvePrivateKey)
    assert pairs["ES256"].public_jwk()["crv"] == "P-256"
    assert pairs["ES384"].public_jwk()["crv"] == "P-384"
    assert isinstance(pairs["RS256"].private_key, rsa.RSAPrivateKey)
    assert pairs["RS256"].private_key.key_size == 2048
    assert isinstance(pairs["EdDSA"].private_key, ed25519.Ed25519PrivateKey)
    assert pairs["EdDSA"].public_jwk()["crv"] == "Ed25519"


def test_rsa_key_size_can_be_chosen_from_the_allowed_sizes():
    assert keys.generate_key_pair("RS256", rsa_bits=3072).private_key.key_size == 3072
    with pytest.raises(InputError, match="2048, 3072, 4096"):
        keys.generate_key_pair("RS256", rsa_bits=1024)


def test_unknown_algorithm_is_refused_with_the_choices():
    with pytest.raises(InputError, match="ES256, ES384, RS256, EdDSA"):
        keys.generate_key_pair("HS256")


@pytest.mark.parametrize("alg", keys.ALGORITHMS)
def test_private_pem_is_pkcs8_and_loads_back(pairs, alg):
    pem = pairs[alg].private_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = keys.load_private_key(pem)
    assert keys.public_jwk(loaded, alg=alg)["kid"] == pairs[alg].public_jwk()["kid"]
    assert pairs[alg].public_pem().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_encrypted_private_pem_needs_its_passphrase(pairs):
    pem = pairs["ES256"].private_pem(b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert keys.load_private_key(pem, b"correct horse").private_numbers() == (
        pairs["ES256"].private_key.private_numbers()
    )
    with pytest.raises(KeyFormatError, match="passphrase is needed"):
        keys.load_private_key(pem)
    with pytest.raises(KeyFormatError, match="wrong passphrase"):
        keys.load_private_key(pem, b"battery staple")
    with pytest.raises(KeyFormatError, match="not encrypted"):
        keys.load_private_key(pairs["ES256"].private_pem(), b"unneeded")


def test_traditional_pem_and_openssh_keys_load(pairs):
    ec_key = pairs["ES256"].private_key
    traditional = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert traditional.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert keys.load_private_key(traditional).private_numbers() == ec_key.private_numbers()
    ed = pairs["EdDSA"].private_key
    ssh_private = ed.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    ssh_public = ed.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert keys.public_jwk(keys.load_private_key(ssh_private))["kid"] == pairs["EdDSA"].public_jwk()["kid"]
    assert keys.public_jwk(keys.load_public_key(ssh_public))["kid"] == pairs["EdDSA"].public_jwk()["kid"]


@pytest.mark.parametrize("alg", keys.ALGORITHMS)
def test_private_jwk_round_trips(pairs, alg):
    key = pairs[alg].private_key
    jwk = dict(pairs[alg].public_jwk())
    if alg.startswith("ES"):
        size = (key.curve.key_size + 7) // 8
        jwk["d"] = keys.b64url_encode(key.private_numbers().private_value.to_bytes(size, "big"))
    elif alg == "RS256":
        jwk["d"] = keys.b64url_encode(key.private_numbers().d.to_bytes(256, "big"))  # no CRT members
    else:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        jwk["d"] = keys.b64url_encode(raw)
    loaded = keys.load_private_key(json.dumps(jwk))
    signature = jws.jose_sign(alg, loaded, "round trip")
    assert jws.jose_verify(alg, pairs[alg].public_pem(), "round trip", signature)


def test_a_private_jwk_whose_d_does_not_match_its_public_point_is_refused():
    jwk = {**RFC7515_A3_PUBLIC_JWK, "d": keys.b64url_encode(b"\x01" * 32)}
    with pytest.raises(KeyFormatError, match="not describe a valid key"):
        keys.load_private_key(json.dumps(jwk))


def test_loading_the_wrong_kind_of_key_says_what_is_wrong(pairs):
    with pytest.raises(KeyFormatError, match="public key"):
        keys.load_private_key(pairs["ES256"].public_pem())
    with pytest.raises(KeyFormatError, match="no private part"):
        keys.load_private_key(json.dumps(pairs["ES256"].public_jwk()))
    with pytest.raises(KeyFormatError, match="symmetric"):
        keys.load_public_key('{"kty": "oct", "k": "c2VjcmV0"}')
    with pytest.raises(KeyFormatError, match="neither PEM"):
        keys.load_public_key("hello")
    with pytest.raises(KeyFormatError, match="damaged"):
        keys.load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(KeyFormatError, match="not valid JSON"):
        keys.load_public_key("{not json")


def test_public_key_loads_from_a_private_pem(pairs):
    public = keys.load_public_key(pairs["ES256"].private_pem())
    assert not hasattr(public, "private_bytes")
    assert keys.public_jwk(public)["kid"] == pairs["ES256"].public_jwk()["kid"]


def test_es256_signature_is_raw_r_and_s_and_verifies(pairs):
    pair = pairs["ES256"]
    message = "0b1f2e9c-6c44-4e1f-9c39-5f0b4d5c2a11.1716200000"  # key_id.timestamp, as true-markets signs
    signature = jws.jose_sign("ES256", pair.private_key, message)
    raw = keys.b64url_decode(signature)
    assert len(raw) == 64
    assert "=" not in signature and "+" not in signature and "/" not in signature
    assert jws.jose_verify("ES256", pair.public_pem(), message, signature)
    assert not jws.jose_verify("ES256", pair.public_pem(), message + "1", signature)
    # r‖s: the halves, re-encoded as DER, verify with plain `cryptography`.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    pair.private_key.public_key().verify(der, message.encode(), ec.ECDSA(hashes.SHA256()))


def test_es384_signature_is_96_bytes(pairs):
    signature = jws.jose_sign("ES384", pairs["ES384"].private_pem(), "m")
    assert len(keys.b64url_decode(signature)) == 96
    assert jws.jose_verify("ES384", json.dumps(pairs["ES384"].public_jwk()), "m", signature)


def test_rfc_7515_es256_example_signature_verifies():
    public = json.dumps(RFC7515_A3_PUBLIC_JWK)
    assert jws.jose_verify("ES256", public, RFC7515_A3_SIGNING_INPUT, RFC7515_A3_SIGNATURE)
    assert not jws.jose_verify("ES256", public, RFC7515_A3_SIGNING_INPUT + "x", RFC7515_A3_SIGNATURE)


@pytest.mark.parametrize("alg", [*keys.ALGORITHMS, "PS256", "RS512"])
def test_pyjwt_verifies_a_jwt_built_with_jose_sign(pairs, alg):
    pair = pairs["RS256"] if alg.startswith(("RS", "PS")) else pairs[alg]
    header = keys.b64url_encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = keys.b64url_encode(json.dumps({"sub": "alice", "exp": 4102444800}).encode())
    token = f"{header}.{payload}.{jws.jose_sign(alg, pair.private_key, f'{header}.{payload}')}"
    claims = jwt.decode(token, pair.private_key.public_key(), algorithms=[alg])
    assert claims["sub"] == "alice"


def test_jose_verify_accepts_signatures_made_by_pyjwt(pairs):
    token = jwt.encode({"sub": "bob"}, pairs["ES256"].private_key, algorithm="ES256")
    head, body, sig = token.split(".")
    assert jws.jose_verify("ES256", pairs["ES256"].public_pem(), f"{head}.{body}", sig)


def test_hmac_signing_uses_the_secret_and_refuses_key_material(pairs):
    signature = jws.jose_sign("HS256", "a shared secret of thirty-two by", "m")
    assert jws.jose_verify("HS256", "a shared secret of thirty-two by", "m", signature)
    assert not jws.jose_verify("HS256", "another secret", "m", signature)
    with pytest.raises(KeyFormatError, match="never used as an HMAC secret"):
        jws.jose_sign("HS256", pairs["ES256"].public_pem(), "m")
    with pytest.raises(KeyFormatError, match="never used as an HMAC secret"):
        jws.jose_verify("HS256", json.dumps(pairs["RS256"].public_jwk()), "m", signature)
    with pytest.raises(KeyFormatError, match="shared secret"):
        jws.jose_sign("HS256", pairs["ES256"].private_key, "m")


def test_signing_refuses_none_and_mismatched_keys(pairs):
    with pytest.raises(InputError, match="'none'"):
        jws.jose_sign("none", pairs["ES256"].private_key, "m")
    with pytest.raises(KeyFormatError, match="P-384 key cannot be used with ES256"):
        jws.jose_sign("ES256", pairs["ES384"].private_key, "m")
    with pytest.raises(KeyFormatError, match="cannot be used with EdDSA"):
        jws.jose_verify("EdDSA", pairs["RS256"].public_pem(), "m", "AAAA")
    with pytest.raises(KeyFormatError, match="private key"):
        jws.jose_sign("ES256", pairs["ES256"].private_key.public_key(), "m")


def test_malformed_signatures_verify_false_instead_of_raising(pairs):
    public = pairs["ES256"].public_pem()
    for junk in ("", "***", "AAAA", "A" * 200):
        assert jws.jose_verify("ES256", public, "m", junk) is False


def test_asymmetric_key_text_is_recognised(pairs):
    assert keys.looks_like_asymmetric_key(pairs["RS256"].public_pem())
    assert keys.looks_like_asymmetric_key(json.dumps(pairs["EdDSA"].public_jwk()))
    assert keys.looks_like_asymmetric_key("ssh-ed25519 AAAAC3Nza... me@host")
    der = (
        pairs["RS256"]
        .private_key.public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert keys.looks_like_asymmetric_key(der)
    assert not keys.looks_like_asymmetric_key("my-app-client-secret-0123456789abcdef")
    assert not keys.looks_like_asymmetric_key('{"kty": "oct", "k": "abc"}')


def test_key_files_are_written_with_a_private_0600_key(tmp_path, pairs):
    old_umask = os.umask(0)  # even with a permissive umask the private key is never readable by others
    try:
        written = keys.write_key_files(pairs["ES256"], tmp_path / "keys")
    finally:
        os.umask(old_umask)
    private = written["private_pem"]
    assert private.name == "private.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes() == pairs["ES256"].private_pem()
    assert written["public_pem"].read_bytes() == pairs["ES256"].public_pem()
    jwk = json.loads(written["public_jwk"].read_text())
    assert jwk["kid"] == keys.jwk_thumbprint(jwk) == pairs["ES256"].public_jwk()["kid"]


def test_key_files_never_overwrite_an_existing_private_key(tmp_path, pairs):
    keys.write_key_files(pairs["ES256"], tmp_path)
    before = (tmp_path / "private.pem").read_bytes(), (tmp_path / "public.pem").read_bytes()
    with pytest.raises(InputError, match="already exists"):
        keys.write_key_files(pairs["EdDSA"], tmp_path)
    assert ((tmp_path / "private.pem").read_bytes(), (tmp_path / "public.pem").read_bytes()) == before


def test_key_files_refuse_a_symlink_planted_as_private_pem(tmp_path, pairs):
    target = tmp_path / "elsewhere"
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "private.pem").symlink_to(target)
    with pytest.raises(InputError, match="already exists"):
        keys.write_key_files(pairs["ES256"], tmp_path / "out")
    assert not target.exists()


def test_encrypted_key_files(tmp_path, pairs):
    written = keys.write_key_files(pairs["RS256"], tmp_path, passphrase=b"pw")
    assert written["private_pem"].read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert keys.load_private_key(written["private_pem"].read_bytes(), b"pw").key_size == 2048
