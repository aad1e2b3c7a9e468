"""Flows as data: each shipped preset builds the request its provider's document describes,
and reads that provider's answers (tokens, expiry, errors) the way the document shows them."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import jwt as pyjwt
import pytest

from workbench.core.clock import FakeClock
from workbench.core.engine.answers import (
    dotted_get,
    is_clock_skew_answer,
    is_expired_answer,
    parse_token_response,
    provider_error,
    token_from_header,
)
from workbench.core.engine.flows import RequestSpec, build_request, resolve_url
from workbench.core.errors import (
    InputError,
    PresetError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    TemplateError,
    user_message,
)
from workbench.core.jose.jws import jose_verify
from workbench.core.jose.keys import generate_key_pair
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.profile import Profile
from workbench.core.request.templating import MappingSecretSource, TemplateRenderer

# The moment Token of Trust's seed document shows as `issuedAt`.
NOW = datetime(2025, 10, 29, 18, 23, 22, tzinfo=UTC).timestamp()
HS_SECRET = "a-client-secret-long-enough-for-hs256!"


@pytest.fixture(scope="module")
def catalog() -> PresetCatalog:
    return PresetCatalog.load_default()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def renderer(clock: FakeClock) -> TemplateRenderer:
    return TemplateRenderer(clock=clock)


@pytest.fixture
def make_profile(catalog):
    def make(preset: str, base_url: str, *, name: str | None = None, vars=None, override=None) -> Profile:
        p = catalog.get(preset)
        if override:
            p = p.merged(override)
        return Profile(
            name=name or preset,
            preset_name=preset,
            base_url=base_url,
            vars=dict(vars or {}),
            secret_names=(),
            settings={},
            override=dict(override or {}),
            preset=p,
        )

    return make


class CountingSecrets:
    def __init__(self, values):
        self.values = dict(values)
        self.asked: list[str] = []

    def get(self, name):
        self.asked.append(name)
        return self.values.get(name)


def make_jwt(*, iat: float = NOW, lifetime: float | None = 3600, **claims) -> str:
    payload = {"sub": "user-1", "iat": int(iat), **claims}
    if lifetime is not None:
        payload["exp"] = int(iat + lifetime)
    return pyjwt.encode(payload, HS_SECRET, algorithm="HS256")


def body_json(spec: RequestSpec):
    assert spec.content is not None
    return json.loads(spec.content)


# --------------------------------------------------------------------------- building requests


def test_true_markets_mint_signs_key_id_dot_timestamp_with_the_registered_key(make_profile, renderer):
    pair = generate_key_pair("ES256")
    profile = make_profile(
        "true-markets", "https://api.uat.truemarkets.co/v1/auth", vars={"key_id": "0b6f-key-uuid"}
    )
    secrets = MappingSecretSource({"private_key": pair.private_pem().decode()})

    spec = build_request(profile, "mint", secrets=secrets, renderer=renderer)

    assert spec.method == "POST"
    assert spec.url == "https://api.uat.truemarkets.co/v1/auth/api-key/token"
    assert spec.header("Content-Type") == "application/json"
    body = body_json(spec)
    assert set(body) == {"key_id", "timestamp", "signature"}
    assert body["key_id"] == "0b6f-key-uuid"
    assert body["timestamp"] == int(NOW) and isinstance(body["timestamp"], int)
    message = f"0b6f-key-uuid.{body['timestamp']}"
    assert jose_verify("ES256", pair.public_pem(), message, body["signature"])
    assert "=" not in body["signature"] and "+" not in body["signature"] and "/" not in body["signature"]


def test_true_markets_timestamp_follows_the_server_clock_offset(make_profile, clock, renderer):
    pair = generate_key_pair("ES256")
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth", vars={"key_id": "k"})
    clock.set_offset(-45.0)  # we learned the server is 45 s behind us

    spec = build_request(
        profile,
        "mint",
        secrets=MappingSecretSource({"private_key": pair.private_pem().decode()}),
        renderer=renderer,
    )

    body = body_json(spec)
    assert body["timestamp"] == int(NOW - 45)
    assert jose_verify("ES256", pair.public_pem(), f"k.{body['timestamp']}", body["signature"])


def test_true_markets_body_is_sent_as_compact_json(make_profile, renderer):
    pair = generate_key_pair("ES256")
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth", vars={"key_id": "k"})
    spec = build_request(
        profile,
        "mint",
        secrets=MappingSecretSource({"private_key": pair.private_pem().decode()}),
        renderer=renderer,
    )
    assert spec.content is not None
    assert b"\n" not in spec.content and b": " not in spec.content


def test_true_markets_refresh_posts_the_refresh_token_under_the_base_path(make_profile, renderer):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth/")
    spec = build_request(
        profile, "refresh", secrets=MappingSecretSource({"refresh_token": "rt-1"}), renderer=renderer
    )
    assert (spec.method, spec.url) == ("POST", "https://api.truemarkets.co/v1/auth/token/refresh")
    assert body_json(spec) == {"refresh_token": "rt-1"}
    assert spec.header("Authorization") is None


def test_marketiger3d_refresh_sends_both_tokens(make_profile, renderer):
    profile = make_profile("marketiger3d", "https://devapi.marketiger3d.com")
    spec = build_request(
        profile,
        "refresh",
        secrets=MappingSecretSource({"access_token": "at-old", "refresh_token": "rt-old"}),
        renderer=renderer,
    )
    assert (spec.method, spec.url) == ("POST", "https://devapi.marketiger3d.com/v2/Auth/RefreshToken")
    assert spec.header("Content-Type") == "application/json"
    assert body_json(spec) == {"accessToken": "at-old", "refreshToken": "rt-old"}


def test_marketiger3d_cannot_mint_and_says_so(make_profile, renderer):
    profile = make_profile("marketiger3d", "https://devapi.marketiger3d.com")
    with pytest.raises(PresetError, match=r"preset 'marketiger3d' cannot mint tokens"):
        build_request(profile, "mint", secrets=MappingSecretSource({}), renderer=renderer)


def test_token_of_trust_mint_sends_app_domain_and_both_keys(make_profile, renderer):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "myapp.com"})
    spec = build_request(
        profile,
        "mint",
        secrets=MappingSecretSource({"api_key": "pk_live_abc123", "secret_key": "sk_live_xyz789"}),
        renderer=renderer,
    )
    assert (spec.method, spec.url) == ("POST", "https://api.tokenoftrust.com/api/internal/auth/token")
    assert body_json(spec) == {
        "appDomain": "myapp.com",
        "totApiKey": "pk_live_abc123",
        "totSecretKey": "sk_live_xyz789",
    }


def test_token_of_trust_verify_is_a_get_with_the_current_token_as_bearer(make_profile, renderer):
    profile = make_profile("token-of-trust", "https://qa.tokenoftrust.com", vars={"app_domain": "myapp.com"})
    token = make_jwt()
    spec = build_request(
        profile, "verify", secrets=MappingSecretSource({}), renderer=renderer, access_token=token
    )
    assert (spec.method, spec.url) == ("GET", "https://qa.tokenoftrust.com/api/internal/auth/token")
    assert spec.header("Authorization") == f"Bearer {token}"
    assert spec.content is None


def test_verify_without_any_access_token_asks_for_one_first(make_profile, renderer):
    profile = make_profile(
        "token-of-trust", "https://qa.tokenoftrust.com", name="tot", vars={"app_domain": "a"}
    )
    with pytest.raises(InputError, match=r"profile 'tot' has no access token yet .*workbench token tot"):
        build_request(profile, "verify", secrets=MappingSecretSource({}), renderer=renderer)


def test_api_key_sliding_authenticates_under_the_api_root(make_profile, renderer):
    profile = make_profile("api-key-sliding", "https://api.example.com/v2")
    spec = build_request(
        profile,
        "mint",
        secrets=MappingSecretSource({"api_key": "YOUR-API-KEY", "client_secret": "CLIENT-SECRET"}),
        renderer=renderer,
    )
    assert (spec.method, spec.url) == ("POST", "https://api.example.com/v2/authenticate")
    assert spec.header("Content-Type") == "application/json"
    assert body_json(spec) == {"apiKey": "YOUR-API-KEY", "clientSecret": "CLIENT-SECRET"}


def test_paymentsgate_refresh_carries_bearer_access_and_the_refresh_token(make_profile, renderer):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    access = make_jwt()
    spec = build_request(
        profile,
        "refresh",
        secrets=MappingSecretSource(
            {"access_token": access, "refresh_token": "8xLOxBatCN8fDrMHtkX1uDgeHxWxhoJDl"}
        ),
        renderer=renderer,
    )
    assert (spec.method, spec.url) == ("POST", "https://secure.sandbox.paymentsgate.io/auth/token/refresh")
    assert spec.header("Authorization") == f"Bearer {access}"
    assert spec.header("Content-Type") == "application/json"
    assert body_json(spec) == {"refresh_token": "8xLOxBatCN8fDrMHtkX1uDgeHxWxhoJDl"}


def test_the_engines_current_access_token_wins_over_the_vault_copy(make_profile, renderer):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    secrets = CountingSecrets({"access_token": "stale-vault-copy", "refresh_token": "rt"})
    spec = build_request(
        profile, "refresh", secrets=secrets, renderer=renderer, access_token="fresh-in-memory"
    )
    assert spec.header("Authorization") == "Bearer fresh-in-memory"
    assert "access_token" not in secrets.asked


def test_oauth_client_credentials_uses_basic_auth_and_a_form(make_profile, renderer):
    profile = make_profile(
        "oauth2-client-credentials", "https://auth.example.com", vars={"client_id": "my-client"}
    )
    spec = build_request(
        profile,
        "mint",
        secrets=MappingSecretSource({"client_secret": "s3cr3t:with:colons"}),
        renderer=renderer,
    )
    assert (spec.method, spec.url) == ("POST", "https://auth.example.com/oauth/token")
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding.
    expected = base64.b64encode(b"my-client:s3cr3t%3Awith%3Acolons").decode()
    assert spec.header("Authorization") == f"Basic {expected}"
    assert spec.header("Content-Type") == "application/x-www-form-urlencoded"
    assert spec.header("Accept") == "application/json"
    assert spec.content is not None
    # scope and audience default to "" and are dropped, not sent empty
    assert parse_qsl(spec.content.decode(), keep_blank_values=True) == [("grant_type", "client_credentials")]


def test_oauth_client_credentials_sends_scope_and_a_custom_token_path(make_profile, renderer):
    profile = make_profile(
        "oauth2-client-credentials",
        "https://auth.example.com/tenant-1",
        vars={"client_id": "c", "scope": "read write", "token_path": "/connect/token"},
    )
    spec = build_request(
        profile, "mint", secrets=MappingSecretSource({"client_secret": "s"}), renderer=renderer
    )
    assert spec.url == "https://auth.example.com/tenant-1/connect/token"
    assert spec.content == b"grant_type=client_credentials&scope=read+write"


def test_oauth_refresh_grant_drops_the_optional_client_secret_when_none_is_stored(make_profile, renderer):
    profile = make_profile(
        "oauth2-refresh-token", "https://auth.example.com", vars={"client_id": "public-app"}
    )
    spec = build_request(
        profile, "refresh", secrets=MappingSecretSource({"refresh_token": "rt/+="}), renderer=renderer
    )
    assert spec.header("Authorization") is None
    assert parse_qsl(spec.content.decode(), keep_blank_values=True) == [
        ("grant_type", "refresh_token"),
        ("refresh_token", "rt/+="),
        ("client_id", "public-app"),
    ]


def test_secrets_are_read_from_the_vault_only_when_a_template_uses_them(make_profile, renderer):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a.com"})
    secrets = CountingSecrets({"api_key": "pk", "secret_key": "sk", "refresh_token": "never-read"})
    build_request(profile, "mint", secrets=secrets, renderer=renderer)
    assert sorted(secrets.asked) == ["api_key", "secret_key"]


def test_a_missing_required_secret_says_how_to_store_it(make_profile, renderer):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io", name="pg")
    with pytest.raises(TemplateError) as info:
        build_request(
            profile, "refresh", secrets=MappingSecretSource({"access_token": "at"}), renderer=renderer
        )
    message = str(info.value)
    assert "profile 'pg' has no secret 'refresh_token' in the keychain" in message
    assert "`workbench profile set pg --secret refresh_token`" in message
    assert "paymentsgate refresh" in message
    assert "\n" not in message


def test_a_missing_var_says_how_to_set_it(make_profile, renderer):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", name="tot")
    with pytest.raises(TemplateError) as info:
        build_request(
            profile,
            "mint",
            secrets=MappingSecretSource({"api_key": "a", "secret_key": "b"}),
            renderer=renderer,
        )
    line = user_message(info.value)  # what the CLI prints
    assert re.search(r"profile 'tot' has no setting 'app_domain'.*--set app_domain=", line)
    assert info.value.field == "vars.app_domain"


def test_a_json_template_that_renders_broken_json_is_refused_without_echoing_secrets(make_profile, renderer):
    profile = make_profile(
        "api-key-sliding",
        "https://api.example.com",
        override={"mint": {"json": '{"apiKey": {{ secrets.api_key }}, "clientSecret": "x"}'}},
    )
    with pytest.raises(TemplateError) as info:
        build_request(
            profile,
            "mint",
            secrets=MappingSecretSource({"api_key": "sk_live_do_not_print", "client_secret": "x"}),
            renderer=renderer,
        )
    message = str(info.value)
    assert "did not render valid JSON" in message
    assert "api-key-sliding mint" in message
    assert "sk_live_do_not_print" not in message


def test_headers_that_render_empty_are_dropped(make_profile, renderer):
    profile = make_profile(
        "api-key-sliding",
        "https://api.example.com",
        override={"mint": {"headers": {"X-Tenant": "{{ vars.tenant | default('') }}", "X-Trace": "t-1"}}},
    )
    spec = build_request(
        profile,
        "mint",
        secrets=MappingSecretSource({"api_key": "a", "client_secret": "b"}),
        renderer=renderer,
    )
    names = [name for name, _ in spec.headers]
    assert "X-Tenant" not in names
    assert ("X-Trace", "t-1") in spec.headers
    assert ("Content-Type", "application/json") in spec.headers


def test_a_header_cannot_smuggle_a_line_break(make_profile, renderer):
    profile = make_profile(
        "api-key-sliding",
        "https://api.example.com",
        override={"mint": {"headers": {"X-Key": "{{ secrets.api_key }}"}}},
    )
    with pytest.raises(TemplateError, match="line break"):
        build_request(
            profile,
            "mint",
            secrets=MappingSecretSource({"api_key": "a\r\nX-Evil: 1", "client_secret": "b"}),
            renderer=renderer,
        )


def test_redacted_spec_hides_credentials_and_bodies(make_profile, renderer):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    access = make_jwt()
    spec = build_request(
        profile,
        "refresh",
        secrets=MappingSecretSource({"access_token": access, "refresh_token": "rt-secret-value"}),
        renderer=renderer,
    )
    shown = spec.redacted()
    text = json.dumps(shown) + repr(spec)
    assert access not in text and "rt-secret-value" not in text
    assert ["Authorization", "Bearer [redacted]"] in shown["headers"]
    assert ["Content-Type", "application/json"] in shown["headers"]
    assert shown["body"].startswith("[") and "bytes" in shown["body"]
    assert shown["url"] == "https://secure.sandbox.paymentsgate.io/auth/token/refresh"
    assert set(spec.secret_values) == {access, "rt-secret-value"}


# --------------------------------------------------------------------------- URLs


def test_paths_join_the_base_url_keeping_its_path(make_profile):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth")
    assert resolve_url(profile, "/api-key/token") == "https://api.truemarkets.co/v1/auth/api-key/token"
    assert resolve_url(profile, "token/refresh") == "https://api.truemarkets.co/v1/auth/token/refresh"
    assert resolve_url(profile, "/me?x=1") == "https://api.truemarkets.co/v1/auth/me?x=1"
    assert resolve_url(profile, "") == "https://api.truemarkets.co/v1/auth"


def test_absolute_urls_pass_through_and_other_schemes_are_refused(make_profile):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth/")
    assert resolve_url(profile, "https://other.example/x") == "https://other.example/x"
    assert resolve_url(profile, "http://127.0.0.1:8080/a") == "http://127.0.0.1:8080/a"
    with pytest.raises(InputError, match="not supported"):
        resolve_url(profile, "file:///etc/passwd")


def test_an_absolute_url_in_a_preset_path_is_used_as_is(make_profile, renderer):
    profile = make_profile(
        "oauth2-client-credentials",
        "https://api.example.com",
        vars={"client_id": "c", "token_path": "https://login.example.com/oauth2/token"},
    )
    spec = build_request(
        profile, "mint", secrets=MappingSecretSource({"client_secret": "s"}), renderer=renderer
    )
    assert spec.url == "https://login.example.com/oauth2/token"


def test_dotted_paths_walk_objects_and_list_indexes():
    doc = {"data": {"items": [{"token": "a"}, {"token": "b"}]}, "n": 0}
    assert dotted_get(doc, "data.items.1.token") == "b"
    assert dotted_get(doc, "data.items.-1.token") == "b"
    assert dotted_get(doc, "data.items.2.token") is None
    assert dotted_get(doc, "data.missing") is None
    assert dotted_get(doc, "n.x") is None
    assert dotted_get(doc, "n") == 0


# --------------------------------------------------------------------------- reading answers


def parse(profile, step, body, *, status=200, headers=None, now=NOW):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_token_response(profile, step, status=status, headers=headers or {}, body=raw, now=now)


def test_true_markets_expires_in_is_an_absolute_date_time(make_profile):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth")
    answer = parse(
        profile,
        "mint",
        {
            "access_token": "opaque-access",
            "refresh_token": "rt-2",
            "expires_in": "2025-10-29T18:38:22Z",
            "token_type": "Bearer",
        },
    )
    assert answer.access_token == "opaque-access"
    assert answer.refresh_token == "rt-2"
    assert answer.token_type == "Bearer"
    assert answer.expires_at == NOW + 900
    assert answer.lifetime == 900
    assert answer.issued_at == NOW


@pytest.mark.parametrize(
    "value",
    ["2025-10-29T18:38:22.000Z", "2025-10-29T20:38:22+02:00", "2025-10-29T18:38:22.000000+00:00"],
)
def test_date_time_expiry_accepts_fractions_and_offsets(make_profile, value):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth")
    answer = parse(profile, "refresh", {"access_token": "a", "refresh_token": "r", "expires_in": value})
    assert answer.expires_at == NOW + 900


def test_a_jwt_lifetime_comes_from_its_own_claims_when_the_provider_states_an_absolute_time(make_profile):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth")
    token = make_jwt(iat=NOW - 10, lifetime=600)
    answer = parse(profile, "mint", {"access_token": token, "expires_in": "2025-10-29T18:33:12Z"})
    assert answer.expires_at == NOW + 590
    assert answer.lifetime == 600
    assert answer.issued_at == int(NOW - 10)


def test_marketiger3d_envelope_gives_the_rotated_pair_and_jwt_expiry(make_profile):
    profile = make_profile("marketiger3d", "https://devapi.marketiger3d.com")
    token = make_jwt(lifetime=1800)
    answer = parse(
        profile,
        "refresh",
        {
            "success": True,
            "data": {"accessToken": token, "refreshToken": "new_refresh_token_here"},
        },
    )
    assert answer.access_token == token
    assert answer.refresh_token == "new_refresh_token_here"
    assert answer.expires_at == int(NOW) + 1800
    assert answer.lifetime == 1800
    assert answer.issued_at == int(NOW)
    assert answer.token_type == "Bearer"
    assert answer.refresh_token_expires_at == NOW + 12 * 3600


def test_marketiger3d_error_shows_the_providers_own_words(make_profile):
    profile = make_profile("marketiger3d", "https://devapi.marketiger3d.com")
    body = {
        "success": False,
        "error": {"type": "AUTHENTICATION", "message": "Invalid or expired refresh token"},
    }
    with pytest.raises(ProviderAuthError) as info:
        parse(profile, "refresh", body, status=401)
    assert str(info.value) == (
        "marketiger3d refresh failed (401 AUTHENTICATION): Invalid or expired refresh token"
    )
    assert info.value.status == 401
    assert info.value.provider_message == "Invalid or expired refresh token"
    assert info.value.error_type == "AUTHENTICATION"


def test_marketiger3d_success_false_on_a_200_is_an_error_not_a_token(make_profile):
    profile = make_profile("marketiger3d", "https://devapi.marketiger3d.com")
    body = {
        "success": False,
        "error": {"type": "VALIDATION", "message": "refreshToken is required"},
        "data": {"accessToken": make_jwt()},
    }
    with pytest.raises(
        ProviderError, match=r"^marketiger3d refresh failed \(VALIDATION\): refreshToken is required$"
    ):
        parse(profile, "refresh", body)


def test_token_of_trust_expires_in_seconds_and_expires_at(make_profile):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a"})
    answer = parse(
        profile,
        "mint",
        {
            "token": "opaque-tot-token",
            "tokenType": "Bearer",
            "expiresIn": 900,
            "expiresAt": "2025-10-29T18:38:22.000Z",
        },
    )
    assert answer.access_token == "opaque-tot-token"
    assert (answer.expires_at, answer.lifetime) == (NOW + 900, 900)
    assert answer.refresh_token is None


def test_token_of_trust_expires_at_alone_is_enough(make_profile):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a"})
    answer = parse(profile, "mint", {"token": "t", "expiresAt": "2025-10-29T18:38:22.000Z"})
    assert answer.expires_at == NOW + 900


def test_expires_in_as_a_numeric_string_is_seconds(make_profile):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a"})
    answer = parse(profile, "mint", {"token": "t", "expiresIn": "900"})
    assert (answer.expires_at, answer.lifetime) == (NOW + 900, 900)


def test_expires_at_as_epoch_seconds_or_milliseconds(make_profile):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a"})
    assert parse(profile, "mint", {"token": "t", "expiresAt": NOW + 60}).expires_at == NOW + 60
    assert parse(profile, "mint", {"token": "t", "expiresAt": (NOW + 60) * 1000}).expires_at == NOW + 60


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"auth": {"jwt": "TOKEN"}}},
        {"result": [{"kind": "x"}, {"value": "TOKEN"}]},
        {"refreshToken": make_jwt(lifetime=99999), "token": "TOKEN"},
        "TOKEN",
    ],
    ids=["nested-object", "inside-a-list", "access-beats-refresh", "json-string"],
)
def test_api_key_sliding_finds_the_jwt_anywhere_in_a_json_body(make_profile, body):
    profile = make_profile("api-key-sliding", "https://api.example.com")
    token = make_jwt(lifetime=3600)
    raw = json.dumps(body).replace("TOKEN", token).encode()
    answer = parse(profile, "mint", raw)
    assert answer.access_token == token
    assert answer.expires_at == int(NOW) + 3600
    assert answer.lifetime == 3600


def test_api_key_sliding_accepts_a_raw_text_body(make_profile):
    profile = make_profile("api-key-sliding", "https://api.example.com")
    token = make_jwt()
    answer = parse(profile, "mint", f"{token}\n".encode(), headers={"Content-Type": "text/plain"})
    assert answer.access_token == token


def test_api_key_sliding_without_any_jwt_says_what_it_looked_for(make_profile):
    profile = make_profile("api-key-sliding", "https://api.example.com")
    with pytest.raises(
        ProviderResponseError, match=r"^api-key-sliding mint: .*no access token at a JWT anywhere"
    ):
        parse(profile, "mint", {"ok": True})


def test_paymentsgate_expires_in_is_seconds_and_the_refresh_token_rotates(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    token = make_jwt(lifetime=3600)
    answer = parse(
        profile,
        "refresh",
        {
            "access_token": token,
            "refresh_token": "8xLO-next",
            "expires_in": 3600,
        },
    )
    assert (answer.expires_at, answer.lifetime) == (NOW + 3600, 3600)
    assert answer.refresh_token == "8xLO-next"
    assert answer.refresh_token_expires_at is None  # paymentsgate does not state one


def test_oauth_answer_keeps_the_token_type_and_handles_opaque_tokens(make_profile):
    profile = make_profile("oauth2-client-credentials", "https://auth.example.com", vars={"client_id": "c"})
    answer = parse(
        profile,
        "mint",
        {"access_token": "2YotnFZFEjr1zCsicMWpAA", "token_type": "bearer", "expires_in": 3599},
    )
    assert answer.token_type == "bearer"
    assert (answer.expires_at, answer.lifetime, answer.issued_at) == (NOW + 3599, 3599, NOW)
    assert answer.refresh_token is None


def test_no_expiry_anywhere_means_unknown(make_profile):
    profile = make_profile("oauth2-client-credentials", "https://auth.example.com", vars={"client_id": "c"})
    answer = parse(profile, "mint", {"access_token": make_jwt(lifetime=None)})
    assert answer.expires_at is None and answer.lifetime is None
    assert answer.issued_at == int(NOW)


def test_a_missing_token_names_the_path_the_preset_tried(make_profile):
    profile = make_profile("marketiger3d", "https://devapi.marketiger3d.com")
    with pytest.raises(
        ProviderResponseError, match=r"^marketiger3d refresh: .*no access token at 'data.accessToken'"
    ):
        parse(profile, "refresh", {"success": True, "data": {}})


def test_invalid_json_on_success_is_a_clear_one_liner(make_profile):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth")
    with pytest.raises(ProviderResponseError) as info:
        parse(profile, "mint", b'{"access_token": "abc", ', headers={"Content-Type": "application/json"})
    assert str(info.value) == "true-markets mint: the provider's answer is not valid JSON"


def test_a_token_from_a_response_header_has_its_scheme_stripped(make_profile):
    profile = make_profile(
        "api-key-sliding",
        "https://api.example.com",
        override={"mint": {"response": {"access_token": "header:X-Auth-Token"}}},
    )
    token = make_jwt()
    answer = parse(profile, "mint", b"", headers={"x-auth-token": f"Bearer {token}"})
    assert answer.access_token == token


# --------------------------------------------------------------------------- errors


def test_html_error_pages_are_summarised(make_profile):
    profile = make_profile("true-markets", "https://api.truemarkets.co/v1/auth")
    html = b"<!DOCTYPE html><html><body><h1>Oops</h1>\n<p>stack trace here</p></body></html>"
    with pytest.raises(ProviderError) as info:
        parse(profile, "mint", html, status=500, headers={"Content-Type": "text/html"})
    assert str(info.value) == (
        "true-markets mint failed (500 Internal Server Error): provider answered with HTML, not JSON"
    )
    assert type(info.value) is ProviderError


def test_a_plain_text_error_is_shown_on_one_line(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    err = provider_error(profile, status=502, headers={}, body=b"upstream down\nretry later", step="refresh")
    assert str(err) == "paymentsgate refresh failed (502 Bad Gateway): upstream down"


def test_an_empty_error_body_still_names_the_status(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    err = provider_error(profile, status=403, headers={}, body=b"", step="refresh")
    assert isinstance(err, ProviderAuthError)
    assert str(err) == "paymentsgate refresh failed (403 Forbidden): the provider gave no details"


def test_oauth_errors_use_error_description_and_the_error_code(make_profile):
    profile = make_profile("oauth2-refresh-token", "https://auth.example.com")
    body = json.dumps({"error": "invalid_grant", "error_description": "Refresh token expired"}).encode()
    err = provider_error(profile, status=400, headers={}, body=body, step="refresh")
    assert str(err) == "oauth2-refresh-token refresh failed (400 invalid_grant): Refresh token expired"
    assert type(err) is ProviderError


def test_rate_limits_carry_retry_after(make_profile):
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a"})
    err = provider_error(
        profile,
        status=429,
        headers={"Retry-After": "7"},
        body=b'{"message": "Too many requests"}',
        step="mint",
    )
    assert isinstance(err, ProviderRateLimited)
    assert err.retry_after == 7
    assert str(err) == "token-of-trust mint failed (429 Too Many Requests): Too many requests"


def test_a_retry_after_date_is_read_on_the_servers_clock(make_profile):
    """An HTTP-date Retry-After is measured against the answer's own Date (or the server time
    the engine knows), never against this machine's clock: here that clock is years ahead."""
    profile = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a"})
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"}
    err = provider_error(profile, status=429, headers=headers, body=b"{}", step="mint")
    assert err.retry_after == 10
    err = provider_error(
        profile,
        status=429,
        headers={"Retry-After": headers["Retry-After"]},
        body=b"{}",
        step="mint",
        now=1445412487.0,
    )
    assert err.retry_after == 3


def test_provider_messages_are_redacted_and_flattened(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    leaked = make_jwt()
    body = json.dumps({"message": f"token {leaked} rejected\nfor key sk_live_short"}).encode()
    err = provider_error(
        profile, status=401, headers={}, body=body, step="refresh", secrets=["sk_live_short"]
    )
    text = str(err)
    assert leaked not in text and "sk_live_short" not in text
    assert "\n" not in text
    assert text.startswith("paymentsgate refresh failed (401 Unauthorized): token [redacted] rejected")


def test_very_long_provider_messages_are_cut(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    body = json.dumps({"message": "word " * 500}).encode()
    err = provider_error(profile, status=400, headers={}, body=body, step="refresh")
    assert len(str(err)) < 400 and str(err).endswith("…")


def test_expired_answers_are_recognised_by_the_presets_markers(make_profile):
    tot = make_profile("token-of-trust", "https://api.tokenoftrust.com", vars={"app_domain": "a"})
    assert is_expired_answer(tot, 401, b'{"message": "Token has expired"}')
    assert not is_expired_answer(tot, 401, b'{"message": "Invalid credentials"}')
    assert not is_expired_answer(tot, 403, b'{"message": "Token has expired"}')
    pg = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    assert not is_expired_answer(pg, 401, b'{"message": "Token has expired"}')  # no markers in that preset


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, b'{"error": {"type": "VALIDATION", "message": "timestamp outside the allowed window"}}', True),
        (401, b'{"message": "Request time too far from server time"}', True),
        (401, b"clock skew too large", True),
        (401, b'{"error": {"message": "invalid signature"}, "server_time": 1761762202}', False),
        (401, b'{"message": "Token has expired"}', False),
        (500, b'{"message": "timestamp error"}', False),
        (403, b'{"message": "timestamp outside the allowed window"}', False),
    ],
)
def test_clock_skew_answers_are_told_apart(status, body, expected):
    assert is_clock_skew_answer(status, body) is expected


def test_a_sliding_header_replaces_the_token_only_with_a_different_jwt(make_profile):
    profile = make_profile("api-key-sliding", "https://api.example.com")
    current, fresh = make_jwt(), make_jwt(iat=NOW + 5)
    assert token_from_header(profile, {"authorization": f"Bearer {fresh}"}, current=current) == fresh
    assert token_from_header(profile, {"Authorization": f"Bearer {current}"}, current=current) is None
    assert token_from_header(profile, {"Authorization": "Bearer not-a-jwt"}) is None
    assert token_from_header(profile, {}) is None
    pg = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    assert token_from_header(pg, {"Authorization": f"Bearer {fresh}"}) is None


def test_a_unix_time_sent_as_expires_in_is_read_as_absolute(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    answer = parse(profile, "refresh", {"access_token": "opaque", "expires_in": int(NOW) + 600})
    assert (answer.expires_at, answer.lifetime) == (int(NOW) + 600, 600)


def test_an_unreadable_expiry_falls_back_to_the_jwt(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    token = make_jwt(lifetime=120)
    answer = parse(profile, "refresh", {"access_token": token, "expires_in": "soon", "refresh_token": "r"})
    assert (answer.expires_at, answer.lifetime) == (int(NOW) + 120, 120)


def test_a_token_answer_never_shows_its_tokens_in_repr(make_profile):
    profile = make_profile("paymentsgate", "https://secure.sandbox.paymentsgate.io")
    answer = parse(profile, "refresh", {"access_token": "secret-access", "refresh_token": "secret-refresh"})
    assert "secret-access" not in repr(answer) and "secret-refresh" not in repr(answer)
