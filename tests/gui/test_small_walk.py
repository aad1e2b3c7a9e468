"""Issue 21 item 14, the smaller points of the second walk: saved-request names as people type
them, Ctrl+S wherever the Request tab has focus, the name field after Rename, F1 listing every
shortcut, wording."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import wait_idle
from workbench.core.request.saved import SavedRequestStore


def focus(qtbot, window, widget):
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


def _request_tab(qtbot, window):
    window.show_tab("request")
    panel = window.saved_requests_panel
    wait_idle(qtbot, window)
    return window.request_view, panel


def _stored(profile="tot"):
    return [(r.name, r.title) for r in SavedRequestStore().list(profile)]


# -- saved-request names with spaces ----------------------------------------------------------
def test_a_name_with_spaces_is_saved_under_a_command_line_name_and_listed_as_typed(
    qtbot, make_window, add_profile
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view, panel = _request_tab(qtbot, window)
    view.load_request("GET", "/api/echo?id=1", [], "")
    panel.name_edit.setText("Get user by id")
    qtbot.keyClick(panel.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _stored() == [("get-user-by-id", "Get user by id")], timeout=10_000)
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=10_000)
    assert panel.list.item(0).text().endswith("Get user by id")
    assert window.banner.isHidden()
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == "Saved request 'Get user by id' (as get-user-by-id)",
        timeout=10_000,
    )

    # Saving again under the same words replaces it (no second copy), and says so.
    view.load_request("POST", "/api/echo?id=2", [], "")
    panel.save_current()
    qtbot.waitUntil(lambda: [r.method for r in SavedRequestStore().list("tot")] == ["POST"], timeout=10_000)
    assert _stored() == [("get-user-by-id", "Get user by id")]
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage().startswith("Replaced saved request 'Get user by id'"),
        timeout=10_000,
    )


def test_renaming_to_words_with_spaces_keeps_them_as_the_title(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    _view, panel = _request_tab(qtbot, window)
    SavedRequestStore().save("tot", _saved("first"))
    panel.reload()
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=10_000)
    focus(qtbot, window, panel.list)
    panel.list.setCurrentRow(0)
    qtbot.keyClick(panel.list, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    editor.setText("List all users")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _stored() == [("list-all-users", "List all users")], timeout=10_000)
    assert window.banner.isHidden()


def _saved(name, title=""):
    from workbench.core.request.saved import SavedRequest

    return SavedRequest(name=name, method="GET", url="/api/echo", title=title)


# -- the name field after Rename --------------------------------------------------------------
def test_after_a_rename_the_name_to_save_under_is_the_new_name(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view, panel = _request_tab(qtbot, window)
    SavedRequestStore().save("tot", _saved("first"))
    panel.reload()
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=10_000)
    focus(qtbot, window, panel.list)
    panel.list.setCurrentRow(0)
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)  # open it: the name field says "first"
    assert panel.name_edit.text() == "first"
    qtbot.keyClick(panel.list, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    editor.setText("second")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _stored() == [("second", "")], timeout=10_000)
    qtbot.waitUntil(lambda: panel.name_edit.text() == "second", timeout=10_000)

    # Ctrl+S now saves over the renamed request; the old name does not come back.
    focus(qtbot, window, view.url)
    qtbot.keyClick(view.url, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.runner.active_count == 0, timeout=10_000)
    qtbot.wait(100)
    assert _stored() == [("second", "")]


# -- Ctrl+S with the saved-requests list hidden -----------------------------------------------
def test_ctrl_s_in_the_editor_saves_with_the_list_hidden_and_shows_it(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view, panel = _request_tab(qtbot, window)
    view.side_toggle.click()  # the user hides the list
    assert not panel.isVisible()
    view.load_request("GET", "/api/echo?x=1", [], "")
    focus(qtbot, window, view.body)
    qtbot.keyClick(view.body, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(_stored()) == 1, timeout=10_000)
    assert panel.isVisible() and view.side_toggle.isChecked()
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=10_000)


def test_ctrl_s_with_focus_in_the_list_saves_once(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view, panel = _request_tab(qtbot, window)
    view.load_request("GET", "/api/echo", [], "")
    panel.name_edit.setText("kept")
    focus(qtbot, window, panel.name_edit)
    qtbot.keyClick(panel.name_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _stored() == [("kept", "")], timeout=10_000)


# -- F1 lists every shortcut, from what is registered -----------------------------------------
def test_f1_lists_every_registered_shortcut_with_what_it_does(qtbot, make_window, add_profile):
    from PySide6.QtGui import QAction, QShortcut

    from workbench.gui.shortcuts import registered_shortcuts

    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    focus(qtbot, window, window.sidebar)
    qtbot.keyClick(window.sidebar, Qt.Key.Key_F1)
    dialog = window.shortcuts_dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=5_000)
    text = dialog.text()
    for keys in ("Ctrl+S", "F2", "Del", "Ctrl+Shift+C", "Ctrl+M", "Esc", "F1", "Ctrl+Return", "Shift+Return"):
        assert keys in text, keys
    rows = registered_shortcuts(window)
    assert all(row.what for row in rows), [r for r in rows if not r.what]
    listed = {(key, row.where) for row in rows for key in row.keys.split(" / ")}
    # Every QShortcut and every QAction with keys, of every panel (F1 built them all), is listed.
    for shortcut in window.findChildren(QShortcut):
        assert shortcut.whatsThis(), shortcut.key().toString()
        assert any(key == shortcut.key().toString() for key, _where in listed), shortcut.key().toString()
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            assert any(key == sequence.toString() for key, _where in listed), action.text()
    where = {row.keys: row.where for row in rows}
    assert where["F2"] == "Request tab · Saved requests list"
    assert where["Ctrl+S"] == "Request tab"
    assert where["Ctrl+M"] == "Anywhere in the window"
    assert where["Ctrl+Return / Ctrl+Enter"] == "Request tab" and "Ctrl+Q" in where
    dialog.close()


def test_delete_in_the_headers_table_removes_the_row(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view, _panel = _request_tab(qtbot, window)
    view.set_headers([("X-One", "1"), ("X-Two", "2")])
    view.request_tabs.setCurrentWidget(view.headers)
    focus(qtbot, window, view.headers)
    view.headers.selectRow(0)
    qtbot.keyClick(view.headers, Qt.Key.Key_Delete)
    assert view.header_list() == [("X-Two", "2")]


# -- plain http:// to a remote host, warned in the profile editor -----------------------------
@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://api.example.com", True),
        ("http://127.0.0.1.nip.io:8080", True),
        ("http://localhost:8080", False),
        ("http://127.0.0.1:9000/v1", False),
        ("http://[::1]:9000", False),
        ("https://api.example.com", False),
    ],
)
def test_the_editor_warns_of_plain_http_to_a_host_that_is_not_loopback(qtbot, make_window, url, warned):
    window = make_window()
    editor = window.new_profile("bearer")
    editor.base_url.setFocus()
    qtbot.keyClicks(editor.base_url, url)
    assert editor.http_warning.isVisible() is warned
    if warned:
        assert "unencrypted" in editor.http_warning.text()
    editor.close()


def test_editing_a_plain_http_profile_shows_the_warning_at_once(qtbot, make_window, ctx):
    ctx.profiles.create("plain", preset="bearer", base_url="http://api.example.com", vars={}, secret_names=[])
    window = make_window(select="plain")
    editor = window.edit_profile()
    qtbot.waitUntil(editor.http_warning.isVisible, timeout=5_000)
    editor.close()


# -- Copy during a slow call, while the token on screen is valid ------------------------------
def test_copy_works_during_a_slow_mint_while_the_token_shown_is_valid(
    qtbot, make_window, add_profile, sandbox
):
    from PySide6.QtGui import QGuiApplication

    from tests.gui.conftest import obtain

    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    shown = obtain(qtbot, window, view.mint_button.click).access_token
    sandbox.inject_fault("token-of-trust", "mint", "slow", delay=3.0)
    view.mint_button.click()
    assert view.busy
    for button in (view.copy_token_button, view.copy_header_button, view.copy_curl_button):
        assert button.isEnabled(), button.toolTip()
    assert "still valid" in view.copy_token_button.toolTip()
    with qtbot.waitSignal(window.clipboard.copied, timeout=2_000):
        view.copy_token_button.click()
    assert QGuiApplication.clipboard().text() == shown
    with qtbot.waitSignal(window.clipboard.copied, timeout=2_000):
        window.copy_header_action.trigger()  # the Token menu, as the button
    assert QGuiApplication.clipboard().text().endswith(shown)
    assert view.busy  # the mint goes on
    view.cancel_button.click()


def test_without_a_token_copy_waits_for_the_slow_mint(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    sandbox.inject_fault("token-of-trust", "mint", "slow", delay=3.0)
    view.mint_button.click()
    assert view.busy and not view.copy_token_button.isEnabled()
    assert view.copy_token_button.toolTip().startswith("Wait for the minting")
    view.cancel_button.click()


# -- a request is not carried into another profile silently ------------------------------------
def _write_request(qtbot, window, view, method, url, body=""):
    focus(qtbot, window, view.url)
    view.url.clear()
    qtbot.keyClicks(view.url, url)
    view.method.setCurrentText(method)
    if body:
        view.body.setPlainText(body)


def test_switching_profile_shows_that_profiles_own_request_and_keeps_the_first(
    qtbot, make_window, add_profile
):
    add_profile("token-of-trust", "tot")
    add_profile("true-markets", "tm")
    window = make_window(select="tot")
    view, panel = _request_tab(qtbot, window)
    _write_request(qtbot, window, view, "POST", "/api/echo?from=tot", '{"a": 1}')
    panel.name_edit.setText("for tot")
    written = view.current_request()

    window.select_profile("tm")
    assert view.current_request() == ("GET", "/api/echo", [], "")  # tm's own (a fresh one)
    assert panel.name_edit.text() == ""
    note = view.drafts.note
    assert note.isVisible() and "'tot'" in view.drafts.note_label.text()
    sent = []
    view.response_received.connect(sent.append)
    with qtbot.waitSignal(view.response_received, timeout=10_000):
        view.send_button.click()
    assert sent[0].method == "GET" and "from=tot" not in sent[0].url

    window.select_profile("tot")
    assert view.current_request() == written  # kept for the profile it was written for
    assert panel.name_edit.text() == "for tot"


def test_use_it_here_takes_the_previous_profiles_request_on_purpose(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    add_profile("true-markets", "tm")
    window = make_window(select="tot")
    view, _panel = _request_tab(qtbot, window)
    _write_request(qtbot, window, view, "PUT", "/api/echo?x=1", '{"b": 2}')
    written = view.current_request()
    window.select_profile("tm")
    view.drafts.use_button.click()
    assert view.current_request() == written
    assert not view.drafts.note.isVisible()
    # It is tm's own now: switching away and back keeps it.
    window.select_profile("tot")
    window.select_profile("tm")
    assert view.current_request() == written


def test_no_note_when_the_previous_profile_has_no_request_of_its_own(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    add_profile("true-markets", "tm")
    window = make_window(select="tot")
    view, _panel = _request_tab(qtbot, window)
    window.select_profile("tm")
    assert not view.drafts.note.isVisible()


# -- "Copy curl" on the Token tab targets the API ---------------------------------------------
def _copy_curl(qtbot, window):
    from PySide6.QtGui import QGuiApplication

    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_curl_action.trigger()
    return QGuiApplication.clipboard().text()


def test_copy_curl_targets_a_saved_request_not_where_tokens_come_from(
    qtbot, make_window, add_profile, sandbox
):
    from workbench.core.request.saved import SavedRequest

    add_profile("token-of-trust", "tot")
    SavedRequestStore().save(
        "tot", SavedRequest(name="get-user", title="Get user", method="GET", url="/api/echo?user=7")
    )
    window = make_window(select="tot")
    text = _copy_curl(qtbot, window)
    assert "/api/echo?user=7" in text
    assert window.statusBar().currentMessage() == "Copied curl command for saved request 'Get user'"


def test_copy_curl_takes_the_request_written_in_the_request_tab_first(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view, _panel = _request_tab(qtbot, window)
    _write_request(qtbot, window, view, "DELETE", "/api/echo?item=3")
    text = _copy_curl(qtbot, window)
    assert "DELETE" in text and "/api/echo?item=3" in text
    assert window.statusBar().currentMessage() == "Copied curl command for the Request tab"


def test_copy_curl_for_an_oauth_profile_goes_to_its_api_origin(qtbot, make_window, ctx, sandbox):
    from workbench.core.operations import create_profile

    spec = sandbox.demo_profiles()["oauth2-client-credentials"]
    create_profile(
        ctx,
        "cc",
        preset="oauth2-client-credentials",
        base_url=spec["base_url"],
        vars=spec.get("vars", {}),
        secrets=spec.get("secrets", {}),
    )
    from workbench.core.operations import update_profile

    update_profile(ctx, "cc", settings={"allowed_origins": ["https://api.example.com"]})
    window = make_window(select="cc")
    text = _copy_curl(qtbot, window)
    assert "https://api.example.com/" in text and spec["base_url"] not in text


# -- wording ----------------------------------------------------------------------------------
def _plain(html_text):
    import re

    return re.sub(r"<[^>]+>", "", html_text)


def _doubled(text):
    import re

    return re.findall(r"\b(\w+) \1\b", text.lower())


def test_login_instructions_say_each_thing_once(qtbot, make_window, add_profile, monkeypatch):
    monkeypatch.setattr("workbench.core.oauth.login.default_opener", lambda url: False)
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    panel = window.token_view.login_panel
    idle = panel.status.text()
    assert idle == "Sign in with your browser to obtain tokens." and not _doubled(idle)
    panel.login_button.click()
    qtbot.waitUntil(lambda: panel.prompt is not None, timeout=10_000)
    text = _plain(panel.instructions.text())
    assert text.lower().count("could not start a browser") == 1
    assert text.lower().count("sign-in page") == 1, text
    assert not _doubled(text)
    panel.on_cancel_clicked()


def test_status_lines_count_in_words(qtbot, make_window, add_profile):
    from workbench.core.operations import ProfileRemoved

    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.on_profile_removed(ProfileRemoved(name="tot", secret_names=("api_key",)))
    assert "1 keychain entry " in window.statusBar().currentMessage()
