"""The Request tab's name/value editors (query parameters, headers) and the query string
they stand for."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QKeySequence, QShortcut
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget


class KeyValueTable(QTableWidget):
    """A two-column name/value editor that always keeps one blank row to type into.

    Signals:
        edited(): a cell changed (not emitted for `set_pairs`).
    """

    edited = Signal()

    def __init__(self, first: str, second: str, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels([first, second])
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, 200)
        self.verticalHeader().setVisible(False)
        self.itemChanged.connect(self.on_item_changed)
        self.setAccessibleName(f"{first}s")  # "Headers", "Parameters" (F1 says where a key works)
        # Shortcuts on the table itself: a cell being edited has the focus, and keeps its keys.
        for keys in ("Delete", "Backspace"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.setWhatsThis("Remove the selected rows")
            shortcut.activated.connect(self.remove_selected_rows)
        self._ensure_blank_row()

    def _ensure_blank_row(self) -> None:
        rows = self.rowCount()
        last = [self.item(rows - 1, c) for c in (0, 1)] if rows else []
        last_used = any(cell is not None and cell.text().strip() for cell in last)
        if rows == 0 or last_used:
            self.blockSignals(True)
            self.insertRow(rows)
            self.setItem(rows, 0, QTableWidgetItem(""))
            self.setItem(rows, 1, QTableWidgetItem(""))
            self.blockSignals(False)

    def on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 1 and item.text() and item.data(Qt.ItemDataRole.UserRole) == "missing":
            self.blockSignals(True)
            item.setData(Qt.ItemDataRole.UserRole, None)
            item.setBackground(QBrush())
            item.setToolTip("")
            self.blockSignals(False)
        self._ensure_blank_row()
        self.edited.emit()

    def set_pairs(self, pairs: list[tuple[str, str]]) -> None:
        self.blockSignals(True)
        self.setRowCount(0)
        for name, value in pairs:
            row = self.rowCount()
            self.insertRow(row)
            self.setItem(row, 0, QTableWidgetItem(name))
            self.setItem(row, 1, QTableWidgetItem(value))
        self.blockSignals(False)
        self._ensure_blank_row()

    def mark_missing(self, names: list[str]) -> None:
        """Mark the rows of `names` whose value is empty: a value to fill in (history did not
        record it). The mark goes when the value is typed."""
        from PySide6.QtGui import QColor

        self.blockSignals(True)
        for row in range(self.rowCount()):
            key, value = self.item(row, 0), self.item(row, 1)
            if key is None or value is None or key.text() not in names or value.text():
                continue
            value.setBackground(QBrush(QColor(255, 200, 0, 90)))
            value.setToolTip("Not recorded by history: type the value to send")
            value.setData(Qt.ItemDataRole.UserRole, "missing")
        self.blockSignals(False)

    def missing(self) -> list[str]:
        """Names of the rows still marked as to fill in."""
        out = []
        for row in range(self.rowCount()):
            key, value = self.item(row, 0), self.item(row, 1)
            if key is not None and value is not None and value.data(Qt.ItemDataRole.UserRole) == "missing":
                out.append(key.text())
        return out

    def remove_selected_rows(self) -> bool:
        rows = sorted({index.row() for index in self.selectedIndexes()}, reverse=True)
        if not rows:
            return False
        self.blockSignals(True)
        for row in rows:
            self.removeRow(row)
        self.blockSignals(False)
        self._ensure_blank_row()
        self.edited.emit()
        return True

    def pairs(self) -> list[tuple[str, str]]:
        out = []
        for row in range(self.rowCount()):
            k = self.item(row, 0)
            v = self.item(row, 1)
            name = k.text().strip() if k else ""
            if name:
                out.append((name, v.text() if v else ""))
        return out


def split_query(target: str) -> tuple[str, list[tuple[str, str]]]:
    """("/path", [(name, value), …]) of a path or URL; blank values are kept."""
    parts = urlsplit(target)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", parts.fragment)), parse_qsl(
        parts.query, keep_blank_values=True
    )


def join_query(target: str, params: list[tuple[str, str]]) -> str:
    """`target` with its query string replaced by `params` (percent-encoded)."""
    parts = urlsplit(target)
    query = urlencode(params, quote_via=quote, safe="/:,")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


__all__ = ["KeyValueTable", "join_query", "split_query"]
