"""The Request tab's Body: a body-type selector (none, JSON, form-urlencoded, multipart, raw
text, binary file) and the editor that type needs. What bytes and Content-Type each type
sends is core's (`request.bodies`); this module only gathers the input."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.request.bodies import BODY_TYPE_TITLES, BODY_TYPES, content_type_for
from workbench.gui.key_value_table import KeyValueTable
from workbench.gui.widgets import text_box

# Which page of the stack each body type uses.
_PAGE = {"none": 0, "json": 1, "raw": 1, "form": 2, "multipart": 2, "binary": 3}


class BodyEditor(QWidget):
    """Signals:
    edited(): the type or the body changed.

    Attributes:
        type_combo: the body type (data: a name in `BODY_TYPES`).
        text: the JSON / raw text editor (templates allowed).
        form: name/value pairs for form-urlencoded and multipart (``@path`` attaches a file).
        file_line: the file a binary body sends.
    """

    edited = Signal()

    def __init__(self, help_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Body type"))
        self.type_combo = QComboBox()
        for name in BODY_TYPES:
            self.type_combo.addItem(BODY_TYPE_TITLES[name], name)
        self.type_combo.setToolTip("What the body is, and so the Content-Type it is sent with")
        row.addWidget(self.type_combo)
        self.content_type_label = QLabel()
        self.content_type_label.setStyleSheet("color: gray")
        row.addWidget(self.content_type_label, 1)
        outer.addLayout(row)

        self.stack = QStackedWidget()
        none = QLabel("This request has no body.")
        none.setStyleSheet("color: gray")
        self.text = text_box(
            read_only=False, placeholder='{"hello": "world"}  — templates allowed, hover for help'
        )
        self.text.setToolTip(help_text)
        self.form = KeyValueTable("Field", "Value  (@/path/to/file attaches a file in multipart)")
        binary = QWidget()
        bl = QHBoxLayout(binary)
        bl.setContentsMargins(0, 0, 0, 0)
        self.file_line = QLineEdit()
        self.file_line.setPlaceholderText("the file whose bytes are the body")
        self.browse_button = QPushButton("Choose file…")
        bl.addWidget(self.file_line, 1)
        bl.addWidget(self.browse_button)
        for page in (none, self.text, self.form, binary):
            self.stack.addWidget(page)
        outer.addWidget(self.stack, 1)

        self.type_combo.currentIndexChanged.connect(self.on_type_changed)
        self.text.textChanged.connect(self.edited)
        self.form.edited.connect(self.edited)
        self.file_line.textChanged.connect(self.edited)
        self.browse_button.clicked.connect(self.on_browse_clicked)
        self.set_body_type("json")

    def body_type(self) -> str:
        return str(self.type_combo.currentData())

    def set_body_type(self, body_type: str) -> None:
        index = self.type_combo.findData(body_type)
        self.type_combo.setCurrentIndex(index if index >= 0 else 0)
        self.on_type_changed()

    def on_type_changed(self, _index: int = 0) -> None:
        body_type = self.body_type()
        self.stack.setCurrentIndex(_PAGE.get(body_type, 0))
        kind = content_type_for(body_type)
        self.content_type_label.setText(f"sent as Content-Type: {kind}" if kind else "no Content-Type")
        self.edited.emit()

    def on_browse_clicked(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "The file to send as the body")
        if path:
            self.file_line.setText(path)

    def set_text(self, text: str) -> None:
        """Fill from a saved or re-opened request: JSON when it reads as JSON, else raw text
        (a body of `{{ }}` templates counts as JSON when it starts like an object or array)."""
        stripped = text.strip()
        if not stripped:
            self.set_body_type("none" if self.body_type() in ("none", "binary") else self.body_type())
        elif stripped[0] in "{[":
            self.set_body_type("json")
        else:
            self.set_body_type("raw")
        self.text.setPlainText(text)


__all__ = ["BodyEditor"]
