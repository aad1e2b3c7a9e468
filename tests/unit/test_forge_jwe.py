"""JWE: the RFC examples decrypt, every offered algorithm round-trips through jwcrypto (an independent
implementation) in both directions, and the inspector opens a nested signed token and verifies it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.jose import forge, jwe, keys
from workbench.core.jose.inspect import VerificationKey, inspect_token

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VECTORS = json.loads((FIXTURES / "rfc_jose_vectors.json").read_text())
RFC7520_PLAINTEXT = VECTORS["rfc7520_jwe"]["plaintext"]


def _pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize("section", ["5.2", "5.4", "5.5", "5.6"])
def test_rfc7520_cookbook_jwe_examples_decrypt(section):
    example = VECTORS["rfc7520_jwe"][section]
    key = jwe.encryption_key_from_text(json.dumps(example["key"]), source=f"RFC 7520 §{section}")
    opened = jwe.decrypt(example["compact"], key)
    assert opened.plaintext.decode("utf-8") == RFC7520_PLAINTEXT
    assert opened.header["kid"] == example["key"]["kid"]


@pytest.mark.parametrize(("rfc", "name"), [("rfc7516", "A.1"), ("rfc7516", "A.3")])
def test_rfc7516_appendix_examples_decrypt(rfc, name):
    example = VECTORS[rfc][name]
    key = jwe.encryption_key_from_text(json.dumps(example["key"]), source=f"RFC 7516 {name}")
    assert jwe.decrypt(example["compact"], key).plaintext.decode() == example["plaintext"]


@pytest.mark.parametrize(("rfc", "name"), [("rfc7520_jwe", "5.1"), ("rfc7516", "A.2")])
def test_rsa1_5_examples_are_refused_with_the_reason(rfc, name):
    example = VECTORS[rfc][name]
    key = jwe.encryption_key_from_text(json.dumps(example["key"]), source="RFC")
    with pytest.raises(InputError, match="RSA1_5 is deprecated"):
        jwe.decrypt(example["compact"], key)


def test_an_altered_token_or_the_wrong_key_cannot_be_decrypted():
    example = VECTORS["rfc7520_jwe"]["5.6"]
    key = jwe.encryption_key_from_text(json.dumps(example["key"]), source="k")
    head, *rest, tag = example["compact"].split(".")
    altered = ".".join([head, *rest, ("A" if tag[0] != "A" else "B") + tag[1:]])
    with pytest.raises(InputError, match=r"cannot be decrypted.*wrong key, or the token was altered"):
        jwe.decrypt(altered, key)
    other = jwe.encryption_key_from_secret(os.urandom(16))
    with pytest.raises(InputError, match="cannot be decrypted"):
        jwe.decrypt(example["compact"], other)


def _recipient(kind: str):
    if kind == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    return x25519.X25519PrivateKey.generate()


ASYMMETRIC = [
    ("RSA", "RSA-OAEP-256"),
    ("EC", "ECDH-ES"),
    ("EC", "ECDH-ES+A256KW"),
    ("X25519", "ECDH-ES"),
    ("X25519", "ECDH-ES+A256KW"),
]


@pytest.mark.parametrize("enc", jwe.CONTENT_ENCRYPTIONS)
@pytest.mark.parametrize(("kind", "alg"), ASYMMETRIC)
def test_our_jwe_opens_in_jwcrypto_and_theirs_opens_here(kind, alg, enc):
    from jwcrypto import jwe as jwcrypto_jwe
    from jwcrypto import jwk as jwcrypto_jwk

    private = _recipient(kind)
    ours = jwe.encrypt(
        b'{"sub":"alice"}', jwe.encryption_key_from_text(_public_pem(private), source="pub"), alg=alg, enc=enc
    )
    their_key = jwcrypto_jwk.JWK.from_pem(_pem(private).encode())
    opened = jwcrypto_jwe.JWE()
    opened.deserialize(ours.token, key=their_key)
    assert opened.payload == b'{"sub":"alice"}'

    theirs = jwcrypto_jwe.JWE(b"from jwcrypto", json.dumps({"alg": alg, "enc": enc}))
    theirs.add_recipient(jwcrypto_jwk.JWK.from_pem(_public_pem(private).encode()))
    token = theirs.serialize(compact=True)
    assert (
        jwe.decrypt(token, jwe.encryption_key_from_text(_pem(private), source="priv")).plaintext
        == b"from jwcrypto"
    )


@pytest.mark.parametrize("enc", jwe.CONTENT_ENCRYPTIONS)
@pytest.mark.parametrize("alg", ["A256KW", "dir"])
def test_shared_key_jwe_round_trips_with_jwcrypto(alg, enc):
    from jwcrypto import jwe as jwcrypto_jwe
    from jwcrypto import jwk as jwcrypto_jwk

    secret = os.urandom(32)
    ours = jwe.encrypt(b"payload", jwe.encryption_key_from_secret(secret), alg=alg, enc=enc)
    assert ours.header == {"alg": alg, "enc": enc}  # no kid: a hash of a shared secret is not published
    opened = jwcrypto_jwe.JWE()
    opened.deserialize(ours.token, key=jwcrypto_jwk.JWK(kty="oct", k=keys.b64url_encode(secret)))
    assert opened.payload == b"payload"


def test_dir_needs_a_key_the_size_of_the_content_key():
    with pytest.raises(KeyFormatError, match="dir with A256GCM needs a 32-byte key"):
        jwe.encrypt(b"x", jwe.encryption_key_from_secret(os.urandom(16)), alg="dir")
    with pytest.raises(KeyFormatError, match="A256KW needs a 32-byte key"):
        jwe.encrypt(b"x", jwe.encryption_key_from_secret(os.urandom(24)), alg="A256KW")


def test_a_key_of_the_wrong_kind_is_one_line():
    rsa_key = jwe.encryption_key_from_text(_public_pem(_recipient("RSA")), source="bob.pem")
    with pytest.raises(KeyFormatError, match="cannot be used with ECDH-ES"):
        jwe.encrypt(b"x", rsa_key, alg="ECDH-ES")
    with pytest.raises(KeyFormatError, match=r"private key; the RSA key from bob\.pem is public"):
        token = jwe.encrypt(b"x", rsa_key).token
        jwe.decrypt(token, rsa_key)


def test_an_ed25519_key_cannot_encrypt():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    with pytest.raises(KeyFormatError, match="Ed25519 only signs"):
        jwe.encryption_key_from_text(_public_pem(ed25519.Ed25519PrivateKey.generate()), source="ed.pem")


def test_a_signed_token_encrypted_says_cty_jwt_and_the_inspector_verifies_it_inside():
    signer = ec.generate_private_key(ec.SECP256R1())
    signed = forge.sign_token(forge.TokenSpec(sub="carol", exp="5m"), forge.SigningKey(signer, "EC"), now=1e9)
    recipient = _recipient("RSA")
    sealed = jwe.encrypt(
        signed.token.encode(), jwe.encryption_key_from_text(_public_pem(recipient), source="r")
    )
    assert sealed.header["cty"] == "JWT"

    opened = inspect_token(
        sealed.token,
        key=VerificationKey.from_pem(_public_pem(signer)),
        now=1e9,
        decrypt_key=jwe.encryption_key_from_text(_pem(recipient), source="recipient.pem"),
    )
    assert opened.kind == "JWE" and "decrypted" in opened.warning_codes
    assert opened.nested is not None and opened.nested.claims["sub"] == "carol"
    assert opened.nested.signature_valid is True and opened.signature_valid is True

    wrong = inspect_token(
        sealed.token,
        key=VerificationKey.from_pem(_public_pem(ec.generate_private_key(ec.SECP256R1()))),
        now=1e9,
        decrypt_key=jwe.encryption_key_from_text(_pem(recipient), source="recipient.pem"),
    )
    assert wrong.nested is not None and wrong.nested.signature_valid is False


def test_a_decrypted_claims_payload_is_read_as_claims():
    recipient = _recipient("EC")
    sealed = jwe.encrypt(
        b'{"sub":"dan","exp":10}', jwe.encryption_key_from_text(_public_pem(recipient), source="r")
    )
    opened = inspect_token(
        sealed.token, now=100, decrypt_key=jwe.encryption_key_from_text(_pem(recipient), source="p")
    )
    assert opened.claims == {"sub": "dan", "exp": 10} and opened.expired is True


def test_compressed_jwe_is_bounded():
    """joserfc stops inflating a DEF payload at 250 KiB: a zip bomb is an error, not a memory spike."""
    from joserfc import jwe as joserfc_jwe
    from joserfc.jwk import OctKey

    secret = os.urandom(32)
    bomb = joserfc_jwe.encrypt_compact(
        {"alg": "dir", "enc": "A256GCM", "zip": "DEF"}, b"\0" * (4 * 1024 * 1024), OctKey.import_key(secret),
        algorithms=["dir", "A256GCM", "DEF"],
    )  # fmt: skip
    assert len(bomb) < 20_000
    with pytest.raises(InputError, match="cannot be decrypted"):
        jwe.decrypt(bomb, jwe.encryption_key_from_secret(secret))


def test_pyjwt_sees_the_inner_token_it_can_verify():
    """The inner token of a nested JWT is an ordinary JWS PyJWT verifies (RFC 7519 §5.2)."""
    signer = forge.signing_key_from_secret(b"q" * 32)
    inner = forge.sign_token(forge.TokenSpec(sub="erin"), signer, now=1e9).token
    secret = os.urandom(32)
    sealed = jwe.encrypt(inner.encode(), jwe.encryption_key_from_secret(secret), alg="dir")
    plaintext = jwe.decrypt(sealed.token, jwe.encryption_key_from_secret(secret)).plaintext.decode()
    assert jwt.decode(plaintext, b"q" * 32, algorithms=["HS256"])["sub"] == "erin"
