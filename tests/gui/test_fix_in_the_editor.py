"""Issue 21 item 11: errors whose fix the CLI gives as `--allow-origin` or `profile set --set`
say, in the desktop app, which field of the profile editor fixes them, and filling in that
field does fix them (through the same core operation as `profile set`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtWidgets import QDialogButtonBox

from workbench.gui.fix_hints import EDIT


def send(qtbot, window, url, body=""):
    view = window.request_view
    window.tabs.setCurrentWidget(view)
    view.url.setText(url)
    view.body.setPlainText(body)
    view.send()
    qtbot.waitUntil(lambda: not view.sending, timeout=15_000)
    return view


def save_editor(qtbot, window, fill):
    editor = window.edit_profile()
    qtbot.waitExposed(editor)
    fill(editor)
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_another_origin_is_allowed_in_the_editor_not_with_a_cli_flag(qtbot, make_window, add_profile, ctx):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    base = urlsplit(ctx.profiles.get("tot").base_url)
    other = f"http://localhost:{base.port}"  # the same server under another origin
    view = send(qtbot, window, f"{other}{base.path}/api/echo")
    assert view.status_label.text() == "Failed"
    message = window.banner.label.text()
    assert "--allow-origin" not in message
    assert f"{EDIT} ▸ Allowed origins" in message

    save_editor(qtbot, window, lambda editor: editor.allowed_origins.setText(other))
    qtbot.waitUntil(lambda: "allowed_origins" in window.selected_profile().settings)
    with qtbot.waitSignal(view.response_received, timeout=15_000) as blocker:
        view.send()
    assert blocker.args[0].status == 200


def test_a_missing_setting_in_a_template_names_the_editor_field(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = send(qtbot, window, "/api/echo", '{"d": "{{ vars.app_domain }}", "x": "{{ vars.region }}"}')
    assert view.status_label.text() == "Failed"
    message = window.banner.label.text()
    assert "profile set" not in message and "--set" not in message
    assert "'region' is not one of this profile's settings" in message
    assert EDIT in message and "App domain" in message  # the settings the editor has


def test_a_login_without_client_id_points_at_the_client_id_field(make_window, ctx):
    from workbench.core.errors import InputError
    from workbench.gui.fix_hints import gui_message

    ctx.profiles.create(
        "ac",
        preset="oauth2-authorization-code",
        base_url="https://login.example.com",
        vars={"client_id": "x"},
        secret_names=[],
    )
    profile = ctx.profiles.get("ac")
    error = InputError("profile 'ac' has no client_id", hint="`workbench profile set ac --set client_id=…`")
    error.field = "vars.client_id"
    assert gui_message(error, profile) == f"profile 'ac' has no client_id (set it in {EDIT} ▸ Client id)"


def test_a_refresh_without_client_id_names_the_client_id_field(qtbot, make_window, ctx, sandbox):
    ctx.profiles.create(
        "rt",
        preset="oauth2-refresh-token",
        base_url=sandbox.demo_profiles()["oauth2-refresh-token"]["base_url"],
        vars={},
        secret_names=["refresh_token", "client_secret"],
    )
    ctx.vault.store("rt", "refresh_token", "a-refresh-token")
    ctx.vault.store("rt", "client_secret", "a-client-secret")  # client_secret_basic needs a client id
    window = make_window(select="rt")
    window.token_view.refresh_button.click()
    qtbot.waitUntil(lambda: window.tokens.error("rt") is not None, timeout=10_000)
    message = window.tokens.error("rt")
    assert "client_id is not set" in message
    assert "--set" not in message
    assert f"{EDIT} ▸ Client id" in message
