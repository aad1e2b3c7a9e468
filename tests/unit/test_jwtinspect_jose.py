"""JOSE objects beyond the JSON JWT, against published vectors (RFC 7520, the JOSE cookbook):
a JWS over plain text is read and verified, a JWE shows its header, nested tokens and x5c
chains are shown (never trusted)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import jwt
import pytest

from workbench.core.errors import InputError, ProviderResponseError, TokenFormatError
from workbench.core.jose import inspect as ji
from workbench.core.jose import keys

VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "rfc7520.json").read_text(encoding="utf-8"))
PAYLOAD = VECTORS["payload"]
NOW = 1_716_200_000.0


def jwk_for(alg: str) -> dict:
    return {
        "RS256": VECTORS["keys"]["rsa_public"],
        "PS384": VECTORS["keys"]["rsa_public"],
        "ES512": VECTORS["keys"]["ec_public"],
        "HS256": VECTORS["keys"]["oct"],
    }[alg]


@pytest.mark.parametrize("alg", ["RS256", "PS384", "ES512", "HS256"])
def test_rfc7520_text_payload_is_shown_as_text_and_verified(alg):
    token = VECTORS["jws"][alg]
    result = ji.inspect_token(token, key=ji.VerificationKey.from_jwk(jwk_for(alg)), now=NOW)
    assert result.kind == "JWS"
    assert result.alg == alg
    assert result.signature_valid is True, result.signature_error
    assert result.payload == PAYLOAD
    assert result.payload_format == "text"
    assert result.claims == {}
    assert result.expires_at is None and result.expired is None
    assert "payload-not-claims" in result.warning_codes
    assert "no-exp" not in result.warning_codes  # there are no claims to lack an exp


@pytest.mark.parametrize("alg", ["RS256", "ES512", "HS256"])
def test_rfc7520_text_payload_with_the_wrong_key_is_invalid(alg):
    token = VECTORS["jws"][alg]
    key = {
        "RS256": lambda: ji.VerificationKey.from_jwk(keys.generate_key_pair("RS256").public_jwk()),
        "ES512": lambda: ji.VerificationKey.from_pem(_p521_public_pem()),
        "HS256": lambda: ji.VerificationKey.from_secret("y" * 32),
    }[alg]()
    result = ji.inspect_token(token, key=key, now=NOW)
    assert result.signature_valid is False
    assert result.payload == PAYLOAD


def _p521_public_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return (
        ec.generate_private_key(ec.SECP521R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def test_a_tampered_text_payload_no_longer_verifies():
    header, _payload, signature = VECTORS["jws"]["HS256"].split(".")
    forged = base64.urlsafe_b64encode(PAYLOAD.replace("Frodo", "Sam").encode()).rstrip(b"=").decode()
    result = ji.inspect_token(
        f"{header}.{forged}.{signature}", key=ji.VerificationKey.from_jwk(jwk_for("HS256"))
    )
    assert result.signature_valid is False
    assert "Sam" in result.payload


def test_a_binary_payload_is_given_as_base64url_and_still_verified():
    secret = "binary-payload-secret-0123456789abcdef"
    raw = bytes(range(256))
    token = jwt.api_jws.encode(raw, secret, algorithm="HS256")
    result = ji.inspect_token(token, key=ji.VerificationKey.from_secret(secret), now=NOW)
    assert result.signature_valid is True
    assert result.payload_format == "bytes"
    assert keys.b64url_decode(result.payload) == raw
    assert result.to_json()["payload"] == result.payload


def test_decode_unverified_stays_strict_for_callers_that_need_claims():
    with pytest.raises(TokenFormatError, match="the payload is not valid JSON"):
        ji.decode_unverified(VECTORS["jws"]["HS256"])
    assert not ji.looks_like_jwt(VECTORS["jws"]["HS256"])


# --------------------------------------------------------------------------- JWE


def test_rfc7520_jwe_is_recognised_and_its_header_shown():
    vector = VECTORS["jwe_rsa_oaep_a256gcm"]
    result = ji.inspect_token(vector["compact"], now=NOW)
    assert result.kind == "JWE"
    assert result.header == vector["protected"]
    assert result.alg == "RSA-OAEP"
    assert result.payload is None and result.payload_format == "encrypted"
    assert result.signature_valid is None
    assert result.warning_codes[-1] == "encrypted"
    assert "enc A256GCM" in result.warnings[-1].message
    data = result.to_json()
    assert data["type"] == "JWE" and data["payload"] is None and data["header"]["enc"] == "A256GCM"


def test_a_key_given_for_a_jwe_verifies_nothing_and_says_so():
    result = ji.inspect_token(
        VECTORS["jwe_rsa_oaep_a256gcm"]["compact"], key=ji.VerificationKey.from_jwk(jwk_for("RS256"))
    )
    assert result.signature_valid is None
    assert "jwe-not-verified" in result.warning_codes


def test_a_malformed_jwe_says_it_is_a_jwe_and_what_is_wrong():
    with pytest.raises(
        TokenFormatError,
        match=r"\(JWE, 5 segments\), but the initialization vector segment is not valid base64url",
    ):
        ji.inspect_token("eyJhbGciOiJkaXIifQ..%%.abc.def")


# --------------------------------------------------------------------------- nested


def test_rfc7520_section6_jwe_says_it_wraps_a_nested_jwt():
    result = ji.inspect_token(VECTORS["nesting"]["encrypted"], now=NOW)
    assert result.kind == "JWE" and result.header["cty"] == "JWT"
    assert "nested JWT" in result.warnings[-1].message


def test_rfc7520_section6_signed_jwt_verifies_with_its_key():
    nesting = VECTORS["nesting"]
    result = ji.inspect_token(
        nesting["signed"], key=ji.VerificationKey.from_jwk(nesting["signing_key"]), now=NOW
    )
    assert result.signature_valid is True
    assert result.payload == nesting["claims"]
    assert result.expired is True


def test_a_jws_carrying_a_jwt_shows_the_inner_token_not_checked_with_a_key_of_another_type():
    nesting = VECTORS["nesting"]
    oct_key = jwk_for("HS256")
    secret = keys.b64url_decode(oct_key["k"])
    outer = jwt.api_jws.encode(nesting["signed"].encode(), secret, algorithm="HS256", headers={"cty": "JWT"})
    result = ji.inspect_token(outer, key=ji.VerificationKey.from_jwk(oct_key), now=NOW)
    assert result.signature_valid is True
    assert result.nested is not None
    assert result.nested.alg == "PS256"
    assert result.nested.payload == nesting["claims"]
    # The HMAC key was meant for the outer token: the PS256 one inside is not checked, not "invalid".
    assert result.nested.signature_valid is False and result.nested.signature_unchecked
    assert "PS256" in result.nested.signature_error
    assert result.nested.expired is True
    assert "nested-token" in result.warning_codes
    assert "payload-not-claims" not in result.warning_codes
    assert result.to_json()["nested"]["payload"] == nesting["claims"]


@pytest.mark.parametrize(("inner_secret", "valid"), [("s" * 32, True), ("x" * 32, False)])
def test_the_inner_token_of_a_nested_jws_is_verified_with_the_key_given(inner_secret, valid):
    inner = jwt.encode({"sub": "inner", "exp": NOW + 60}, inner_secret, algorithm="HS256")
    outer = jwt.api_jws.encode(inner.encode(), "s" * 32, algorithm="HS256", headers={"cty": "JWT"})
    result = ji.inspect_token(outer, key=ji.VerificationKey.from_secret("s" * 32), now=NOW)
    assert result.signature_valid is True
    assert result.nested is not None and result.nested.claims["sub"] == "inner"
    assert result.nested.signature_valid is valid and not result.nested.signature_unchecked
    assert result.to_json()["nested"]["signature_valid"] is valid
    nested_warning = next(w for w in result.warnings if w.code == "nested-token")
    assert "checked with the key given" in nested_warning.message


def test_without_a_key_the_inner_token_says_it_was_not_checked():
    inner = jwt.encode({"sub": "inner"}, "s" * 32, algorithm="HS256")
    outer = jwt.api_jws.encode(inner.encode(), "s" * 32, algorithm="HS256", headers={"cty": "JWT"})
    result = ji.inspect_token(outer, now=NOW)
    assert result.nested is not None and result.nested.signature_valid is None
    assert "not checked" in next(w.message for w in result.warnings if w.code == "nested-token")


def test_a_nested_token_without_cty_is_still_shown_with_a_warning():
    inner = jwt.encode({"sub": "inner"}, "k" * 32, algorithm="HS256")
    outer = jwt.api_jws.encode(inner.encode(), "o" * 32, algorithm="HS256")
    result = ji.inspect_token(outer)
    assert result.nested is not None and result.nested.payload == {"sub": "inner"}
    assert "nested-without-cty" in result.warning_codes


def test_nesting_is_bounded():
    token = jwt.encode({"sub": "core"}, "k" * 32, algorithm="HS256")
    for _ in range(6):
        token = jwt.api_jws.encode(token.encode(), "k" * 32, algorithm="HS256", headers={"cty": "JWT"})
    result = ji.inspect_token(token)
    depth, node = 0, result
    while node.nested is not None:
        depth, node = depth + 1, node.nested
    assert depth == ji.inspection.MAX_NESTING - 1
    assert "nested-too-deep" in node.warning_codes


def test_cty_jwt_over_a_non_token_payload_is_a_warning_not_an_error():
    token = jwt.api_jws.encode(b"hello", "k" * 32, algorithm="HS256", headers={"cty": "JWT"})
    result = ji.inspect_token(token)
    assert result.nested is None
    assert "nested-unreadable" in result.warning_codes


# --------------------------------------------------------------------------- x5c


def _certificate_chain():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Example Root CA"))
        .issuer_name(name("Example Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("signer.example"))
        .issuer_name(name("Example Root CA"))
        .public_key(leaf_key.public_key())
        .serial_number(0x2A)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    chain = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in (leaf, ca)]
    return leaf_key, chain


def test_an_x5c_chain_is_described_cert_by_cert_and_never_trusted():
    leaf_key, chain = _certificate_chain()
    token = jwt.encode({"sub": "x"}, leaf_key, algorithm="ES256", headers={"x5c": [*chain, "not base64!"]})
    result = ji.inspect_token(token, now=NOW)
    assert result.signature_valid is None  # the chain's own key was not used to verify anything
    assert "x5c-header" in result.warning_codes
    leaf, ca, junk = result.certificates
    assert leaf.subject == "CN=signer.example" and leaf.issuer == "CN=Example Root CA"
    assert not leaf.self_issued and ca.self_issued
    assert ji.iso_utc(leaf.not_after) == "2024-01-31T00:00:00Z"
    assert leaf.validity_at(NOW) == "expired" and ca.validity_at(NOW) == "valid"
    assert leaf.serial == "2a" and len(leaf.sha256) == 64
    assert junk.error is not None and "base64" in junk.error
    listed = result.to_json()["certificates"]
    assert [c.get("subject") for c in listed] == ["CN=signer.example", "CN=Example Root CA", None]


def test_an_x5c_chain_does_not_make_a_wrong_key_pass():
    leaf_key, chain = _certificate_chain()
    token = jwt.encode({"sub": "x"}, leaf_key, algorithm="ES256", headers={"x5c": chain})
    other = keys.generate_key_pair("ES256").public_pem()
    assert ji.inspect_token(token, key=ji.VerificationKey.from_pem(other)).signature_valid is False


# --------------------------------------------------------------------------- OIDC discovery


@pytest.mark.parametrize(
    ("issuer", "url"),
    [
        ("https://issuer.example", "https://issuer.example/.well-known/openid-configuration"),
        ("https://issuer.example/tenant/", "https://issuer.example/tenant/.well-known/openid-configuration"),
        ("joe", None),
        ("file:///etc", None),
        ("https://x.example/?q=1", None),
        (42, None),
    ],
)
def test_discovery_url_from_an_issuer(issuer, url):
    assert ji.discovery_url(issuer) == url


def test_jwks_uri_is_discovered_from_the_issuer_over_real_http():
    from tests.unit.test_jwtinspect import _JwksServer

    routes: dict[str, tuple[int, bytes]] = {}
    with _JwksServer(routes) as server:
        routes["/.well-known/openid-configuration"] = (
            200,
            json.dumps({"issuer": server.url, "jwks_uri": server.url + "/keys"}).encode(),
        )
        routes["/bad/.well-known/openid-configuration"] = (200, b'{"issuer": "x"}')
        assert ji.discover_jwks_uri(server.url) == server.url + "/keys"
        with pytest.raises(ProviderResponseError, match="names no http"):
            ji.discover_jwks_uri(server.url + "/bad")
        with pytest.raises(ProviderResponseError, match="answered HTTP 404"):
            ji.discover_jwks_uri(server.url + "/missing")
    with pytest.raises(InputError, match="not an https:// URL"):
        ji.discover_jwks_uri("joe")
