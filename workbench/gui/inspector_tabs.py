"""The Inspector's result tabs: claims (with what each means, and the claims of a token
nested inside), header and payload as coloured JSON with Copy buttons, the nested token, and
an ``x5c`` certificate chain (shown, never trusted).

:class:`InspectionTabs` shows an ``Inspection`` it is handed and re-words the time claims
against the clock on :meth:`InspectionTabs.tick`; it starts nothing (Copy asks the view,
through ``copy_requested``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.inspector_text import (
    PAYLOAD_MEANING,
    PAYLOAD_TITLES,
    TIME_CLAIMS,
    claim_meaning,
    local_time,
    nested_text,
    payload_text,
    relative,
    short,
    time_tooltip,
)
from workbench.gui.json_view import JsonView
from workbench.gui.widgets import compact, pretty_json, text_box

if TYPE_CHECKING:
    from workbench.core.jose.inspect import Inspection


class InspectionTabs(QTabWidget):
    """Claims, header and payload, nested token (when there is one), certificates (when the
    header has an ``x5c`` chain).

    Signals:
        copy_requested(str, str): Copy header / Copy payload pressed (the text, what it is).
    """

    copy_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._time_rows: list[tuple[QTreeWidgetItem, str, float]] = []
        self._now = 0.0
        self.claims = QTreeWidget()
        self.claims.setHeaderLabels(["Claim", "Value", "Meaning"])
        self.claims.setRootIsDecorated(False)
        self.claims.setAlternatingRowColors(True)
        self.claims.setWordWrap(False)
        self.claims.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.claims.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.claims.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        json_split = QSplitter(Qt.Orientation.Horizontal)
        self.header_box = JsonView()
        self.payload_box = JsonView()
        self.payload_title = QLabel("Payload")
        self.copy_header_button = QPushButton("Copy header")
        self.copy_payload_button = QPushButton("Copy payload")
        for title, box, button in (
            (QLabel("Header"), self.header_box, self.copy_header_button),
            (self.payload_title, self.payload_box, self.copy_payload_button),
        ):
            w = QWidget()
            bl = QVBoxLayout(w)
            bl.setContentsMargins(0, 0, 0, 0)
            row = QHBoxLayout()
            row.addWidget(title, 1)
            compact(button)
            button.setEnabled(False)
            row.addWidget(button)
            bl.addLayout(row)
            bl.addWidget(box)
            json_split.addWidget(w)
        self.copy_header_button.clicked.connect(self.on_copy_header_clicked)
        self.copy_payload_button.clicked.connect(self.on_copy_payload_clicked)
        json_split.setStretchFactor(0, 1)
        json_split.setStretchFactor(1, 2)
        self.payload_box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.nested_box = text_box(read_only=True)
        self.certificates = QTreeWidget()
        self.certificates.setHeaderLabels(["#", "Subject", "Issuer", "Valid", ""])
        self.certificates.setRootIsDecorated(False)
        self.certificates.setAlternatingRowColors(True)
        for column in (0, 3, 4):
            self.certificates.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            self.certificates.header().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.addTab(self.claims, "Claims")
        self.addTab(json_split, "Header && payload")
        self.nested_tab = self.addTab(self.nested_box, "Nested token")
        self.certificates_tab = self.addTab(self.certificates, "Certificates (x5c)")
        self.setTabVisible(self.nested_tab, False)
        self.setTabVisible(self.certificates_tab, False)

    def show_inspection(self, ins: Inspection | None, now: float | None) -> None:
        """Fill every tab from `ins` (None: empty them); `now` words the time claims."""
        self.claims.clear()
        self.certificates.clear()
        self._time_rows = []
        self.copy_header_button.setEnabled(ins is not None)
        self.copy_payload_button.setEnabled(ins is not None and ins.payload_format != "encrypted")
        if ins is None:
            self.header_box.clear()
            self.payload_box.clear()
            self.nested_box.clear()
            self.setTabVisible(self.nested_tab, False)
            self.setTabVisible(self.certificates_tab, False)
            return
        self.header_box.set_json_text(pretty_json(ins.header))
        self.payload_title.setText(PAYLOAD_TITLES.get(ins.payload_format, "Payload"))
        self.payload_box.set_json_text(payload_text(ins), is_json=ins.payload_format == "json")
        self._claim_rows(ins, "")
        inner, depth = ins.nested, 1
        while inner is not None:  # the claims of the token inside, under a row that says so
            self._nested_title(inner, depth)
            self._claim_rows(inner, "  " * depth)
            inner, depth = inner.nested, depth + 1
        if now is not None:
            self.tick(now)
        self.setTabVisible(self.nested_tab, ins.nested is not None)
        self.nested_box.setPlainText(nested_text(ins.nested) if ins.nested is not None else "")
        self.setTabVisible(self.certificates_tab, bool(ins.certificates))
        for cert in ins.certificates:
            if cert.error is not None:
                QTreeWidgetItem(self.certificates, [str(cert.index), f"unreadable: {cert.error}", "", "", ""])
                continue
            span = ""
            if cert.not_before is not None and cert.not_after is not None:
                span = f"{cert.not_before:%Y-%m-%d} → {cert.not_after:%Y-%m-%d}"
            row = QTreeWidgetItem(
                self.certificates,
                [str(cert.index), cert.subject, cert.issuer, span, cert.validity_at(ins.checked_at)],
            )
            row.setToolTip(1, f"serial {cert.serial}\nSHA-256 {cert.sha256}\nshown, never trusted")

    def _claim_rows(self, ins: Inspection, indent: str) -> None:
        """One row per header parameter and claim: the Meaning column names it, its tooltip
        says what it is for (core's registry of registered claims)."""
        for key, value in ins.header.items():
            meaning, description = claim_meaning(key, header=True)
            item = QTreeWidgetItem(self.claims, [f"{indent}header.{key}", short(value), meaning])
            self._describe(item, description)
        for key, value in ins.claims.items():
            meaning, description = claim_meaning(key)
            item = QTreeWidgetItem(self.claims, [f"{indent}{key}", short(value), meaning])
            self._describe(item, description)
            if key in TIME_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
                self._time_rows.append((item, key, float(value)))
        if not ins.claims and ins.payload_format != "json" and ins.nested is None:
            QTreeWidgetItem(
                self.claims,
                [f"{indent}payload", short(payload_text(ins)), PAYLOAD_MEANING[ins.payload_format]],
            )

    @staticmethod
    def _describe(item: QTreeWidgetItem, description: str) -> None:
        if description:
            item.setToolTip(0, description)
            item.setToolTip(2, description)

    def _nested_title(self, inner: Inspection, depth: int) -> None:
        title = QTreeWidgetItem(
            self.claims,
            [f"{'  ' * (depth - 1)}nested {inner.kind}", f"alg {inner.alg or 'none'}", "the token inside"],
        )
        font = QFont(title.font(0))
        font.setBold(True)
        for column in range(3):
            title.setFont(column, font)
        title.setToolTip(0, nested_text(inner).split("\n", 1)[0])

    def tick(self, now: float) -> None:
        """Re-word the time claims against the clock: "(4 s ago)" keeps counting."""
        self._now = self.header_box.now = self.payload_box.now = now
        for item, key, value in self._time_rows:
            stamp = local_time(value)
            if stamp is None:
                continue
            item.setText(2, f"{TIME_CLAIMS[key]} {stamp} ({relative(value - now)})")
            item.setToolTip(1, time_tooltip(key, value, now))

    def on_copy_header_clicked(self) -> None:
        self.copy_requested.emit(self.header_box.toPlainText(), "header")

    def on_copy_payload_clicked(self) -> None:
        self.copy_requested.emit(self.payload_box.toPlainText(), "payload")


__all__ = ["InspectionTabs"]
