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

Neither phase touches the network, the keychain or heavy imports;
:meth:`MainWindow.attach` hands the window the AppContext afterwards.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QWidget

from workbench.gui.settings import Settings

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction, QCloseEvent
    from PySide6.QtWidgets import QPushButton, QSplitter, QTabWidget, QTreeWidget, QTreeWidgetItem

    from workbench.core.context import AppContext
    from workbench.core.engine import EngineEvent, TokenResult
    from workbench.core.operations import ProfileRemoved
    from workbench.core.profiles import Profile
    from workbench.gui.clipboard import SecureClipboard
    from workbench.gui.inspector_view import InspectorView
    from workbench.gui.keys_view import KeysView
    from workbench.gui.request_view import RequestView
    from workbench.gui.services import Services
    from workbench.gui.tasks import EngineEventBridge, Generation, TaskRunner
    from workbench.gui.token_view import TokenView
    from workbench.gui.widgets import ErrorBanner

TAB_NAMES = ("token", "request", "inspector", "keys")
# Qt.ItemDataRole.UserRole, spelled as the number so reading it needs no Qt namespace:
# a sidebar item's profile name (column 0) and its state (column 1).
NAME_ROLE = 0x0100


def snapshot_tokens(engine: Any, names: list[str]) -> dict[str, Any]:
    """What the engine holds for each profile right now; no network. Runs on the pool."""
    out: dict[str, Any] = {}
    for name in names:
        try:
            out[name] = engine.cached(name)
        except Exception:  # one broken profile must not blank the others
            out[name] = None
    return out


def warm_up(ctx: AppContext) -> None:
    """Build the engine and import what the panels use, off the GUI thread."""
    ctx.engine  # noqa: B018 - builds the engine (imports httpx)
    import workbench.core.codegen
    import workbench.core.flows
    import workbench.core.jwtinspect  # noqa: F401


class MainWindow(QMainWindow):
    """Signals:
    ready(): the context is attached and the engine is warm.
    profiles_reloaded(list): profile names now listed.
    snapshots_updated(): fresh `engine.cached()` snapshots arrived.
    """

    ready = Signal()
    profiles_reloaded = Signal(list)
    snapshots_updated = Signal()

    # Built by ensure_ui() (workbench.gui.window_ui.build), after the first paint:
    runner: TaskRunner
    clipboard: SecureClipboard
    services: Services
    bridge: EngineEventBridge
    _snapshot_gen: Generation
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
    edit_action: QAction
    remove_action: QAction
    settings_action: QAction
    quit_action: QAction
    copy_token_action: QAction
    copy_header_action: QAction
    copy_curl_action: QAction
    mint_action: QAction
    refresh_action: QAction
    send_action: QAction
    send_action2: QAction
    focus_url_action: QAction
    inspect_action: QAction
    about_action: QAction
    # Built by ensure_tabs() (workbench.gui.window_ui.build_panels):
    token_view: TokenView
    request_view: RequestView
    inspector_view: InspectorView
    keys_view: KeysView

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
        self.snapshots: dict[str, TokenResult | None] = {}
        self.busy: set[str] = set()
        self.errors: dict[str, str] = {}
        self.is_ready = False
        self.sandbox_url: str | None = None
        self._snapshot_inflight = False
        self._obtained_at: dict[str, float] = {}
        self.settings_dialog: Any = None
        self._shut_down = False
        self._ui_built = False
        self._tabs_built = False

        self.setWindowTitle("Token Workbench")
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

        self._snapshot_gen = Generation()
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

    # -- attaching the context (after first paint) ------------------------------------------------
    def attach(self, ctx: AppContext, *, on_ready: Any = None) -> None:
        """Load profiles now (cheap files), warm the engine on the pool, then start ticking."""
        self.ensure_ui()
        self.ctx = ctx
        self.services.ctx = ctx
        self.ensure_tabs()
        for b in (self.new_button, self.edit_button, self.remove_button):
            b.setEnabled(True)
        self.reload_profiles(select=self.settings.last_profile())
        self.runner.start(
            warm_up,
            ctx,
            owner=self,
            on_success=lambda _=None: self.on_warm(on_ready),
            on_failure=self.on_warm_failed,
        )

    def on_warm(self, on_ready: Any = None) -> None:
        assert self.ctx is not None
        self.bridge.attach(self.ctx.engine)
        self.configure_engine(self.services.prefs)
        self.is_ready = True
        self.tick_timer.start()
        self.update_clock_label()
        self.refresh_snapshots()
        vault = self.ctx.__dict__.get("vault")
        if vault is not None and getattr(vault, "warning", None):
            self.vault_label.setText("⚠ secrets in memory only")
            self.vault_label.setToolTip(vault.warning)
            self.vault_label.show()
        self.ready.emit()
        if callable(on_ready):
            on_ready()

    def on_warm_failed(self, exc: BaseException) -> None:
        self.services.error_from(exc)

    def reload_profiles(self, select: str | None = None) -> None:
        if self.ctx is None:
            return
        current = select or self.selected_name()
        try:
            profiles = self.ctx.profiles.list()
        except Exception as exc:  # a broken profile file: say so, keep the window usable
            self.services.error_from(exc)
            profiles = []
        self.profiles = {p.name: p for p in profiles}
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QTreeWidgetItem

        from workbench.gui.widgets import PRESET_ROLE

        self.sidebar.blockSignals(True)
        self.sidebar.clear()
        for p in profiles:
            item = QTreeWidgetItem(self.sidebar, [p.name, ""])
            item.setData(0, NAME_ROLE, p.name)
            item.setData(0, PRESET_ROLE, p.preset_name)
            item.setToolTip(0, f"{p.name}\n{p.preset.title} ({p.preset_name})\n{p.base_url}")
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.sidebar.blockSignals(False)
        self.placeholder.setText("No profiles yet.\nFile ▸ New profile (Ctrl+N) creates one from a preset.")
        self.placeholder.setVisible(not profiles)
        names = list(self.profiles)
        if self._tabs_built:
            self.keys_view.set_profiles(names, current)
        target = current if current in self.profiles else (names[0] if names else None)
        self.select_profile(target)
        if target is None:
            self.on_current_item_changed(None, None)
        self.update_sidebar()
        self.profiles_reloaded.emit(names)
        if self.is_ready:
            self.refresh_snapshots()

    # -- selection --------------------------------------------------------------------------------
    def selected_name(self) -> str | None:
        item = self.sidebar.currentItem()
        return item.data(0, NAME_ROLE) if item is not None else None

    def selected_profile(self) -> Profile | None:
        name = self.selected_name()
        return self.profiles.get(name) if name else None

    def select_profile(self, name: str | None) -> None:
        for i in range(self.sidebar.topLevelItemCount()):
            item = self.sidebar.topLevelItem(i)
            if item.data(0, NAME_ROLE) == name:
                self.sidebar.setCurrentItem(item)
                return

    def on_current_item_changed(self, current: QTreeWidgetItem | None, _previous: Any) -> None:
        name = current.data(0, NAME_ROLE) if current is not None else None
        profile = self.profiles.get(name) if name else None
        if self._tabs_built:
            self.token_view.set_profile(profile, self.snapshots.get(name) if name else None)
            self.request_view.set_profile(profile)
        if name:
            self.settings.set_last_profile(name)
            if self._tabs_built:
                self.keys_view.set_profiles(list(self.profiles), name)
        has = profile is not None
        for w in (self.edit_button, self.remove_button, self.edit_action, self.remove_action):
            w.setEnabled(has)

    def on_item_double_clicked(self, _item: QTreeWidgetItem, _column: int) -> None:
        self.edit_profile()

    def current_token(self) -> str | None:
        result = self.snapshots.get(self.selected_name() or "")
        return result.access_token if result else None

    # -- ticking and snapshots --------------------------------------------------------------------
    def on_tick(self) -> None:
        self.update_sidebar()
        self.token_view.tick()
        self.update_clock_label()
        self.refresh_snapshots()

    def refresh_snapshots(self) -> None:
        if self.ctx is None or not self.is_ready or self._snapshot_inflight or not self.profiles:
            return
        self._snapshot_inflight = True
        gen = self._snapshot_gen.next()
        started = time.monotonic()
        self.runner.start(
            snapshot_tokens,
            self.ctx.engine,
            list(self.profiles),
            owner=self,
            on_success=lambda snaps: self.on_snapshots(gen, snaps, started),
            on_failure=self.on_snapshots_failed,
        )

    def on_snapshots(self, gen: int, snaps: dict[str, Any], started: float = 0.0) -> None:
        self._snapshot_inflight = False
        if not self._snapshot_gen.is_current(gen):
            return
        # A token obtained while this snapshot was being read is newer than what it saw.
        snaps = {n: r for n, r in snaps.items() if self._obtained_at.get(n, 0.0) <= started}
        self.snapshots.update(snaps)
        name = self.selected_name()
        if name in snaps and snaps[name] is not self.token_view.result:
            current = self.token_view.result
            new = snaps[name]
            if (
                new is None
                or current is None
                or new.access_token != current.access_token
                or new.expires_at != current.expires_at
            ):
                self.token_view.set_result(new)
        self.update_sidebar()
        self.snapshots_updated.emit()

    def on_snapshots_failed(self, exc: BaseException) -> None:
        self._snapshot_inflight = False

    def state_of(self, name: str) -> tuple[str, str]:
        """(state, time-left text) for the sidebar; from snapshots and the clock only."""
        if name in self.busy:
            return "busy", "…"
        result = self.snapshots.get(name)
        if name in self.errors and result is None:
            return "error", "error"
        if result is None:
            return "none", "—"
        if result.expires_at is None:
            return "valid", "∞?"
        assert self.ctx is not None
        left = result.expires_at - self.ctx.clock.now()
        if left <= 0:
            return "expired", "expired"
        lead = self.token_view.lead_for(result) if name == self.selected_name() else 60.0
        state = "expiring" if left <= max(lead * 2, 60) else "valid"
        if name in self.errors:
            state = "error"
        from workbench.gui.widgets import humanize_seconds

        return state, humanize_seconds(left)

    def update_sidebar(self) -> None:
        if self.ctx is None or not self._ui_built:
            return
        from workbench.gui.widgets import state_dot

        for i in range(self.sidebar.topLevelItemCount()):
            item = self.sidebar.topLevelItem(i)
            name = item.data(0, NAME_ROLE)
            state, left = self.state_of(name)
            item.setIcon(0, state_dot(state))
            item.setText(1, left)
            tip = self.errors.get(name) or f"{state}: {left}"
            item.setToolTip(1, tip)
            item.setData(1, NAME_ROLE, state)

    def update_clock_label(self) -> None:
        if self.ctx is None:
            return
        offset = self.ctx.clock.offset
        self.clock_label.setText(f"server clock {offset:+.0f} s")
        self.clock_label.setToolTip("Offset of the providers' clock (from HTTP Date headers) to this machine")

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

    # -- token events -----------------------------------------------------------------------------
    def on_token_obtained(self, result: TokenResult) -> None:
        self.snapshots[result.profile] = result
        self._obtained_at[result.profile] = time.monotonic()
        self.errors.pop(result.profile, None)
        self.update_sidebar()

    def on_busy_changed(self, name: str, busy: bool) -> None:
        if busy:
            self.busy.add(name)
        else:
            self.busy.discard(name)
        self.update_sidebar()

    def on_profile_failed(self, name: str, message: str) -> None:
        self.errors[name] = message
        self.busy.discard(name)
        self.update_sidebar()

    def on_token_replaced(self, _name: str) -> None:
        self.refresh_snapshots()

    def on_engine_event(self, event: EngineEvent) -> None:
        if event.kind == "failed":
            self.errors[event.profile] = event.message
        elif event.kind in ("minted", "refreshed"):
            self.errors.pop(event.profile, None)
        if event.kind in ("changed", "minted", "refreshed", "cleared"):
            self.refresh_snapshots()
        self.update_sidebar()

    # -- errors and status ------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.ensure_ui()
        self.banner.show_message(message)

    def clear_error(self, message: str) -> None:
        if self._ui_built and self.banner.text() == message:
            self.banner.dismiss()

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 5000)

    def on_copied(self, what: str) -> None:
        self.show_status(f"Copied {what}")

    def on_clipboard_countdown(self, seconds: int) -> None:
        if seconds > 0:
            self.clipboard_label.setText(f"📋 clipboard clears in {seconds} s")
            self.clipboard_label.show()
        else:
            self.clipboard_label.hide()

    def on_clipboard_cleared(self) -> None:
        self.show_status("Clipboard cleared")

    # -- actions ----------------------------------------------------------------------------------
    def copy_selected_token(self) -> None:
        self.ensure_tabs()
        self.token_view.copy_token()

    def copy_header(self) -> None:
        self.ensure_tabs()
        self.token_view.copy_header()

    def copy_curl(self) -> None:
        self.ensure_tabs()
        self.token_view.copy_curl()

    def mint(self) -> None:
        self.ensure_tabs()
        if self.token_view.mint_button.isEnabled():
            self.token_view.on_mint_clicked()

    def refresh(self) -> None:
        self.ensure_tabs()
        if self.token_view.refresh_button.isEnabled():
            self.token_view.on_refresh_clicked()

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

    def new_profile(self, preset: str | None = None) -> Any:
        return self._open_editor(None, preset if isinstance(preset, str) else None)

    def edit_profile(self) -> Any:
        profile = self.selected_profile()
        if profile is not None:
            return self._open_editor(profile, None)
        return None

    def _open_editor(self, profile: Profile | None, preset: str | None) -> Any:
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
        self.errors.pop(name, None)
        if self.ctx is not None and self.is_ready:
            # Credentials may have changed: drop what the engine cached for this profile.
            self.runner.start(
                self.ctx.engine.forget, name, owner=self, on_success=lambda _=None: self.refresh_snapshots()
            )
        self.reload_profiles(select=name)
        self.show_status(f"Saved profile {name}")

    def remove_profile(self, confirm: bool = True) -> None:
        profile = self.selected_profile()
        if profile is None or self.ctx is None:
            return
        if confirm:
            from PySide6.QtWidgets import QMessageBox

            answer = QMessageBox.question(
                self,
                "Remove profile",
                f"Remove profile '{profile.name}' and delete its secrets from the keychain?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        from workbench.core.operations import remove_profile

        self.runner.start(
            remove_profile,
            self.ctx,
            profile.name,
            owner=self,
            on_success=self.on_profile_removed,
        )

    def on_profile_removed(self, removed: ProfileRemoved) -> None:
        name = removed.name
        self.snapshots.pop(name, None)
        self.errors.pop(name, None)
        self.reload_profiles()
        self.show_status(f"Removed profile {name}")

    def open_settings(self) -> None:
        from workbench.gui.settings_dialog import SettingsDialog

        # Window-modal and non-blocking: the event loop (countdowns, results) keeps running.
        self.settings_dialog = SettingsDialog(self.services.prefs, self)
        self.settings_dialog.accepted.connect(self.on_settings_accepted)
        self.settings_dialog.finished.connect(self.settings_dialog.deleteLater)
        self.settings_dialog.open()

    def on_settings_accepted(self) -> None:
        if self.settings_dialog is not None:
            self.apply_preferences(self.settings_dialog.preferences())
            self.settings_dialog = None

    def configure_engine(self, prefs: Any) -> None:
        """The engine (shared with every panel) follows the preferences: lead, timeout, TLS."""
        if self.ctx is not None and "engine" in self.ctx.__dict__:
            self.ctx.engine.configure(
                default_lead=float(prefs.refresh_lead) if prefs.refresh_lead > 0 else None,
                timeout=float(prefs.request_timeout),
                verify_tls=bool(prefs.verify_tls),
            )

    def apply_preferences(self, prefs: Any) -> None:
        self.services.prefs = prefs
        self.settings.save(prefs)
        self.configure_engine(prefs)
        self.clipboard.clear_after = prefs.clipboard_clear
        self.tls_label.setVisible(not prefs.verify_tls)
        if self._tabs_built:
            self.token_view.tick()

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from workbench import __version__

        QMessageBox.about(
            self,
            "About Token Workbench",
            f"<b>Token Workbench {__version__}</b><br>Mint, refresh, inspect and use JWTs for many API "
            "providers. Secrets live in the OS keychain.",
        )

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
