"""The forge signs tokens that independent implementations accept, and refuses bad input in one line.

Independent checks: PyJWT (`jwt.decode`, the full JWT path rather than the algorithm objects the
forge signs with) and jwcrypto (a second JOSE implementation). RFC 7515 appendix A.1 (HS256) and
A.2 (RS256, PKCS#1 v1.5: deterministic) and RFC 7520 §4.1 / §4.4 reproduce byte for byte; the
ECDSA examples (A.3, A.4) are randomised by design and are verified instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.jose import forge, keys

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VECTORS = json.loads((FIXTURES / "rfc_jose_vectors.json").read_text())
RFC7520 = json.loads((FIXTURES / "rfc7520.json").read_text())
NOW = 1_700_000_000.0


def _key_for(alg: str) -> forge.SigningKey:
    if alg.startswith("HS"):
        return forge.signing_key_from_secret(b"k" * 64)
    if alg.startswith(("RS", "PS")):
        return forge.SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "RSA key")
    if alg == "EdDSA":
        return forge.SigningKey(ed25519.Ed25519PrivateKey.generate(), "Ed25519 key")
    curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
    return forge.SigningKey(ec.generate_private_key(curve), f"{alg} key")


def _verification_material(key: forge.SigningKey):
    return key.material if key.is_secret else key.material.public_key()


@pytest.mark.parametrize("alg", keys.SIGNING_ALGORITHMS)
def test_every_algorithm_verifies_with_pyjwt(alg):
    key = _key_for(alg)
    spec = forge.TokenSpec(alg=alg, sub="alice", aud=("api",), exp="15m", claims=(("n", 42),))
    made = forge.sign_token(spec, key, now=NOW)
    claims = jwt.decode(
        made.token,
        _verification_material(key),
        algorithms=[alg],
        audience="api",
        options={"verify_exp": False},
    )
    assert claims == {"n": 42, "sub": "alice", "aud": "api", "iat": int(NOW), "exp": int(NOW) + 900}


@pytest.mark.parametrize("alg", keys.SIGNING_ALGORITHMS)
def test_every_algorithm_verifies_with_jwcrypto(alg):
    from jwcrypto import jwk as jwcrypto_jwk
    from jwcrypto import jws as jwcrypto_jws

    key = _key_for(alg)
    made = forge.sign_token(forge.TokenSpec(alg=alg, sub="bob"), key, now=NOW)
    if key.is_secret:
        verifier = jwcrypto_jwk.JWK(kty="oct", k=keys.b64url_encode(key.material))
    else:
        verifier = jwcrypto_jwk.JWK.from_pem(keys.public_pem(key.material))
    token = jwcrypto_jws.JWS()
    token.deserialize(made.token)
    token.verify(verifier, alg=alg)
    assert json.loads(token.payload)["sub"] == "bob"


def test_kid_defaults_to_the_rfc7638_thumbprint_of_the_public_key():
    key = _key_for("ES256")
    made = forge.sign_token(forge.TokenSpec(), key, now=NOW)
    assert made.header == {"alg": "ES256", "typ": "JWT", "kid": keys.public_jwk(key.material)["kid"]}


def test_a_header_option_replaces_or_drops_a_default():
    key = _key_for("ES256")
    spec = forge.TokenSpec(headers=(("kid", "mine"), ("typ", None), ("x5t", "abc")))
    assert forge.sign_token(spec, key, now=NOW).header == {"alg": "ES256", "kid": "mine", "x5t": "abc"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("n=42", 42),
        ("f=1.5", 1.5),
        ("b=true", True),
        ("z=null", None),
        ('s="42"', "42"),
        ("l=[1,2]", [1, 2]),
        ('o={"a":1}', {"a": 1}),
        ("w=hello world", "hello world"),
        ("e=", ""),
        ("eq=a=b", "a=b"),
        ("v=1.2.3", "1.2.3"),
    ],
)
def test_claim_values_are_typed(text, value):
    assert forge.parse_assignment(text, what="--claim")[1] == value


@pytest.mark.parametrize("text", ["novalue", "=1", "l=[1,", "o={bad}"])
def test_a_bad_assignment_is_one_line(text):
    with pytest.raises(InputError) as caught:
        forge.parse_assignment(text, what="--claim")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("now", NOW), ("15m", NOW + 900), ("-5m", NOW - 300), ("+1h30m", NOW + 5400), ("2d", NOW + 172800),
     ("1w", NOW + 604800), ("10s", NOW + 10), ("1700000123", 1700000123)],
)  # fmt: skip
def test_times_are_relative_to_the_clock(text, expected):
    assert forge.parse_time(text, now=NOW, what="exp") == int(expected)


@pytest.mark.parametrize("text", ["soon", "15x", "1.5h", "-"])
def test_a_time_that_is_not_one_says_what_is_accepted(text):
    with pytest.raises(InputError, match="is not a time"):
        forge.parse_time(text, now=NOW, what="exp")


def test_a_bare_small_number_is_a_duration_missing_its_unit():
    with pytest.raises(InputError, match="needs a unit") as caught:
        forge.parse_time("900", now=NOW, what="exp")
    assert "900s" in caught.value.hint


def test_relative_exp_counts_from_a_given_iat():
    spec = forge.TokenSpec(iat="-1h", exp="15m", nbf="now")
    claims = forge.build_claims(spec, now=NOW)
    assert claims == {"iat": int(NOW) - 3600, "exp": int(NOW) - 2700, "nbf": int(NOW) - 3600}


def test_named_flags_win_over_claims_and_payload():
    spec = forge.TokenSpec(
        payload={"iss": "file", "sub": "file", "iat": 5},
        claims=(("iss", "claim"),),
        iss="flag",
        aud=("a", "b"),
    )
    claims = forge.build_claims(spec, now=NOW)
    assert claims == {"iss": "flag", "sub": "file", "iat": 5, "aud": ["a", "b"]}


def test_iat_none_leaves_it_out_and_jti_auto_is_random():
    one = forge.build_claims(forge.TokenSpec(iat="none", jti="auto"), now=NOW)
    two = forge.build_claims(forge.TokenSpec(iat="none", jti="auto"), now=NOW)
    assert "iat" not in one and len(one["jti"]) >= 20 and one["jti"] != two["jti"]


def test_a_time_claim_that_is_not_a_number_is_refused():
    with pytest.raises(InputError, match="exp claim must be a number"):
        forge.build_claims(forge.TokenSpec(claims=(("exp", "tomorrow"),)), now=NOW)


@pytest.mark.parametrize("text", ["[1, 2]", '"a string"', "not json", "42", '{"a": NaN}'])
def test_a_payload_that_is_not_a_json_object_is_one_line(text):
    with pytest.raises(InputError) as caught:
        forge.payload_from_text(text, source="claims.json")
    assert "claims.json is not a JSON object" in str(caught.value) and "\n" not in str(caught.value)


def test_a_key_that_cannot_make_the_alg_is_refused():
    with pytest.raises(KeyFormatError, match="cannot sign ES256"):
        forge.sign_token(forge.TokenSpec(alg="ES256"), _key_for("RS256"), now=NOW)
    with pytest.raises(KeyFormatError, match="cannot sign RS256"):
        forge.sign_token(forge.TokenSpec(alg="RS256"), _key_for("HS256"), now=NOW)
    with pytest.raises(KeyFormatError, match="cannot sign ES384"):
        forge.sign_token(forge.TokenSpec(alg="ES384"), _key_for("ES256"), now=NOW)


def test_a_short_hmac_secret_is_refused_unless_allowed_and_then_warned():
    short = forge.signing_key_from_secret(b"s" * 31)
    with pytest.raises(KeyFormatError, match="31 bytes; HS256 needs at least 32") as caught:
        forge.sign_token(forge.TokenSpec(alg="HS256"), short, now=NOW)
    assert "--allow-weak" in caught.value.hint
    made = forge.sign_token(forge.TokenSpec(alg="HS256", allow_weak=True), short, now=NOW)
    assert made.warnings and "31 bytes" in made.warnings[0]
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):  # PyJWT agrees it is weak, and still verifies
        assert jwt.decode(made.token, b"s" * 31, algorithms=["HS256"])["iat"] == int(NOW)


def test_an_hmac_secret_shorter_than_the_hash_is_warned_about():
    made = forge.sign_token(forge.TokenSpec(alg="HS512"), forge.signing_key_from_secret(b"s" * 40), now=NOW)
    assert made.warnings == (
        "the HMAC secret is 40 bytes, shorter than HS512's hash (64 bytes, RFC 7518 §3.2)",
    )
    assert (
        forge.sign_token(
            forge.TokenSpec(alg="HS256"), forge.signing_key_from_secret(b"s" * 32), now=NOW
        ).warnings
        == ()
    )


def test_a_pem_is_never_an_hmac_secret():
    with pytest.raises(KeyFormatError, match="never used as an HMAC secret"):
        forge.signing_key_from_secret(keys.public_pem(_key_for("ES256").material))


@pytest.mark.parametrize(
    ("crit", "message"),
    [
        (["exp"], "an extension this signer does not implement"),
        (["b64"], "but the header has no 'b64'"),
        (["alg"], "a parameter JWS defines itself"),
        ([], "non-empty JSON list"),
        ("exp", "non-empty JSON list"),
    ],
)
def test_crit_naming_what_the_signer_does_not_implement_is_refused(crit, message):
    spec = forge.TokenSpec(headers=(("crit", crit), ("exp", 1)))
    with pytest.raises(InputError, match=message):
        forge.sign_token(spec, _key_for("ES256"), now=NOW)


def test_alg_none_is_refused_unless_explicitly_allowed():
    with pytest.raises(InputError, match="unsigned token") as caught:
        forge.sign_token(forge.TokenSpec(alg="none"), _key_for("ES256"), now=NOW)
    assert "--allow-none" in caught.value.hint
    made = forge.sign_token(forge.TokenSpec(alg="none", allow_none=True, sub="x"), None, now=NOW)
    assert made.token.endswith(".") and made.header == {"alg": "none", "typ": "JWT"}
    assert jwt.decode(made.token, options={"verify_signature": False})["sub"] == "x"


def test_a_public_key_file_cannot_sign():
    public = keys.public_pem(_key_for("ES256").material).decode()
    with pytest.raises(KeyFormatError, match="holds a public key"):
        forge.signing_key_from_text(public, source="pub.pem")
    jwk = json.dumps(keys.public_jwk(_key_for("ES256").material))
    with pytest.raises(KeyFormatError, match="public JWK"):
        forge.signing_key_from_text(jwk, source="pub.jwk")


def test_an_oct_jwk_is_an_hmac_secret():
    key = forge.signing_key_from_text(json.dumps(VECTORS["rfc7520_jws_keys"]["oct_sig"]), source="k.json")
    assert key.is_secret and key.algorithms == keys.HMAC_ALGORITHMS and key.thumbprint is None


def test_base64_secrets_decode_both_alphabets():
    assert forge.decode_secret("AAEC_w", base64=True) == b"\x00\x01\x02\xff"
    assert forge.decode_secret("AAEC/w==", base64=True) == b"\x00\x01\x02\xff"
    with pytest.raises(InputError, match="not valid base64"):
        forge.decode_secret("a!b", base64=True)


def test_resign_keeps_an_edited_header_and_payload_exactly():
    key = _key_for("ES256")
    made = forge.resign({"alg": "ES256", "kid": "x", "typ": "at+jwt"}, {"sub": "eve", "admin": True}, key)
    assert jwt.get_unverified_header(made.token) == {"alg": "ES256", "kid": "x", "typ": "at+jwt"}
    assert jwt.decode(made.token, key.material.public_key(), algorithms=["ES256"]) == {
        "sub": "eve",
        "admin": True,
    }


# --------------------------------------------------------------------------- the RFC examples


@pytest.mark.parametrize("name", ["A.1", "A.2"])
def test_rfc7515_deterministic_examples_reproduce(name):
    example = VECTORS["rfc7515"][name]
    key = forge.signing_key_from_text(json.dumps(example["key"]), source=f"RFC 7515 {name}")
    token = forge.sign_segments(example["protected"], example["payload"], example["alg"], key)
    assert token == f"{example['protected']}.{example['payload']}.{example['signature']}"


@pytest.mark.parametrize("name", ["A.3", "A.4"])
def test_rfc7515_ecdsa_examples_verify_and_our_signatures_of_them_do_too(name):
    example = VECTORS["rfc7515"][name]
    signing_input = f"{example['protected']}.{example['payload']}"
    key = forge.signing_key_from_text(json.dumps(example["key"]), source=f"RFC 7515 {name}")
    public = key.material.public_key()
    algorithm = jwt.algorithms.get_default_algorithms()[example["alg"]]
    assert algorithm.verify(signing_input.encode(), public, keys.b64url_decode(example["signature"]))
    ours = forge.sign_segments(example["protected"], example["payload"], example["alg"], key).split(".")[2]
    assert algorithm.verify(signing_input.encode(), public, keys.b64url_decode(ours))


@pytest.mark.parametrize(("alg", "key_name"), [("RS256", "rsa_private"), ("HS256", "oct_sig")])
def test_rfc7520_deterministic_signatures_reproduce(alg, key_name):
    compact = RFC7520["jws"][alg]
    compact = compact["compact"] if isinstance(compact, dict) else compact
    header_b64, payload_b64, signature = compact.split(".")
    key = forge.signing_key_from_text(json.dumps(VECTORS["rfc7520_jws_keys"][key_name]), source="RFC 7520")
    assert forge.sign_segments(header_b64, payload_b64, alg, key).split(".")[2] == signature
