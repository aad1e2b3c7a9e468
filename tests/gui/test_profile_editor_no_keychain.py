"""Issue 21 item 11: with no usable OS keychain (what keyring picks with no desktop session),
the profile editor says secrets are kept in memory for this run, never "kept in the keychain"."""

from __future__ import annotations

import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QLabel

from workbench.gui.profile_fields import STORED


@pytest.fixture
def ctx(clock):
    """A vault on keyring's failing backend: every keychain call would raise NoKeyringError."""
    from workbench.core.context import AppContext
    from workbench.core.storage.vault import Vault

    context = AppContext(clock=clock, vault=Vault(keyring.backends.fail.Keyring()))
    yield context
    context.close()


def shown_texts(editor) -> list[str]:
    fields = editor.secret_fields.values()
    return [
        *(f.editor.placeholderText() for f in fields),
        *(f.status.text() for f in fields),
        *(label.text() for label in editor.findChildren(QLabel) if label.isVisible()),
    ]


def test_a_new_profile_says_its_secrets_stay_in_memory(qtbot, make_window):
    window = make_window()
    editor = window.new_profile("api-key-sliding")
    qtbot.waitExposed(editor)
    field = editor.secret_fields["api_key"]
    qtbot.waitUntil(lambda: "memory" in field.editor.placeholderText())
    assert editor.keychain_note.isVisible()
    assert "memory" in editor.keychain_note.text()
    assert not any("kept in the keychain" in text for text in shown_texts(editor))


def test_a_stored_secret_is_not_marked_as_kept_in_the_keychain(qtbot, make_window, add_profile, ctx):
    add_profile("api-key-sliding", "sl")  # stored in memory: the vault has no keychain
    assert ctx.vault.fell_back
    window = make_window(select="sl")
    editor = window.edit_profile()
    qtbot.waitExposed(editor)
    field = editor.secret_fields["api_key"]
    qtbot.waitUntil(lambda: not field.checking)
    assert field.stored
    assert field.status.text() != STORED and "memory" in field.status.text()
    assert "✓" not in field.status.text()
    assert not any("keychain ✓" in text or "kept in the keychain" in text for text in shown_texts(editor))
