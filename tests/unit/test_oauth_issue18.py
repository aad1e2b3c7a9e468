"""The pure pieces behind issue 18: issuer templates, the client assertion's algorithm, the extra
authorization parameters. (End to end against oidc-provider: tests/oidc/test_issue18.py.)"""

from __future__ import annotations

import pytest

from workbench.core.errors import InputError
from workbench.core.jose import keys
from workbench.core.oauth.params import authorization_params, parse_param, redirect_uri_to_register
from workbench.core.oauth.protocol import assertion_alg, issuer_for_tenant, matches_issuer

TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [
        ("https://login.microsoftonline.com/common/v2.0", True),
        ("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", True),
        ("https://login.microsoftonline.com/a/b/v2.0", False),  # one segment, nothing looser
        ("https://login.microsoftonline.com//v2.0", False),
        ("https://evil.example/common/v2.0", False),
        ("https://login.microsoftonline.com/common/v2.0/extra", False),
        ("https://login.microsoftonline.com/%2e%2e/v2.0", False),
    ],
)
def test_an_issuer_template_matches_one_tenant_segment_only(candidate, ok):
    assert matches_issuer(TEMPLATE, candidate) is ok


def test_a_plain_issuer_matches_itself_only():
    assert matches_issuer("https://as.example/", "https://as.example")
    assert not matches_issuer("https://as.example", "https://as.example/other")


@pytest.mark.parametrize("tid", [None, 42, "", "a/b", "../x", "x" * 200])
def test_a_tid_that_is_not_one_plain_segment_fills_no_template(tid):
    assert issuer_for_tenant(TEMPLATE, tid) is None


def test_the_assertion_algorithm_comes_from_what_the_issuer_takes():
    rsa = keys.generate_key_pair("RS256").private_key
    ec384 = keys.generate_key_pair("ES384").private_key
    assert assertion_alg(rsa, ()) == "RS256"
    assert assertion_alg(rsa, ("PS256", "ES256")) == "PS256"
    with pytest.raises(InputError, match=r"takes client assertions signed with RS256, PS256, ES256.*ES384"):
        assertion_alg(ec384, ("RS256", "PS256", "ES256"))


def test_offline_access_asks_for_consent_unless_a_prompt_is_given():
    assert authorization_params({}, scope="openid offline_access").pairs == (("prompt", "consent"),)
    given = authorization_params({"prompt": "login"}, scope="openid offline_access")
    assert given.pairs == (("prompt", "login"),)
    assert authorization_params({}, scope="openid").pairs == ()


def test_settings_then_params_in_order_and_max_age_is_checked():
    vars_ = {
        "login_hint": "carol",
        "max_age": "600",
        "authorization_params": "domain_hint=x.com&access_type=offline",
    }
    found = authorization_params(vars_, {"login_hint": "dave"})
    assert dict(found.pairs) == {
        "login_hint": "dave",
        "max_age": "600",
        "domain_hint": "x.com",
        "access_type": "offline",
    }
    assert found.max_age == 600
    with pytest.raises(InputError, match="max_age"):
        authorization_params({"max_age": "soon"})


@pytest.mark.parametrize("name", ["state", "redirect_uri", "code_challenge", "nonce", "client_id", "scope"])
def test_what_the_login_sets_itself_cannot_be_given(name):
    with pytest.raises(InputError, match=f"--param {name}: the login sets it itself"):
        authorization_params({}, {name: "x"})
    with pytest.raises(InputError, match=f"authorization_params: {name}: the login sets it itself"):
        authorization_params({"authorization_params": f"{name}=x"})


def test_param_parsing_and_the_redirect_uri_to_register():
    assert parse_param("login_hint=a=b") == ("login_hint", "a=b")
    with pytest.raises(InputError, match="--param expects K=V"):
        parse_param("noequals")
    assert redirect_uri_to_register({}) == "http://127.0.0.1/callback"
    assert redirect_uri_to_register({"redirect_port": "8765"}) == "http://127.0.0.1:8765/callback"
