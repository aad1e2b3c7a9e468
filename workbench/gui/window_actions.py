"""What the main window's menus, shortcuts and buttons do.

Each action is a few lines: it runs what the button it stands for would run (so a shortcut
cannot behave differently from its button), or a core operation on the worker pool, and
shows the result. Nothing here keeps token state: what changed arrives as the token model's
notification (:mod:`workbench.gui.token_model`). :class:`WindowActions` is mixed into
:class:`~workbench.gui.main_window.MainWindow`; the menus themselves are built in
:mod:`workbench.gui.window_ui`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from workbench import __version__

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton, QTabWidget

    from workbench.core.context import AppContext
    from workbench.core.operations import ProfileRemoved, RemovalPreview
    from workbench.core.profiles.profile import Profile
    from workbench.gui.clipboard import SecureClipboard
    from workbench.gui.inspector_view import InspectorView
    from workbench.gui.profile_editor import ProfileEditor
    from workbench.gui.request_view import RequestView
    from workbench.gui.services import Services
    from workbench.gui.settings import Preferences, Settings
    from workbench.gui.settings_dialog import SettingsDialog
    from workbench.gui.shortcuts import ShortcutsDialog
    from workbench.gui.status_bar import StatusIndicators
    from workbench.gui.tasks import TaskRunner
    from workbench.gui.token_model import TokenModel
    from workbench.gui.token_view import TokenView

    _Window = QMainWindow
else:
    _Window = object

TAB_NAMES = ("token", "request", "inspector", "keys")


def demo_command() -> tuple[str, list[str]]:
    """How to start this app in demo mode as a separate process (venv or frozen build)."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["gui", "--demo"]
    return sys.executable, ["-m", "workbench", "gui", "--demo"]


class WindowActions(_Window):
    """The action slots of the main window (a mixin: it reads the window's parts)."""

    # The window's parts the actions use (built by MainWindow and window_ui).
    ctx: AppContext | None
    settings: Settings
    runner: TaskRunner
    services: Services
    clipboard: SecureClipboard
    tokens: TokenModel
    profiles: dict[str, Profile]
    tabs: QTabWidget
    token_view: TokenView
    indicators: StatusIndicators
    cancel_action: QAction
    settings_dialog: SettingsDialog | None
    remove_question: QMessageBox | None
    shortcuts_dialog: ShortcutsDialog | None

    if TYPE_CHECKING:  # MainWindow's own methods, used here

        @property
        def tabs_built(self) -> bool: ...
        @property
        def request_view(self) -> RequestView: ...
        @property
        def inspector_view(self) -> InspectorView: ...
        def ensure_tabs(self) -> None: ...
        def selected_name(self) -> str | None: ...
        def selected_profile(self) -> Profile | None: ...
        def reload_profiles(self, select: str | None = None) -> None: ...
        def show_status(self, message: str) -> None: ...
        def show_error(self, message: str) -> None: ...
        def announce_all(self) -> None: ...

    # -- the Token menu: as the Token tab's buttons would ----------------------------------------
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

    def paste_token(self) -> None:
        """Ctrl+Shift+P: as the Token tab's "Paste a new token…" would, or say why not."""
        self.ensure_tabs()
        view = self.token_view
        if view.paste_button.isEnabled() and view.paste_button.isVisibleTo(view):
            self.tabs.setCurrentWidget(view)
            view.on_paste_clicked()
        else:
            self.show_status(view.paste_button.toolTip())

    def verify(self) -> None:
        self.ensure_tabs()
        view = self.token_view
        if view.verify_button.isEnabled():
            self.tabs.setCurrentWidget(view)
            view.on_verify_clicked()
        else:
            self.show_status(view.verify_button.toolTip())

    def cancel(self) -> None:
        if self.tabs_built and self.token_view.busy:
            self.token_view.on_cancel_clicked()

    # -- the Request menu, the Inspector, tabs ----------------------------------------------------
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

    # -- the File menu: profiles ------------------------------------------------------------------
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
        from PySide6.QtCore import Qt

        from workbench.gui.profile_editor import ProfileEditor

        try:
            editor = ProfileEditor(self.services, profile, self, preset_name=preset)
        except Exception as exc:
            self.services.error_from(exc)
            return None
        editor.saved.connect(self.on_profile_saved)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.open()
        return editor

    def on_profile_saved(self, name: str) -> None:
        # The operation told the engine (forget / drop + announce): its events follow.
        self.tokens.set_error(name, None)
        self.reload_profiles(select=name)
        self.show_status(f"Saved profile {name}")

    def remove_profile(self, confirm: bool = True) -> None:
        """Remove the selected profile, its secrets and cached tokens; asks first unless told not to.

        The question lists only the secrets that are stored (read on the worker pool) and says
        when the refresh token is revoked at the issuer; it is window-modal and does not block
        the event loop (kept in `remove_question`, for tests)."""
        profile = self.selected_profile()
        if profile is None or self.ctx is None:
            return
        if not confirm:
            self._remove_now(profile.name)
            return
        from workbench.core.operations import removal_preview

        self.remove_question = None
        self.runner.start(
            removal_preview, self.ctx, profile.name, owner=self, on_success=self.on_removal_previewed
        )

    def on_removal_previewed(self, preview: RemovalPreview) -> None:
        from workbench.gui.confirm import ask

        if preview.secret_names:
            secrets = f"its secrets in the keychain ({', '.join(preview.secret_names)})"
        else:
            secrets = "no secrets (none is stored)"
        revoke = "Its refresh token is revoked at the issuer first. " if preview.revokes else ""
        self.remove_question = ask(
            self,
            title="Remove profile",
            text=f"Remove profile '{preview.name}'?",
            detail=(
                f"{revoke}Its file, {secrets} and its cached tokens are deleted too. This cannot be undone."
            ),
            confirm="Remove and revoke" if preview.revokes else "Remove and delete secrets",
            on_confirm=lambda: self._remove_now(preview.name),
        )

    def on_remove_clicked(self) -> None:
        # A slot without parameters: `clicked(bool)` must not land in remove_profile's `confirm`.
        self.remove_profile()

    def _remove_now(self, name: str) -> None:
        if self.ctx is None:
            return
        from workbench.core.operations import remove_profile

        self.runner.start(remove_profile, self.ctx, name, owner=self, on_success=self.on_profile_removed)

    def on_profile_removed(self, removed: ProfileRemoved) -> None:
        self.tokens.forget(removed.name)
        self.reload_profiles()
        entries = len(removed.secret_names)
        self.show_status(
            f"Removed profile {removed.name} (its file, {entries} keychain "
            f"{'entry' if entries == 1 else 'entries'} and its cached tokens)"
        )

    def start_demo(self) -> None:
        """Open the demo (a second window with a local sandbox and throwaway profiles)."""
        from PySide6.QtCore import QProcess

        program, args = demo_command()
        if QProcess.startDetached(program, args)[0]:
            self.show_status("Starting the demo in a new window…")
        else:
            self.show_error(f"could not start the demo; run `{program} {' '.join(args)}` yourself")

    # -- settings ---------------------------------------------------------------------------------
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
            self.announce_all()

    def apply_preferences(self, prefs: Preferences) -> None:
        self.services.prefs = prefs
        self.settings.save(prefs)
        self.configure_engine(prefs)
        self.clipboard.clear_after = prefs.clipboard_clear
        self.indicators.show_tls(prefs.verify_tls)
        if self.tabs_built:
            self.token_view.tick()

    # -- the Help menu ----------------------------------------------------------------------------
    def show_shortcuts(self) -> ShortcutsDialog:
        """F1: every shortcut, read from the registered actions and shortcuts (never a hand-kept list)."""
        from workbench.gui.shortcuts import show_shortcuts

        self.shortcuts_dialog = show_shortcuts(self)  # type: ignore[arg-type]
        return self.shortcuts_dialog

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setWindowTitle("About Token Workbench")
        box.setText(
            f"<b>Token Workbench {__version__}</b><br>Mint, refresh, inspect and use JWTs for many API "
            "providers. Secrets live in the OS keychain."
        )
        box.finished.connect(box.deleteLater)
        box.open()


__all__ = ["TAB_NAMES", "WindowActions", "demo_command"]
