"""The Request tab and the secure clipboard."""

from __future__ import annotations

import json
import sys

from PySide6.QtGui import QGuiApplication

from workbench.gui.clipboard import KDE_HINT, MAC_CONCEALED, sensitive_mime_data


def test_request_builder_sends_and_shows_the_response(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    window.tabs.setCurrentWidget(view)
    view.method.setCurrentText("POST")
    view.url.setText("/api/echo")
    view.set_headers([("X-Demo", "yes")])
    view.body.setPlainText('{"hello": "world", "at": {{ now() }}}')

    with qtbot.waitSignal(view.response_received, timeout=10_000) as blocker:
        window.send_action.trigger()  # Ctrl+Enter

    result = blocker.args[0]
    assert result.status == 200
    assert view.status_label.text().startswith("200")
    assert "ms" in view.time_label.text()
    shown = view.response_body.toPlainText()
    assert json.loads(shown) == result.json()
    assert "\n  " in shown  # pretty-printed
    names = [view.response_headers.item(r, 0).text().lower() for r in range(view.response_headers.rowCount())]
    assert "content-type" in names


def test_a_jwt_in_a_response_opens_in_the_inspector(qtbot, make_window, add_profile, sandbox):
    add_profile("api-key-sliding", "sl")
    window = make_window(select="sl")
    view = window.request_view
    view.method.setCurrentText("POST")
    view.url.setText("/authenticate")
    spec = sandbox.demo_profiles()["api-key-sliding"]["secrets"]
    # Body templates may read the profile's secrets; the values never appear in the editor.
    view.body.setPlainText(
        '{"apiKey": {{ secrets.api_key | tojson }}, "clientSecret": {{ secrets.client_secret | tojson }}}'
    )
    with qtbot.waitSignal(view.response_received, timeout=10_000):
        view.send_button.click()
    assert spec["api_key"] not in view.body.toPlainText()
    assert view.inspect_button.isEnabled()
    with qtbot.waitSignal(window.inspector_view.inspected, timeout=10_000) as blocker:
        view.inspect_button.click()
    assert window.tabs.currentWidget() is window.inspector_view
    assert blocker.args[0].token in view.last_result.text()


def test_ctrl_l_focuses_the_url(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.activateWindow()
    window.focus_url_action.trigger()
    assert window.tabs.currentWidget() is window.request_view
    assert window.request_view.url.selectedText() == window.request_view.url.text()


def test_a_failed_request_shows_the_provider_message(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    sandbox.inject_fault("token-of-trust", "mint", "invalid-json", times=None)
    window.request_view.url.setText("/api/echo")
    window.request_view.send()
    qtbot.waitUntil(lambda: window.request_view.status_label.text() == "Failed", timeout=15_000)
    assert window.request_view.send_button.isEnabled()
    assert window.banner.isVisible()
    assert window.tokens.error("tot")  # the token failure is also the profile's (sidebar, tooltip)


def test_copied_token_is_marked_secret_and_cleared_after_the_delay(
    qtbot, make_window, add_profile, gui_settings
):
    from workbench.gui.settings import Preferences

    gui_settings.save(Preferences(clipboard_clear=2))
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")

    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_token_action.trigger()  # Ctrl+Shift+C: obtains a token first (none yet)

    token = window.tokens.result("tot").access_token
    assert clipboard.text() == token
    if sys.platform.startswith("linux"):
        assert bytes(clipboard.mimeData().data(KDE_HINT)) == b"secret"
    assert window.clipboard_label.isVisible()
    assert "clears in" in window.clipboard_label.text()
    with qtbot.waitSignal(window.clipboard.cleared, timeout=5000):
        pass
    assert clipboard.text() == ""
    assert not window.clipboard_label.isVisible()


def test_the_clipboard_is_left_alone_when_the_user_copied_something_else(
    qtbot, make_window, add_profile, gui_settings
):
    from workbench.gui.settings import Preferences

    gui_settings.save(Preferences(clipboard_clear=3))
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.token_view.copy_header_button.click()
    clipboard = QGuiApplication.clipboard()
    assert clipboard.text().startswith("Authorization: Bearer ey")
    clipboard.setText("something of the user's")
    qtbot.waitUntil(lambda: window.clipboard.remaining == 0, timeout=5000)
    assert clipboard.text() == "something of the user's"


def test_the_copied_secret_is_cleared_on_quit(qtbot, make_window, add_profile, gui_settings):
    from workbench.gui.settings import Preferences

    gui_settings.save(Preferences(clipboard_clear=0))  # never by timer
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_token_action.trigger()
    assert window.clipboard.remaining == 0 and QGuiApplication.clipboard().text()
    window.close()
    assert QGuiApplication.clipboard().text() == ""


def test_copy_curl_builds_a_command_with_a_fresh_token(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.request_view.method.setCurrentText("GET")
    window.request_view.url.setText("/me")
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_curl_action.trigger()
    text = QGuiApplication.clipboard().text()
    token = window.tokens.result("tot").access_token
    assert text.startswith("curl")
    assert f"Bearer {token}" in text
    assert window.ctx.profiles.get("tot").base_url + "/me" in text


def test_sensitive_mime_hints_per_platform(qapp):
    linux = sensitive_mime_data("s3cret", "linux")
    assert bytes(linux.data(KDE_HINT)) == b"secret"
    mac = sensitive_mime_data("s3cret", "darwin")
    assert mac.hasFormat(MAC_CONCEALED)
    win = sensitive_mime_data("s3cret", "win32")
    formats = " ".join(win.formats())
    assert "ExcludeClipboardContentFromMonitorProcessing" in formats
    assert "CanIncludeInClipboardHistory" in formats and "CanUploadToCloudClipboard" in formats
    for mime in (linux, mac, win):
        assert mime.text() == "s3cret"
