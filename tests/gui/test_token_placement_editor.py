"""Token placement (issue 21 item 5) in the profile editor: where the token goes (header or query
parameter), its header scheme and its parameter name, written through core's profile update as
`profile set --set token_placement=…` writes them, and read back into the fields."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from workbench.core.request.codegen import snippet, snippet_request


def open_edit(qtbot, window):
    editor = window.edit_profile()
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    return editor


def save(qtbot, editor) -> None:
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_the_token_can_go_in_a_query_parameter_and_back_in_the_header(qtbot, make_window, add_profile, ctx):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    editor = open_edit(qtbot, window)
    fields = editor.token_fields
    assert "Authorization: Bearer" in fields.placement.itemText(0)  # what the preset does, said
    fields.placement.setCurrentIndex(fields.placement.findData("query"))
    qtbot.keyClicks(fields.parameter, "bad name!")
    qtbot.waitUntil(lambda: editor.rows["token_parameter"].error.isVisible())
    assert "query parameter name" in editor.rows["token_parameter"].error.text()
    fields.parameter.clear()
    qtbot.keyClicks(fields.parameter, "api_key")
    save(qtbot, editor)
    profile = ctx.profiles.get("tot")
    assert profile.settings["token_placement"] == "query" and profile.settings["token_parameter"] == "api_key"
    code = snippet(snippet_request(profile, "GET", "/me"), "curl")
    assert "api_key=$(workbench token tot)" in code and "Authorization" not in code

    qtbot.waitUntil(lambda: "token_placement" in window.selected_profile().settings)  # reloaded
    editor = open_edit(qtbot, window)
    fields = editor.token_fields
    assert fields.placement.currentData() == "query" and fields.parameter.text() == "api_key"
    fields.placement.setCurrentIndex(fields.placement.findData("header"))
    fields.parameter.clear()
    qtbot.keyClicks(fields.scheme, "none")
    save(qtbot, editor)
    settings = ctx.profiles.get("tot").settings
    assert settings["token_placement"] == "header" and settings["token_scheme"] == ""
    assert "token_parameter" not in settings
    assert ctx.profiles.get("tot").token_spec.scheme == ""  # the token alone in Authorization
