""" "Paste a new token" for a pasted-token profile (the `bearer` preset, curl imports): a
masked one-line question, then core's `operations.paste_token` on the worker pool (the same
as `workbench profile set NAME --secret access_token`). The token shown comes back as the
engine's "changed" event, like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from workbench.core.errors import user_message
from workbench.core.operations import paste_token

if TYPE_CHECKING:
    from workbench.core.operations import TokenObtained
    from workbench.gui.services import Services

PASTE_SHORTCUT = "Ctrl+Shift+P"


class TokenPaster:
    """Asks for a token and stores it for one profile.

    Attributes:
        dialog: the question while it is open (for tests), else None.
    """

    def __init__(self, services: Services, parent: QWidget) -> None:
        self.services = services
        self.parent = parent
        self.dialog: QInputDialog | None = None
        self._name: str | None = None

    def ask(self, name: str) -> QInputDialog:
        """Open the (window-modal, non-blocking) question for profile `name`."""
        self._name = name
        dialog = QInputDialog(self.parent)
        dialog.setWindowTitle(f"Paste a new token · {name}")
        dialog.setLabelText(
            f"The new access token for '{name}' (a JWT or an opaque token; 'Bearer …' is fine).\n"
            "It is kept in the keychain, never in the profile file."
        )
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.setOkButtonText("Use this token")
        dialog.textValueSelected.connect(self.on_text_selected)
        dialog.finished.connect(self.on_finished)
        self.dialog = dialog
        dialog.open()
        return dialog

    def on_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def on_text_selected(self, text: str) -> None:
        ctx = self.services.ctx
        name = self._name
        if ctx is None or name is None:
            return

        self.services.runner.start(
            paste_token,
            ctx,
            name,
            text,
            owner=self.parent,
            on_success=self.on_pasted,
            on_failure=self.on_failed,
        )

    def on_pasted(self, done: TokenObtained) -> None:
        self.services.tokens.set_error(done.profile, None)
        self.services.show_status(f"{done.profile}: new token pasted and kept in the keychain")

    def on_failed(self, exc: BaseException) -> None:
        if self._name is not None:  # the profile's error: the banner follows the selection
            self.services.tokens.set_error(self._name, f"could not use the pasted token: {user_message(exc)}")


__all__ = ["PASTE_SHORTCUT", "TokenPaster"]
