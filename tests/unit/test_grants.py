"""Extension grants as pure pieces: the JWT bearer assertion (RFC 7523 §2.1) each preset builds,
checked by an independent verifier (PyJWT with the public key, every claim); the token exchange
chain check (a missing profile or a cycle is one line before any request); token type names;
the preset schema of `[mint.assertion]`; the Google service-account key importer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import jwt as pyjwt
import pytest

from workbench.core.clock import FakeClock
from workbench.core.engine.answers import parse_token_response
from workbench.core.engine.flows import build_request
from workbench.core.errors import InputError, PresetError
from workbench.core.importers import parse_text
from workbench.core.jose.keys import generate_key_pair, jwk_thumbprint, public_jwk, public_pem
from workbench.core.oauth.grants import exchange_chain, token_type_urn
from workbench.core.profiles.catalog import PresetCatalog, parse_preset_text
from workbench.core.profiles.profile import Profile
from workbench.core.request.templating import MappingSecretSource, TemplateRenderer

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()
TOKEN_URI = "https://oauth2.googleapis.com/token"


@pytest.fixture(scope="module")
def catalog() -> PresetCatalog:
    return PresetCatalog.load_default()


@pytest.fixture(scope="module")
def rsa():
    return generate_key_pair("RS256", rsa_bits=2048)


def profile_of(catalog, preset: str, base_url: str, **variables: str) -> Profile:
    return Profile(
        name=preset, preset_name=preset, base_url=base_url, vars=variables, secret_names=(), settings={},
        override={}, preset=catalog.get(preset),
    )  # fmt: skip


def built(profile: Profile, secrets: dict[str, str]):
    renderer = TemplateRenderer(clock=FakeClock(NOW))
    return build_request(profile, "mint", secrets=MappingSecretSource(secrets), renderer=renderer)


def form_of(spec) -> dict[str, str]:
    return dict(parse_qsl(spec.content.decode()))


def test_a_google_service_account_assertion_carries_every_claim_google_asks_for(catalog, rsa):
    profile = profile_of(
        catalog, "google-service-account", "https://oauth2.googleapis.com",
        client_email="robot@proj.iam.gserviceaccount.com", private_key_id="0123abcd", token_uri=TOKEN_URI,
    )  # fmt: skip
    spec = built(profile, {"private_key": rsa.private_pem().decode()})
    assert spec.url == TOKEN_URI and spec.method == "POST"
    form = form_of(spec)
    assert set(form) == {"grant_type", "assertion"}  # Google takes these two and nothing else
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assertion = form["assertion"]
    header = pyjwt.get_unverified_header(assertion)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "0123abcd"}
    claims = pyjwt.decode(
        assertion,
        public_pem(rsa.private_key.public_key()),
        algorithms=["RS256"],
        audience=TOKEN_URI,
        issuer="robot@proj.iam.gserviceaccount.com",
        options={"require": ["iss", "sub", "aud", "iat", "exp", "jti", "scope"], "verify_exp": False},
    )
    assert claims["sub"] == "robot@proj.iam.gserviceaccount.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert claims["iat"] == int(NOW) and claims["exp"] == int(NOW) + 300
    assert assertion in spec.secret_values  # never logged: it is a credential for five minutes


def test_domain_wide_delegation_names_the_user_as_sub(catalog, rsa):
    profile = profile_of(
        catalog, "google-service-account", "https://oauth2.googleapis.com",
        client_email="robot@proj.iam.gserviceaccount.com", subject="ana@example.com", scope="a b",
    )  # fmt: skip
    claims = pyjwt.decode(form_of(built(profile, {"private_key": rsa.private_pem().decode()}))["assertion"],
                          options={"verify_signature": False})  # fmt: skip
    assert claims["sub"] == "ana@example.com" and claims["scope"] == "a b"


def test_the_generic_jwt_bearer_grant_defaults_to_the_client_and_the_token_url(catalog):
    ec = generate_key_pair("ES256")
    profile = profile_of(
        catalog,
        "oauth2-jwt-bearer",
        "https://auth.example.com",
        client_id="svc",
        scope="read",
        token_path="/token",
    )
    form = form_of(built(profile, {"private_key": ec.private_pem().decode()}))
    assert form["scope"] == "read" and form["client_id"] == "svc"  # client_auth none: identified only
    header = pyjwt.get_unverified_header(form["assertion"])
    assert header["alg"] == "ES256"
    assert header["kid"] == jwk_thumbprint(public_jwk(ec.private_key.public_key(), alg="ES256"))
    claims = pyjwt.decode(
        form["assertion"], public_pem(ec.private_key.public_key()), algorithms=["ES256"],
        audience="https://auth.example.com/token", options={"verify_exp": False},
    )  # fmt: skip
    assert claims["iss"] == claims["sub"] == "svc" and "scope" not in claims


def test_each_assertion_has_a_fresh_jti(catalog):
    ec = generate_key_pair("ES256")
    profile = profile_of(catalog, "oauth2-jwt-bearer", "https://auth.example.com", client_id="svc")
    secrets = {"private_key": ec.private_pem().decode()}
    first, second = (
        pyjwt.decode(form_of(built(profile, secrets))["assertion"], options={"verify_signature": False})[
            "jti"
        ]
        for _ in range(2)
    )
    assert first != second


def test_no_private_key_is_one_line_naming_keygen(catalog):
    profile = profile_of(catalog, "oauth2-jwt-bearer", "https://auth.example.com", client_id="svc")
    with pytest.raises(InputError) as caught:
        built(profile, {})
    assert "has no private_key to sign its JWT bearer assertion" in str(caught.value)
    assert "workbench keygen --profile oauth2-jwt-bearer" in caught.value.hint


def test_the_exchange_form_carries_the_subject_and_actor(catalog):
    profile = profile_of(catalog, "oauth2-token-exchange", "https://auth.example.com", client_id="c")
    renderer = TemplateRenderer(clock=FakeClock(NOW))
    exchange = {
        "subject_token": "subject-abc", "subject_token_type": token_type_urn("jwt", field="t"),
        "actor_token": "", "actor_token_type": "", "requested_token_type": "",
    }  # fmt: skip
    spec = build_request(
        profile, "mint", secrets=MappingSecretSource({"client_secret": "s3cret"}), renderer=renderer,
        exchange=exchange,
    )  # fmt: skip
    form = form_of(spec)
    assert form == {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": "subject-abc",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
    }  # empty actor/audience/resource/scope are left out; the client authenticates with Basic
    assert "subject-abc" in spec.secret_values


# ------------------------------------------------------------------ the exchange chain


def chain(profiles: dict[str, dict[str, str] | None]):
    """vars_of over a table: a dict (an exchange profile's vars), {} (another kind), absent: none."""
    return lambda name: profiles.get(name) if name in profiles else None


@pytest.mark.parametrize(
    ("profiles", "words"),
    [
        ({"a": {"subject_profile": "b"}}, "exchanges the token of profile 'b', which does not exist"),
        ({"a": {}}, "exchanges the token of another profile but names none"),
        ({"a": {"subject_profile": "a"}}, "cycle (a → a)"),
        ({"a": {"subject_profile": "b"}, "b": {"subject_profile": "a"}}, "cycle (a → b → a)"),
        (
            {"a": {"subject_profile": "b"}, "b": {"subject_profile": "c"}, "c": {"subject_profile": "b"}},
            "cycle (b → c → b)",
        ),
        ({"a": {"subject_profile": "u", "actor_profile": "a"}, "u": {}}, "cycle (a → a)"),
        ({"a": {"subject_profile": "u", "actor_profile": "x"}, "u": {}}, "profile 'x', which does not exist"),
    ],
)
def test_a_chain_that_does_not_end_is_refused_in_one_line(profiles, words):
    with pytest.raises(InputError) as caught:
        exchange_chain("a", chain(profiles))
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_chain_that_ends_is_taken():
    exchange_chain("a", chain({"a": {"subject_profile": "b"}, "b": {"subject_profile": "u"}, "u": {}}))


def test_token_type_names():
    assert token_type_urn("access_token", field="t") == "urn:ietf:params:oauth:token-type:access_token"
    assert token_type_urn("urn:example:custom", field="t") == "urn:example:custom"
    assert token_type_urn("", field="t") == ""
    with pytest.raises(InputError, match="not a token type"):
        token_type_urn("acess_token", field="subject_token_type")


def test_the_answer_keeps_issued_token_type(catalog):
    profile = profile_of(catalog, "oauth2-token-exchange", "https://auth.example.com", client_id="c")
    body = json.dumps(
        {"access_token": "tok-123", "token_type": "Bearer", "expires_in": 60,
         "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}
    ).encode()  # fmt: skip
    answer = parse_token_response(profile, "mint", status=200, headers={}, body=body, now=NOW)
    assert answer.issued_token_type == "urn:ietf:params:oauth:token-type:access_token"


# ------------------------------------------------------------------ the preset schema

BASE = """
name = "p"
title = "P"
[mint]
path = "/t"
form = {{ grant_type = "x" }}
[mint.response]
access_token = "access_token"
[mint.assertion]
{assertion}
"""


@pytest.mark.parametrize(
    ("assertion", "words"),
    [
        ('issuer = "x"', "unknown key 'issuer'"),
        ("lifetime = true", "whole seconds between 1 and 3600"),
        ("lifetime = 7200", "whole seconds between 1 and 3600"),
        ("claims = 3", "must be a table of claim templates"),
        ("iss = 3", "must be a text template"),
    ],
)
def test_a_bad_assertion_table_names_its_field(assertion, words):
    with pytest.raises(PresetError) as caught:
        parse_preset_text(BASE.format(assertion=assertion), display="p.toml")
    assert words in str(caught.value) and "mint.assertion" in str(caught.value)


# ------------------------------------------------------------------ the key file importer


def key_file(rsa, **changes) -> str:
    document = {
        "type": "service_account",
        "project_id": "proj",
        "private_key_id": "0123abcd",
        "private_key": rsa.private_pem().decode(),
        "client_email": "robot@proj.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/robot%40proj.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v is not None})


def test_a_key_file_becomes_one_profile_with_the_key_as_its_only_secret(rsa):
    plan = parse_text(key_file(rsa), "proj-0123abcd.json")
    assert plan.format == "service-account"
    (profile,) = plan.profiles
    assert (profile.name, profile.preset, profile.base_url) == (
        "robot", "google-service-account", "https://oauth2.googleapis.com",
    )  # fmt: skip
    assert profile.vars == {
        "client_email": "robot@proj.iam.gserviceaccount.com", "private_key_id": "0123abcd",
        "token_uri": TOKEN_URI, "project_id": "proj", "client_id": "1234567890",
    }  # fmt: skip
    assert set(profile.secrets) == {"private_key"}
    assert "PRIVATE KEY" not in json.dumps(plan.summary())


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"private_key": None}, "has no private_key"),
        (
            {"private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
            "not a usable PEM",
        ),
        ({"private_key": 42}, "private_key must be text"),
        ({"client_email": "robot"}, "is not a service account's e-mail address"),
        ({"token_uri": "http://oauth2.googleapis.com/token"}, "is not an https URL"),
        ({"type": "authorized_user"}, "a user's credentials"),
        ({"type": "external_account"}, "workload identity federation"),
    ],
)
def test_a_damaged_key_file_is_one_line_that_never_quotes_the_key(rsa, changes, words):
    with pytest.raises(InputError) as caught:
        parse_text(key_file(rsa, **changes), "key.json")
    message = str(caught.value)
    assert words in message and "\n" not in message and "AAAA" not in message


def test_an_ec_key_in_a_key_file_is_refused():
    ec = generate_key_pair("ES256")
    with pytest.raises(InputError, match="not an RSA key"):
        parse_text(key_file(ec), "key.json")


def test_format_service_account_on_another_json_says_what_it_is_not():
    with pytest.raises(InputError, match="not a Google service-account key"):
        parse_text('{"type": "settings"}', "x.json", "service-account")
