"""Inspecting JWTs: decoding without trust, verification with an allow-list, times, warnings, find_jwt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from workbench.core.errors import InputError, KeyFormatError, ProviderResponseError, TokenFormatError
from workbench.core.jose import inspect as ji
from workbench.core.jose import keys

# RFC 7515 appendix A.1: an HS256 JWS and its key.
RFC7515_A1_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
RFC7515_A1_JWK = {
    "kty": "oct",
    "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
}
NOW = 1_716_200_000.0  # a fixed "now" (2024-05-20 10:13:20 UTC)
STRONG_SECRET = "0123456789abcdef0123456789abcdef-strong"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(header: dict | str | bytes, payload: dict | str | bytes, signature: str = "c2ln") -> str:
    def seg(value):
        if isinstance(value, dict):
            value = json.dumps(value)
        if isinstance(value, str):
            value = value.encode()
        return b64(value)

    return f"{seg(header)}.{seg(payload)}.{signature}"


def hs256(payload: dict, secret: str | bytes = STRONG_SECRET, **header) -> str:
    return jwt.encode(payload, secret, algorithm="HS256", headers=header or None)


@pytest.fixture(scope="module")
def es256() -> keys.KeyPair:
    return keys.generate_key_pair("ES256")


@pytest.fixture(scope="module")
def rsa_pair() -> keys.KeyPair:
    return keys.generate_key_pair("RS256")


# --------------------------------------------------------------------------- the RFC example


def test_rfc_7515_hs256_example_verifies_with_its_jwk_and_is_reported_expired():
    result = ji.inspect_token(RFC7515_A1_TOKEN, key=ji.VerificationKey.from_jwk(RFC7515_A1_JWK), now=NOW)
    assert result.signature_valid is True
    assert result.signature_error is None
    assert result.alg == "HS256"
    assert result.payload == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
    assert result.expired is True
    assert result.expires_at.isoformat() == "2011-03-22T18:43:00+00:00"
    assert "expired" in result.warning_codes
    assert "weak-hmac-secret" not in result.warning_codes  # the RFC key is 64 bytes


def test_rfc_example_json_starts_with_the_decode_contract_keys_in_order():
    data = ji.inspect_token(
        RFC7515_A1_TOKEN, key=ji.VerificationKey.from_jwk(RFC7515_A1_JWK), now=NOW
    ).to_json()
    # The contract's eight keys come first and keep their meaning; later keys are additions.
    assert list(data)[:8] == [
        "header",
        "payload",
        "alg",
        "signature_valid",
        "expires_at",
        "issued_at",
        "expired",
        "warnings",
    ]
    assert list(data)[8:] == [
        "type",
        "payload_format",
        "signature_error",
        "verified_with",
        "not_before",
        "nested",
        "certificates",
    ]
    assert data["type"] == "JWS" and data["payload_format"] == "json"
    assert data["expires_at"] == "2011-03-22T18:43:00Z"
    assert data["issued_at"] is None
    assert data["expired"] is True and data["signature_valid"] is True
    assert data["warnings"][0] == {"code": "expired", "message": data["warnings"][0]["message"]}
    json.dumps(data)  # serialisable as is


def test_rfc_example_with_a_wrong_key_is_invalid_and_says_so():
    wrong = dict(RFC7515_A1_JWK, k=b64(b"x" * 64))
    result = ji.inspect_token(RFC7515_A1_TOKEN, key=ji.VerificationKey.from_jwk(wrong), now=NOW)
    assert result.signature_valid is False
    assert "does not match" in result.signature_error


def test_without_a_key_the_signature_is_not_checked():
    result = ji.inspect_token(RFC7515_A1_TOKEN, now=NOW)
    assert result.signature_valid is None
    assert result.to_json()["signature_valid"] is None


# --------------------------------------------------------------------------- signatures and keys


def test_an_expired_token_with_a_good_signature_is_still_validly_signed():
    token = hs256({"sub": "a", "iat": NOW - 7200, "exp": NOW - 3600})
    result = ji.inspect_token(token, key=ji.VerificationKey.from_secret(STRONG_SECRET), now=NOW)
    assert result.signature_valid is True
    assert result.expired is True


@pytest.mark.parametrize("alg_value", ["none", "None", "NONE"])
def test_alg_none_is_flagged_and_never_valid(alg_value):
    token = make_token({"alg": alg_value, "typ": "JWT"}, {"sub": "admin", "exp": NOW + 60}, signature="")
    unverified = ji.inspect_token(token, now=NOW)
    assert unverified.signature_valid is None
    assert "alg-none" in unverified.warning_codes
    verified = ji.inspect_token(token, key=ji.VerificationKey.from_secret(STRONG_SECRET), now=NOW)
    assert verified.signature_valid is False
    assert "unsigned" in verified.signature_error


def test_a_header_without_alg_is_treated_as_unsigned():
    token = make_token({"typ": "JWT"}, {"sub": "x"})
    result = ji.inspect_token(token, key=ji.VerificationKey.from_secret(STRONG_SECRET), now=NOW)
    assert result.alg is None
    assert result.signature_valid is False
    assert "alg-none" in result.warning_codes


def test_hs256_signed_with_the_public_key_text_never_verifies(rsa_pair):
    """The classic algorithm confusion: HMAC over the token with the server's public PEM as secret."""
    public_pem = rsa_pair.public_pem()
    header, payload = b64(b'{"alg":"HS256","typ":"JWT"}'), b64(b'{"sub":"admin"}')
    forged_sig = b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    forged = f"{header}.{payload}.{forged_sig}"
    result = ji.inspect_token(forged, key=ji.VerificationKey.from_pem(public_pem), now=NOW)
    assert result.signature_valid is False
    assert "HS256" in result.signature_error and "RS256" in result.signature_error
    jwk_result = ji.inspect_token(forged, key=ji.VerificationKey.from_jwk(rsa_pair.public_jwk()), now=NOW)
    assert jwk_result.signature_valid is False


def test_a_public_key_is_refused_as_an_hmac_secret(rsa_pair):
    with pytest.raises(KeyFormatError, match="never used as an HMAC secret"):
        ji.VerificationKey.from_secret(rsa_pair.public_pem().decode())
    with pytest.raises(KeyFormatError, match="never used as an HMAC secret"):
        ji.VerificationKey.from_secret(json.dumps(rsa_pair.public_jwk()))


def test_es256_token_verifies_with_pem_jwk_and_jwks(es256):
    token = jwt.encode(
        {"sub": "k", "exp": NOW + 600}, es256.private_key, algorithm="ES256", headers={"kid": es256.kid}
    )
    for key in (
        ji.VerificationKey.from_pem(es256.public_pem()),
        ji.VerificationKey.from_pem(es256.private_pem()),  # the public half of a private key is fine
        ji.VerificationKey.from_jwk(es256.public_jwk()),
        ji.VerificationKey.from_jwks({"keys": [es256.public_jwk()]}),
    ):
        result = ji.inspect_token(token, key=key, now=NOW)
        assert result.signature_valid is True, key.kind
        assert result.verified_with


def test_jwks_picks_the_key_by_kid(es256):
    other = keys.generate_key_pair("ES256")
    jwks = {"keys": [other.public_jwk(), es256.public_jwk()]}
    token = jwt.encode({"sub": "k"}, es256.private_key, algorithm="ES256", headers={"kid": es256.kid})
    result = ji.inspect_token(token, key=ji.VerificationKey.from_jwks(jwks), now=NOW)
    assert result.signature_valid is True
    assert es256.kid in result.verified_with


def test_jwks_without_the_tokens_kid_explains_which_kid_is_missing(es256):
    token = jwt.encode({"sub": "k"}, es256.private_key, algorithm="ES256", headers={"kid": "rotated-away"})
    result = ji.inspect_token(
        token, key=ji.VerificationKey.from_jwks({"keys": [es256.public_jwk()]}), now=NOW
    )
    assert result.signature_valid is False
    assert result.signature_error == "no key in the JWKS has kid 'rotated-away'"


def test_a_token_without_kid_uses_the_only_key_of_a_jwks(es256):
    token = jwt.encode({"sub": "k"}, es256.private_key, algorithm="ES256")
    result = ji.inspect_token(
        token, key=ji.VerificationKey.from_jwks({"keys": [es256.public_jwk()]}), now=NOW
    )
    assert result.signature_valid is True


def test_a_token_without_kid_tries_the_fitting_keys_of_a_larger_jwks(es256, rsa_pair):
    token = jwt.encode({"sub": "k"}, es256.private_key, algorithm="ES256")
    other_ec = keys.generate_key_pair("ES256")
    jwks = {"keys": [rsa_pair.public_jwk(), other_ec.public_jwk(), es256.public_jwk()]}
    assert ji.inspect_token(token, key=ji.VerificationKey.from_jwks(jwks), now=NOW).signature_valid is True
    stranger = keys.generate_key_pair("ES256")
    result = ji.inspect_token(
        jwt.encode({"sub": "k"}, stranger.private_key, algorithm="ES256"),
        key=ji.VerificationKey.from_jwks(jwks),
        now=NOW,
    )
    assert result.signature_valid is False
    assert "none of the 2 keys" in result.signature_error


def test_encryption_keys_in_a_jwks_are_not_used_for_signatures(es256):
    token = jwt.encode({"sub": "k"}, es256.private_key, algorithm="ES256", headers={"kid": es256.kid})
    enc_only = {"keys": [dict(es256.public_jwk(), use="enc")]}
    result = ji.inspect_token(token, key=ji.VerificationKey.from_jwks(enc_only), now=NOW)
    assert result.signature_valid is False


def test_algorithm_must_fit_the_key_type(es256, rsa_pair):
    rs = jwt.encode({"sub": "k"}, rsa_pair.private_key, algorithm="RS256")
    result = ji.inspect_token(rs, key=ji.VerificationKey.from_pem(es256.public_pem()), now=NOW)
    assert result.signature_valid is False
    assert (
        result.signature_error == "the token is signed with RS256, but the EC P-256 key verifies only ES256"
    )


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
def test_an_rsa_key_verifies_every_rsa_algorithm(rsa_pair, alg):
    token = jwt.encode({"sub": "k"}, rsa_pair.private_key, algorithm=alg)
    assert ji.inspect_token(token, key=ji.VerificationKey.from_pem(rsa_pair.public_pem())).signature_valid


def test_ed25519_and_es384_tokens_verify():
    for alg in ("EdDSA", "ES384"):
        pair = keys.generate_key_pair(alg)
        token = jwt.encode({"sub": "k"}, pair.private_key, algorithm=alg)
        assert ji.inspect_token(token, key=ji.VerificationKey.from_jwk(pair.public_jwk())).signature_valid


def test_a_jwk_that_declares_its_alg_limits_the_allowed_algorithms(rsa_pair):
    ps = jwt.encode({"sub": "k"}, rsa_pair.private_key, algorithm="PS256")
    result = ji.inspect_token(ps, key=ji.VerificationKey.from_jwk(rsa_pair.public_jwk()))  # alg RS256
    assert result.signature_valid is False
    assert "verifies only RS256" in result.signature_error


def test_a_tampered_payload_does_not_verify(es256):
    token = jwt.encode({"sub": "alice"}, es256.private_key, algorithm="ES256")
    head, _, sig = token.split(".")
    forged_payload = b64(b'{"sub":"admin"}')
    tampered = f"{head}.{forged_payload}.{sig}"
    assert (
        ji.inspect_token(tampered, key=ji.VerificationKey.from_pem(es256.public_pem())).signature_valid
        is False
    )


def test_weak_hmac_secret_is_flagged_only_when_verifying_with_a_secret():
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):  # PyJWT agrees the secret is weak
        token = hs256({"sub": "x", "exp": NOW + 60}, secret="short")
    assert "weak-hmac-secret" not in ji.inspect_token(token, now=NOW).warning_codes
    result = ji.inspect_token(token, key=ji.VerificationKey.from_secret("short"), now=NOW)
    assert result.signature_valid is True
    assert "weak-hmac-secret" in result.warning_codes
    strong = ji.inspect_token(
        hs256({"exp": NOW + 60}), key=ji.VerificationKey.from_secret(STRONG_SECRET), now=NOW
    )
    assert "weak-hmac-secret" not in strong.warning_codes


def test_crit_header_is_reported_but_does_not_decide_the_signature():
    token = jwt.encode({"sub": "x"}, STRONG_SECRET, algorithm="HS256", headers={"crit": ["exp"], "exp": 1})
    result = ji.inspect_token(token, key=ji.VerificationKey.from_secret(STRONG_SECRET), now=NOW)
    assert result.signature_valid is True
    assert "crit-header" in result.warning_codes


# --------------------------------------------------------------------------- header warnings


def test_key_pointing_headers_are_shown_and_never_trusted(es256):
    attacker = keys.generate_key_pair("ES256")
    token = jwt.encode(
        {"sub": "admin"},
        attacker.private_key,
        algorithm="ES256",
        headers={
            "jku": "https://attacker.example/jwks.json",
            "x5u": "https://attacker.example/c.pem",
            "jwk": attacker.public_jwk(),
        },
    )
    result = ji.inspect_token(token, key=ji.VerificationKey.from_pem(es256.public_pem()), now=NOW)
    assert {"jku-header", "x5u-header", "jwk-header"} <= set(result.warning_codes)
    assert result.signature_valid is False  # the embedded key was not used


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../dev/null",
        "keys\\prod",
        "a' OR '1'='1",
        'k"; DROP TABLE keys; --',
        "k|cat /etc/passwd",
        "k\x00",
        "x/*comment*/",
        "k$(id)",
    ],
)
def test_suspicious_kids_are_flagged(kid):
    token = hs256({"exp": NOW + 60}, kid=kid)
    assert "suspicious-kid" in ji.inspect_token(token, now=NOW).warning_codes


@pytest.mark.parametrize(
    "kid",
    [
        "2011-04-29",
        "key-1",
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
        "6z3qaqwrCaxFgEk63x0_AIs1p3Ffy70M--0SZyQY52M",  # a thumbprint with "--" in it
        "0b1f2e9c-6c44-4e1f-9c39-5f0b4d5c2a11",
        "rsa.2024.v2",
    ],
)
def test_ordinary_kids_are_not_flagged(kid):
    token = hs256({"exp": NOW + 60}, kid=kid)
    assert "suspicious-kid" not in ji.inspect_token(token, now=NOW).warning_codes


def test_every_warning_has_a_sentence():
    token = make_token(
        {"alg": "none", "jku": "x", "x5u": "y", "jwk": {}, "kid": "../k", "crit": ["b"]}, {"sub": 1}
    )
    result = ji.inspect_token(token, now=NOW)
    assert set(result.warning_codes) >= {
        "alg-none",
        "jku-header",
        "x5u-header",
        "jwk-header",
        "suspicious-kid",
        "crit-header",
        "no-exp",
    }
    for w in result.warnings:
        assert w.message[0].isupper() and w.message.endswith(".") and "\n" not in w.message


# --------------------------------------------------------------------------- times


def test_times_are_interpreted_in_utc_with_relative_wording():
    token = hs256({"iat": NOW - 60, "exp": NOW + 14 * 60, "nbf": NOW - 60})
    result = ji.inspect_token(token, now=NOW)
    assert result.expired is False
    assert result.expires_at.tzinfo is not None and result.expires_at.utcoffset().total_seconds() == 0
    assert result.lifetime == 15 * 60
    assert ji.humanize_relative(result.expires_in()) == "in 14 min"
    assert result.to_json()["issued_at"] == "2024-05-20T10:12:20Z"
    assert result.warning_codes == []


def test_a_token_exactly_at_its_exp_is_expired():
    result = ji.inspect_token(hs256({"exp": NOW}), now=NOW)
    assert result.expired is True


def test_no_exp_is_flagged_and_expired_is_null():
    result = ji.inspect_token(hs256({"sub": "x"}), now=NOW)
    assert result.expired is None and result.expires_at is None
    assert result.warning_codes == ["no-exp"]
    assert result.to_json()["expires_at"] is None


def test_long_lifetime_is_flagged():
    result = ji.inspect_token(hs256({"iat": NOW, "exp": NOW + 30 * 86400}), now=NOW)
    assert "long-lifetime" in result.warning_codes
    assert "30 d" in next(w.message for w in result.warnings if w.code == "long-lifetime")
    no_iat = ji.inspect_token(hs256({"exp": NOW + 2 * 86400}), now=NOW)
    assert "long-lifetime" in no_iat.warning_codes
    day = ji.inspect_token(hs256({"iat": NOW, "exp": NOW + 86400}), now=NOW)
    assert "long-lifetime" not in day.warning_codes


def test_not_yet_valid_is_flagged():
    result = ji.inspect_token(hs256({"nbf": NOW + 300, "exp": NOW + 900}), now=NOW)
    assert "not-yet-valid" in result.warning_codes
    assert "in 5 min" in next(w.message for w in result.warnings if w.code == "not-yet-valid")


@pytest.mark.parametrize("exp", ["1716200000", True, None, [1], 10**30, -(10**30)])
def test_unusable_time_claims_are_reported_not_crashed_on(exp):
    result = ji.inspect_token(hs256({"exp": exp}), now=NOW)
    assert result.expires_at is None and result.expired is None
    assert "bad-time-claim" in result.warning_codes


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (14 * 60 + 30, "in 14 min"),
        (-3 * 3600 - 10, "3 h ago"),
        (45, "in 45 s"),
        (-2 * 86400 - 5, "2 d ago"),
        (0.3, "now"),
        (839.6, "in 14 min"),
        (-13.2 * 365.25 * 86400, "13 y ago"),
    ],
)
def test_humanize_relative(seconds, text):
    assert ji.humanize_relative(seconds) == text


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "the token is empty"),
        ("   ", "the token is empty"),
        ("abc", "found no dots"),
        ("a.b", "found 2"),
        ("a.b.c.d", "found 4"),
        ("a.b.c.d.e", "encrypted JWT (JWE"),
        (
            "eyJhbGciOiJIUzI1NiJ9.e%yJ.c2ln",
            "payload segment is not valid base64url (character '%' at position 2)",
        ),
        ("eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2l+", "signature segment is not valid base64url"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQabc.c2ln", "length is impossible"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln\u00e9", "character 'é'"),
    ],
)
def test_malformed_tokens_give_exact_friendly_errors(token, message):
    with pytest.raises(TokenFormatError) as info:
        ji.inspect_token(token)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("header", "payload", "message"),
    [
        ({"alg": "HS256"}, b"not json", "the payload is not valid JSON (Expecting value at line 1 column 1)"),
        (b"[1, 2]", {"a": 1}, "the header is an array, not a JSON object"),
        ({"alg": "HS256"}, b'"just a string"', "the payload is a string, not a JSON object"),
        ({"alg": "HS256"}, b"42", "the payload is a number, not a JSON object"),
        ({"alg": "HS256"}, b"null", "the payload is null, not a JSON object"),
        ({"alg": "HS256"}, b"\xff\xfe{}", "does not decode to UTF-8"),
        ({"alg": "HS256"}, b'{"a": NaN}', "NaN is not valid JSON"),
        ({"alg": "HS256"}, b'{"a": ' + b"9" * 5000 + b"}", "too large"),
        ({"alg": "HS256"}, b'{"a":' + b"[" * 20_000 + b"]" * 20_000 + b"}", "nested too deeply"),
        ({"alg": "HS256"}, b'{"a":' + b"[" * 200 + b"]" * 200 + b"}", "nested too deeply"),
    ],
)
def test_undecodable_segments_give_exact_friendly_errors(header, payload, message):
    with pytest.raises(TokenFormatError, match=None) as info:
        ji.decode_unverified(make_token(header, payload))
    assert message in str(info.value)


def test_tokens_over_64_kib_are_refused():
    big = make_token({"alg": "HS256"}, {"pad": "x" * (ji.MAX_TOKEN_BYTES)})
    with pytest.raises(TokenFormatError, match="limit is 65536"):
        ji.inspect_token(big)


def test_a_pasted_bearer_header_and_whitespace_are_tolerated():
    wrapped = f"  Bearer {RFC7515_A1_TOKEN[:40]}\n{RFC7515_A1_TOKEN[40:]}\n"
    assert ji.decode_unverified(wrapped)[1]["iss"] == "joe"
    assert ji.inspect_token(f'"{RFC7515_A1_TOKEN}"').payload["iss"] == "joe"
    assert ji.inspect_token(f"Authorization: Bearer {RFC7515_A1_TOKEN}").alg == "HS256"


# --------------------------------------------------------------------------- finding JWTs in bodies


def test_find_jwt_in_a_nested_json_body():
    body = json.dumps({"success": True, "data": {"user": {"id": 7}, "tokens": [{"value": RFC7515_A1_TOKEN}]}})
    assert ji.find_jwt(body) == RFC7515_A1_TOKEN


def test_find_jwt_prefers_the_access_token_over_the_refresh_token():
    refresh = hs256({"typ": "refresh"})
    access = hs256({"typ": "access"})
    body = json.dumps({"refreshToken": refresh, "accessToken": access})
    assert ji.find_jwt(body) == access
    body = json.dumps({"refresh_token": refresh, "result": access})
    assert ji.find_jwt(body) == access


def test_find_jwt_prefers_the_access_token_over_an_id_token_that_comes_first():
    identity = hs256({"typ": "id"})
    access = hs256({"typ": "access"})
    assert ji.find_jwt(json.dumps({"idToken": identity, "accessToken": access})) == access
    assert ji.find_jwt(json.dumps({"id_token": identity, "other": hs256({"x": 1})})) == identity


def test_find_jwt_in_raw_text_and_in_sentences():
    assert ji.find_jwt(RFC7515_A1_TOKEN + "\n") == RFC7515_A1_TOKEN
    assert ji.find_jwt(f"Bearer {RFC7515_A1_TOKEN}") == RFC7515_A1_TOKEN
    assert ji.find_jwt(f"Your token is: {RFC7515_A1_TOKEN}. Keep it safe.") == RFC7515_A1_TOKEN
    assert ji.find_jwt(json.dumps({"message": f"token={RFC7515_A1_TOKEN}"})) == RFC7515_A1_TOKEN
    assert ji.find_jwt(f'"{RFC7515_A1_TOKEN}"') == RFC7515_A1_TOKEN


def test_find_jwt_ignores_lookalikes():
    assert (
        ji.find_jwt(json.dumps({"host": "www.example.com", "v": "1.2.3", "fake": "eyJhbGc.eyJzdWIi.sig"}))
        is None
    )
    assert ji.find_jwt("") is None
    assert ji.find_jwt("no token here") is None
    assert (
        ji.find_jwt("eyJub3QiOiJjbG9zZWQ.eyJ4IjoxfQ.c2ln eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
        == "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"
    )


def test_looks_like_jwt():
    assert ji.looks_like_jwt(RFC7515_A1_TOKEN)
    assert ji.looks_like_jwt(f"Bearer {RFC7515_A1_TOKEN}")
    assert not ji.looks_like_jwt("opaque-token-123")
    assert not ji.looks_like_jwt("a.b.c")
    assert not ji.looks_like_jwt(RFC7515_A1_TOKEN + ".extra")


# --------------------------------------------------------------------------- key files and JWKS URLs


def test_key_files_are_sniffed(tmp_path, es256):
    pem = tmp_path / "key.pem"
    pem.write_bytes(es256.public_pem())
    jwk = tmp_path / "key.jwk.json"
    jwk.write_text(json.dumps(es256.public_jwk()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [es256.public_jwk()]}))
    assert [ji.load_key_file(p).kind for p in (pem, jwk, jwks)] == ["pem", "jwk", "jwks"]
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    with pytest.raises(KeyFormatError, match="expected a PEM, a JWK or a JWKS"):
        ji.load_key_file(junk)
    with pytest.raises(InputError, match="no such key file"):
        ji.load_key_file(tmp_path / "missing.pem")
    with pytest.raises(KeyFormatError, match='no "keys" list'):
        ji.VerificationKey.from_jwks({"keys": "nope"})


class _JwksServer:
    def __init__(self, routes: dict[str, tuple[int, bytes]]):
        routes_ = routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = routes_.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_jwks_is_fetched_over_real_http_and_verifies(es256):
    jwks = json.dumps({"keys": [es256.public_jwk()]}).encode()
    with _JwksServer({"/.well-known/jwks.json": (200, jwks), "/junk": (200, b"<html>")}) as server:
        key = ji.fetch_jwks(server.url + "/.well-known/jwks.json")
        token = jwt.encode({"sub": "k"}, es256.private_key, algorithm="ES256", headers={"kid": es256.kid})
        assert ji.inspect_token(token, key=key).signature_valid is True
        with pytest.raises(ProviderResponseError, match="answered HTTP 404"):
            ji.fetch_jwks(server.url + "/missing")
        with pytest.raises(KeyFormatError, match="not valid JSON"):
            ji.fetch_jwks(server.url + "/junk")
    with pytest.raises(InputError, match="must start with https://"):
        ji.fetch_jwks("file:///etc/passwd")
