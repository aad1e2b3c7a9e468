"""Issue 10, item 1: destructive actions ask first (Remove, replacing a working key, a base URL
change that discards a live token); Cancel leaves everything as it was."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from tests.gui.conftest import confirm_button, obtain, wait_idle


def mint(qtbot, window):
    return obtain(qtbot, window, window.token_view.mint_button.click)


def test_the_remove_button_asks_and_cancel_keeps_the_profile_and_its_secrets(
    qtbot, make_window, add_profile, ctx
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.remove_button.click()
    qtbot.waitUntil(lambda: window.remove_question is not None, timeout=5_000)
    box = window.remove_question
    assert box.isVisible()
    assert "secrets" in box.informativeText() and "api_key" in box.informativeText()
    # Only the secrets that exist (issue 21 item 12): no token has been obtained yet.
    assert "access_token" not in box.informativeText() and "refresh_token" not in box.informativeText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, window)
    assert ctx.profiles.exists("tot") and ctx.vault.has("tot", "api_key")

    window.remove_action.trigger()  # File ▸ Remove profile… asks too
    qtbot.waitUntil(lambda: window.remove_question is not None, timeout=5_000)
    confirm_button(window.remove_question).click()
    qtbot.waitUntil(lambda: "tot" not in window.profiles, timeout=10_000)
    assert not ctx.profiles.exists("tot") and not ctx.vault.has("tot", "api_key")


def test_attaching_a_key_over_a_working_key_asks_first(qtbot, make_window, add_profile, ctx):
    add_profile("true-markets", "tm")  # the sandbox's demo ES256 key: a working key
    working = ctx.vault.load("tm", "private_key")
    window = make_window(select="tm")
    keys = window.keys_view
    with qtbot.waitSignal(keys.generated, timeout=20_000) as blocker:
        keys.generate_button.click()
    pair = blocker.args[0]
    keys.attach_to("tm")
    qtbot.waitUntil(lambda: keys.replace_question is not None and keys.replace_question.isVisible())
    assert "working key" in keys.replace_question.text()
    keys.replace_question.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, window)
    assert ctx.vault.load("tm", "private_key") == working

    keys.attach_to("tm")
    qtbot.waitUntil(lambda: keys.replace_question.isVisible())
    with qtbot.waitSignal(keys.attached, timeout=10_000):
        confirm_button(keys.replace_question).click()
    assert ctx.vault.load("tm", "private_key") == pair.private_pem().decode()


def test_changing_the_base_url_that_discards_a_live_token_asks_first(
    qtbot, make_window, add_profile, ctx, sandbox
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    mint(qtbot, window)
    qtbot.waitUntil(lambda: window.tokens.result("tot") is not None)
    old_url = ctx.profiles.get("tot").base_url
    editor = window.edit_profile()
    qtbot.waitExposed(editor)
    editor.base_url.setText(old_url + "/v2")
    editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    box = editor.discard_question
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, window)
    assert ctx.profiles.get("tot").base_url == old_url
    assert window.tokens.result("tot") is not None

    editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        confirm_button(editor.discard_question).click()
    assert ctx.profiles.get("tot").base_url == old_url + "/v2"
    qtbot.waitUntil(
        lambda: window.tokens.known("tot") and window.tokens.result("tot") is None, timeout=10_000
    )


def test_saving_a_profile_without_a_live_token_does_not_ask(qtbot, make_window, add_profile, ctx):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    qtbot.waitUntil(lambda: window.tokens.known("tot"))
    editor = window.edit_profile()
    qtbot.waitExposed(editor)
    editor.base_url.setText(ctx.profiles.get("tot").base_url + "/v2")
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert editor.discard_question is None
