"""The Token view's OAuth login strip, the editor's discovery row and the Keys view's JWKS copy,
against the sandbox's authorization server (it plays the user where a person would click)."""

from __future__ import annotations

import json
import re

import pytest
from PySide6.QtGui import QGuiApplication

from tests.gui.conftest import choose_preset, confirm_button, obtain, wait_idle


@pytest.fixture
def idp(sandbox):
    provider = sandbox.provider("oauth2-authorization-code")
    provider.device_interval = 1.0
    yield provider
    provider.device_interval = 5.0


@pytest.fixture
def user_in_browser(monkeypatch, idp):
    """The system browser, as a user who approves on the consent page."""
    opened: list[str] = []

    def open_and_approve(url: str) -> bool:
        opened.append(url)
        return idp.play_user(url)

    monkeypatch.setattr("workbench.core.oauth.login.default_opener", open_and_approve)
    return opened


def test_the_login_strip_is_shown_only_for_interactive_presets(qtbot, make_window, add_profile):
    add_profile("oauth2-authorization-code", "corp")
    add_profile("token-of-trust", "tot")
    window = make_window(select="corp")
    panel = window.token_view.login_panel
    assert panel.isVisible() and panel.login_button.isEnabled()
    assert not window.token_view.mint_button.isEnabled()
    assert "Log in" in window.token_view.token_box.placeholderText()
    window.select_profile("tot")
    assert not panel.isVisible()
    assert "Mint" in window.token_view.token_box.placeholderText()


def test_browser_login_from_the_token_view_shows_the_token(
    qtbot, make_window, add_profile, ctx, user_in_browser
):
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    view = window.token_view
    result = obtain(qtbot, window, view.login_panel.login_button.click, timeout=20_000)
    assert user_in_browser and "code_challenge=" in user_in_browser[0]
    qtbot.waitUntil(lambda: view.token_box.token == result.access_token)
    assert "demo-user" in view.login_panel.status.text()
    assert ctx.vault.load("corp", "id_token")  # validated and kept, not the bearer
    assert view.login_panel.login_button.isEnabled() and not view.login_panel.cancel_button.isVisible()
    with qtbot.waitSignal(view.inspect_requested, timeout=5_000) as shown:
        view.login_panel.id_token_button.click()
    assert shown.args[0] == ctx.vault.load("corp", "id_token") != result.access_token


def test_device_login_shows_the_code_large_with_copy_and_a_qr(qtbot, make_window, add_profile, idp):
    add_profile("oauth2-device-code", "tv")
    window = make_window(select="tv")
    panel = window.token_view.login_panel
    panel.login_button.click()
    qtbot.waitUntil(lambda: bool(panel.user_code.text()), timeout=10_000)
    code = panel.user_code.text()
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", code)
    assert panel.prompt_box.isVisible() and panel.cancel_button.isVisible()
    assert panel.user_code.font().pointSizeF() > panel.status.font().pointSizeF() * 2
    assert panel.qr.isVisible() and not panel.qr.pixmap().isNull()
    panel.copy_code_button.click()
    assert QGuiApplication.clipboard().text() == code

    with qtbot.waitSignal(window.token_view.token_obtained, timeout=20_000):
        assert idp.decide_device(code, approved=True)  # the user approves on the device page
    assert not panel.prompt_box.isVisible()


def test_cancel_stops_a_login_and_frees_the_worker(qtbot, make_window, add_profile, idp):
    add_profile("oauth2-device-code", "tv")
    window = make_window(select="tv")
    panel = window.token_view.login_panel
    panel.login_button.click()
    qtbot.waitUntil(lambda: bool(panel.user_code.text()), timeout=10_000)
    panel.cancel_button.click()
    assert panel.login_button.isEnabled() and "cancelled" in panel.status.text()
    wait_idle(qtbot, window, timeout=5_000)  # the job saw its cancel event and returned
    assert window.token_view.result is None


def test_sign_out_revokes_the_refresh_token(qtbot, make_window, add_profile, ctx, idp, user_in_browser):
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    view = window.token_view
    with qtbot.waitSignal(view.token_obtained, timeout=20_000):
        view.login_panel.login_button.click()
    refresh = ctx.vault.load("corp", "refresh_token")
    view.login_panel.sign_out_button.click()
    qtbot.wait(200)
    assert ctx.vault.load("corp", "refresh_token") == refresh  # it asks first
    with qtbot.waitSignal(view.login_panel.signed_out, timeout=10_000):
        confirm_button(view.login_panel.question).click()
    assert refresh in idp.revoked
    assert ctx.vault.load("corp", "refresh_token") is None
    assert "revoked" in view.login_panel.status.text()
    qtbot.waitUntil(lambda: not view.token_box.token)
    qtbot.wait(300)  # the engine's "cleared" event refreshes the window: the token stays gone
    assert not view.token_box.token


def test_the_editor_fetches_endpoints_from_the_issuer(qtbot, make_window, sandbox):
    window = make_window()
    editor = window.new_profile("oauth2-authorization-code")
    qtbot.waitExposed(editor)
    issuer = sandbox.base_url("oauth2-authorization-code")
    editor.base_url.setText(issuer)
    row = editor.discovery_row
    assert row is not None
    with qtbot.waitSignal(row.discovered, timeout=10_000):
        row.button.click()
    assert editor.var_fields["token_endpoint"].placeholderText() == issuer + "/token"
    assert editor.var_fields["token_endpoint"].text() == ""  # discovery stays the source
    assert "revocation" in row.result.text()
    choose_preset(editor, "token-of-trust")
    assert editor.discovery_row is None


def test_the_keys_view_copies_a_jwks_to_register(qtbot, make_window):
    window = make_window()
    keys = window.keys_view
    with qtbot.waitSignal(keys.generated, timeout=20_000):
        keys.generate_button.click()
    keys.copy_jwks_button.click()
    jwks = json.loads(QGuiApplication.clipboard().text())
    assert jwks["keys"][0]["kid"] == json.loads(keys.public_jwk.toPlainText())["kid"]


def test_before_login_only_log_in_is_offered(qtbot, make_window, add_profile, user_in_browser):
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    view = window.token_view
    panel = view.login_panel
    assert panel.login_button.isEnabled()
    copies = (view.copy_token_button, view.copy_header_button, view.copy_curl_button)
    for button in (panel.sign_out_button, panel.id_token_button, view.refresh_button, *copies):
        assert not button.isEnabled()
        assert "Log in first" in button.toolTip()
    with qtbot.waitSignal(view.token_obtained, timeout=20_000):
        panel.login_button.click()
    qtbot.waitUntil(lambda: panel.sign_out_button.isEnabled())
    assert panel.id_token_button.isEnabled() and view.refresh_button.isEnabled()
    assert all(button.isEnabled() for button in copies)


def test_a_copy_shortcut_before_login_says_log_in_first_and_copies_nothing(
    qtbot, make_window, add_profile, user_in_browser
):
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    QGuiApplication.clipboard().setText("before")
    for copy in (window.copy_selected_token, window.copy_header, window.copy_curl):
        copy()
        assert "Log in first" in window.statusBar().currentMessage()
        assert not window.token_view.busy
    assert QGuiApplication.clipboard().text() == "before"


def _grant_text(qtbot, panel, *, contains: str) -> str:
    def shown() -> bool:
        return panel.grant_info.isVisible() and contains in panel.grant_info.text()

    qtbot.waitUntil(shown, timeout=10_000)
    return panel.grant_info.text()


def test_the_token_view_shows_the_granted_scope_and_the_refresh_token(
    qtbot, make_window, add_profile, ctx, idp, user_in_browser
):
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    view = window.token_view
    assert not view.login_panel.grant_info.isVisible()  # nothing to say before a login
    with qtbot.waitSignal(view.token_obtained, timeout=20_000):
        view.login_panel.login_button.click()
    text = _grant_text(qtbot, view.login_panel, contains="Granted scope:")
    granted = ctx.engine.token_state("corp").granted_scope
    assert granted and f"Granted scope: {granted}" in text and "Refresh token: Granted" in text


def test_the_token_view_says_when_the_server_refused_the_refresh_token(
    qtbot, make_window, add_profile, ctx, idp, user_in_browser
):
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    view = window.token_view
    with qtbot.waitSignal(view.token_obtained, timeout=20_000):
        view.login_panel.login_button.click()
    assert idp.sessions.revoke(ctx.vault.load("corp", "refresh_token"))  # revoked server-side
    qtbot.waitUntil(view.refresh_button.isEnabled, timeout=5_000)
    view.refresh_button.click()
    text = _grant_text(qtbot, view.login_panel, contains="Refused by the server")
    assert "log in again" in text
    assert ctx.vault.load("corp", "refresh_token") is None  # never sent again
    qtbot.waitUntil(lambda: not view.token_box.token)
    assert view.login_panel.login_button.isEnabled()


def test_the_token_view_says_when_a_login_granted_no_refresh_token(qtbot, make_window, add_profile, ctx):
    from workbench.core.engine.answers import TokenAnswer

    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    now = ctx.clock.now()
    answer = TokenAnswer("at-no-refresh", None, "Bearer", now + 300, 300.0, now, scope="openid")
    ctx.engine.store_login("corp", answer)  # what a login without offline_access leaves
    text = _grant_text(qtbot, window.token_view.login_panel, contains="Refresh token:")
    assert "Granted scope: openid" in text and "None granted: log in again" in text


def test_sign_out_is_the_core_logout(qtbot, make_window, add_profile, ctx, idp, user_in_browser, monkeypatch):
    import workbench.core.oauth.signout as signout

    calls: list[str] = []
    real = signout.sign_out
    monkeypatch.setattr(signout, "sign_out", lambda c, name, **kw: calls.append(name) or real(c, name, **kw))
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    view = window.token_view
    with qtbot.waitSignal(view.token_obtained, timeout=20_000):
        view.login_panel.login_button.click()
    view.login_panel.sign_out_button.click()  # it asks first (issue 21 item 12)
    with qtbot.waitSignal(view.login_panel.signed_out, timeout=10_000):
        confirm_button(view.login_panel.question).click()
    assert calls == ["corp"]
    qtbot.waitUntil(lambda: not view.login_panel.grant_info.isVisible(), timeout=5_000)


def test_the_editor_shows_the_redirect_uri_to_register(qtbot, make_window):
    window = make_window()
    editor = window.new_profile("oauth2-authorization-code")
    qtbot.waitExposed(editor)
    assert editor.redirect_uri is not None and editor.redirect_uri.isReadOnly()
    assert editor.redirect_uri.text() == "http://127.0.0.1/callback"
    editor.var_fields["redirect_port"].setText("8765")
    assert editor.redirect_uri.text() == "http://127.0.0.1:8765/callback"
    choose_preset(editor, "oauth2-device-code")
    assert editor.redirect_uri is None  # a device login has no redirect


def test_a_login_hands_the_gui_no_token_the_engine_event_brings_it(
    qtbot, make_window, add_profile, user_in_browser, monkeypatch
):
    from workbench.core.engine.types import TokenResult
    from workbench.gui.tasks import TaskRunner

    delivered = []
    deliver = TaskRunner._deliver
    monkeypatch.setattr(
        TaskRunner,
        "_deliver",
        lambda self, task, result: (delivered.append(result), deliver(self, task, result)),
    )
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    result = obtain(qtbot, window, window.token_view.login_panel.login_button.click, timeout=20_000)
    wait_idle(qtbot, window)
    assert window.token_view.token_box.token == result.access_token
    assert not [
        r
        for r in delivered
        if isinstance(r, TokenResult) or isinstance(getattr(r, "token", None), TokenResult)
    ]
