"""Phase 2 of the main window: everything the first frame does not need.

:meth:`MainWindow.ensure_ui <workbench.gui.main_window.MainWindow.ensure_ui>` imports this
module after the first paint and calls :func:`build`, which puts the real content into the
window that is already on screen: the profiles sidebar, the error banner, the tab area, the
menus, actions and shortcuts, the status-bar indicators, the worker pool, the clipboard and
the services the panels share. :func:`build_panels` then builds the four panels
(``MainWindow.ensure_tabs``).

Kept out of ``main_window`` on purpose: every QtWidgets class (and the ``Qt`` namespace)
used here costs Python enum construction, and every line costs compile time, before the
first frame when it is imported at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.gui import history_view
from workbench.gui.clipboard import SecureClipboard
from workbench.gui.services import Services
from workbench.gui.sidebar import ProfileSidebar
from workbench.gui.status_bar import StatusIndicators
from workbench.gui.tasks import EngineEventBridge, TaskRunner, prefer_gui_thread
from workbench.gui.token_model import TokenModel
from workbench.gui.token_view import TokenView
from workbench.gui.widgets import ErrorBanner, ProfileDelegate, bold_label, compact

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

TAB_TITLES = ("Token", "Request", "Inspector", "Keys")


class CurrentPageTabWidget(QTabWidget):
    """A tab widget whose minimum size is its current page's, not the largest page's: a page
    that needs more room than a small window has does not squeeze the profiles sidebar or
    the Token tab (it lays itself out in what there is)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(self.on_current_changed)

    def on_current_changed(self, _index: int) -> None:
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        bar = self.tabBar().sizeHint()
        if page is None:
            return QSize(bar.width(), bar.height())
        inner = page.minimumSizeHint().expandedTo(page.minimumSize())
        return QSize(max(inner.width() + 4, 120), inner.height() + bar.height() + 4)


def build(w: MainWindow, runner: TaskRunner | None, tick_ms: int, clipboard_tick_ms: int) -> None:
    """Services, widgets, actions and timers, into ``w`` (replacing its loading placeholder)."""
    prefs = w.settings.load()
    prefer_gui_thread()
    w.runner = runner or TaskRunner(w)
    w.clipboard = SecureClipboard(w, clear_after=prefs.clipboard_clear, tick_ms=clipboard_tick_ms)
    w.tokens = TokenModel(w.runner, w.settings, show_status=w.show_status, parent=w)
    w.services = Services(
        runner=w.runner,
        clipboard=w.clipboard,
        settings=w.settings,
        prefs=prefs,
        tokens=w.tokens,
        show_error=w.show_error,
        show_status=w.show_status,
        clear_error=w.clear_error,
    )
    # The one route token state takes into the GUI: engine events, into the token model, whose
    # one notification every view refreshes from.
    w.bridge = EngineEventBridge(w)
    w.bridge.received.connect(w.tokens.on_engine_event)
    w.tokens.changed.connect(w.on_tokens_changed)
    w.runner.error_occurred.connect(w.show_error)
    _build_widgets(w)
    _build_actions(w)
    w.tick_timer = QTimer(w)
    w.tick_timer.setInterval(tick_ms)
    w.tick_timer.timeout.connect(w.on_tick)


def _build_widgets(w: MainWindow) -> None:
    left = QWidget()
    ll = QVBoxLayout(left)
    ll.setContentsMargins(6, 6, 0, 6)
    header = bold_label("Profiles")
    ll.addWidget(header)
    w.sidebar = sidebar = QTreeWidget()
    sidebar.setObjectName("profiles")
    sidebar.setHeaderLabels(["Profile", "Left"])
    sidebar.setItemDelegateForColumn(0, ProfileDelegate(sidebar))
    sidebar.setRootIsDecorated(False)
    sidebar.setUniformRowHeights(True)
    sidebar.setIconSize(QSize(12, 12))
    sidebar.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    h = sidebar.header()
    h.setStretchLastSection(False)
    h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    sidebar.setMinimumWidth(170)
    ll.addWidget(sidebar, 1)
    w.sidebar_view = ProfileSidebar(sidebar, w.tokens)
    w.placeholder = QLabel("Loading profiles…")
    w.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
    w.placeholder.setWordWrap(True)
    w.placeholder.setStyleSheet("color: gray")
    ll.addWidget(w.placeholder)
    buttons = QHBoxLayout()
    w.new_button = QPushButton("New…")
    w.edit_button = QPushButton("Edit…")
    w.remove_button = QPushButton("Remove")
    for b in (w.new_button, w.edit_button, w.remove_button):
        b.setEnabled(False)
        compact(b)
        buttons.addWidget(b)
    ll.addLayout(buttons)

    right = QWidget()
    rl = QVBoxLayout(right)
    rl.setContentsMargins(0, 6, 6, 6)
    w.banner = ErrorBanner()
    w.banner.dismissed.connect(w.on_banner_dismissed)
    rl.addWidget(w.banner)
    w.tabs = CurrentPageTabWidget()
    w.tabs.setDocumentMode(True)
    # The panels come from build_panels() (MainWindow.ensure_tabs); until then each tab is empty.
    for title in TAB_TITLES:
        w.tabs.addTab(QWidget(), title)
    rl.addWidget(w.tabs, 1)

    w.splitter = QSplitter(Qt.Orientation.Horizontal)
    w.splitter.addWidget(left)
    w.splitter.addWidget(right)
    w.splitter.setStretchFactor(0, 1)  # the sidebar gives way too in a small window (to 170 px)
    w.splitter.setStretchFactor(1, 4)
    w.splitter.setChildrenCollapsible(False)
    w.splitter.setSizes([260, 940])
    w.setCentralWidget(w.splitter)  # deletes the loading placeholder

    w.indicators = StatusIndicators(w.statusBar(), w.clipboard, verify_tls=w.services.prefs.verify_tls)
    w.clipboard_label, w.tls_label = w.indicators.clipboard_label, w.indicators.tls_label

    sidebar.currentItemChanged.connect(w.on_current_item_changed)
    sidebar.itemDoubleClicked.connect(w.on_item_double_clicked)
    # Slots without parameters: `clicked(bool)` must not land in an optional argument.
    w.new_button.clicked.connect(w.on_new_clicked)
    w.edit_button.clicked.connect(w.edit_profile)
    w.remove_button.clicked.connect(w.on_remove_clicked)


def _build_actions(w: MainWindow) -> None:
    def action(
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
        tip: str = "",
    ) -> QAction:
        a = QAction(text, w)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        w.addAction(a)
        return a

    w.new_action = action("&New profile…", w.on_new_clicked, "Ctrl+N", "New profile")
    w.import_action = action(
        "&Import…", lambda: _open_import(w), "Ctrl+O", "Import a collection, OpenAPI, HAR or curl command"
    )
    w.edit_action = action("&Edit profile…", w.edit_profile)
    w.remove_action = action("&Remove profile…", w.on_remove_clicked)
    w.settings_action = action("&Settings…", w.open_settings, "Ctrl+,", "Settings")
    # Ctrl+Q spelled out: the Quit standard key is empty on some platforms (and themes).
    w.quit_action = action("&Quit", w.close, "Ctrl+Q", "Quit")
    w.copy_token_action = action(
        "Copy &token",
        w.copy_selected_token,
        "Ctrl+Shift+C",
        "Copy the selected profile's token (refreshed first if needed)",
    )
    w.copy_header_action = action("Copy Authorization &header", w.copy_header)
    w.copy_curl_action = action("Copy &curl command", w.copy_curl)
    w.mint_action = action("&Mint", w.mint, "Ctrl+M", "Mint a new token")
    w.refresh_action = action(
        "&Refresh", w.refresh, "Ctrl+R", "Refresh the token (mints on providers without refresh)"
    )
    w.paste_token_action = action(
        "&Paste a new token…", w.paste_token, "Ctrl+Shift+P", "Paste a new token for a pasted-token profile"
    )
    w.verify_action = action(
        "&Verify", w.verify, "Ctrl+Shift+V", "Check the token's signature or ask the provider"
    )
    w.cancel_action = action("&Cancel token request", w.cancel, "Esc", "Cancel the token request under way")
    w.cancel_action.setEnabled(False)  # MainWindow.on_tokens_changed enables it while one runs
    # A shortcut acts only on the view that has focus: Send belongs to the Request tab (its
    # editor, URL, headers), never to the Inspector's key box, whose Ctrl+Enter verifies.
    w.send_action = action("&Send request", w.send_request, "Ctrl+Return", "Send the request")
    w.send_action2 = action("Send request (keypad Enter)", w.send_request, "Ctrl+Enter", "Send the request")
    for a in (w.send_action, w.send_action2):
        a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        w.removeAction(a)  # the Request view adds them when it is built (`build_panel`)
    w.focus_url_action = action("Focus &URL", w.focus_url, "Ctrl+L", "Focus the request URL")
    w.inspect_action = action(
        "&Inspect current token", w.inspect_current, "Ctrl+I", "Open the token in the Inspector"
    )
    w.shortcuts_action = action("&Keyboard shortcuts", w.show_shortcuts, "F1", "This list of shortcuts")
    w.about_action = action("&About Token Workbench", w.about)

    mb = w.menuBar()
    file_menu = mb.addMenu("&File")
    for a in (w.new_action, w.import_action, w.edit_action, w.remove_action):
        file_menu.addAction(a)
    file_menu.addSeparator()
    file_menu.addAction(w.settings_action)
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)
    token_menu = mb.addMenu("&Token")
    for a in (w.copy_token_action, w.copy_header_action, w.copy_curl_action):
        token_menu.addAction(a)
    token_menu.addSeparator()
    for a in (
        w.mint_action,
        w.refresh_action,
        w.paste_token_action,
        w.verify_action,
        w.cancel_action,
        w.inspect_action,
    ):
        token_menu.addAction(a)
    request_menu = mb.addMenu("&Request")
    request_menu.addAction(w.send_action)
    request_menu.addAction(w.focus_url_action)
    help_menu = mb.addMenu("&Help")
    help_menu.addAction(w.shortcuts_action)
    help_menu.addAction(w.about_action)
    for a in (
        w.copy_token_action,
        w.copy_header_action,
        w.copy_curl_action,
        w.edit_action,
        w.remove_action,
    ):
        w.sidebar.addAction(a)


def _open_import(w: MainWindow) -> None:
    from workbench.gui.import_dialog import open_import

    open_import(w)


def build_panels(w: MainWindow) -> None:
    """The Token panel into its tab; the Request, Inspector and Keys tabs keep their placeholders
    until first shown or used (`build_panel`): what the first screen does not show costs no
    memory or start-up time until it is wanted."""

    w.token_view = TokenView(w.services)
    _put_in_tab(w, 0, w.token_view)
    # Token state reaches the view from the token model (services.tokens), not from the window.
    w.token_view.new_profile_requested.connect(w.on_new_clicked)
    w.token_view.demo_requested.connect(w.start_demo)
    w.token_view.inspect_requested.connect(w.open_in_inspector)
    w.token_view.set_profile(w.selected_profile())
    # A History tab (issue 12).

    history_view.install(w)
    w.tabs.currentChanged.connect(w.on_tab_shown)
    w.on_tab_shown(w.tabs.currentIndex())


def _put_in_tab(w: MainWindow, index: int, view: QWidget) -> None:
    """Replace tab `index`'s placeholder with `view`, keeping the current tab (no tab-change
    signals meanwhile: showing one lazy tab must not build another)."""
    current = w.tabs.currentIndex()
    placeholder = w.tabs.widget(index)
    w.tabs.blockSignals(True)
    try:
        w.tabs.removeTab(index)
        w.tabs.insertTab(index, view, TAB_TITLES[index])
        w.tabs.setCurrentIndex(current)
    finally:
        w.tabs.blockSignals(False)
    w.tabs.updateGeometry()
    if placeholder is not None:
        placeholder.deleteLater()


def build_panel(w: MainWindow, name: str, index: int) -> QWidget:
    """Build the "request", "inspector" or "keys" panel into tab `index`, wired and up to date."""
    view: QWidget
    if name == "request":
        from workbench.gui.request_view import RequestView

        request = RequestView(w.services)
        request.inspect_requested.connect(w.open_in_inspector)
        request.set_profile(w.selected_profile())
        request.addActions([w.send_action, w.send_action2])  # Ctrl+Enter with focus in this view
        view = request
    elif name == "inspector":
        from workbench.gui.inspector_view import InspectorView

        inspector = InspectorView(w.services)
        inspector.current_token_getter = w.current_token
        inspector.profile_name_getter = w.selected_name
        view = inspector
    elif name == "keys":
        from workbench.gui.keys_view import KeysView

        keys = KeysView(w.services)
        keys.set_profiles(w.profiles.values(), w.selected_name())
        view = keys
    else:
        raise ValueError(f"no lazily built panel '{name}'")
    _put_in_tab(w, index, view)
    return view


def install_saved_requests(w: MainWindow) -> None:
    """Saved requests beside the Request editor (issue 12), once the editor is registered."""
    from workbench.gui import saved_requests

    saved_requests.install(w)
