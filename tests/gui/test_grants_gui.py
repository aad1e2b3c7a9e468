"""Token exchange and the JWT bearer grant in the desktop app: the profile editor offers the
subject profile as a list of the other profiles, Mint exchanges the subject's token and the
Details say what the exchange issued; a Google service-account profile mints from its key."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QComboBox, QDialogButtonBox

from tests.gui.conftest import obtain

SHOTS = os.environ.get("WORKBENCH_TEST_SHOTS")  # a folder: save 1440x900 grabs there to look at


def shoot(widget, name: str) -> None:
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, name))


def test_the_editor_offers_other_profiles_as_the_subject(qtbot, make_window, add_profile, ctx):
    add_profile("oauth2-refresh-token")
    add_profile("oauth2-client-credentials", "service")
    add_profile("oauth2-token-exchange")
    window = make_window(select="oauth2-token-exchange")
    window.resize(1440, 900)
    editor = window.edit_profile()
    assert editor is not None
    qtbot.waitExposed(editor)
    editor.resize(760, 860)
    picker = editor.findChild(QComboBox, "pick_subject_profile")
    assert picker is not None and picker.currentText() == "oauth2-refresh-token"
    choices = [picker.itemText(i) for i in range(picker.count())]
    assert choices == ["", "oauth2-refresh-token", "service"]  # never the profile itself
    assert editor.findChild(QComboBox, "pick_actor_profile") is not None
    shoot(editor, "exchange-editor.png")

    picker.setCurrentIndex(choices.index("service"))
    picker.textActivated.emit("service")
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert ctx.profiles.get("oauth2-token-exchange").vars["subject_profile"] == "service"


def test_mint_exchanges_the_subject_token_and_says_what_was_issued(qtbot, make_window, add_profile, ctx):
    add_profile("oauth2-refresh-token")
    add_profile("oauth2-token-exchange")
    window = make_window(select="oauth2-token-exchange")
    window.resize(1440, 900)
    result = obtain(qtbot, window, window.token_view.mint_button.click)
    assert result.issued_token_type == "urn:ietf:params:oauth:token-type:access_token"
    issued = window.token_view.details.issued_label
    assert issued.text() == "access_token (token exchange)" and issued.isVisible()
    assert not window.token_view.details.bound_label.isVisible()  # a bearer token: no "Bound to" row
    subject = ctx.engine.cached("oauth2-refresh-token")
    assert subject is not None and result.jwt is not None and subject.jwt is not None
    assert result.jwt.claims["sub"] == subject.jwt.claims["sub"]  # on behalf of the subject
    shoot(window, "exchange-token.png")


def test_a_google_service_account_profile_mints(qtbot, make_window, add_profile):
    add_profile("google-service-account")
    window = make_window(select="google-service-account")
    window.resize(1440, 900)
    result = obtain(qtbot, window, window.token_view.mint_button.click)
    assert result.access_token.startswith("ya29.") and result.obtained_by == "mint"
    shoot(window, "google-token.png")
