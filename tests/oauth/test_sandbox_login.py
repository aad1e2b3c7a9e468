"""Logging in against the sandbox's authorization server through the core operation the CLI and
the GUI share (`oauth_login.login`), then using, refreshing and revoking what it stored."""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qsl

import httpx
import pytest

from workbench.core.context import AppContext
from workbench.core.oauth.login import LoginPrompt, login
from workbench.core.oauth.protocol import OAuthError
from workbench.core.oauth.signout import sign_out
from workbench.core.storage.vault import MemoryKeyring, Vault
from workbench.sandbox import Sandbox


@pytest.fixture
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def ctx():
    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def make_profile(ctx: AppContext, sandbox: Sandbox, preset: str, name: str = "idp") -> None:
    spec = sandbox.demo_profiles()[preset]
    ctx.profiles.create(name, preset=preset, base_url=spec["base_url"], vars=spec["vars"], secret_names=[])


def test_browser_login_validates_the_id_token_and_the_token_calls_the_api(ctx, sandbox):
    make_profile(ctx, sandbox, "oauth2-authorization-code")
    idp = sandbox.provider("oauth2-authorization-code")
    prompts: list[LoginPrompt] = []
    outcome = login(ctx, "idp", opener=idp.play_user, on_prompt=prompts.append, timeout=20)
    assert prompts[0].kind == "browser" and prompts[0].browser_opened is True
    assert (
        outcome.id_token_claims is not None and outcome.id_token_claims["preferred_username"] == "demo-user"
    )
    id_token = ctx.vault.load("idp", "id_token")
    assert id_token and id_token != outcome.token.access_token  # kept, never the bearer
    answer = ctx.engine.call("idp", "GET", "/api/echo")
    assert answer.status == 200
    assert answer.json()["preset"] == "oauth2-authorization-code"
    before = ctx.vault.load("idp", "refresh_token")
    refreshed = ctx.engine.get_token("idp", force="refresh")
    assert refreshed.obtained_by == "refresh" and ctx.vault.load("idp", "refresh_token") != before


def test_denying_on_the_consent_page_is_an_oauth_error(ctx, sandbox):
    make_profile(ctx, sandbox, "oauth2-authorization-code")
    idp = sandbox.provider("oauth2-authorization-code")
    with pytest.raises(OAuthError, match="denied"):
        login(ctx, "idp", opener=lambda url: idp.play_user(url, approve=False), timeout=20)
    assert ctx.vault.load("idp", "refresh_token") is None


def test_device_login_through_the_device_page_then_sign_out_revokes(ctx, sandbox):
    make_profile(ctx, sandbox, "oauth2-device-code", name="tv")
    idp = sandbox.provider("oauth2-device-code")
    idp.device_interval = 1.0
    prompts: list[LoginPrompt] = []

    def user_at_the_device_page(prompt: LoginPrompt) -> None:
        prompts.append(prompt)

        def approve() -> None:
            page = httpx.get(prompt.verification_uri_complete)
            assert prompt.user_code in page.text
            httpx.post(prompt.url, data={"user_code": prompt.user_code, "decision": "approve"})

        threading.Timer(0.5, approve).start()

    outcome = login(ctx, "tv", on_prompt=user_at_the_device_page, timeout=30)
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", prompts[0].user_code)
    assert outcome.grant == "device_code" and outcome.token.access_token
    refresh = ctx.vault.load("tv", "refresh_token")
    result = sign_out(ctx, "tv")
    assert result.revoked and refresh in idp.revoked
    assert ctx.vault.load("tv", "refresh_token") is None and ctx.vault.load("tv", "access_token") is None


def test_cancel_stops_a_device_login_at_once(ctx, sandbox):
    make_profile(ctx, sandbox, "oauth2-device-code", name="tv")
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    from workbench.core.oauth.protocol import LoginCancelled

    with pytest.raises(LoginCancelled):
        login(ctx, "tv", cancel=cancel, timeout=60)


def test_token_without_a_login_says_to_run_login(ctx, sandbox):
    make_profile(ctx, sandbox, "oauth2-authorization-code")
    from workbench.core.errors import user_message

    with pytest.raises(Exception) as caught:
        ctx.engine.get_token("idp")
    assert "workbench login idp" in user_message(caught.value)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_authenticate_the_way_client_auth_says(ctx, sandbox, method):
    spec = sandbox.demo_profiles()["oauth2-client-credentials"]
    ctx.profiles.create(
        "cc",
        preset="oauth2-client-credentials",
        base_url=spec["base_url"],
        vars={**spec["vars"], "client_auth": method},
        secret_names=["client_secret"],
    )
    ctx.vault.store("cc", "client_secret", spec["secrets"]["client_secret"])
    from workbench.core.engine import flows
    from workbench.core.request.templating import TemplateRenderer

    profile = ctx.profiles.get("cc")
    request = flows.build_request(
        profile, "mint", secrets=_VaultSource(ctx, "cc"), renderer=TemplateRenderer(clock=ctx.clock)
    )
    body = dict(parse_qsl((request.content or b"").decode()))
    if method == "client_secret_post":
        assert request.header("Authorization") is None and body["client_secret"]
    else:
        assert request.header("Authorization").startswith("Basic ") and "client_secret" not in body
    assert ctx.engine.get_token("cc", force="mint").obtained_by == "mint"  # the sandbox accepted it


class _VaultSource:
    def __init__(self, ctx, name):
        self.ctx, self.name = ctx, name

    def get(self, key):
        return self.ctx.vault.load(self.name, key)
