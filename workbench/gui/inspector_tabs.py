"""The Inspector's result tabs: claims (with what each means), header and payload as JSON,
a nested token, and an ``x5c`` certificate chain (shown, never trusted).

:class:`InspectionTabs` shows an ``Inspection`` it is handed and re-words the time claims
against the clock on :meth:`InspectionTabs.tick`; it starts nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.inspector_text import (
    CLAIM_NAMES,
    PAYLOAD_MEANING,
    PAYLOAD_TITLES,
    TIME_CLAIMS,
    nested_text,
    payload_text,
    relative,
    short,
)
from workbench.gui.widgets import pretty_json, text_box

if TYPE_CHECKING:
    from workbench.core.jose.inspect import Inspection


class InspectionTabs(QTabWidget):
    """Claims, header and payload, nested token (when there is one), certificates (when the
    header has an ``x5c`` chain)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._time_rows: list[tuple[QTreeWidgetItem, str, float]] = []
        self.claims = QTreeWidget()
        self.claims.setHeaderLabels(["Claim", "Value", "Meaning"])
        self.claims.setRootIsDecorated(False)
        self.claims.setAlternatingRowColors(True)
        self.claims.setWordWrap(False)
        self.claims.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.claims.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.claims.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        json_split = QSplitter(Qt.Orientation.Horizontal)
        self.header_box = text_box(read_only=True)
        self.payload_box = text_box(read_only=True)
        self.payload_title = QLabel("Payload")
        for title, box in ((QLabel("Header"), self.header_box), (self.payload_title, self.payload_box)):
            w = QWidget()
            bl = QVBoxLayout(w)
            bl.setContentsMargins(0, 0, 0, 0)
            bl.addWidget(title)
            bl.addWidget(box)
            json_split.addWidget(w)
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
        if ins is None:
            self.header_box.clear()
            self.payload_box.clear()
            self.nested_box.clear()
            self.setTabVisible(self.nested_tab, False)
            self.setTabVisible(self.certificates_tab, False)
            return
        self.header_box.setPlainText(pretty_json(ins.header))
        self.payload_title.setText(PAYLOAD_TITLES.get(ins.payload_format, "Payload"))
        self.payload_box.setPlainText(payload_text(ins))
        for key, value in ins.header.items():
            QTreeWidgetItem(self.claims, [f"header.{key}", short(value), CLAIM_NAMES.get(key, "header")])
        for key, value in ins.claims.items():
            item = QTreeWidgetItem(self.claims, [key, short(value), CLAIM_NAMES.get(key, "")])
            if key in TIME_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
                self._time_rows.append((item, key, float(value)))
        if not ins.claims and ins.payload_format != "json":
            QTreeWidgetItem(
                self.claims, ["payload", short(payload_text(ins)), PAYLOAD_MEANING[ins.payload_format]]
            )
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

    def tick(self, now: float) -> None:
        """Re-word the time claims against the clock: "(4 s ago)" keeps counting."""
        for item, key, value in self._time_rows:
            try:
                stamp = datetime.fromtimestamp(value).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
            except (OverflowError, OSError, ValueError):
                continue
            item.setText(2, f"{TIME_CLAIMS[key]} {stamp} ({relative(value - now)})")


__all__ = ["InspectionTabs"]
