"""The History tab: past requests with search, a profile filter, re-open, clear, and the on/off setting.

Rows come from the same SQLite file `workbench history` reads (`workbench.core.storage.history`):
time, profile, method, status, duration, size, redacted URL. Never headers or bodies.
Every query runs on the worker pool (typing in the search box waits 150 ms for a pause,
and a result older than the newest query is dropped). Enter or a double-click re-opens
the selected request in the Request tab (the URL as recorded: query values redacted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.redact import reopen_url
from workbench.core.storage.history import MIN_INDEXED_SEARCH, History
from workbench.gui.confirm import ask
from workbench.gui.tasks import Generation

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.main_window import MainWindow
    from workbench.gui.services import Services

COLUMNS = ("Time", "Profile", "Method", "Status", "Duration", "Size", "URL")
ALL_PROFILES = "All profiles"
DEFAULT_ROWS = 500
SEARCH_PAUSE_MS = 150


def _size(n: Any) -> str:
    if not isinstance(n, int):
        return ""
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def _duration(seconds: Any) -> str:
    return f"{seconds * 1000:.0f} ms" if isinstance(seconds, int | float) else ""


class HistoryPanel(QWidget):
    """Signals:
    reopen_requested(str, str, str): profile, method, URL of a past request to edit again.
    """

    reopen_requested = Signal(str, str, str)

    def __init__(
        self, services: Services, history: History | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self._history = history
        self.generation = Generation()
        self.rows: list[dict[str, Any]] = []
        self.question: QMessageBox | None = None  # the last "clear?" question (for tests)
        self._build()

    @property
    def history(self) -> History:
        if self._history is None:
            self._history = History()
        return self._history

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search URL, method, status, profile…")
        self.search.setClearButtonEnabled(True)
        bar.addWidget(self.search, 1)
        self.profile_filter = QComboBox()
        self.profile_filter.addItem(ALL_PROFILES)
        self.profile_filter.setMinimumContentsLength(16)
        bar.addWidget(self.profile_filter)
        self.record_box = QCheckBox("Record history")
        self.record_box.setChecked(True)
        self.record_box.setToolTip("Off: requests are not recorded, by the app or the CLI (same setting)")
        bar.addWidget(self.record_box)
        layout.addLayout(bar)
        self.search_hint = QLabel("Type at least 3 characters to search.")
        self.search_hint.setStyleSheet("color: gray")
        self.search_hint.hide()
        layout.addWidget(self.search_hint)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("History list")
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        foot = QHBoxLayout()
        self.count_label = QLabel("")
        self.count_label.setStyleSheet("color: gray")
        foot.addWidget(self.count_label, 1)
        self.open_button = QPushButton("Open in Request tab")
        self.open_button.setToolTip("Edit this request again (Enter); query values were not recorded")
        self.refresh_button = QPushButton("Refresh")
        self.clear_button = QPushButton("Clear…")
        self.clear_button.setToolTip("Forget the history shown (all, or the filtered profile's)")
        for b in (self.open_button, self.refresh_button, self.clear_button):
            foot.addWidget(b)
        layout.addLayout(foot)

        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(SEARCH_PAUSE_MS)
        self._pause.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._pause.start())
        self.profile_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.record_box.toggled.connect(self.on_record_toggled)
        self.table.itemDoubleClicked.connect(lambda _item: self.reopen_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.open_button.clicked.connect(self.reopen_selected)
        self.refresh_button.clicked.connect(self.reload)
        self.clear_button.clicked.connect(self.clear)
        for keys in ("Return", "Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.setWhatsThis("Open the selected request in the Request tab")
            shortcut.activated.connect(self.reopen_selected)
        self._update_buttons()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.reload()

    # -- querying ---------------------------------------------------------------------------------
    def selected_profile_filter(self) -> str | None:
        text = self.profile_filter.currentText()
        return None if self.profile_filter.currentIndex() <= 0 else text

    def reload(self) -> None:
        gen = self.generation.next()
        history, text, profile = self.history, self.search.text().strip(), self.selected_profile_filter()
        # Like most search boxes, filter from the third character: shorter text would scan every row.
        short = 0 < len(text) < MIN_INDEXED_SEARCH
        self.search_hint.setVisible(short)
        if short:
            text = ""

        def job() -> tuple[list[dict[str, Any]], list[str], bool]:
            return (
                history.search(text, profile=profile, limit=DEFAULT_ROWS),
                history.profiles(),
                history.enabled,
            )

        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda result: self.show_rows(gen, *result),
            on_failure=self.services.error_from,
        )

    def show_rows(self, gen: int, rows: list[dict[str, Any]], profiles: list[str], enabled: bool) -> None:
        if not self.generation.is_current(gen):
            return
        self.rows = rows
        self._set_profiles(profiles)
        self.record_box.blockSignals(True)
        self.record_box.setChecked(enabled)
        self.record_box.blockSignals(False)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            status = "" if row["status"] is None else str(row["status"])
            when = row["time"].replace("T", " ").rstrip("Z")
            values = (when, row["profile"], row["method"], status or "error",
                      _duration(row["duration"]), _size(row["size"]), row["url"])  # fmt: skip
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == len(values) - 1 and row.get("error"):
                    item.setToolTip(str(row["error"]))
                self.table.setItem(r, c, item)
        shown = f"{len(rows)} request{'s' * (len(rows) != 1)}"
        self.count_label.setText(shown + ("" if enabled else " — recording is off"))
        if rows and not self.table.selectedItems():
            self.table.selectRow(0)
        self._update_buttons()

    def _set_profiles(self, profiles: list[str]) -> None:
        current = self.profile_filter.currentText()
        wanted = [ALL_PROFILES, *profiles]
        if current not in wanted:
            wanted.append(current)  # keep the user's filter even if its rows are gone
        if [self.profile_filter.itemText(i) for i in range(self.profile_filter.count())] == wanted:
            return
        self.profile_filter.blockSignals(True)
        self.profile_filter.clear()
        self.profile_filter.addItems(wanted)
        self.profile_filter.setCurrentText(current)
        self.profile_filter.blockSignals(False)

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.selected_row() is not None)
        self.clear_button.setEnabled(bool(self.rows))

    def selected_row(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.rows):
            return None
        return self.rows[rows[0].row()]

    # -- actions ----------------------------------------------------------------------------------
    def reopen_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.reopen_requested.emit(row["profile"], row["method"], row["url"])

    def clear(self) -> None:
        """History ▸ Clear: asks first (`question`, for tests), then clears what the filter shows."""

        profile = self.selected_profile_filter()
        whose = f"of {profile}" if profile else "of every profile"
        self.question = ask(
            self,
            title="Clear history",
            text=f"Clear the request history {whose}?",
            detail="The recorded requests (method, URL, status, timing) are deleted. This cannot be undone.",
            confirm="Clear history",
            on_confirm=self.clear_now,
        )

    def clear_now(self) -> None:
        history, profile = self.history, self.selected_profile_filter()

        def done(removed: int) -> None:
            self.services.show_status(f"History cleared ({removed} request{'s' * (removed != 1)})")
            self.reload()

        self.services.runner.start(
            history.clear, profile, owner=self, on_success=done, on_failure=self.services.error_from
        )

    def on_record_toggled(self, on: bool) -> None:
        history = self.history

        def done(_r: object) -> None:
            self.services.show_status(
                "History is recorded" if on else "History is off: requests are not recorded"
            )
            self.reload()

        self.services.runner.start(
            history.set_enabled, on, owner=self, on_success=done, on_failure=self.services.error_from
        )


def install(window: MainWindow) -> HistoryPanel:
    """A "History" tab in `window`; re-opening selects the profile and fills the Request tab."""
    panel = HistoryPanel(window.services)

    def reopen(profile: str, method: str, url: str) -> None:
        if profile in window.profiles:
            window.select_profile(profile)
        else:
            window.services.show_status(f"Profile '{profile}' no longer exists; the request opens unsent")

        # History keeps no query values: they come back empty and marked, never as "[redacted]".
        editable, missing = reopen_url(url)
        window.request_view.load_request(method, editable, [], "")
        window.request_view.params.mark_missing(missing)
        if missing:
            window.services.show_status(f"Fill in {', '.join(missing)}: history does not record query values")
        window.tabs.setCurrentWidget(window.request_view)

    panel.reopen_requested.connect(reopen)
    window.tabs.addTab(panel, "History")
    window.history_panel = panel
    return panel
