"""The Inspector's "secret is base64" toggle (issue 21 item 13): an HMAC secret given as
base64url text is decoded before it verifies, through the one core verify the CLI's
`decode` uses (`operations.inspect_token`)."""

from __future__ import annotations

import base64

import jwt
import pytest

from workbench.core.errors import KeyFormatError
from workbench.core.jose.inspect import VerificationKey, registry
from workbench.core.operations import inspect_token

SECRET = bytes(range(200, 248))  # 48 bytes that are not UTF-8 text


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def token():
    return jwt.encode({"sub": "me"}, SECRET, algorithm="HS256")


def test_a_base64_secret_verifies_once_decoded(token):
    result = inspect_token(token, key_kind="secret", key_text=b64url(SECRET), secret_base64=True)
    assert result.signature_valid is True
    assert result.verified_with == "HMAC secret (base64-decoded)"


def test_the_same_text_taken_as_typed_does_not_verify(token):
    result = inspect_token(token, key_kind="secret", key_text=b64url(SECRET))
    assert result.signature_valid is False


@pytest.mark.parametrize("text", [base64.b64encode(SECRET).decode(), b64url(SECRET) + "=="])
def test_standard_base64_and_padding_are_accepted(token, text):
    assert inspect_token(token, key_kind="secret", key_text=text, secret_base64=True).signature_valid


def test_text_that_is_not_base64_says_so_in_one_line(token):
    with pytest.raises(KeyFormatError, match="not base64url") as caught:
        inspect_token(token, key_kind="secret", key_text="not base64 at all!", secret_base64=True)
    assert "not base64 at all" not in str(caught.value)  # the secret is never echoed


def test_from_secret_decodes_only_when_asked():
    assert VerificationKey.from_secret("YWJj", base64=True).candidates[0].material == b"abc"
    assert VerificationKey.from_secret("YWJj").candidates[0].material == b"YWJj"


REGISTERED = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "azp", "nonce", "auth_time", "scope", "cnf"]


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_claims_have_a_short_name_and_a_description(name):
    described = registry.describe_claim(name)
    assert described is not None
    short, sentence = described
    assert short and sentence.endswith(".") and len(sentence) > len(short)
