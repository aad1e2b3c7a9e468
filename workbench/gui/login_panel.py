"""The Token view's login strip for OAuth presets: Log in, Cancel, Sign out, the device code.

The login itself is `workbench.core.oauth.login.login` (the one `workbench login` runs),
on the worker pool with the task's cancel event: Cancel stops it at once and frees the
loopback port. What the user must do arrives from the worker as a `LoginPrompt` through a
queued signal: the browser URL (selectable, with "Open browser again"), or the device code
shown large with Copy and, when `segno` is installed, a QR code of
`verification_uri_complete`. "Sign out" revokes the refresh token (RFC 7009) where the
issuer offers it and forgets the tokens.

A login belongs to its profile: selecting another profile leaves it running (its listener
waits for the browser) and selecting the profile again shows it where it was. The sign-in
link and "Open browser again" open the exact URL through core's `open_in_browser` (the
opener `workbench login` uses, so `$BROWSER` is honoured) and say so when no browser starts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.core.oauth import signout
from workbench.core.oauth.login import ID_TOKEN, grant_of, open_in_browser
from workbench.core.oauth.status import login_state, no_refresh_token_note
from workbench.core.operations.logins import log_in
from workbench.gui.confirm import ask
from workbench.gui.fix_hints import gui_message
from workbench.gui.services import Services
from workbench.gui.tasks import Generation, Task

if TYPE_CHECKING:
    import threading

    from PySide6.QtWidgets import QMessageBox

    from workbench.core.context import AppContext
    from workbench.core.oauth.login import Grant, LoginPrompt
    from workbench.core.oauth.signout import Revocation
    from workbench.core.oauth.status import LoginState
    from workbench.core.profiles.profile import Profile

QR_MODULE_PIXELS = 4
LOGIN_TIMEOUT = 300.0


class LoginBridge(QObject):
    """Carries what a login job reports from the worker thread to the GUI thread.

    Created on the GUI thread without a parent; emitted from the worker, delivered queued.

    Signals:
        prompted(int, object): generation and a `LoginPrompt`.
        status_changed(int, str): generation and a short status line ("waiting for approval").
    """

    prompted = Signal(int, object)
    status_changed = Signal(int, str)


def qr_image(text: str, *, scale: int = QR_MODULE_PIXELS) -> QImage | None:
    """A QR code of `text` (segno's PNG, pure Python), or None when segno is not installed."""
    try:
        import segno
    except ImportError:
        return None
    buffer = io.BytesIO()
    # segno's own PNG (dark modules black, a 4-module quiet zone), which Qt decodes.
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=scale, border=4)
    image = QImage.fromData(buffer.getvalue())
    return None if image.isNull() else image


@dataclass(frozen=True)
class LoggedIn:
    """What a login job hands the GUI thread: the login's outcome without the token, which
    reaches the GUI as the engine's "changed" event like every other token."""

    profile: str
    grant: Grant
    id_token_claims: dict[str, Any] | None
    scope: str | None
    note: str | None = None  # e.g. no refresh token was granted, and what that means


def run_login(
    ctx: AppContext, name: str, gen: int, bridge: LoginBridge, *, cancel: threading.Event
) -> LoggedIn:
    """Runs on the pool: the shared core login, reporting through the bridge's signals."""

    outcome = log_in(
        ctx,
        name,
        cancel=cancel,
        timeout=LOGIN_TIMEOUT,
        on_prompt=lambda prompt: bridge.prompted.emit(gen, prompt),
        on_status=lambda text: bridge.status_changed.emit(gen, text),
    )
    return LoggedIn(
        outcome.profile, outcome.grant, outcome.id_token_claims, outcome.scope, no_refresh_token_note(outcome)
    )


def run_login_state(ctx: AppContext, name: str) -> LoginState | None:
    return login_state(ctx, name)


@dataclass
class LoginSession:
    """One profile's login under way: its generation, task, what the user must do, and the
    status line, kept while another profile is shown."""

    gen: int
    task: Task | None = None
    prompt: LoginPrompt | None = None
    status: str = "Starting the login…"
    browser_note: str = ""


def run_sign_out(ctx: AppContext, name: str) -> Revocation:
    return signout.sign_out(ctx, name)  # looked up at call time (tests replace it)


class LoginPanel(QWidget):
    """Shown for profiles whose preset has an interactive login; hidden otherwise.

    Signals:
        logged_in(str): a profile a login stored tokens for.
        signed_out(str): a profile whose tokens were revoked/forgotten.
        busy_changed(bool): a login is under way.
        inspect_requested(str): the stored id_token, to open in the Inspector.
    """

    logged_in = Signal(str)
    signed_out = Signal(str)
    busy_changed = Signal(bool)
    inspect_requested = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.profile: Profile | None = None
        self.generation = Generation()
        self.sessions: dict[str, LoginSession] = {}  # logins under way, by profile
        self.signed_in = False
        self.interactive = False  # the profile's preset logs in (set_profile)
        self.question: QMessageBox | None = None  # the last "sign out?" question (for tests)
        self.bridge = LoginBridge()
        qc = Qt.ConnectionType.QueuedConnection
        self.bridge.prompted.connect(self.on_prompted, qc)
        self.bridge.status_changed.connect(self.on_status_changed, qc)
        self._build()
        self.set_profile(None)

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.login_button = QPushButton("Log in…")
        self.login_button.setToolTip("Sign in at the provider (browser or device code) and store the tokens")
        self.cancel_button = QPushButton("Cancel")
        self.id_token_button = QPushButton("ID token")
        self.id_token_button.setToolTip("Open the login's id_token (validated, never sent) in the Inspector")
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setToolTip("Revoke the refresh token at the provider and forget the tokens here")
        row.addWidget(self.status, 1)
        for button in (self.login_button, self.cancel_button, self.id_token_button, self.sign_out_button):
            row.addWidget(button)
        outer.addLayout(row)
        # What the last login left: granted scope, and the refresh token (granted, none, refused).
        self.grant_info = QLabel()
        self.grant_info.setObjectName("loginGrant")
        self.grant_info.setWordWrap(True)
        self.grant_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.grant_info.setVisible(False)
        self.login_state: LoginState | None = None
        self.state_generation = Generation()
        outer.addWidget(self.grant_info)

        self.prompt_box = QWidget()
        prompt = QHBoxLayout(self.prompt_box)
        prompt.setContentsMargins(0, 0, 0, 0)
        text = QVBoxLayout()
        self.instructions = QLabel()
        self.instructions.setWordWrap(True)
        self.instructions.setTextFormat(Qt.TextFormat.RichText)
        # Not setOpenExternalLinks: the link opens the prompt's exact URL through core's opener.
        self.instructions.linkActivated.connect(self.on_link_activated)
        self.instructions.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.user_code = QLabel()
        self.user_code.setObjectName("deviceUserCode")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(self.font().pointSizeF(), 9.0) * 2.6)
        font.setBold(True)
        self.user_code.setFont(font)
        self.user_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        self.copy_code_button = QPushButton("Copy code")
        self.open_button = QPushButton("Open browser")
        buttons.addWidget(self.copy_code_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        text.addWidget(self.instructions)
        text.addWidget(self.user_code)
        text.addLayout(buttons)
        text.addStretch(1)
        self.qr = QLabel()
        self.qr.setObjectName("deviceQr")
        prompt.addLayout(text, 1)
        prompt.addWidget(self.qr)
        outer.addWidget(self.prompt_box)

        self.login_button.clicked.connect(self.on_login_clicked)
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        self.sign_out_button.clicked.connect(self.on_sign_out_clicked)
        self.id_token_button.clicked.connect(self.on_id_token_clicked)
        self.copy_code_button.clicked.connect(self.on_copy_code_clicked)
        self.open_button.clicked.connect(self.on_open_clicked)

    # -- state ------------------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        same = profile is not None and self.profile is not None and profile.name == self.profile.name
        self.profile = profile
        grant = grant_of(profile) if profile is not None else None
        self.interactive = grant is not None
        self.setVisible(self.interactive)
        if not same:
            session = self.session
            if session is not None:  # its login kept running while another profile was shown
                self.status.setText(session.status)
                if session.prompt is not None:
                    self._show_prompt(session.prompt)
            else:
                how = (
                    "with your browser" if grant == "authorization_code" else "with a code on another device"
                )
                self.status.setText(f"Sign in {how} to obtain tokens." if grant else "")
        self._update()
        self.refresh_state()

    @property
    def session(self) -> LoginSession | None:
        """The login under way for the profile shown, if any."""
        return self.sessions.get(self.profile.name) if self.profile is not None else None

    @property
    def busy(self) -> bool:
        return self.session is not None

    @property
    def task(self) -> Task | None:
        session = self.session
        return session.task if session is not None else None

    @property
    def prompt(self) -> LoginPrompt | None:
        session = self.session
        return session.prompt if session is not None else None

    def _session_of(self, gen: int) -> tuple[str, LoginSession] | None:
        for name, session in self.sessions.items():
            if session.gen == gen:
                return name, session
        return None

    def _shown(self, name: str) -> bool:
        return self.profile is not None and self.profile.name == name

    def refresh_state(self) -> None:
        """Read what the last login left (the state file, on the pool) and show it."""
        ctx = self.services.ctx
        if ctx is None or self.profile is None or not self.interactive:
            self.login_state = None
            self.grant_info.setVisible(False)
            return
        name = self.profile.name
        gen = self.state_generation.next()
        self.services.runner.start(
            run_login_state,
            ctx,
            name,
            owner=self,
            on_success=lambda state: self.on_login_state(gen, name, state),
            on_failure=lambda _exc: self.on_login_state(gen, name, None),
        )

    def on_login_state(self, gen: int, name: str, state: LoginState | None) -> None:
        if not self.state_generation.is_current(gen) or self.profile is None or self.profile.name != name:
            return
        self.login_state = state
        if state is None or state.refresh == "unknown":
            self.grant_info.setVisible(False)
            return
        scope = state.granted_scope if state.granted_scope is not None else "(not stated)"
        words = state.refresh_words()
        self.grant_info.setText(f"Granted scope: {scope}\nRefresh token: {words[:1].upper() + words[1:]}")
        self.grant_info.setProperty("state", "bad" if state.refresh == "refused" else "")
        self.grant_info.setVisible(True)

    def set_signed_in(self, signed_in: bool) -> None:
        """Whether the profile holds a token from a login (the Token view knows, from engine events)."""
        self.signed_in = signed_in
        self._update()

    def _update(self) -> None:
        self.login_button.setEnabled(self.profile is not None and not self.busy)
        self.cancel_button.setVisible(self.busy)
        after_login = self.profile is not None and not self.busy and self.signed_in
        for button, tip in (
            (self.sign_out_button, "Revoke the refresh token at the provider and forget the tokens here"),
            (self.id_token_button, "Open the login's id_token (validated, never sent) in the Inspector"),
        ):
            button.setEnabled(after_login)
            button.setToolTip(tip if after_login else "Not signed in: Log in first")
        self.prompt_box.setVisible(self.busy and self.prompt is not None)

    def _set_status(self, name: str, text: str) -> None:
        session = self.sessions.get(name)
        if session is not None:
            session.status = text
        if self._shown(name):
            self.status.setText(text)

    def cancel_all(self) -> None:
        """Stop every login under way (the window closes)."""
        for session in self.sessions.values():
            if session.task is not None:
                session.task.cancel()
        self.sessions.clear()
        self._update()

    # -- actions ----------------------------------------------------------------------------------
    def on_login_clicked(self) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None or self.busy:
            return
        name = self.profile.name
        gen = self.generation.next()
        session = self.sessions[name] = LoginSession(gen)
        self.status.setText(session.status)
        session.task = self.services.runner.start(
            run_login,
            ctx,
            name,
            gen,
            self.bridge,
            pass_cancel=True,
            owner=self,
            on_success=lambda outcome: self.on_login_succeeded(gen, name, outcome),
            on_failure=lambda exc: self.on_login_failed(gen, name, exc),
        )
        self.busy_changed.emit(True)
        self._update()

    def on_cancel_clicked(self) -> None:
        session = self.session
        if session is None or self.profile is None:
            return
        del self.sessions[self.profile.name]
        if session.task is not None:
            session.task.cancel()  # the job sees its cancel event and stops; its result is dropped
        self.busy_changed.emit(False)
        self.status.setText("Login cancelled.")
        self._update()

    @Slot(int, object)
    def on_prompted(self, gen: int, prompt: LoginPrompt) -> None:
        found = self._session_of(gen)
        if found is None:
            return
        name, session = found
        session.prompt = prompt
        if prompt.kind == "device":
            session.status = "Waiting for approval…"
        else:
            session.status = "Waiting for the browser…"
            if prompt.browser_opened is False:
                session.browser_note = "no browser command worked; set $BROWSER"
        if self._shown(name):
            self._show_prompt(prompt)
            self.status.setText(session.status)
            self._update()

    def _show_prompt(self, prompt: LoginPrompt) -> None:
        session = self.session
        note = session.browser_note if session is not None else ""
        if prompt.kind == "device":
            where = _esc(prompt.url)
            self.instructions.setText(
                f"Open <a href='{where}'>{where}</a> on any device and enter this code:"
            )
            self.user_code.setText(prompt.user_code)
            self.user_code.setVisible(True)
            self.copy_code_button.setVisible(True)
            self.open_button.setText("Open verification page")
            image = qr_image(prompt.verification_uri_complete) if prompt.verification_uri_complete else None
            if image is not None:
                self.qr.setPixmap(QPixmap.fromImage(image))
                self.qr.setToolTip("Scan to open the verification page with the code filled in")
            self.qr.setVisible(image is not None)
        else:
            link = "<a href='#sign-in'>{}</a>"
            if note:
                text = (
                    f"{_esc(f'Could not start a browser ({note}).')} "
                    f"{link.format('Open the sign-in page')} yourself, or copy its link."
                )
            elif prompt.browser_opened:
                text = (
                    "Your browser was asked to open the sign-in page. If nothing happened, "
                    f"{link.format('open it from here')}."
                )
            else:
                text = f"{link.format('Open the sign-in page')} to sign in."
            self.instructions.setText(text)
            self.instructions.setToolTip(prompt.url)
            self.user_code.setVisible(False)
            self.qr.setVisible(False)
            self.open_button.setText("Open browser again")
        # Copy: the user code for a device login, the sign-in link for a browser one.
        self.copy_code_button.setVisible(True)
        self.copy_code_button.setText("Copy code" if prompt.kind == "device" else "Copy link")

    @Slot(int, str)
    def on_status_changed(self, gen: int, text: str) -> None:
        found = self._session_of(gen)
        if found is not None:
            self._set_status(found[0], text[:1].upper() + text[1:] + "…")

    def on_copy_code_clicked(self) -> None:
        prompt = self.prompt
        if prompt is None:
            return
        if prompt.kind == "device" and prompt.user_code:
            self.services.clipboard.copy_plain(prompt.user_code, "device code")
        elif prompt.url:
            self.services.clipboard.copy_plain(prompt.url, "sign-in link")

    def on_link_activated(self, _href: str) -> None:
        self.on_open_clicked()

    def on_open_clicked(self) -> None:
        """Open the page through the opener `workbench login` uses ($BROWSER honoured), with
        the exact URL (never an HTML-escaped copy), and say when no browser started."""
        prompt = self.prompt
        if prompt is None or self.profile is None:
            return

        name = self.profile.name
        url = prompt.verification_uri_complete or prompt.url
        self.services.runner.start(
            open_in_browser, url, owner=self, on_success=lambda opened: self.on_browser_opened(name, opened)
        )

    def on_browser_opened(self, name: str, opened: bool | None) -> None:
        session = self.sessions.get(name)
        if session is None:
            return
        if opened is False:
            session.browser_note = "no browser command worked; set $BROWSER"
            self.services.show_status(f"{name}: could not start a browser; copy the sign-in link instead")
        else:
            session.browser_note = ""
            self.services.show_status(f"{name}: asked the browser to open the sign-in page")
        if self._shown(name) and session.prompt is not None:
            self._show_prompt(session.prompt)

    def _finish(self, gen: int, name: str) -> bool:
        """The login `gen` of `name` ended: forget its session (False: it was cancelled)."""
        session = self.sessions.get(name)
        if session is None or session.gen != gen:
            return False
        del self.sessions[name]
        self.busy_changed.emit(False)
        return True

    def on_login_succeeded(self, gen: int, name: str, outcome: LoggedIn) -> None:
        if not self._finish(gen, name):
            return
        who = ""
        claims = outcome.id_token_claims or {}
        for claim in ("preferred_username", "email", "sub"):
            if isinstance(claims.get(claim), str):
                who = f" as {claims[claim]}"
                break
        note = outcome.note
        if self._shown(name):
            self.status.setText(
                f"Signed in{who}." + (f" Note: {note[:1].upper() + note[1:]}." if note else "")
            )
        self.services.show_status(f"{name}: logged in{who}" + (f"; {note}" if note else ""))
        self._update()
        self.logged_in.emit(name)  # the token itself arrives as the engine's "changed" event

    def on_login_failed(self, gen: int, name: str, exc: BaseException) -> None:

        if not self._finish(gen, name):
            return
        profile = self.profile if self.profile is not None and self.profile.name == name else None
        message = gui_message(exc, profile)  # "no client_id": the profile editor's Client id field
        if self._shown(name):
            self.status.setText("Login failed.")
        # The profile's error (the banner shows it while this profile is selected, not after).
        self.services.tokens.set_error(name, message)
        self._update()

    def on_id_token_clicked(self) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None:
            return

        name = self.profile.name
        self.services.runner.start(
            ctx.vault.load,
            name,
            ID_TOKEN,
            owner=self,
            on_success=lambda token: self.on_id_token_loaded(name, token),
            on_failure=self.services.error_from,
        )

    def on_id_token_loaded(self, name: str, token: str | None) -> None:
        if not token:
            self.services.show_status(f"{name}: no id_token stored (log in with an openid scope)")
            return
        self.inspect_requested.emit(token)

    def on_sign_out_clicked(self) -> None:
        """Sign out revokes at the issuer: asks first (`question`, for tests)."""
        if self.services.ctx is None or self.profile is None or self.busy:
            return

        name = self.profile.name
        self.question = ask(
            self,
            title="Sign out",
            text=f"Sign out of {name}?",
            detail=(
                "The refresh token is revoked at the provider (where it offers revocation) and the "
                "tokens are deleted here; you will have to log in again."
            ),
            confirm="Sign out and revoke",
            on_confirm=lambda: self.sign_out_now(name),
        )

    def sign_out_now(self, name: str) -> None:
        ctx = self.services.ctx
        if ctx is None:
            return
        self.sign_out_button.setEnabled(False)
        self.services.runner.start(
            run_sign_out,
            ctx,
            name,
            owner=self,
            on_success=lambda result: self.on_signed_out(name, result),
            on_failure=self.on_sign_out_failed,
        )

    def on_signed_out(self, name: str, result: Revocation) -> None:
        self.status.setText("Signed out. " + result.message[:1].upper() + result.message[1:] + ".")
        self.services.show_status(f"{name}: signed out")
        self._update()
        self.signed_out.emit(name)

    def on_sign_out_failed(self, exc: BaseException) -> None:
        self.services.error_from(exc)
        self._update()


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=True)


__all__ = ["LoginBridge", "LoginPanel", "qr_image"]
