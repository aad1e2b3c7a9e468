"""DPoP proofs and the pure decisions around them (jose/dpop), checked by PyJWT independently."""

from __future__ import annotations

import base64
import hashlib
import json

import jwt
import pytest

from workbench.core.errors import DpopError
from workbench.core.jose.dpop import (
    DpopKey,
    NonceBook,
    asks_for_nonce,
    binding_problem,
    describe_binding,
    htu,
)
from workbench.core.jose.keys import generate_key_pair


@pytest.mark.parametrize("alg", ["ES256", "ES384", "RS256", "EdDSA"])
def test_a_proof_verifies_with_the_jwk_in_its_own_header(alg):
    key = DpopKey.from_pem(generate_key_pair(alg).private_pem())
    proof = key.proof("post", "https://AS.example/token?x=1#frag", now=1_700_000_000, nonce="n-1")
    header = jwt.get_unverified_header(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == alg
    assert not {"d", "p", "q", "kid", "use"} & set(header["jwk"])
    claims = jwt.decode(
        proof, jwt.PyJWK(header["jwk"], algorithm=alg).key, algorithms=[alg], options={"verify_iat": False}
    )
    assert claims["htm"] == "POST" and claims["htu"] == "https://as.example/token"
    assert claims["iat"] == 1_700_000_000 and claims["nonce"] == "n-1" and "ath" not in claims


def test_ath_is_the_base64url_sha256_of_the_access_token_and_each_jti_is_fresh():
    key = DpopKey.from_pem(generate_key_pair("ES256").private_pem())
    one = jwt.decode(
        key.proof("GET", "https://rs/x", now=1, access_token="tok"), options={"verify_signature": False}
    )
    two = jwt.decode(
        key.proof("GET", "https://rs/x", now=1, access_token="tok"), options={"verify_signature": False}
    )
    want = base64.urlsafe_b64encode(hashlib.sha256(b"tok").digest()).rstrip(b"=").decode()
    assert one["ath"] == two["ath"] == want and one["jti"] != two["jti"]


def test_htu_needs_an_absolute_http_url():
    assert htu("http://127.0.0.1:8080") == "http://127.0.0.1:8080/"
    with pytest.raises(DpopError, match="absolute http"):
        htu("/relative?secret=1")


def test_a_key_that_is_not_a_key_is_one_line():
    with pytest.raises(DpopError, match="not a usable private key"):
        DpopKey.from_pem("not a pem")


@pytest.mark.parametrize(
    ("status", "headers", "body", "asks"),
    [
        (400, {"dpop-nonce": "n"}, json.dumps({"error": "use_dpop_nonce"}).encode(), True),
        (401, {"dpop-nonce": "n", "www-authenticate": 'DPoP error="use_dpop_nonce"'}, b"", True),
        (400, {}, json.dumps({"error": "use_dpop_nonce"}).encode(), False),  # no nonce to retry with
        (400, {"dpop-nonce": "n"}, json.dumps({"error": "invalid_grant"}).encode(), False),
        (401, {"dpop-nonce": "n", "www-authenticate": 'DPoP error="invalid_token"'}, b"", False),
        (200, {"dpop-nonce": "n"}, b"{}", False),
    ],
)
def test_which_answers_ask_for_a_nonce(status, headers, body, asks):
    assert asks_for_nonce(status, headers, body) is asks


def test_the_nonce_book_keeps_the_newest_sane_nonce_per_origin():
    book = NonceBook()
    assert book.learn("https://a", {"dpop-nonce": "one"}) == "one"
    book.learn("https://a", {"dpop-nonce": "two"})
    book.learn("https://a", {"dpop-nonce": "x" * 5000})  # a hostile size is ignored
    book.learn("https://a", {"dpop-nonce": "bad\nline"})
    assert book.get("https://a") == "two" and book.get("https://b") is None


def test_a_token_is_kept_only_when_bound_to_the_profile_key():
    jkt = "abc"
    assert binding_problem("DPoP", {"cnf": {"jkt": "abc"}}, jkt, "mint") is None
    assert binding_problem("dpop", None, jkt, "mint") is None  # opaque: cannot be checked here
    assert "answered a Bearer token" in binding_problem("Bearer", {"cnf": {"jkt": "abc"}}, jkt, "mint")
    assert "dropped the binding" in binding_problem("DPoP", {"sub": "x"}, jkt, "mint")
    assert "bound to another key" in binding_problem("DPoP", {"cnf": {"jkt": "zzz"}}, jkt, "mint")


def test_the_inspector_line_for_a_binding():
    assert describe_binding("a", "a").startswith("bound to this profile's DPoP key")
    assert "ANOTHER" in describe_binding("a", "b")
    assert describe_binding(None, "b").startswith("not DPoP-bound")
    assert describe_binding("a", None) == "bound to DPoP key a (this profile has no DPoP key to compare)"
    assert (
        describe_binding("a", None, profile_named=False)
        == "bound to DPoP key a (no profile named to compare it with)"
    )


def test_nonces_are_shared_through_their_file_and_a_broken_file_is_an_empty_book(tmp_path):
    path = tmp_path / "state" / "dpop-nonces.json"
    NonceBook(path).learn("https://as", {"dpop-nonce": "n-1"})
    assert NonceBook(path).get("https://as") == "n-1"  # another process
    path.write_text("{not json")
    assert NonceBook(path).get("https://as") is None


def test_the_token_tab_says_what_a_token_is_bound_to():
    import jwt as pyjwt

    from workbench.core.engine.types import TokenResult
    from workbench.core.operations import sender_binding

    def token(claims, kind="Bearer", text=None):
        text = text or pyjwt.encode(claims, "k" * 32, algorithm="HS256")
        return TokenResult("p", text, kind, None, None, None, "mint", None)

    assert sender_binding(None) is None
    assert sender_binding(token({"sub": "a"})) is None
    assert sender_binding(token({"cnf": {"jkt": "J"}}, "DPoP")).startswith("DPoP key J (cnf.jkt)")
    assert sender_binding(token({"cnf": {"x5t#S256": "X"}})).startswith("client certificate X (cnf.x5t#S256)")
    assert sender_binding(token({}, "DPoP", text="opaque")).startswith("a DPoP key (an opaque token")
    assert sender_binding(token({}, "Bearer", text="opaque")) is None
