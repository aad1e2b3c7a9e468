"""Creating and editing profiles through the editor dialog; secrets go to the vault only."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from tests.gui.conftest import choose_preset
from workbench.gui.profile_editor import NOT_SET, STORED


def open_editor(qtbot, window, preset=None):
    editor = window.new_profile(preset)
    assert editor is not None
    qtbot.waitExposed(editor)
    return editor


def save(qtbot, editor):
    with qtbot.waitSignal(editor.saved, timeout=10_000) as blocker:
        editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    return blocker.args[0]


def test_creating_a_profile_from_a_preset_through_the_editor(
    qtbot, make_window, ctx, sandbox, workbench_home
):
    window = make_window()
    editor = open_editor(qtbot, window)
    choose_preset(editor, "token-of-trust")
    assert set(editor.var_fields) == {"app_domain"}
    assert set(editor.secret_fields) == {"api_key", "secret_key"}
    assert editor.base_url.placeholderText() == "https://api.tokenoftrust.com"
    api_key = editor.secret_fields["api_key"]
    assert isinstance(api_key.editor, QLineEdit)
    assert api_key.editor.echoMode() == QLineEdit.EchoMode.Password
    assert api_key.status.text() == NOT_SET

    spec = sandbox.demo_profiles()["token-of-trust"]
    editor.name_edit.setText("my-tot")
    editor.base_url.setText(spec["base_url"])
    editor.var_fields["app_domain"].setText(spec["vars"]["app_domain"])
    for key, value in spec["secrets"].items():
        editor.secret_fields[key].set_value(value)

    assert save(qtbot, editor) == "my-tot"

    qtbot.waitUntil(lambda: window.selected_name() == "my-tot")
    profile = ctx.profiles.get("my-tot")
    assert profile.preset_name == "token-of-trust"
    assert profile.vars["app_domain"] == spec["vars"]["app_domain"]
    assert set(profile.secret_names) == {"api_key", "secret_key"}
    for key, value in spec["secrets"].items():
        assert ctx.vault.load("my-tot", key) == value
    # Nothing secret landed on disk.
    on_disk = "".join(p.read_text() for p in workbench_home.rglob("*") if p.is_file())
    for value in spec["secrets"].values():
        assert value not in on_disk

    # The new profile works: mint from the Token view.
    with qtbot.waitSignal(window.token_view.token_obtained, timeout=10_000):
        window.token_view.mint_button.click()


def test_the_pem_input_is_multiline_and_required_fields_are_checked(qtbot, make_window):
    window = make_window()
    editor = open_editor(qtbot, window, "true-markets")
    field = editor.secret_fields["private_key"]
    assert not isinstance(field.editor, QLineEdit)  # a PEM needs several lines
    editor.name_edit.setText("tm")
    editor.base_url.setText("http://127.0.0.1:9/true-markets/v1/auth")
    editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert editor.banner.isVisible()
    assert "API key id" in editor.banner.label.text()
    assert not window.ctx.profiles.exists("tm")


def test_editing_shows_which_secrets_are_stored_and_reveals_only_on_request(
    qtbot, make_window, add_profile, ctx
):
    add_profile("api-key-sliding", "sl")
    window = make_window(select="sl")
    editor = window.edit_profile()
    qtbot.waitExposed(editor)
    field = editor.secret_fields["client_secret"]
    qtbot.waitUntil(lambda: field.status.text() == STORED)
    assert field.value() == ""  # never shown unless asked
    assert editor.name_edit.isReadOnly()

    field.reveal_button.click()
    stored = ctx.vault.load("sl", "client_secret")
    qtbot.waitUntil(lambda: field.value() == stored)
    assert field.editor.echoMode() == QLineEdit.EchoMode.Normal


def test_editing_changes_the_base_url_and_keeps_untouched_secrets(qtbot, make_window, add_profile, ctx):
    add_profile("api-key-sliding", "sl")
    before = ctx.vault.load("sl", "api_key")
    window = make_window(select="sl")
    editor = window.edit_profile()
    qtbot.waitExposed(editor)
    qtbot.waitUntil(lambda: editor.secret_fields["api_key"].status.text() == STORED)
    new_url = ctx.profiles.get("sl").base_url + "/"
    editor.base_url.setText(new_url)
    editor.secret_fields["client_secret"].set_value("a-new-client-secret")
    save(qtbot, editor)
    assert ctx.profiles.get("sl").base_url.rstrip("/") == new_url.rstrip("/")
    assert ctx.vault.load("sl", "api_key") == before
    assert ctx.vault.load("sl", "client_secret") == "a-new-client-secret"


def test_a_bad_profile_name_is_reported_in_the_dialog(qtbot, make_window, sandbox):
    window = make_window()
    editor = open_editor(qtbot, window, "api-key-sliding")
    editor.name_edit.setText("../escape")
    editor.base_url.setText(sandbox.base_url("api-key-sliding"))
    for field in editor.secret_fields.values():
        field.set_value("x" * 12)
    editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(editor.banner.isVisible, timeout=5000)
    assert editor.isVisible()
    assert window.ctx.profiles.names() == []


def test_a_secret_read_from_a_reference_shows_where_it_comes_from(qtbot, make_window, add_profile, ctx):
    from workbench.core.operations import update_profile

    add_profile("api-key-sliding", "sl")
    update_profile(ctx, "sl", secret_refs={"client_secret": "env:SL_CLIENT_SECRET"})
    assert ctx.vault.load("sl", "client_secret") is None  # the reference replaced the stored value
    window = make_window(select="sl")
    editor = window.edit_profile()
    qtbot.waitExposed(editor)
    field = editor.secret_fields["client_secret"]
    qtbot.waitUntil(lambda: field.status.text() == "from env:SL_CLIENT_SECRET")
    assert not field.reveal_button.isEnabled()
    assert "secret:client_secret" not in editor.refresh_problems(all_fields=True)  # not "missing"
    assert editor.secret_fields["api_key"].status.text() == STORED
