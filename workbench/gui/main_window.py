"""The main window: profiles sidebar, the Token/Request/Inspector/Keys tabs, status bar.

It is built in two phases so the first frame appears about as early as a bare Qt window's:

1. ``MainWindow(...)`` (before ``show()``) builds only the frame: the title, the restored
   geometry and a centred "Loading Token Workbench…" in place of the content. This module
   imports four QtWidgets classes and never touches ``PySide6.QtCore.Qt`` (creating that
   namespace's enums alone costs ~40 ms), the worker pool or the panels.
2. :meth:`MainWindow.ensure_ui` (the app calls it right after the first paint;
   :meth:`attach` calls it too) builds the rest into the same window, from
   :mod:`workbench.gui.window_ui`: sidebar, banner, tabs, menus, actions and shortcuts,
   status-bar indicators, the worker pool, the clipboard and the services the panels
   share. :meth:`ensure_tabs` then builds the four panels.

Token state reaches the window by one route: engine events (:meth:`on_engine_event`), each
"changed" event carrying the token a profile holds and when it is renewed. The GUI thread
never reads the keychain or a file: profiles are listed, the engine is warmed and what each
profile holds is announced on the worker pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QWidget

from workbench.gui.settings import Preferences, Settings

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
    from workbench.core.engine.token_engine import EngineEvent, TokenEngine, TokenResult
    from workbench.core.errors import ProfileError
    from workbench.core.operations import ProfileRemoved
    from workbench.core.profiles.profile import Profile
    from workbench.gui.clipboard import SecureClipboard
    from workbench.gui.history_view import HistoryPanel
    from workbench.gui.import_dialog import ImportDialog
    from workbench.gui.inspector_view import InspectorView
    from workbench.gui.keys_view import KeysView
    from workbench.gui.profile_editor import ProfileEditor
    from workbench.gui.request_view import RequestView
    from workbench.gui.saved_requests import SavedRequestsPanel
    from workbench.gui.services import Services
    from workbench.gui.settings_dialog import SettingsDialog
    from workbench.gui.tasks import EngineEventBridge, Generation, TaskRunner
    from workbench.gui.token_view import TokenView
    from workbench.gui.widgets import ErrorBanner

TAB_NAMES = ("token", "request", "inspector", "keys")
# Qt.ItemDataRole.UserRole, spelled as the number so reading it needs no Qt namespace:
# a sidebar item's profile name (column 0) and its state (column 1).
NAME_ROLE = 0x0100
# After a failed automatic renewal, wait this long before trying again by itself.
AUTO_REFRESH_BACKOFF = 30.0
# Shown in Help ▸ Keyboard shortcuts: (keys, what they do).
SHORTCUTS = (
    ("Ctrl+N", "New profile"),
    ("Ctrl+O", "Import a collection, OpenAPI document, HAR file or curl command"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+Shift+C", "Copy the selected profile's token (renewed first if needed)"),
    ("Ctrl+M", "Mint a new token"),
    ("Ctrl+R", "Refresh the token (mints on providers without refresh)"),
    ("Ctrl+Shift+V", "Verify the token"),
    ("Ctrl+I", "Open the token in the Inspector"),
    ("Ctrl+Return", "Send the Request tab's request"),
    ("Ctrl+L", "Focus the request URL"),
    ("Esc", "Cancel the token request under way"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)


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


class MainWindow(QMainWindow):
    """Signals:
    ready(): the context is attached, the profiles are listed and the engine is warm.
    profiles_reloaded(list): profile names now listed.
    token_state_changed(str): an engine event changed what a profile holds (its name).

    Attributes:
        tokens / renewals: per profile, the token it holds and when the engine renews it, as
            the engine's "changed" events said (the only source of token state).
        errors: per profile, the last failure's message, until a later success.
        busy: profiles with a token request under way.
        auto_refresh: profiles kept fresh in the background.
    """

    ready = Signal()
    profiles_reloaded = Signal(list)
    token_state_changed = Signal(str)

    # Built by ensure_ui() (workbench.gui.window_ui.build), after the first paint:
    runner: TaskRunner
    clipboard: SecureClipboard
    services: Services
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
    clipboard_label: QLabel
    tls_label: QLabel
    vault_label: QLabel
    clock_label: QLabel
    sandbox_label: QLabel
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
        self.tokens: dict[str, TokenResult | None] = {}
        self.renewals: dict[str, float | None] = {}
        self._token_seq: dict[str, int] = {}
        self.busy: set[str] = set()
        self.errors: dict[str, str] = {}
        self.auto_refresh: set[str] = set()
        self._auto_inflight: set[str] = set()
        self._auto_blocked_until: dict[str, float] = {}
        self._banner_profile: str | None = None  # whose error the banner shows (None: general)
        self.is_ready = False
        self.profiles_loaded = False
        self.sandbox_url: str | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.remove_question: QMessageBox | None = None
        self.shortcuts_dialog: QMessageBox | None = None
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
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1200, 760)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    # -- construction, phase 2: everything else, into the same window -----------------------------
    @property
    def ui_built(self) -> bool:
        return self._ui_built

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
        self.auto_refresh = self.settings.auto_refresh_profiles()
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
        self.ensure_tabs()
        self._on_ready = on_ready
        self._pending_select = self.settings.last_profile()
        self.runner.start(warm_up, ctx, owner=self, on_success=self.on_warm, on_failure=self.on_warm_failed)

    def on_warm(self, vault_warning: str | None) -> None:
        assert self.ctx is not None
        self.bridge.attach(self.ctx.engine)
        self.configure_engine(self.services.prefs)
        if vault_warning:
            self.vault_label.setText("⚠ secrets in memory only")
            self.vault_label.setToolTip(vault_warning)
            self.vault_label.show()
        for b in (self.new_button, self.edit_button, self.remove_button):
            b.setEnabled(True)
        self.reload_profiles(select=self._pending_select)

    def on_warm_failed(self, exc: BaseException) -> None:
        self.services.error_from(exc)

    def _become_ready(self) -> None:
        if self.is_ready:
            return
        self.is_ready = True
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
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QTreeWidgetItem

        from workbench.core.errors import user_message
        from workbench.gui.widgets import PRESET_ROLE

        profiles, problems = found
        if problems:  # a broken profile file: say so, keep the window usable
            self.show_error(user_message(problems[0]))
        self.profiles = {p.name: p for p in profiles}
        for gone in set(self.tokens) - set(self.profiles):
            self._forget_profile_state(gone)
        self.profiles_loaded = True
        self.sidebar.blockSignals(True)
        self.sidebar.clear()
        for p in profiles:
            item = QTreeWidgetItem(self.sidebar, [p.name, ""])
            item.setData(0, NAME_ROLE, p.name)
            item.setData(0, PRESET_ROLE, p.preset_name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.sidebar.blockSignals(False)
        self.placeholder.setText("No profiles yet.")
        self.placeholder.setVisible(not profiles)
        self.show_welcome(not profiles)
        names = list(self.profiles)
        if self.panel_built("keys"):
            self.keys_view.set_profiles(names, current)
        target = current if current in self.profiles else (names[0] if names else None)
        self.select_profile(target)
        if self.sidebar.currentItem() is None:
            self.on_current_item_changed(None, None)
        self.update_sidebar()
        unknown = [n for n in names if n not in self.tokens]
        if unknown and self.ctx is not None:
            self.runner.start(announce, self.ctx.engine, unknown, owner=self)
        self.profiles_reloaded.emit(names)
        self._become_ready()

    def _forget_profile_state(self, name: str) -> None:
        self.tokens.pop(name, None)
        self.renewals.pop(name, None)
        self._token_seq.pop(name, None)
        self.errors.pop(name, None)
        self._auto_blocked_until.pop(name, None)
        self.busy.discard(name)

    def show_welcome(self, show: bool) -> None:
        """The first-run guide in the Token tab when there is no profile (the other tabs stay)."""
        self.token_view.show_welcome(show)

    def start_demo(self) -> None:
        """Open the demo (a second window with a local sandbox and throwaway profiles)."""
        from PySide6.QtCore import QProcess

        program, args = demo_command()
        if QProcess.startDetached(program, args)[0]:
            self.show_status("Starting the demo in a new window…")
        else:
            self.show_error(f"could not start the demo; run `{program} {' '.join(args)}` yourself")

    # -- selection --------------------------------------------------------------------------------
    def selected_name(self) -> str | None:
        item = self.sidebar.currentItem()
        return item.data(0, NAME_ROLE) if item is not None else None

    def selected_profile(self) -> Profile | None:
        name = self.selected_name()
        return self.profiles.get(name) if name else None

    def sidebar_items(self) -> list[QTreeWidgetItem]:
        items = (self.sidebar.topLevelItem(i) for i in range(self.sidebar.topLevelItemCount()))
        return [item for item in items if item is not None]

    def select_profile(self, name: str | None) -> None:
        for item in self.sidebar_items():
            if item.data(0, NAME_ROLE) == name:
                self.sidebar.setCurrentItem(item)
                return

    def on_current_item_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        name = current.data(0, NAME_ROLE) if current is not None else None
        profile = self.profiles.get(name) if name else None
        if self._tabs_built:
            self.token_view.set_profile(
                profile,
                self.tokens.get(name) if name else None,
                self.renewals.get(name) if name else None,
                auto_refresh=bool(name and name in self.auto_refresh),
            )
            if self.panel_built("request"):
                self.request_view.set_profile(profile)
        if name:
            self.settings.set_last_profile(name)
            if self.panel_built("keys"):
                self.keys_view.set_profiles(list(self.profiles), name)
        has = profile is not None
        for w in (self.edit_button, self.remove_button, self.edit_action, self.remove_action):
            w.setEnabled(has)
        why = "" if has else "Select a profile first"
        self.edit_button.setToolTip(why or "Edit the selected profile")
        self.remove_button.setToolTip(why or "Remove the selected profile and its secrets")
        self.show_profile_error()

    def on_item_double_clicked(self, _item: QTreeWidgetItem, _column: int) -> None:
        self.edit_profile()

    def current_token(self) -> str | None:
        result = self.tokens.get(self.selected_name() or "")
        return result.access_token if result else None

    def token_of(self, name: str) -> TokenResult | None:
        return self.tokens.get(name)

    # -- token state: engine events only ----------------------------------------------------------
    def on_engine_event(self, event: EngineEvent) -> None:
        name = event.profile
        if event.kind == "changed":
            if event.seq and event.seq < self._token_seq.get(name, 0):
                return  # an older state delivered late (two threads): keep the newer one
            self._token_seq[name] = event.seq
            self.tokens[name] = event.result
            self.renewals[name] = event.renew_at
            if name == self.selected_name() and self._tabs_built:
                self.token_view.set_result(event.result, event.renew_at)
            self.token_state_changed.emit(name)
        elif event.kind in ("minted", "refreshed"):
            self.clear_profile_error(name)
        elif event.kind == "failed":
            self.set_profile_error(name, event.message)
        self.update_sidebar()

    def state_of(self, name: str) -> tuple[str, str]:
        """(state, time-left text) for the sidebar; from the events' token state and the clock."""
        from workbench.gui.token_view import token_state
        from workbench.gui.widgets import humanize_seconds

        if name in self.busy:
            return "busy", "…"
        result = self.tokens.get(name)
        now = self.ctx.clock.now() if self.ctx is not None else 0.0
        state = token_state(result, self.renewals.get(name), now)
        if state in ("none", "expired") and name in self.errors:
            return "error", "error"  # no usable token and the last attempt failed
        if state == "none":
            return "none", "—"
        if state == "expired":
            return "expired", "expired"
        assert result is not None
        if result.expires_at is None:
            return state, "∞?"
        return state, humanize_seconds(result.expires_at - now)

    def update_sidebar(self) -> None:
        if self.ctx is None or not self._ui_built:
            return
        from workbench.gui.widgets import state_dot

        now = self.ctx.clock.now()
        for item in self.sidebar_items():
            name = item.data(0, NAME_ROLE)
            state, left = self.state_of(name)
            if item.data(1, NAME_ROLE) != state:
                item.setIcon(0, state_dot(state))
                item.setData(1, NAME_ROLE, state)
            if item.text(1) != left:
                item.setText(1, left)
            tip = self._tooltip(name, state, left, now)
            if item.toolTip(0) != tip:
                item.setToolTip(0, tip)
                item.setToolTip(1, tip)

    def _tooltip(self, name: str, state: str, left: str, now: float) -> str:
        from workbench.gui.widgets import humanize_seconds

        p = self.profiles.get(name)
        lines = [name] if p is None else [name, f"{p.preset.title} ({p.preset_name})", p.base_url]
        words = {
            "busy": "obtaining a token…",
            "none": "no token yet",
            "expired": "token expired",
            "error": "no usable token",
            "valid": f"token valid, expires in {left}",
            "expiring": f"token expiring in {left}",
        }
        lines.append(words.get(state, state))
        renew = self.renewals.get(name)
        if name in self.auto_refresh and renew is not None and self.tokens.get(name) is not None:
            lines.append(
                f"auto-refresh: refreshes in {humanize_seconds(renew - now)}"
                if renew > now
                else "auto-refresh"
            )
        if name in self.errors:
            lines.append(f"last attempt failed: {self.errors[name]}")
        return "\n".join(lines)

    # -- errors, per profile ----------------------------------------------------------------------
    def set_profile_error(self, name: str, message: str) -> None:
        self.errors[name] = message
        self.show_profile_error()
        self.update_sidebar()

    def clear_profile_error(self, name: str) -> None:
        if self.errors.pop(name, None) is not None:
            self.show_profile_error()
            self.update_sidebar()

    def show_profile_error(self) -> None:
        """The banner shows the selected profile's error; another profile's error leaves it."""
        if not self._ui_built:
            return
        name = self.selected_name()
        message = self.errors.get(name) if name else None
        if message is not None:
            self._banner_profile = name
            self.banner.show_message(f"{name}: {message}")
        elif self._banner_profile is not None:
            self._banner_profile = None
            self.banner.dismiss()

    def on_banner_dismissed(self) -> None:
        if self._banner_profile is not None:
            self.errors.pop(self._banner_profile, None)
            self._banner_profile = None
            self.update_sidebar()

    def show_error(self, message: str) -> None:
        """A message that is not about one profile (a broken file, a failed save…)."""
        self.ensure_ui()
        self._banner_profile = None
        self.banner.show_message(message)

    def clear_error(self, message: str) -> None:
        if self._ui_built and self._banner_profile is None and self.banner.text() == message:
            self.banner.dismiss()

    def on_busy_changed(self, name: str, busy: bool) -> None:
        if busy:
            self.busy.add(name)
        else:
            self.busy.discard(name)
        # Esc cancels only while the Token tab waits; otherwise it stays with the focused widget.
        self.cancel_action.setEnabled(self._tabs_built and self.token_view.busy)
        self.update_sidebar()

    def on_profile_failed(self, name: str, message: str) -> None:
        self.busy.discard(name)
        self.set_profile_error(name, message)

    # -- ticking and auto-refresh -----------------------------------------------------------------
    def on_tick(self) -> None:
        self.update_sidebar()
        self.token_view.tick()
        self.update_clock_label()
        self.run_auto_refresh()

    def run_auto_refresh(self) -> None:
        """Renew, in the background, every auto-refresh profile whose renewal time has come."""
        if self.ctx is None or not self.is_ready:
            return
        now = self.ctx.clock.now()
        for name in sorted(self.auto_refresh & set(self.profiles)):
            if name in self.busy or name in self._auto_inflight or name not in self.tokens:
                continue
            if now < self._auto_blocked_until.get(name, 0.0):
                continue
            profile = self.profiles[name]
            result, renew = self.tokens[name], self.renewals.get(name)
            if result is None:
                due = profile.preset.can_mint()
            else:
                due = renew is not None and now >= renew
            if due and (profile.preset.can_mint() or profile.preset.can_refresh()):
                self._start_auto_refresh(name)

    def _start_auto_refresh(self, name: str) -> None:
        assert self.ctx is not None
        self._auto_inflight.add(name)
        self.on_busy_changed(name, True)
        self.runner.start(
            self.ctx.engine.get_token,
            name,
            owner=self,
            on_success=lambda result: self.on_auto_refreshed(name, result),
            on_failure=lambda exc: self.on_auto_refresh_failed(name, exc),
        )

    def on_auto_refreshed(self, name: str, result: TokenResult) -> None:
        from workbench.gui.token_view import OBTAINED_BY_TEXT

        self._auto_inflight.discard(name)
        self.on_busy_changed(name, False)
        how = OBTAINED_BY_TEXT.get(result.obtained_by, result.obtained_by)
        self.show_status(f"{name}: {how} (auto-refresh)")

    def on_auto_refresh_failed(self, name: str, exc: BaseException) -> None:
        from workbench.core.errors import user_message

        self._auto_inflight.discard(name)
        self.on_busy_changed(name, False)
        if self.ctx is not None:
            self._auto_blocked_until[name] = self.ctx.clock.now() + AUTO_REFRESH_BACKOFF
        self.set_profile_error(name, f"{user_message(exc)} (auto-refresh tries again in 30 s)")

    def on_auto_refresh_changed(self, name: str, enabled: bool) -> None:
        if enabled:
            self.auto_refresh.add(name)
        else:
            self.auto_refresh.discard(name)
            self._auto_blocked_until.pop(name, None)
        self.settings.set_auto_refresh(name, enabled)
        self.show_status(f"{name}: auto-refresh {'on' if enabled else 'off'}")
        self.update_sidebar()
        self.run_auto_refresh()

    def update_clock_label(self) -> None:
        if self.ctx is None:
            return
        text = f"server clock {self.ctx.clock.offset:+.0f} s"
        if self.clock_label.text() != text:
            self.clock_label.setText(text)
            self.clock_label.setToolTip(
                "Offset of the providers' clock (from HTTP Date headers) to this machine"
            )

    def set_sandbox(self, url: str | None) -> None:
        self.sandbox_url = url
        if not self._ui_built:
            return  # ensure_ui() shows it
        from workbench.gui.widgets import STATE_COLORS

        if url:
            self.sandbox_label.setText(f"● sandbox {url}")
            self.sandbox_label.setStyleSheet(f"color: {STATE_COLORS['valid']}")
            self.sandbox_label.setToolTip("The embedded sandbox emulates every preset's provider (demo mode)")
        else:
            self.sandbox_label.setText("sandbox off")
            self.sandbox_label.setStyleSheet("color: gray")

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 5000)

    def on_copied(self, what: str) -> None:
        self.show_status(f"Copied {what}")

    def on_clipboard_countdown(self, seconds: int) -> None:
        if seconds > 0:
            self.clipboard_label.setText(f"Clipboard clears in {seconds} s")
            self.clipboard_label.show()
        else:
            self.clipboard_label.hide()

    def on_clipboard_cleared(self) -> None:
        self.show_status("Clipboard cleared")

    # -- actions ----------------------------------------------------------------------------------
    def copy_selected_token(self) -> None:
        self._copy(lambda view: view.copy_token_button, lambda view: view.copy_token())

    def copy_header(self) -> None:
        self._copy(lambda view: view.copy_header_button, lambda view: view.copy_header())

    def copy_curl(self) -> None:
        self._copy(lambda view: view.copy_curl_button, lambda view: view.copy_curl())

    def _copy(self, button: Callable[[TokenView], QPushButton], run: Callable[[TokenView], None]) -> None:
        """A copy shortcut or menu item: as its button would, or say why not (its tooltip)."""
        self.ensure_tabs()
        view = self.token_view
        if button(view).isEnabled():
            run(view)
        else:
            self.show_status(button(view).toolTip())

    def mint(self) -> None:
        self.ensure_tabs()
        view = self.token_view
        if view.mint_button.isEnabled():
            view.on_mint_clicked()
        else:
            self.show_status(view.mint_button.toolTip())

    def refresh(self) -> None:
        """Ctrl+R: refresh; on a provider without refresh, mint (that is how it renews)."""
        self.ensure_tabs()
        view = self.token_view
        if view.refresh_button.isEnabled():
            view.on_refresh_clicked()
        elif view.mint_button.isEnabled():
            name = self.selected_name()
            self.show_status(f"{name}: this provider has no refresh, minting a new token instead")
            view.on_mint_clicked()
        else:
            self.show_status(view.refresh_button.toolTip())

    def verify(self) -> None:
        self.ensure_tabs()
        view = self.token_view
        if view.verify_button.isEnabled():
            self.tabs.setCurrentWidget(view)
            view.on_verify_clicked()
        else:
            self.show_status(view.verify_button.toolTip())

    def cancel(self) -> None:
        if self._tabs_built and self.token_view.busy:
            self.token_view.on_cancel_clicked()

    def send_request(self) -> None:
        self.ensure_tabs()
        self.tabs.setCurrentWidget(self.request_view)
        self.request_view.send()

    def focus_url(self) -> None:
        self.ensure_tabs()
        self.tabs.setCurrentWidget(self.request_view)
        self.request_view.url.setFocus()
        self.request_view.url.selectAll()

    def inspect_current(self) -> None:
        self.ensure_tabs()
        self.tabs.setCurrentWidget(self.inspector_view)
        self.inspector_view.inspect_current()

    def open_in_inspector(self, token: str) -> None:
        self.ensure_tabs()
        self.tabs.setCurrentWidget(self.inspector_view)
        self.inspector_view.set_token(token)

    def show_tab(self, name: str) -> None:
        self.ensure_tabs()
        if name in TAB_NAMES:
            self.tabs.setCurrentIndex(TAB_NAMES.index(name))

    def new_profile(self, preset: str | None = None) -> ProfileEditor | None:
        return self._open_editor(None, preset if isinstance(preset, str) else None)

    def on_new_clicked(self) -> None:
        self.new_profile()

    def edit_profile(self) -> ProfileEditor | None:
        profile = self.selected_profile()
        if profile is not None:
            return self._open_editor(profile, None)
        return None

    def _open_editor(self, profile: Profile | None, preset: str | None) -> ProfileEditor | None:
        if self.ctx is None:
            return None
        from workbench.gui.profile_editor import ProfileEditor

        try:
            editor = ProfileEditor(self.services, profile, self, preset_name=preset)
        except Exception as exc:
            self.services.error_from(exc)
            return None
        editor.saved.connect(self.on_profile_saved)
        from PySide6.QtCore import Qt

        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.open()
        return editor

    def on_profile_saved(self, name: str) -> None:
        # The operation told the engine (forget / drop + announce): its events follow.
        self.clear_profile_error(name)
        self.reload_profiles(select=name)
        self.show_status(f"Saved profile {name}")

    def remove_profile(self, confirm: bool = True) -> QMessageBox | None:
        """Remove the selected profile, its secrets and cached tokens; asks first unless told not to.

        The question is window-modal and does not block the event loop (returned, and kept in
        `remove_question`, for tests)."""
        profile = self.selected_profile()
        if profile is None or self.ctx is None:
            return None
        if not confirm:
            self._remove_now(profile.name)
            return None
        from workbench.gui.confirm import ask

        self.remove_question = ask(
            self,
            title="Remove profile",
            text=f"Remove profile '{profile.name}'?",
            detail=(
                f"Its file, its secrets in the keychain ({', '.join(profile.all_secret_names)}) and "
                "its cached tokens are deleted too. This cannot be undone."
            ),
            confirm="Remove and delete secrets",
            on_confirm=lambda: self._remove_now(profile.name),
        )
        return self.remove_question

    def on_remove_clicked(self) -> None:
        # A slot without parameters: `clicked(bool)` must not land in remove_profile's `confirm`.
        self.remove_profile()

    def _remove_now(self, name: str) -> None:
        if self.ctx is None:
            return
        from workbench.core.operations import remove_profile

        self.runner.start(remove_profile, self.ctx, name, owner=self, on_success=self.on_profile_removed)

    def on_profile_removed(self, removed: ProfileRemoved) -> None:
        self._forget_profile_state(removed.name)
        self.reload_profiles()
        self.show_status(
            f"Removed profile {removed.name} (its file, {len(removed.secret_names)} keychain entries "
            "and its cached tokens)"
        )

    def open_settings(self) -> None:
        from workbench.gui.settings_dialog import SettingsDialog

        # Window-modal and non-blocking: the event loop (countdowns, results) keeps running.
        self.settings_dialog = dialog = SettingsDialog(self.services.prefs, self)
        dialog.accepted.connect(self.on_settings_accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def on_settings_accepted(self) -> None:
        if self.settings_dialog is not None:
            self.apply_preferences(self.settings_dialog.preferences())
            self.settings_dialog = None

    def configure_engine(self, prefs: Preferences) -> None:
        """The engine (shared with every panel) follows the preferences: lead, timeout, TLS."""
        engine = self.ctx.built_engine() if self.ctx is not None else None
        if engine is not None:
            engine.configure(
                default_lead=float(prefs.refresh_lead) if prefs.refresh_lead > 0 else None,
                timeout=float(prefs.request_timeout),
                verify_tls=bool(prefs.verify_tls),
            )
            # Renewal times follow the new lead: have each profile's state published again.
            if self.profiles:
                self.runner.start(announce, engine, list(self.profiles), owner=self)

    def apply_preferences(self, prefs: Preferences) -> None:
        self.services.prefs = prefs
        self.settings.save(prefs)
        self.configure_engine(prefs)
        self.clipboard.clear_after = prefs.clipboard_clear
        self.tls_label.setVisible(not prefs.verify_tls)
        if self._tabs_built:
            self.token_view.tick()

    def show_shortcuts(self) -> QMessageBox:
        from PySide6.QtWidgets import QMessageBox

        rows = "".join(
            f"<tr><td style='padding-right:16px'><b>{keys}</b></td><td>{what}</td></tr>"
            for keys, what in SHORTCUTS
        )
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(f"<table>{rows}</table>")
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.finished.connect(box.deleteLater)
        box.open()
        self.shortcuts_dialog = box
        return box

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from workbench import __version__

        box = QMessageBox(self)
        box.setWindowTitle("About Token Workbench")
        box.setText(
            f"<b>Token Workbench {__version__}</b><br>Mint, refresh, inspect and use JWTs for many API "
            "providers. Secrets live in the OS keychain."
        )
        box.finished.connect(box.deleteLater)
        box.open()

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


def demo_command() -> tuple[str, list[str]]:
    """How to start this app in demo mode as a separate process (venv or frozen build)."""
    import sys

    if getattr(sys, "frozen", False):
        return sys.executable, ["gui", "--demo"]
    return sys.executable, ["-m", "workbench", "gui", "--demo"]


__all__ = ["MainWindow", "announce", "demo_command", "list_profiles", "warm_up"]
