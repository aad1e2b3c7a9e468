"""Help ▸ Keyboard shortcuts (F1): every shortcut the window has, read from what is registered.

The rows come from the live objects, never from a hand-kept list: each `QAction` with a
shortcut (its status tip, else its text, says what it does), each `QShortcut` (its
`whatsThis`) and each `EnterFilter` of a multi-line box (its `what`). Where a key works comes
from the widget it is registered on: "Anywhere" for a window-wide action, else the tab it
sits in and the accessible name of the list, table or box that must have focus. A shortcut
registered without saying what it does is a bug (tests/gui/test_small_walk.py checks).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMenu,
    QMenuBar,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.widgets import EnterFilter

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

ANYWHERE = "Anywhere in the window"
# An EnterFilter installed without `what` (the Inspector's boxes): what its action does.
ENTER_ACTIONS = {
    "verify": "Verify the token with the key in this box",
    "on_enter_in_token": "Inspect the token (and verify it when a key is chosen)",
}


@dataclass(frozen=True)
class ShortcutRow:
    keys: str  # "Ctrl+S", or several spellings of one key: "Return / Enter"
    what: str
    where: str


def _keys(sequence: QKeySequence) -> str:
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


def _place(window: MainWindow, widget: QWidget | None) -> str:
    """The tab `widget` is in and the innermost named part around it ("Request tab · Headers")."""
    named = ""
    tab = ""
    pages = {window.tabs.widget(i): window.tabs.tabText(i) for i in range(window.tabs.count())}
    while widget is not None and widget is not window:
        if not named and widget.accessibleName():
            named = widget.accessibleName()
        if widget in pages:
            tab = f"{pages[widget].replace('&&', '&')} tab"
            break
        widget = widget.parentWidget()
    return " · ".join(part for part in (tab, named) if part) or ANYWHERE


def registered_shortcuts(window: MainWindow) -> list[ShortcutRow]:
    """Every shortcut registered in `window` (build the lazy panels first to include theirs),
    one row per (what, where): spellings of the same key (Return, keypad Enter) share a row."""
    found: dict[tuple[str, str], list[str]] = {}

    def add(keys: str, what: str, where: str) -> None:
        spellings = found.setdefault((what, where), [])
        if keys and keys not in spellings:
            spellings.append(keys)

    for action in window.findChildren(QAction):
        sequences = [s for s in action.shortcuts() if not s.isEmpty()]
        if not sequences:
            continue
        what = action.statusTip() or action.text().replace("&", "").rstrip("…")
        if action.shortcutContext() == Qt.ShortcutContext.WindowShortcut:
            where = ANYWHERE
        else:
            # The widget it acts in, not the menu that also shows it.
            owners = [
                o
                for o in action.associatedObjects()
                if isinstance(o, QWidget) and not isinstance(o, QMenu | QMenuBar)
            ]
            where = _place(window, owners[0]) if owners else ANYWHERE
        for sequence in sequences:
            add(_keys(sequence), what, where)
    for shortcut in window.findChildren(QShortcut):
        parent = shortcut.parent()
        where = _place(window, parent if isinstance(parent, QWidget) else None)
        add(_keys(shortcut.key()), shortcut.whatsThis(), where)
    for enter in window.findChildren(EnterFilter):
        what = enter.what or ENTER_ACTIONS.get(getattr(enter.action, "__name__", ""), "")
        parent = enter.parent()
        where = _place(window, parent if isinstance(parent, QWidget) else None)
        add("Ctrl+Return" if enter.needs_ctrl else "Return", what, where)
    rows = [ShortcutRow(" / ".join(keys), what, where) for (what, where), keys in found.items()]
    return sorted(rows, key=lambda r: (r.where != ANYWHERE, r.where, r.keys))


def shortcuts_html(rows: list[ShortcutRow]) -> str:
    parts = ["<table cellspacing='0' cellpadding='3'>"]
    where = None
    for row in rows:
        if row.where != where:
            where = row.where
            parts.append(f"<tr><td colspan='2'><br><b>{html.escape(where)}</b></td></tr>")
        parts.append(
            f"<tr><td style='padding-right:16px'><code>{html.escape(row.keys)}</code></td>"
            f"<td>{html.escape(row.what) or '<i>(not described)</i>'}</td></tr>"
        )
    parts.append("</table>")
    return "".join(parts)


class ShortcutsDialog(QDialog):
    """The list, scrollable (it is longer than a small window is high), closed with Esc."""

    def __init__(self, rows: list[ShortcutRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setHtml(shortcuts_html(rows))
        layout.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if parent is not None:
            self.resize(min(640, max(parent.width() - 40, 360)), min(640, max(parent.height() - 40, 300)))

    def text(self) -> str:
        """The list as plain text (one row a line)."""
        return self.browser.toPlainText()


def show_shortcuts(window: MainWindow) -> ShortcutsDialog:
    """Build every panel (their shortcuts register with them), then show the list."""
    window.ensure_tabs()
    for name in ("request", "inspector", "keys"):
        window.panel_built(name) or window._panel(name)
    dialog = ShortcutsDialog(registered_shortcuts(window), window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


__all__ = ["ShortcutRow", "ShortcutsDialog", "registered_shortcuts", "shortcuts_html", "show_shortcuts"]
