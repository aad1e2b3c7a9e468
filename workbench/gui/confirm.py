"""Asking before a destructive action, without blocking the event loop.

A window-modal ``QMessageBox`` opened with ``open()`` (no nested event loop): countdowns and
results keep arriving while it is up. Cancel is the default button, so Enter does not
destroy anything.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


class _Answer(QObject):
    """Runs `on_confirm` when the confirming button was the one clicked."""

    def __init__(self, box: QMessageBox, button: QAbstractButton, on_confirm: Callable[[], None]) -> None:
        super().__init__(box)
        self._button = button
        self._on_confirm = on_confirm

    def on_button_clicked(self, button: QAbstractButton) -> None:
        if button is self._button:
            self._on_confirm()


def ask(
    parent: QWidget,
    *,
    title: str,
    text: str,
    detail: str = "",
    confirm: str,
    on_confirm: Callable[[], None],
) -> QMessageBox:
    """Show the question and return it; `on_confirm` runs only if the user confirms."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    if detail:
        box.setInformativeText(detail)
    yes = box.addButton(confirm, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.setObjectName("confirmation")
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    answer = _Answer(box, yes, on_confirm)
    box.buttonClicked.connect(answer.on_button_clicked)
    box.open()
    return box
