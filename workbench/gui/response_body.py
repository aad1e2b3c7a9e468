"""The Request tab's response body: pretty JSON, text, an image, or a hex dump, with "Show raw"
and "Save to file…".

What to show is core's (`request.response_body.format_body`). A small body is formatted at
once; a larger one on the worker pool, and its text is then put into the editor a slice per
event-loop turn, so a 5 MB answer never freezes the window (countdowns keep ticking;
tests/bench/test_gui_response_bench.py holds it to its bound).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.jose.inspect import find_jwt
from workbench.core.request.response_body import SMALL_BODY, format_body, kind_of, size_text
from workbench.gui.tasks import Generation
from workbench.gui.widgets import text_box

if TYPE_CHECKING:
    from workbench.core.engine.types import CallResult
    from workbench.core.request.response_body import FormattedBody
    from workbench.gui.services import Services

# Characters put into the editor per event-loop turn (a few ms each on a slow machine).
SLICE = 4096
# A line longer than this (a one-line JSON answer shown raw) is shown in pieces of this size:
# the editor lays a block out again whenever it grows, so one 1 MB block would take minutes.
LONG_LINE = 16 * 1024
# A JWT is looked for in this much of a body: parsing a whole 5 MB document would hold the
# interpreter (and so the GUI thread) for a long moment.
JWT_SCAN_BYTES = 256 * 1024


def _yield_interpreter() -> None:
    time.sleep(0)


def format_and_find(body: bytes, content_type: str, raw: bool) -> tuple[FormattedBody, str | None]:
    """On the pool: what to show, and the first JWT in the body (for "Open JWT in Inspector")."""

    # sleep(0) hands the interpreter to the GUI thread whenever it waits for it.
    formatted = format_body(body, content_type, raw=raw, breathe=_yield_interpreter)
    head = body[:JWT_SCAN_BYTES].decode("utf-8", errors="replace")
    jwt = find_jwt(head) if formatted.kind in ("json", "text") else None
    return formatted, jwt


class ResponseBodyView(QWidget):
    """Signals:
    shown(object, object): the `FormattedBody` now shown (all of it in the editor) and the JWT
        found in the body (None: none).

    Attributes:
        text: the read-only editor (JSON, text, hex).
        formatted: what is shown now (None: nothing yet, or still formatting).
    """

    shown = Signal(object, object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.generation = Generation()
        self.body: bytes = b""
        self.content_type = ""
        self.formatted: FormattedBody | None = None
        self._pending = ""
        self._pending_jwt: str | None = None
        self._pending_formatted: FormattedBody | None = None
        self._line = 0  # the length of the last line put into the editor
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.note = QLabel()
        self.note.setStyleSheet("color: gray")
        self.note.setWordWrap(True)
        self.raw_check = QCheckBox("Show raw")
        self.raw_check.setToolTip("Show the body exactly as received (no pretty-printing)")
        self.save_button = QPushButton("Save to file…")
        self.save_button.setToolTip("Save the whole body, byte for byte")
        self.save_button.setEnabled(False)
        row.addWidget(self.note, 1)
        row.addWidget(self.raw_check)
        row.addWidget(self.save_button)
        outer.addLayout(row)
        self.stack = QStackedWidget()
        self.text = text_box(read_only=True)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.image)
        self.stack.addWidget(self.text)
        self.stack.addWidget(scroll)
        outer.addWidget(self.stack, 1)
        self._feeder = QTimer(self)
        self._feeder.setInterval(0)
        self._feeder.timeout.connect(self.on_feed)
        self.raw_check.toggled.connect(self.on_raw_toggled)
        self.save_button.clicked.connect(self.on_save_clicked)

    # -- showing ----------------------------------------------------------------------------------
    def show_result(self, result: CallResult) -> None:
        content_type = next((v for k, v in result.headers if k.lower() == "content-type"), "")
        self.body, self.content_type = result.body, content_type
        self.save_button.setEnabled(bool(result.body))
        if kind_of(result.body, content_type) == "image":
            image = QImage()
            if image.loadFromData(result.body):
                self.generation.next()
                self._feeder.stop()
                self.image.setPixmap(QPixmap.fromImage(image))
                self.stack.setCurrentIndex(1)
                self.note.setText(f"image, {image.width()}×{image.height()}, {size_text(len(result.body))}")
                self.formatted = format_body(b"", "")
                self.shown.emit(self.formatted, None)
                return
        self._format()

    def _format(self) -> None:
        gen = self.generation.next()
        self._feeder.stop()
        self.stack.setCurrentIndex(0)
        raw = self.raw_check.isChecked()
        if len(self.body) <= SMALL_BODY:
            self._fill(gen, format_and_find(self.body, self.content_type, raw))
            return
        self.formatted = None
        self.text.clear()
        self.note.setText(f"formatting {size_text(len(self.body))}…")
        self.services.runner.start(
            format_and_find,
            self.body,
            self.content_type,
            raw,
            owner=self,
            on_success=lambda done: self._fill(gen, done),
            on_failure=self.services.error_from,
        )

    def _fill(self, gen: int, done: tuple[FormattedBody, str | None]) -> None:
        if not self.generation.is_current(gen):
            return
        formatted, jwt = done
        self.note.setText(formatted.note)
        if len(formatted.text) <= SLICE:
            self.text.setPlainText(formatted.text)
            self.formatted = formatted
            self.shown.emit(formatted, jwt)
            return
        # A slice per event-loop turn: the window keeps painting and ticking meanwhile.
        self.text.clear()
        self._line = 0
        self._pending, self._pending_jwt = formatted.text, jwt
        self._pending_formatted = formatted
        self._feeder.start()

    def on_feed(self) -> None:
        piece, self._pending = self._pending[:SLICE], self._pending[SLICE:]
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        newline = piece.rfind("\n")
        self._line = len(piece) - newline - 1 if newline >= 0 else self._line + len(piece)
        if newline < 0 and self._line > LONG_LINE:
            cursor.insertBlock()  # display only: Save to file writes the body as received
            self._line = len(piece)
        cursor.insertText(piece)
        if not self._pending:
            self._feeder.stop()
            self.text.moveCursor(QTextCursor.MoveOperation.Start)
            self.formatted = self._pending_formatted
            self.shown.emit(self.formatted, self._pending_jwt)

    def on_raw_toggled(self, _raw: bool) -> None:
        if self.body:
            self._format()

    def clear(self) -> None:
        self.generation.next()
        self._feeder.stop()
        self._pending = ""
        self.body, self.content_type, self.formatted = b"", "", None
        self.text.clear()
        self.image.clear()
        self.stack.setCurrentIndex(0)
        self.note.setText("")
        self.save_button.setEnabled(False)

    def show_text(self, text: str) -> None:
        """A message in place of a body (a failed request)."""
        self.clear()
        self.text.setPlainText(text)

    # -- saving -----------------------------------------------------------------------------------
    def on_save_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Save the response body")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> None:
        body = self.body

        def write() -> str:
            from pathlib import Path

            Path(path).write_bytes(body)
            return path

        self.services.runner.start(
            write,
            owner=self,
            on_success=lambda where: self.services.show_status(f"Saved {size_text(len(body))} to {where}"),
            on_failure=self.services.error_from,
        )


__all__ = ["ResponseBodyView", "format_and_find"]
