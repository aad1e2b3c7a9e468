"""The profile editor's fields: a secret input with its vault status, and a form row with help
and an inline problem. No vault or file access here; the editor does that on the pool."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import InputError
from workbench.gui.widgets import STATE_COLORS, monospace_font

if TYPE_CHECKING:
    from workbench.core.profiles.presets import PresetInput

STORED = "stored ✓"
NOT_SET = "not set"
# Where a typed secret goes: the OS keychain, or (none usable) this process's memory.
STORED_IN_MEMORY = "⚠ in memory only"

PLACEHOLDER_NEW = "kept in the keychain"
PLACEHOLDER_NEW_MULTILINE = "paste, or load from a file"
PLACEHOLDER_KEEP = "leave empty to keep the stored value"
PLACEHOLDER_KEEP_MULTILINE = "paste, or load from a file; leave empty to keep the stored value"
PLACEHOLDER_NO_KEYCHAIN = "kept in memory until the app quits (no usable keychain)"
PLACEHOLDER_NO_KEYCHAIN_MULTILINE = "paste, or load from a file; kept in memory until the app quits"


class SecretField(QWidget):
    """One secret input: a masked editor, its stored/not-set status, and a Show/Reveal/Hide button.

    The button shows what was typed ("Show"), loads the stored value from the vault when nothing
    was typed ("Reveal"), and masks it again ("Hide"); a revealed value that was not changed is
    taken out of the editor on Hide, so Save does not store it again.

    Signals:
        reveal_requested(str): load the stored value (the editor does, on the pool).
        file_chosen(str, str): (secret name, path) to read (the editor does, on the pool).
        edited(): the value changed.
    """

    reveal_requested = Signal(str)
    file_chosen = Signal(str, str)
    edited = Signal()

    def __init__(self, spec: PresetInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.name = spec.name
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.editor: QLineEdit | QPlainTextEdit
        if spec.multiline:
            box = QPlainTextEdit()
            box.setFont(monospace_font())
            box.setPlaceholderText(PLACEHOLDER_NEW_MULTILINE)
            box.setFixedHeight(80)
            box.setTabChangesFocus(True)  # Tab moves on, as in every other field
            self.editor = box
        else:
            line = QLineEdit()
            line.setEchoMode(QLineEdit.EchoMode.Password)
            line.setPlaceholderText(PLACEHOLDER_NEW)
            self.editor = line
        self.editor.setObjectName(f"secret_{spec.name}")
        self.editor.textChanged.connect(self.edited)
        self.editor.textChanged.connect(self._update_button)
        column = QVBoxLayout()
        column.addWidget(self.editor)
        # What the value is, without showing it (a client certificate's thumbprint and expiry).
        self.detail = QLabel()
        self.detail.setObjectName(f"detail_{spec.name}")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setVisible(False)
        column.addWidget(self.detail)
        layout.addLayout(column, 1)
        # Keep the row as tall as its content: a form must not spread a PEM box over spare space.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        side = QVBoxLayout()
        self.status = QLabel(NOT_SET)
        self.status.setObjectName(f"status_{spec.name}")
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setObjectName(f"reveal_{spec.name}")
        self.reveal_button.clicked.connect(self.on_reveal_clicked)
        side.addWidget(self.status)
        side.addWidget(self.reveal_button)
        if spec.multiline:
            self.file_button = QPushButton("From file…")
            self.file_button.clicked.connect(self.on_file_clicked)
            side.addWidget(self.file_button)
        side.addStretch(1)
        layout.addLayout(side)
        self.stored = False
        self.checking = False
        self.keychain = True  # False: no usable OS keychain, values live in memory for this run
        self.stored_is_reference = False  # provided by an env:/cmd: reference: nothing to reveal
        self.shown = False
        self.revealed: str | None = None  # the value loaded by Reveal, until Hide
        self._update_button()

    def set_detail(self, text: str) -> None:
        self.detail.setText(text)
        self.detail.setVisible(bool(text))

    def value(self) -> str:
        if isinstance(self.editor, QLineEdit):
            return self.editor.text()
        return self.editor.toPlainText()

    def set_value(self, text: str) -> None:
        if isinstance(self.editor, QLineEdit):
            self.editor.setText(text)
        else:
            self.editor.setPlainText(text)

    def set_keychain(self, available: bool) -> None:
        """Say where a value goes: the keychain, or memory when no keychain is usable."""
        self.keychain = available
        self._show_status()

    def set_stored(self, stored: bool | None) -> None:
        self.stored = bool(stored)
        self.stored_is_reference = False
        self.checking = stored is None
        self._show_status()

    def _show_status(self) -> None:
        if self.checking:
            self.status.setText("checking…")
            self.status.setStyleSheet("color: gray")
        elif self.stored:
            self.status.setText(STORED if self.keychain else STORED_IN_MEMORY)
            self.status.setStyleSheet(f"color: {STATE_COLORS['valid']}" if self.keychain else "")
        else:
            self.status.setText(NOT_SET)
            self.status.setStyleSheet("color: gray")
        lost = "No usable OS keychain: values are lost when the app quits"
        self.status.setToolTip("" if self.keychain else lost)
        # "Leave empty to keep" only makes sense when there is something to keep.
        multiline = not isinstance(self.editor, QLineEdit)
        if self.stored:
            text = PLACEHOLDER_KEEP_MULTILINE if multiline else PLACEHOLDER_KEEP
        elif not self.keychain:
            text = PLACEHOLDER_NO_KEYCHAIN_MULTILINE if multiline else PLACEHOLDER_NO_KEYCHAIN
        else:
            text = PLACEHOLDER_NEW_MULTILINE if multiline else PLACEHOLDER_NEW
        self.editor.setPlaceholderText(text)
        self._update_button()

    def set_reference(self, ref: str) -> None:
        """The secret is read at each use from `ref` (env:VAR / cmd:COMMAND), never stored: say so.
        Typing a value stores it in the keychain instead (the reference is then dropped)."""
        self.stored = True  # provided: a required secret with a reference is not missing
        self.checking = False
        self.status.setText(f"from {ref}")
        self.status.setToolTip(f"Read from {ref} each time it is needed; never stored")
        self.status.setStyleSheet(f"color: {STATE_COLORS['valid']}")
        where = "the keychain" if self.keychain else "memory"
        self.editor.setPlaceholderText(f"read from {ref}; type a value to keep one in {where} instead")
        self.stored_is_reference = True
        self._update_button()

    def show_revealed(self, value: str | None) -> None:
        self.revealed = value or ""
        self.set_value(self.revealed)
        self._set_shown(True)

    def _set_shown(self, shown: bool) -> None:
        self.shown = shown
        if isinstance(self.editor, QLineEdit):
            mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
            self.editor.setEchoMode(mode)
        self._update_button()

    def _update_button(self) -> None:
        button = self.reveal_button
        typed = bool(self.value())
        if self.shown:
            button.setText("Hide")
            button.setToolTip("Mask the value again")
            button.setEnabled(True)
        elif typed and isinstance(self.editor, QLineEdit):
            button.setText("Show")
            button.setToolTip("Show what you typed")
            button.setEnabled(True)
        else:
            button.setText("Reveal")
            button.setToolTip("Load the stored value from the vault and show it")
            button.setEnabled(self.stored and not self.stored_is_reference and not typed)

    def on_reveal_clicked(self) -> None:
        if self.shown:
            if self.revealed is not None and self.value() == self.revealed:
                self.set_value("")  # unchanged: the stored value stays, nothing to store again
            self.revealed = None
            self._set_shown(False)
        elif self.value():
            self._set_shown(True)
        else:
            self.reveal_requested.emit(self.name)

    def on_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Load {self.spec.label}")
        if path:
            self.file_chosen.emit(self.name, path)


class ChoiceField(QComboBox):
    """A var that takes one of its preset's `choices`, as a list ("" reads "automatic")."""

    def __init__(self, spec: PresetInput, current: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"var_{spec.name}")
        for choice in spec.choices:
            self.addItem(choice or "automatic (from what is stored)", choice)
        value = current if current is not None else (spec.default or "")
        if self.findData(value) < 0:  # a value typed into the file by hand: shown, and checked
            self.addItem(value, value)
        self.setCurrentIndex(self.findData(value))

    def text(self) -> str:
        return str(self.currentData() or "")

    def describe_empty(self, meaning: str) -> None:
        """Say what the empty choice ("automatic") does, once discovery has told."""
        index = self.findData("")
        if index >= 0:
            self.setItemText(index, f"automatic: {meaning}")
            self.setItemData(index, meaning, Qt.ItemDataRole.ToolTipRole)


MAX_SECRET_FILE_BYTES = 1024 * 1024
LABEL_WIDTH = 150  # labels wrap at this width, so a long one never squeezes its field
_INVALID_STYLE = f"border: 1px solid {STATE_COLORS['error']}; border-radius: 3px;"


class FieldRow(QWidget):
    """The field column of one form row: the input, its help (wrapped), and its problem if any."""

    def __init__(self, field: QWidget, help_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        self.help = QLabel(help_text)
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color: gray")
        self.help.setVisible(bool(help_text))
        self.help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.help)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {STATE_COLORS['error']}")
        self.error.hide()
        layout.addWidget(self.error)
        self.problem: str | None = None
        self.title = ""  # the row's label, for the banner's summary

    def input_widget(self) -> QWidget:
        return self.field.editor if isinstance(self.field, SecretField) else self.field

    def set_problem(self, problem: str | None) -> None:
        self.problem = problem
        self.error.setText(problem or "")
        self.error.setVisible(problem is not None)
        target = self.input_widget()
        target.setProperty("invalid", problem is not None)
        target.setStyleSheet(_INVALID_STYLE if problem is not None else "")
        target.setToolTip(problem or self.help.text())


def form_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    # One width for every label: the fields line up, short labels stay on one line and
    # long ones wrap instead of pushing their field into a stub.
    label.setFixedWidth(LABEL_WIDTH)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return label


def read_secret_file(path: str) -> str:
    """A key file's text, bounded (a FIFO or /dev/zero must not hang or fill memory). Pool thread."""

    with Path(path).open("rb") as handle:
        data = handle.read(MAX_SECRET_FILE_BYTES + 1)
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise InputError(f"{path} is larger than 1 MiB; that is not a key or secret")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not text (a PEM key is text)") from None


def var_input(
    spec: PresetInput, current: str | None, others: Iterable[str], edited: Callable[[], None]
) -> tuple[QLineEdit | ChoiceField, QWidget]:
    """(the field that holds the value, the widget shown) of a var: a list of its `choices`, the
    other profiles to pick from (`choose_from = "profiles"`, a token exchange's subject) with a
    name typed in, or a line. `edited()` as the user changes it."""
    if spec.choices:
        choice = ChoiceField(spec, current)
        choice.currentIndexChanged.connect(lambda _i: edited())
        return choice, choice
    picker: QComboBox | None = None
    if spec.choose_from == "profiles":
        picker = QComboBox()
        picker.setEditable(True)
        picker.setObjectName(f"pick_{spec.name}")
        picker.addItems(["", *sorted(others)])
        picker.textActivated.connect(lambda _text: edited())
    line = (picker.lineEdit() if picker is not None else None) or QLineEdit()
    line.setObjectName(f"var_{spec.name}")
    line.setText(current if current is not None else (spec.default or ""))
    line.textEdited.connect(lambda _text: edited())
    return line, picker if picker is not None else line
