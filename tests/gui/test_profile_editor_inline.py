"""The profile editor checks everything at once, inline, as the user types, in the form's words;
help text is never clipped, a long label never squeezes its field, and a timeout can be set."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QLabel


def open_new(qtbot, window, preset):
    editor = window.new_profile(preset)
    qtbot.waitExposed(editor)
    return editor


def click_save(editor):
    editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def shown_problems(editor) -> dict[str, str]:
    return {key: row.error.text() for key, row in editor.rows.items() if row.error.isVisible()}


def test_one_save_shows_every_problem_at_once_each_under_its_field(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    editor.name_edit.setText("../up")
    click_save(editor)
    problems = shown_problems(editor)
    assert set(problems) == {"name", "base_url", "var:key_id", "secret:private_key"}
    for key in problems:
        assert editor.rows[key].input_widget().property("invalid") is True
    assert editor.banner.label.text().startswith(
        "Fix 4 fields (Name, Base URL, API key id, EC P-256 private key (PEM)): "
    )
    assert window.ctx.profiles.names() == []


def test_a_field_is_checked_as_the_user_types_and_clears_when_fixed(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "api-key-sliding")
    qtbot.keyClicks(editor.base_url, "ftp://host")
    assert shown_problems(editor) == {"base_url": "The base URL must start with http:// or https://."}
    editor.base_url.clear()
    qtbot.keyClicks(editor.base_url, "https://api.example.com")
    assert shown_problems(editor) == {}
    assert editor.rows["base_url"].input_widget().property("invalid") is False


def test_messages_and_labels_use_the_forms_words_not_file_keys(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    click_save(editor)
    from workbench.gui.profile_editor import LABEL_WIDTH

    labels = [label.text() for label in editor.findChildren(QLabel) if label.maximumWidth() == LABEL_WIDTH]
    assert "Base URL" in labels and "API key id" in labels
    texts = [*labels, *shown_problems(editor).values(), editor.banner.label.text()]
    for text in texts:
        assert "base_url" not in text and "key_id" not in text and "secret_names" not in text


def test_a_name_already_taken_is_flagged_before_saving(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window()
    editor = open_new(qtbot, window, "token-of-trust")
    qtbot.keyClicks(editor.name_edit, "tot")
    assert "already exists" in shown_problems(editor)["name"]


def test_help_text_is_never_clipped(qtbot, make_window):
    window = make_window()
    for preset in ("true-markets", "oauth2-refresh-token", "token-of-trust"):
        editor = open_new(qtbot, window, preset)
        editor.resize(editor.minimumWidth(), 700)
        qtbot.wait(50)
        for key, row in editor.rows.items():
            if row.help.isVisible():
                assert row.help.height() >= row.help.heightForWidth(row.help.width()), (preset, key)
        editor.reject()


def test_a_long_label_does_not_squeeze_the_refresh_token_field(qtbot, make_window):
    window = make_window()
    editor = open_new(qtbot, window, "oauth2-refresh-token")
    editor.resize(editor.minimumWidth(), 700)
    qtbot.wait(50)
    refresh = editor.secret_fields["refresh_token"].editor
    form_width = editor.inputs_box.width()
    assert refresh.width() >= form_width * 0.45, (refresh.width(), form_width)


def test_the_timeout_is_saved_as_the_profiles_own_setting(qtbot, make_window, ctx, sandbox):
    window = make_window()
    editor = open_new(qtbot, window, "api-key-sliding")
    spec = sandbox.demo_profiles()["api-key-sliding"]
    editor.name_edit.setText("sl")
    editor.base_url.setText(spec["base_url"])
    for key, value in spec["secrets"].items():
        editor.secret_fields[key].set_value(value)
    qtbot.keyClicks(editor.timeout, "abc")
    assert "number of seconds" in shown_problems(editor)["timeout"]
    editor.timeout.setText("30")
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        click_save(editor)
    assert ctx.profiles.get("sl").settings["timeout"] == 30

    qtbot.waitUntil(lambda: window.selected_name() == "sl")
    again = window.edit_profile()
    qtbot.waitExposed(again)
    assert again.timeout.text() == "30"
    again.timeout.clear()
    with qtbot.waitSignal(again.saved, timeout=10_000):
        click_save(again)
    assert "timeout" not in ctx.profiles.get("sl").settings


def test_a_key_file_is_read_off_the_gui_thread(qtbot, make_window, tmp_path):
    window = make_window()
    editor = open_new(qtbot, window, "true-markets")
    pem = tmp_path / "key.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    field = editor.secret_fields["private_key"]
    field.file_chosen.emit("private_key", str(pem))
    qtbot.waitUntil(lambda: field.value().startswith("-----BEGIN PRIVATE KEY-----"), timeout=5000)


def test_a_failed_save_marks_the_field_the_core_error_names_not_one_its_words_suggest(qtbot, make_window):
    from workbench.core.errors import InputError, ProfileExistsError

    window = make_window()
    editor = open_new(qtbot, window, "token-of-trust")
    editor.on_save_failed(ProfileExistsError("tot"))  # another process created it meanwhile
    assert set(shown_problems(editor)) == {"name"}
    editor.rows["name"].set_problem(None)
    editor.on_save_failed(InputError("token-of-trust needs --set app_domain=…", field="vars.app_domain"))
    assert set(shown_problems(editor)) == {"var:app_domain"}
    editor.rows["var:app_domain"].set_problem(None)
    # Words alone mark nothing: a provider's message may say "base url" or "timeout".
    editor.on_save_failed(InputError("the provider's base url answered with a timeout"))
    assert shown_problems(editor) == {}
