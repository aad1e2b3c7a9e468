"""Issue 21 item 11, "Forms that guide": the profile editor's keyboard order, a banner that
stays true, errors that stay readable in a small window, secrets that can be shown and hidden,
OAuth fields that explain themselves, and GUI fields for what errors used to send to the CLI."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLineEdit, QPushButton

from workbench.core.oauth.protocol import CLIENT_AUTH_METHODS


def open_new(qtbot, window, preset):
    editor = window.new_profile(preset)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    return editor


def open_edit(qtbot, window):
    editor = window.edit_profile()
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    return editor


def save_button(editor) -> QPushButton:
    return editor.buttons.button(QDialogButtonBox.StandardButton.Save)


def press_tab(widget=None):
    widget = widget or QApplication.focusWidget()
    assert widget is not None, "nothing has focus"
    QTest.keyClick(widget, Qt.Key.Key_Tab)


def focus_order(editor, start, stop, limit=80) -> list:
    """The widgets Tab visits from `start` until `stop` (as the user would walk them)."""
    start.setFocus()
    seen = [start]
    for _ in range(limit):
        press_tab()
        widget = QApplication.focusWidget()
        if widget is stop or widget is start:
            seen.append(widget)
            break
        seen.append(widget)
    return seen


def shown_problems(editor) -> dict[str, str]:
    return {key: row.error.text() for key, row in editor.rows.items() if row.error.isVisible()}


# -- keyboard order -------------------------------------------------------------------------------


def test_tab_from_the_timeout_goes_to_the_preset_inputs_and_typing_lands_there(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    editor.timeout.setFocus()
    press_tab()
    if QApplication.focusWidget() is getattr(editor, "allowed_origins", None):
        press_tab()  # the last field above the preset's inputs
    assert QApplication.focusWidget() is editor.var_fields["key_id"]
    QTest.keyClicks(QApplication.focusWidget(), "4c1e")
    assert editor.var_fields["key_id"].text() == "4c1e"


def test_save_and_the_banner_come_after_every_input_in_the_tab_order(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    save_button(editor).click()  # the banner (with its close button) is shown now
    assert editor.banner.isVisible()
    order = focus_order(editor, editor.name_edit, save_button(editor))
    pem = editor.secret_fields["private_key"].editor
    assert order[-1] is save_button(editor)
    assert editor.var_fields["key_id"] in order and pem in order
    assert not any(w is not None and editor.banner.isAncestorOf(w) for w in order)


def test_the_editor_opens_with_the_cursor_in_its_first_field(qtbot, make_window, add_profile):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    assert QApplication.focusWidget() is editor.name_edit
    editor.close()
    add_profile("token-of-trust", "tot")
    window.reload_profiles(select="tot")
    qtbot.waitUntil(lambda: window.selected_name() == "tot")
    editor = open_edit(qtbot, window)
    assert QApplication.focusWidget() is editor.base_url  # the name of a profile is fixed
    assert not editor.base_url.hasSelectedText()  # a keystroke must not replace the URL


def test_choosing_another_preset_keeps_the_new_inputs_before_save(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    editor.preset_combo.setCurrentIndex(editor.preset_combo.findData("token-of-trust"))
    qtbot.waitUntil(editor.var_fields["app_domain"].isVisible)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    editor.timeout.setFocus()
    press_tab()
    if QApplication.focusWidget() is getattr(editor, "allowed_origins", None):
        press_tab()
    assert QApplication.focusWidget() is editor.var_fields["app_domain"]


# -- the banner stays true -----------------------------------------------------------------------


def test_the_fix_n_fields_banner_follows_the_fields_as_they_get_fixed(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    save_button(editor).click()
    assert editor.banner.label.text().startswith("Fix 4 fields (Name, Base URL, API key id, ")
    qtbot.keyClicks(editor.name_edit, "tm")
    assert editor.banner.label.text().startswith("Fix 3 fields (Base URL, API key id, ")
    qtbot.keyClicks(editor.base_url, "https://api.example.com/v1/auth")
    qtbot.keyClicks(editor.var_fields["key_id"], "4c1e")
    assert editor.banner.isVisible()
    assert editor.banner.label.text() == "EC P-256 private key (PEM) is required (nothing is stored yet)."
    editor.secret_fields["private_key"].set_value("-----BEGIN PRIVATE KEY-----")
    assert not editor.banner.isVisible()


# -- errors stay readable in a small window ------------------------------------------------------


def visible_in_viewport(editor, widget) -> bool:
    viewport = editor.form_scroll.viewport()
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    return viewport.rect().contains(QRect(top_left, widget.size()))


def test_at_800x500_each_error_is_wholly_visible_when_its_field_has_focus(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "oauth2-client-credentials")
    editor.resize(800, 500)
    qtbot.waitUntil(lambda: editor.height() == 500)
    editor.name_edit.setText("bad name!")
    editor.base_url.setText("ftp://x")
    editor.timeout.setText("-1")
    save_button(editor).click()
    problems = shown_problems(editor)
    assert {"name", "base_url", "timeout", "var:client_id"} <= set(problems)
    inputs = {editor.rows[key].input_widget(): key for key in problems}
    checked = set()
    editor.name_edit.setFocus()
    for _ in range(60):
        widget = QApplication.focusWidget()
        if widget is save_button(editor):
            break
        if widget in inputs:
            QApplication.processEvents()
            row = editor.rows[inputs[widget]]
            assert visible_in_viewport(editor, row.error), inputs[widget]
            assert row.error.height() >= row.error.heightForWidth(row.error.width())
            checked.add(inputs[widget])
        press_tab()
    assert checked == set(problems)
    # The form gets most of the window: it is not a strip under fixed fields.
    assert editor.form_scroll.viewport().height() >= 0.6 * editor.height()


# -- secrets: show what was typed, hide again ------------------------------------------------------


def test_a_just_typed_secret_can_be_shown_and_hidden_again(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "api-key-sliding")
    field = editor.secret_fields["api_key"]
    assert not field.reveal_button.isEnabled()  # nothing typed, nothing stored
    qtbot.keyClicks(field.editor, "typed-key")
    assert field.reveal_button.isEnabled()
    assert field.reveal_button.text() == "Show"
    field.reveal_button.click()
    assert field.editor.echoMode() == QLineEdit.EchoMode.Normal
    assert field.reveal_button.text() == "Hide"
    field.reveal_button.click()
    assert field.editor.echoMode() == QLineEdit.EchoMode.Password
    assert field.value() == "typed-key"


def test_a_revealed_stored_secret_can_be_hidden_and_is_not_stored_again(qtbot, make_window, add_profile, ctx):
    add_profile("api-key-sliding", "sl")
    window = make_window(select="sl")
    editor = open_edit(qtbot, window)
    field = editor.secret_fields["api_key"]
    qtbot.waitUntil(field.reveal_button.isEnabled)
    assert field.reveal_button.text() == "Reveal"
    field.reveal_button.click()
    stored = ctx.vault.load("sl", "api_key")
    qtbot.waitUntil(lambda: field.value() == stored)
    assert field.editor.echoMode() == QLineEdit.EchoMode.Normal
    assert field.reveal_button.text() == "Hide"
    field.reveal_button.click()
    assert field.editor.echoMode() == QLineEdit.EchoMode.Password
    assert field.value() == ""  # hidden again: the stored value is kept, not re-typed
    assert field.reveal_button.text() == "Reveal"


# -- OAuth fields ----------------------------------------------------------------------------------


def test_client_authentication_is_a_dropdown_of_the_methods_core_supports(qtbot, make_window, ctx):
    window = make_window()
    editor = open_new(qtbot, window, "oauth2-client-credentials")
    combo = editor.rows["var:client_auth"].input_widget()
    assert isinstance(combo, QComboBox)
    assert [combo.itemData(i) for i in range(combo.count())] == list(CLIENT_AUTH_METHODS)
    assert combo.currentData() == "client_secret_basic"  # the preset's default
    combo.setCurrentIndex(combo.findData("client_secret_post"))
    editor.name_edit.setText("cc")
    editor.base_url.setText("https://auth.example.com")
    editor.var_fields["client_id"].setText("app")
    editor.secret_fields["client_secret"].set_value("s3cret")
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        save_button(editor).click()
    assert ctx.profiles.get("cc").vars["client_auth"] == "client_secret_post"


def test_an_empty_client_authentication_is_offered_where_the_preset_chooses_by_itself(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "oauth2-refresh-token")
    combo = editor.rows["var:client_auth"].input_widget()
    assert combo.itemData(0) == ""
    assert "automatic" in combo.itemText(0)
    assert {combo.itemData(i) for i in range(1, combo.count())} == set(CLIENT_AUTH_METHODS)


def test_oauth_fields_say_what_they_are_for(qtbot, make_window):
    window = make_window()
    wanted = {
        "oauth2-authorization-code": (
            "client_id",
            "scope",
            "audience",
            "resource",
            "redirect_port",
            "authorization_endpoint",
            "token_endpoint",
        ),
        "oauth2-device-code": ("client_id", "scope", "audience", "device_authorization_endpoint"),
        "oauth2-client-credentials": ("client_id", "scope", "audience", "resource", "token_path"),
    }
    for preset, names in wanted.items():
        editor = open_new(qtbot, window, preset)
        for name in names:
            help_label = editor.rows[f"var:{name}"].help
            assert help_label.isVisibleTo(editor) and len(help_label.text()) > 20, (preset, name)
        editor.close()


def test_the_redirect_uri_to_register_is_shown_with_copy(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "oauth2-authorization-code")
    assert editor.redirect_uri is not None
    assert editor.redirect_uri.text() == "http://127.0.0.1/callback"
    qtbot.keyClicks(editor.var_fields["redirect_port"], "8765")
    assert editor.redirect_uri.text() == "http://127.0.0.1:8765/callback"
    editor.redirect_copy.click()
    assert QGuiApplication.clipboard().text() == "http://127.0.0.1:8765/callback"


# -- allowed origins: the GUI's --allow-origin ------------------------------------------------------


def test_allowed_origins_are_set_in_the_editor_and_written_through_core(qtbot, make_window, add_profile, ctx):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    editor = open_edit(qtbot, window)
    qtbot.keyClicks(editor.allowed_origins, "ftp://files.example.com")
    assert "not an origin" in shown_problems(editor)["allowed_origins"]
    editor.allowed_origins.clear()
    qtbot.keyClicks(editor.allowed_origins, "https://files.example.com, https://cdn.example.com:8443/")
    assert shown_problems(editor) == {}
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        save_button(editor).click()
    assert ctx.profiles.get("tot").settings["allowed_origins"] == [
        "https://files.example.com",
        "https://cdn.example.com:8443",
    ]
    qtbot.waitUntil(lambda: "allowed_origins" in window.selected_profile().settings)  # reloaded
    editor = open_edit(qtbot, window)
    assert editor.allowed_origins.text() == "https://files.example.com https://cdn.example.com:8443"
    editor.allowed_origins.clear()
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        save_button(editor).click()
    assert "allowed_origins" not in ctx.profiles.get("tot").settings


def test_a_new_profile_can_allow_another_origin(qtbot, make_window, ctx, sandbox):
    window = make_window()
    editor = open_new(qtbot, window, "token-of-trust")
    spec = sandbox.demo_profiles()["token-of-trust"]
    editor.name_edit.setText("tot2")
    editor.base_url.setText(spec["base_url"])
    editor.var_fields["app_domain"].setText(spec["vars"]["app_domain"])
    for key, value in spec["secrets"].items():
        editor.secret_fields[key].set_value(value)
    editor.allowed_origins.setText("https://files.example.com")
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        save_button(editor).click()
    assert ctx.profiles.get("tot2").settings["allowed_origins"] == ["https://files.example.com"]
