"""The main window: a shell that wires the profiles sidebar, the Token/Request/Inspector/Keys
tabs and the status bar to the token model and the worker pool.

It is built in two phases so the first frame appears about as early as a bare Qt window's:

1. ``MainWindow(...)`` (before ``show()``) builds only the frame: the title, the restored
   geometry and a centred "Loading Token Workbench…" in place of the content. This module
   imports four QtWidgets classes and never touches ``PySide6.QtCore.Qt`` (creating that
   namespace's enums alone costs ~40 ms), the worker pool or the panels.
2. :meth:`MainWindow.ensure_ui` (the app calls it right after the first paint;
   :meth:`attach` calls it too) builds the rest into the same window, from
   :mod:`workbench.gui.window_ui`: sidebar, banner, tabs, menus, actions and shortcuts,
   status-bar indicators, the worker pool, the token model, the clipboard and the services
   the panels share. :meth:`ensure_tabs` then builds the four panels.

Token state is the token model's (:mod:`workbench.gui.token_model`, over core's
:mod:`workbench.core.engine.schedule`): it learns what each profile holds from engine events
only, and its one ``changed`` notification refreshes every view. What the menus and
shortcuts do is :mod:`workbench.gui.window_actions`; the sidebar's rows are
:mod:`workbench.gui.sidebar`. The GUI thread never reads the keychain or a file: profiles are
listed, the engine is warmed and what each profile holds is announced on the worker pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QWidget

from workbench.core.errors import user_message
from workbench.gui.settings import Settings
from workbench.gui.window_actions import TAB_NAMES, WindowActions, demo_command

# The window's size on first start, cut to the screen's available area.
DEFAULT_SIZE = (1200, 760)
# Room for a title bar and borders before the window system has said how big they are.
FRAME_ALLOWANCE = (16, 40)

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction, QCloseEvent
    from PySide6.QtWidgets import (
        QMessageBox,
        QPushButton,
        QSplitter,
        QTabWidget,
        QTreeWidget,
        QTreeWidgetItem,
    )

    from workbench.core.context import AppContext
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.errors import ProfileError
    from workbench.core.profiles.profile import Profile
    from workbench.gui.clipboard import SecureClipboard
    from workbench.gui.history_view import HistoryPanel
    from workbench.gui.import_dialog import ImportDialog
    from workbench.gui.inspector_view import InspectorView
    from workbench.gui.keys_view import KeysView
    from workbench.gui.request_view import RequestView
    from workbench.gui.saved_requests import SavedRequestsPanel
    from workbench.gui.services import Services
    from workbench.gui.settings_dialog import SettingsDialog
    from workbench.gui.shortcuts import ShortcutsDialog
    from workbench.gui.sidebar import ProfileSidebar
    from workbench.gui.status_bar import StatusIndicators
    from workbench.gui.tasks import EngineEventBridge, Generation, TaskRunner
    from workbench.gui.token_model import TokenModel
    from workbench.gui.token_view import TokenView
    from workbench.gui.widgets import ErrorBanner


def warm_up(ctx: AppContext) -> str | None:
    """Off the GUI thread: build the engine, the preset catalog and the keychain backend, and
    import what the panels use. Returns the vault's "secrets in memory only" warning, if any."""
    ctx.engine  # noqa: B018 - builds the engine (imports httpx)
    ctx.presets  # noqa: B018 - reads the preset files
    ctx.vault.persistent  # noqa: B018 - picks the keychain backend (imports keyring, unless a MemoryStore)

    return ctx.vault.warning


def list_profiles(ctx: AppContext) -> tuple[list[Profile], list[ProfileError]]:
    """Off the GUI thread: every profile that loads, and one error per file that does not."""
    return ctx.profiles.list(), ctx.profiles.problems()


def announce(engine: TokenEngine, names: list[str]) -> None:
    """Off the GUI thread: have the engine publish what each profile holds (as events)."""
    for name in names:
        engine.announce(name)


class MainWindow(WindowActions, QMainWindow):
    """Signals:
    ready(): the context is attached, the profiles are listed and the engine is warm.
    profiles_reloaded(list): profile names now listed.

    Attributes:
        tokens: the token model (every profile's token state, from engine events).
        profiles: the profiles listed, by name.
        sidebar_view: what the profiles sidebar shows.
    """

    ready = Signal()
    profiles_reloaded = Signal(list)

    # Built by ensure_ui() (workbench.gui.window_ui.build), after the first paint:
    runner: TaskRunner
    clipboard: SecureClipboard
    services: Services
    tokens: TokenModel
    sidebar_view: ProfileSidebar
    bridge: EngineEventBridge
    _profiles_gen: Generation
    tick_timer: QTimer
    sidebar: QTreeWidget
    placeholder: QLabel
    new_button: QPushButton
    edit_button: QPushButton
    remove_button: QPushButton
    banner: ErrorBanner
    tabs: QTabWidget
    splitter: QSplitter
    indicators: StatusIndicators
    clipboard_label: QLabel
    tls_label: QLabel
    new_action: QAction
    import_action: QAction
    edit_action: QAction
    remove_action: QAction
    settings_action: QAction
    quit_action: QAction
    copy_token_action: QAction
    copy_header_action: QAction
    copy_curl_action: QAction
    mint_action: QAction
    paste_token_action: QAction
    refresh_action: QAction
    verify_action: QAction
    cancel_action: QAction
    send_action: QAction
    send_action2: QAction
    focus_url_action: QAction
    inspect_action: QAction
    shortcuts_action: QAction
    about_action: QAction
    # Built by ensure_tabs() (workbench.gui.window_ui.build_panels); the Request, Inspector and
    # Keys panels are built when first shown or used (the properties below):
    token_view: TokenView
    # Installed with their tabs (history_view.install, saved_requests.install) and by File > Import:
    history_panel: HistoryPanel | None = None
    import_dialog: ImportDialog | None = None

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        runner: TaskRunner | None = None,
        tick_ms: int = 1000,
        clipboard_tick_ms: int = 1000,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self._runner_arg = runner
        self._tick_ms = tick_ms
        self._clipboard_tick_ms = clipboard_tick_ms
        self.ctx: AppContext | None = None
        self.profiles: dict[str, Profile] = {}
        self._banner_profile: str | None = None  # whose error the banner shows (None: general)
        self.is_ready = False
        self.profiles_loaded = False
        self.sandbox_url: str | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.remove_question: QMessageBox | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self._on_ready: Callable[[], None] | None = None
        self._pending_select: str | None = None
        self._shut_down = False
        self._ui_built = False
        self._tabs_built = False
        self._panels: dict[str, QWidget] = {}
        self._saved_requests_panel: SavedRequestsPanel | None = None

        self.setWindowTitle("Token Workbench")
        self.setMinimumSize(600, 380)
        self._build_frame()
        self._restore_window()

    # -- construction, phase 1: the frame the first paint shows ----------------------------------
    def _build_frame(self) -> None:
        # Centred by stretches, greyed by being disabled: no Qt namespace, palette or style sheet.
        frame = QWidget()
        layout = QHBoxLayout(frame)
        layout.addStretch(1)
        self.loading_label = QLabel("Loading Token Workbench…")
        self.loading_label.setEnabled(False)
        layout.addWidget(self.loading_label)
        layout.addStretch(1)
        self.setCentralWidget(frame)

    def _restore_window(self) -> None:
        """The saved geometry when it fits the screen's available area now (another screen, a
        scale factor of 2 on a 1440×900 screen), else the default size cut to that area."""
        geometry = self.settings.geometry()
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        restored = geometry is not None and self.restoreGeometry(geometry)
        # The title bar and borders, when the window system has told us yet (else a guess).
        frame, inner = self.frameGeometry(), self.geometry()
        extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
        if extra_w <= 0 and extra_h <= 0:
            extra_w, extra_h = FRAME_ALLOWANCE
        if available is not None and restored:
            outer = inner.adjusted(0, 0, extra_w, extra_h)
            restored = available.contains(outer.translated(0, 0))
        if not restored:
            width, height = DEFAULT_SIZE
            if available is not None:
                width = min(width, available.width() - extra_w)
                height = min(height, available.height() - extra_h)
            self.resize(width, height)
            if available is not None:
                left = available.left() + max(0, (available.width() - width - extra_w) // 2)
                top = available.top() + max(0, (available.height() - height - extra_h) // 2)
                self.move(left, top)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    # -- construction, phase 2: everything else, into the same window -----------------------------
    @property
    def tabs_built(self) -> bool:
        return self._tabs_built

    def ensure_ui(self) -> None:
        """Build the sidebar, banner, tabs, menus, actions, status indicators and services (once)."""
        if self._ui_built:
            return
        self._ui_built = True
        from workbench.gui import window_ui
        from workbench.gui.tasks import Generation

        self._profiles_gen = Generation()
        window_ui.build(self, self._runner_arg, self._tick_ms, self._clipboard_tick_ms)
        self._runner_arg = None
        self.set_sandbox(self.sandbox_url)

    def ensure_tabs(self) -> None:
        """Build the Token, Request, Inspector and Keys panels (once)."""
        if self._tabs_built:
            return
        self.ensure_ui()
        self._tabs_built = True
        from workbench.gui import window_ui

        window_ui.build_panels(self)

    def panel_built(self, name: str) -> bool:
        """Whether the "request", "inspector" or "keys" panel exists yet."""
        return name in self._panels

    def _panel(self, name: str) -> QWidget:
        self.ensure_tabs()
        if name not in self._panels:
            from workbench.gui import window_ui

            self._panels[name] = window_ui.build_panel(self, name, TAB_NAMES.index(name))
            if name == "request":
                window_ui.install_saved_requests(self)
        return self._panels[name]

    def on_tab_shown(self, index: int) -> None:
        """Build a lazily built panel the first time its tab is shown."""
        if 0 < index < len(TAB_NAMES):
            self._panel(TAB_NAMES[index])

    @property
    def request_view(self) -> RequestView:
        return self._panel("request")  # type: ignore[return-value]

    @property
    def inspector_view(self) -> InspectorView:
        return self._panel("inspector")  # type: ignore[return-value]

    @property
    def keys_view(self) -> KeysView:
        return self._panel("keys")  # type: ignore[return-value]

    @property
    def saved_requests_panel(self) -> SavedRequestsPanel | None:
        """Beside the Request editor, built with it (None before the tabs exist)."""
        if self._tabs_built:
            self._panel("request")
        return self._saved_requests_panel

    @saved_requests_panel.setter
    def saved_requests_panel(self, panel: SavedRequestsPanel | None) -> None:
        self._saved_requests_panel = panel

    # -- attaching the context (after first paint) ------------------------------------------------
    def attach(self, ctx: AppContext, *, on_ready: Callable[[], None] | None = None) -> None:
        """Warm the engine and list the profiles on the pool; then listen to the engine."""
        self.ensure_ui()
        self.ctx = ctx
        self.services.ctx = ctx
        self.tokens.ctx = ctx
        self.ensure_tabs()
        self._on_ready = on_ready
        self._pending_select = self.settings.last_profile()
        self.runner.start(warm_up, ctx, owner=self, on_success=self.on_warm, on_failure=self.on_warm_failed)

    def on_warm(self, vault_warning: str | None) -> None:
        assert self.ctx is not None
        self.bridge.attach(self.ctx.engine)
        self.configure_engine(self.services.prefs)
        if vault_warning:
            self.indicators.show_vault_warning(vault_warning)
        for b in (self.new_button, self.edit_button, self.remove_button):
            b.setEnabled(True)
        self.reload_profiles(select=self._pending_select)

    def on_warm_failed(self, exc: BaseException) -> None:
        self.services.error_from(exc)

    def _become_ready(self) -> None:
        if self.is_ready:
            return
        self.is_ready = True
        self.tokens.running = True
        self.tick_timer.start()
        self.update_clock_label()
        self.ready.emit()
        on_ready, self._on_ready = self._on_ready, None
        if on_ready is not None:
            on_ready()

    def reload_profiles(self, select: str | None = None) -> None:
        """List the profiles again (on the pool); the sidebar follows when they arrive."""
        if self.ctx is None:
            return
        gen = self._profiles_gen.next()
        wanted = select or self.selected_name()
        self.runner.start(
            list_profiles,
            self.ctx,
            owner=self,
            on_success=lambda found: self.on_profiles_listed(gen, wanted, found),
            on_failure=self.on_profiles_failed,
        )

    def on_profiles_failed(self, exc: BaseException) -> None:
        self.services.error_from(exc)
        self._become_ready()

    def on_profiles_listed(
        self, gen: int, current: str | None, found: tuple[list[Profile], list[ProfileError]]
    ) -> None:
        if not self._profiles_gen.is_current(gen):
            return

        profiles, problems = found
        if problems:  # a broken profile file: say so, keep the window usable
            self.show_error(user_message(problems[0]))
        self.profiles = {p.name: p for p in profiles}
        self.profiles_loaded = True
        self.sidebar_view.show_profiles(profiles)
        self.tokens.set_profiles(profiles)
        self.placeholder.setText("No profiles yet.")
        self.placeholder.setVisible(not profiles)
        self.show_welcome(not profiles)
        names = list(self.profiles)
        if self.panel_built("keys"):
            self.keys_view.set_profiles(profiles, current)
        target = current if current in self.profiles else (names[0] if names else None)
        self.select_profile(target)
        if self.sidebar.currentItem() is None:
            self.on_current_item_changed(None, None)
        self.sidebar_view.refresh()
        unknown = self.tokens.board.unknown()
        if unknown and self.ctx is not None:
            self.runner.start(announce, self.ctx.engine, unknown, owner=self)
        self.profiles_reloaded.emit(names)
        self._become_ready()

    def announce_all(self) -> None:
        """Have the engine publish what every listed profile holds again (on the pool)."""
        engine = self.ctx.built_engine() if self.ctx is not None else None
        if engine is not None and self.profiles:
            self.runner.start(announce, engine, list(self.profiles), owner=self)

    def show_welcome(self, show: bool) -> None:
        """The first-run guide in the Token tab when there is no profile (the other tabs stay)."""
        self.token_view.show_welcome(show)

    # -- selection --------------------------------------------------------------------------------
    def selected_name(self) -> str | None:
        return self.sidebar_view.selected_name()

    def selected_profile(self) -> Profile | None:
        name = self.selected_name()
        return self.profiles.get(name) if name else None

    def select_profile(self, name: str | None) -> None:
        self.sidebar_view.select(name)

    def current_token(self) -> str | None:
        result = self.tokens.result(self.selected_name())
        return result.access_token if result else None

    def on_current_item_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        from workbench.gui.sidebar import NAME_ROLE

        name = current.data(0, NAME_ROLE) if current is not None else None
        profile = self.profiles.get(name) if name else None
        if self._tabs_built:
            self.token_view.set_profile(profile)
            if self.panel_built("request"):
                self.request_view.set_profile(profile)
        if name:
            self.settings.set_last_profile(name)
            if self.panel_built("keys"):
                self.keys_view.set_profiles(self.profiles.values(), name)
        has = profile is not None
        for w in (self.edit_button, self.remove_button, self.edit_action, self.remove_action):
            w.setEnabled(has)
        why = "" if has else "Select a profile first"
        self.edit_button.setToolTip(why or "Edit the selected profile")
        self.remove_button.setToolTip(why or "Remove the selected profile and its secrets")
        self.show_profile_error()

    def on_item_double_clicked(self, _item: QTreeWidgetItem, _column: int) -> None:
        self.edit_profile()

    # -- the one notification: token state changed -----------------------------------------------
    def on_tokens_changed(self, names: frozenset[str]) -> None:
        """The banner and the Cancel action follow the token model (the sidebar and the Token
        tab listen to it themselves)."""
        # Esc cancels only while the Token tab waits; otherwise it stays with the focused widget.
        self.cancel_action.setEnabled(self._tabs_built and self.token_view.busy)
        if self.selected_name() in names:
            self.show_profile_error()

    def show_profile_error(self) -> None:
        """The banner shows the selected profile's error; another profile's error leaves it."""
        if not self._ui_built:
            return
        name = self.selected_name()
        message = self.tokens.error(name)
        if message is not None:
            self._banner_profile = name
            if self.banner.text() != f"{name}: {message}":
                self.banner.show_message(f"{name}: {message}")
        elif self._banner_profile is not None:
            self._banner_profile = None
            self.banner.dismiss()

    def on_banner_dismissed(self) -> None:
        if self._banner_profile is not None:
            name, self._banner_profile = self._banner_profile, None
            self.tokens.set_error(name, None)

    def show_error(self, message: str) -> None:
        """A message that is not about one profile (a broken file, a failed save…)."""
        self.ensure_ui()
        self._banner_profile = None
        self.banner.show_message(message)

    def clear_error(self, message: str) -> None:
        if self._ui_built and self._banner_profile is None and self.banner.text() == message:
            self.banner.dismiss()

    # -- the one-second tick ----------------------------------------------------------------------
    def on_tick(self) -> None:
        self.sidebar_view.refresh()
        self.token_view.tick()
        if self._banner_profile is not None:  # its error may name a time to retry: count down
            self.show_profile_error()
        self.update_clock_label()
        self.tokens.run_auto_refresh()

    def update_clock_label(self) -> None:
        if self.ctx is not None:
            self.indicators.show_clock(self.ctx.clock.offset)

    def set_sandbox(self, url: str | None) -> None:
        self.sandbox_url = url
        if self._ui_built:  # else ensure_ui() shows it
            self.indicators.show_sandbox(url)

    def show_status(self, message: str) -> None:
        self.indicators.show_status(message)

    # -- closing ----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.save_window(QByteArray(self.saveGeometry()), QByteArray(self.saveState()))
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Clear our clipboard secret, stop ticking, cancel and wait for all jobs. Idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        if not self._ui_built:
            return  # nothing was started yet
        self.tick_timer.stop()
        self.clipboard.clear_now()
        self.bridge.detach()
        self.runner.shutdown(wait_ms)


__all__ = ["MainWindow", "announce", "demo_command", "list_profiles", "warm_up"]
