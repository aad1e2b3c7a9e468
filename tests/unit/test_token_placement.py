"""Token placement as a profile setting (issue 21 item 5): `Profile.token_spec` applies the
profile's `token_placement`, `token_parameter` and `token_scheme` over the preset's `[token]`,
and every sender reads it there (calls, snippets, the copied header and curl)."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.test_renew_once import FakeTokens, FakeWire, send
from workbench.core.context import AppContext
from workbench.core.engine.calls import _any_401, _CallDpop, _placed
from workbench.core.engine.renew import Renewal, renew_once
from workbench.core.engine.state import TokenState
from workbench.core.engine.types import TokenResult
from workbench.core.engine.wire import CallPlan
from workbench.core.errors import ProfileError
from workbench.core.jose.dpop import DpopKey
from workbench.core.jose.keys import generate_key_pair
from workbench.core.operations import create_profile, update_profile
from workbench.core.operations.requests import clipboard_text
from workbench.core.profiles.profile import split_token_settings
from workbench.core.request.codegen import snippet, snippet_request
from workbench.core.storage.vault import MemoryKeyring, Vault


@pytest.fixture
def ctx():
    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def _profile(ctx, preset="bearer", settings=None, vars=None, secrets=None):
    create_profile(
        ctx,
        "p",
        preset=preset,
        base_url="https://api.example.com",
        vars=vars or {},
        secrets=secrets or {"access_token": "tok"},
        settings=settings or {},
    )
    return ctx.profiles.get("p")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ("header", "Authorization", "Bearer")),
        ({"token_scheme": "Token"}, ("header", "Authorization", "Token")),
        ({"token_scheme": ""}, ("header", "Authorization", "")),
        ({"token_placement": "query"}, ("query", "access_token", "Bearer")),
        ({"token_placement": "query", "token_parameter": "key"}, ("query", "key", "Bearer")),
        ({"token_placement": "header", "token_scheme": "JWT"}, ("header", "Authorization", "JWT")),
    ],
)
def test_the_profile_settings_place_the_token(ctx, settings, expected):
    spec = _profile(ctx, settings=settings).token_spec
    assert (spec.placement, spec.header, spec.scheme) == expected


def test_a_query_setting_moves_an_api_key_from_its_cookie_and_header_puts_it_back_in_authorization(ctx):
    cookie = {"placement": "cookie", "key_name": "session"}
    profile = _profile(ctx, "api-key", {"token_placement": "header"}, cookie, {"api_key": "k"})
    assert (profile.token_spec.placement, profile.token_spec.header) == ("header", "Authorization")
    update_profile(ctx, "p", settings={"token_placement": "query"})
    assert (ctx.profiles.get("p").token_spec.placement, ctx.profiles.get("p").token_spec.header) == (
        "query",
        "access_token",
    )


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"token_placement": "cookie"}, "settings.token_placement"),
        ({"token_parameter": "a&b"}, "settings.token_parameter"),
        ({"token_scheme": "Bearer realm"}, "settings.token_scheme"),
        ({"token_scheme": 3}, "settings.token_scheme"),
    ],
)
def test_bad_settings_are_refused_naming_their_field(ctx, settings, field):
    _profile(ctx)
    with pytest.raises(ProfileError) as info:
        update_profile(ctx, "p", settings=settings)
    assert info.value.field == field and "\n" not in str(info.value)
    assert ctx.profiles.get("p").token_spec.placement == "header"  # nothing written


def test_set_assignments_split_into_vars_and_token_settings():
    assert split_token_settings(
        {"key_id": "k1", "token_placement": "query", "token_scheme": "none", "token_parameter": " "}
    ) == ({"key_id": "k1"}, {"token_placement": "query", "token_scheme": "", "token_parameter": None})


def test_snippets_and_copied_text_follow_the_placement(ctx):
    profile = _profile(ctx, settings={"token_placement": "query", "token_parameter": "key"})
    curl = snippet(snippet_request(profile, "GET", "/me?x=1"), "curl")
    assert "key=$(workbench token p)" in curl and "Authorization" not in curl
    assert clipboard_text("header", profile, "t/k+n", None) == "key=t%2Fk%2Bn"
    copied = clipboard_text("curl", profile, "tok", ("GET", "/me?x=1&key=old", [], ""))
    assert "https://api.example.com/me?x=1&key=tok" in copied and "Authorization" not in copied
    update_profile(ctx, "p", settings={"token_placement": "header", "token_scheme": "Token"})
    profile = ctx.profiles.get("p")
    assert clipboard_text("header", profile, "tok", None) == "Authorization: Token tok"
    assert "Authorization: Token $(workbench token p)" in snippet(
        snippet_request(profile, "GET", "/"), "curl"
    )


def test_a_dpop_token_stays_in_the_authorization_header_whatever_the_placement():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    key = DpopKey.from_pem(generate_key_pair("ES256").private_pem())
    dpop = _CallDpop(key, FakeWire(), "p call")  # type: ignore[arg-type]
    query = CallPlan(
        header="access_token",
        scheme="Bearer",
        placement="query",
        response_token_header="Authorization",
        sliding=False,
        timeout_seconds=10.0,
        verify_tls=True,
    )
    how = Renewal(_placed(query, dpop), _any_401, 1024, "p call", again=dpop.again)
    first = TokenResult.stored("p", "dpop-tok", TokenState(token_type="DPoP"))
    assert send(handler, renew_once(FakeTokens(), "p", first, how)).status_code == 200  # type: ignore[arg-type]
    (request,) = seen
    assert request.headers["Authorization"] == "DPoP dpop-tok" and "DPoP" in request.headers
    assert "access_token" not in request.url.params
