"""The GUI's profile and key actions go through workbench.core.operations: no orphaned secrets."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from tests.gui.conftest import wait_idle


def keychain(ctx) -> dict:
    return ctx.vault._get_backend().entries()


def test_a_profile_the_editor_refuses_leaves_no_secret_in_the_keychain(qtbot, make_window, ctx, sandbox):
    window = make_window()
    editor = window.new_profile("token-of-trust")
    qtbot.waitExposed(editor)
    editor.name_edit.setText("tot")
    editor.base_url.setText("ftp://not-a-web-address")
    editor.var_fields["app_domain"].setText("example.com")
    editor.secret_fields["api_key"].set_value("a-key")
    editor.secret_fields["secret_key"].set_value("a-secret")
    editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: "http" in editor.banner.label.text(), timeout=10_000)
    wait_idle(qtbot, window)
    assert keychain(ctx) == {}
    assert not ctx.profiles.exists("tot")


def test_attaching_a_key_to_a_profile_without_a_key_slot_stores_nothing(qtbot, make_window, add_profile, ctx):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    before = keychain(ctx)
    keys = window.keys_view
    with qtbot.waitSignal(keys.generated, timeout=20_000):
        keys.generate_button.click()
    keys.attach_to("tot")
    qtbot.waitUntil(lambda: not window.banner.isHidden(), timeout=10_000)
    wait_idle(qtbot, window)
    message = window.banner.label.text()
    assert keychain(ctx) == before
    assert "takes no private_key" in message
    assert "line " not in message and "secret_names" not in message
    assert ctx.profiles.get("tot").secret_names == ("api_key", "secret_key")


def test_removing_a_profile_in_the_window_deletes_every_secret_the_cli_would(
    qtbot, make_window, add_profile, ctx
):
    add_profile("true-markets", "tm")
    profile = ctx.profiles.get("tm")
    # An older keygen stored the key without listing it: it is still the profile's.
    ctx.profiles.save(profile.__class__(**{**profile.__dict__, "secret_names": ()}))
    ctx.vault.store("tm", "access_token", "a")
    assert ctx.vault.has("tm", "private_key")
    window = make_window(select="tm")
    window.remove_profile(confirm=False)
    qtbot.waitUntil(lambda: "tm" not in window.profiles, timeout=10_000)
    assert not any(user.startswith("tm/") for _service, user in keychain(ctx))
