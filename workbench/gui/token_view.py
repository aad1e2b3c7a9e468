"""The Token tab: the selected profile's access token, its countdown, and mint/refresh/verify.

What token the profile holds comes from the token model (``services.tokens``), which learns
it from engine events only; the view redraws when the model's one ``changed`` notification
names its profile. The jobs this view starts run core operations and report when they are
done (``TokenObtained``), never what the token is. Verification is kept with the
fingerprint of the token it checked, so a new token makes it stale. The Details rows and
the claims are :mod:`workbench.gui.token_details`; the first-run page is
:mod:`workbench.gui.token_welcome`.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.engine.schedule import token_state
from workbench.core.errors import user_message
from workbench.core.operations.requests import clipboard_text as build_clipboard_text
from workbench.core.redact import fingerprint
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.token_buttons import ACTION_TEXT, button_states
from workbench.gui.token_details import TokenDetails, pasted_renewal_text
from workbench.gui.token_model import OBTAINED_BY_TEXT
from workbench.gui.token_welcome import WelcomePage
from workbench.gui.widgets import STATE_COLORS, ElidedLabel, JwtView, compact, humanize_seconds

if TYPE_CHECKING:
    from workbench.core.engine.types import TokenResult
    from workbench.core.operations import TokenFacts, TokenObtained, Verification
    from workbench.core.profiles.profile import Profile
    from workbench.gui.tasks import Task

COPIED_WHAT = {"token": "access token", "header": "Authorization header", "curl": "curl command"}


def token_fingerprint(result: TokenResult | None) -> str | None:
    return fingerprint(result.access_token) if result is not None else None


class TokenView(QWidget):
    """Signals:
    token_obtained(object): a Mint/Refresh/copy/login started here is done (a `TokenObtained`,
        or the profile name after a login). A notification only: the token shown comes from
        the token model.
    inspect_requested(str): a token to open in the Inspector.
    new_profile_requested(): "Create a profile…" on the welcome page.
    demo_requested(): "Try the demo" on the welcome page.

    Attributes:
        profile / facts: the profile shown and its token facts (None: none selected).
        result / renew_at: the token the profile holds and when it is renewed, as the token
            model last said.
        verification: the last verdict (shown only while it is about the token shown).
    """

    token_obtained = Signal(object)
    inspect_requested = Signal(str)
    new_profile_requested = Signal()
    demo_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.tokens = services.tokens
        self.profile: Profile | None = None
        self.facts: TokenFacts | None = None
        self.result: TokenResult | None = None
        self.renew_at: float | None = None
        self.verification: Verification | None = None
        self.generation = Generation()
        self._busy: str | None = None  # "mint" | "refresh" | "copy" | "verify"
        self._busy_since = 0.0
        self._busy_name: str | None = None  # the profile the model was told is busy
        self._task: Task | None = None
        self._build()
        self.tokens.changed.connect(self.on_tokens_changed)
        self.set_profile(None)

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.pages = QStackedWidget()
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.pages)
        main_page = QWidget()
        self.pages.addWidget(main_page)
        self.welcome = WelcomePage()
        self.welcome.new_profile_requested.connect(self.new_profile_requested)
        self.welcome.demo_requested.connect(self.demo_requested)
        self.welcome_new_button = self.welcome.new_button
        self.welcome_demo_button = self.welcome.demo_button
        self.pages.addWidget(self.welcome)
        outer = QVBoxLayout(main_page)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long base URL is cut at the right edge (the tooltip has it whole) rather than
        # widening the panel and squeezing the profiles sidebar.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setMinimumWidth(0)
        outer.addWidget(self.title)
        outer.addLayout(self._build_countdown())
        # OAuth presets: Log in / Cancel / Sign out and the device code (hidden for other presets).
        from workbench.gui.login_panel import LoginPanel

        self.login_panel = LoginPanel(self.services)
        self.login_panel.logged_in.connect(self.on_logged_in)
        self.login_panel.inspect_requested.connect(self.inspect_requested)
        outer.addWidget(self.login_panel)
        outer.addLayout(self._build_actions())

        self.token_box = JwtView()
        self.token_box.setObjectName("tokenBox")
        self.token_box.setMinimumHeight(48)
        token_panel = QWidget()
        tl = QVBoxLayout(token_panel)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.token_box, 1)
        tl.addLayout(self._build_copy_row())

        self.details = TokenDetails()
        self.details_splitter = self.details
        # The rows, by name (the view fills the Verification row itself).
        self.expires_label = self.details.expires_label
        self.obtained_label = self.details.obtained_label
        self.lifetime_label = self.details.lifetime_label
        self.renews_label = self.details.renews_label
        self.refresh_label = self.details.refresh_label
        self.verify_label = self.details.verify_label
        self.claims = self.details.claims

        self.token_splitter = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(token_panel)
        split.addWidget(self.details)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)

    def _build_countdown(self) -> QHBoxLayout:
        top = QHBoxLayout()
        self.countdown = QLabel()
        font = self.countdown.font()
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.6)
        font.setBold(True)
        self.countdown.setFont(font)
        self.countdown.setObjectName("countdown")
        # Wide enough for "expires in 59:59" whatever the window's width: never "expires in 51:".
        self.countdown.setMinimumWidth(
            self.countdown.fontMetrics().horizontalAdvance("expires in 00:00 ") + 4
        )
        top.addWidget(self.countdown)
        self.renewal_label = ElidedLabel()
        self.renewal_label.setObjectName("renewal")
        self.renewal_label.setStyleSheet("color: gray")
        top.addWidget(self.renewal_label, 1)
        return top

    def _build_actions(self) -> QHBoxLayout:
        actions = QHBoxLayout()
        self.auto_refresh = QCheckBox("Auto-refresh")
        self.auto_refresh.setToolTip(
            "Keep this profile's token fresh in the background: renewed shortly before it expires, "
            "whichever profile is selected"
        )
        actions.addWidget(self.auto_refresh)
        actions.addStretch(1)
        self.mint_button = QPushButton("Mint")
        self.refresh_button = QPushButton("Refresh")
        self.verify_button = QPushButton("Verify")
        self.paste_button = QPushButton("Paste a new token…")
        self.paste_button.hide()  # pasted-token profiles only (set_profile)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop waiting for the provider (the request ends by its timeout)")
        self.cancel_button.hide()
        buttons = (self.mint_button, self.refresh_button, self.paste_button, self.verify_button)
        for b in (*buttons, self.cancel_button):
            compact(b)
            actions.addWidget(b)
        from workbench.gui.token_paste import TokenPaster

        self.paster = TokenPaster(self.services, self)
        self.paste_button.clicked.connect(self.on_paste_clicked)
        self.mint_button.clicked.connect(self.on_mint_clicked)
        self.refresh_button.clicked.connect(self.on_refresh_clicked)
        self.verify_button.clicked.connect(self.on_verify_clicked)
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        self.auto_refresh.toggled.connect(self.on_auto_refresh_toggled)
        return actions

    def _build_copy_row(self) -> QHBoxLayout:
        copy_row = QHBoxLayout()
        self.copy_token_button = QPushButton("Copy token")
        self.copy_header_button = QPushButton("Copy header")
        self.copy_header_button.setToolTip("Copy the Authorization header line")
        self.copy_curl_button = QPushButton("Copy curl")
        self.inspect_button = QPushButton("Inspect")
        self.inspect_button.setToolTip("Open this token in the Inspector")
        for b in (self.copy_token_button, self.copy_header_button, self.copy_curl_button):
            compact(b)
            copy_row.addWidget(b)
        compact(self.inspect_button)
        copy_row.addStretch(1)
        copy_row.addWidget(self.inspect_button)
        self.copy_token_button.clicked.connect(self.copy_token)
        self.copy_header_button.clicked.connect(self.copy_header)
        self.copy_curl_button.clicked.connect(self.copy_curl)
        self.inspect_button.clicked.connect(self.on_inspect_clicked)
        return copy_row

    def show_welcome(self, show: bool) -> None:
        self.pages.setCurrentIndex(1 if show else 0)

    # -- state from the token model ---------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        """Show `profile` (None: none selected) with what the token model says it holds."""
        changed = (profile.name if profile else None) != (self.profile.name if self.profile else None)
        self.profile = profile
        if profile is None:
            self.facts = None
        else:
            from workbench.core.operations import token_facts

            self.facts = token_facts(profile)
        if changed:
            self.generation.next()  # results for the previous profile are stale now
            self._set_busy(None)
            self.verification = None
        held = self.tokens.of(profile.name if profile else None)
        self.auto_refresh.blockSignals(True)
        self.auto_refresh.setChecked(held.auto_refresh)
        self.auto_refresh.blockSignals(False)
        if profile is None:
            self.title.setText("<b>No profile selected</b>")
        else:
            self.title.setText(
                f"<b>{html.escape(profile.name)}</b> &nbsp;·&nbsp; {html.escape(profile.preset.title)}"
                f" &nbsp;·&nbsp; <span style='color:gray'>{html.escape(profile.base_url)}</span>"
            )
            self.title.setToolTip(f"{profile.name} · {profile.preset.title} · {profile.base_url}")
        self.login_panel.set_profile(profile)
        pasted = self.facts is not None and self.facts.pasted
        self.paste_button.setVisible(pasted)
        for hidden_when_pasted in (self.mint_button, self.refresh_button, self.auto_refresh):
            hidden_when_pasted.setVisible(not pasted)
        self.set_result(held.result, held.renew_at)

    def on_tokens_changed(self, names: frozenset[str]) -> None:
        """The one notification: redraw when it names the profile shown."""
        if self.profile is None or self.profile.name not in names:
            return
        held = self.tokens.of(self.profile.name)
        if held.auto_refresh != self.auto_refresh.isChecked():
            self.auto_refresh.blockSignals(True)
            self.auto_refresh.setChecked(held.auto_refresh)
            self.auto_refresh.blockSignals(False)
        if held.result is not self.result or held.renew_at != self.renew_at:
            self.set_result(held.result, held.renew_at)

    def on_logged_in(self, name: str) -> None:
        # The token itself arrives from the token model; this only says the login is done.
        self.token_obtained.emit(name)

    def set_result(self, result: TokenResult | None, renew_at: float | None = None) -> None:
        """Show the token the profile holds now and when it is renewed."""
        self.result = result
        self.renew_at = renew_at
        token = result.access_token if result else None
        placeholder = ""
        if self.profile is not None:
            placeholder = (
                "No token yet. Log in to obtain one."
                if self.login_panel.interactive
                else "No token yet. Paste one (Paste a new token…, Ctrl+Shift+P)."
                if self.facts is not None and self.facts.pasted
                else "No token yet. Mint or Refresh to obtain one."
            )
        if token != self.token_box.token:
            self.token_box.set_token(token, placeholder)
            self.details.show_claims(result, self._now())
        elif not token:
            self.token_box.setPlaceholderText(placeholder)
        self.details.show_token(result)
        self._show_verification()
        self.tick()
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self._busy is not None

    def _update_buttons(self) -> None:
        has_token = bool(self.result and self.result.access_token)
        if self.profile is not None:
            self.login_panel.set_signed_in(has_token)
        states = button_states(
            self.facts,
            self.profile.preset.title if self.profile is not None else "",
            busy=self._busy,
            has_token=has_token,
            needs_login=self.login_panel.interactive and not has_token,
            expired=token_state(self.result, self.renew_at, self._now()) == "expired",
        )
        buttons = {
            "mint": self.mint_button,
            "refresh": self.refresh_button,
            "paste": self.paste_button,
            "verify": self.verify_button,
            "copy_token": self.copy_token_button,
            "copy_header": self.copy_header_button,
            "copy_curl": self.copy_curl_button,
            "inspect": self.inspect_button,
        }
        for name, button in buttons.items():
            button.setEnabled(states[name].enabled)
            button.setToolTip(states[name].tooltip)
        self.auto_refresh.setEnabled(states["auto_refresh"].enabled)
        if states["auto_refresh"].tooltip:
            self.auto_refresh.setToolTip(states["auto_refresh"].tooltip)

    def _now(self) -> float:
        ctx = self.services.ctx
        return ctx.clock.now() if ctx is not None else 0.0

    # -- the one-second tick ----------------------------------------------------------------------
    def tick(self) -> None:
        """Redraw the countdown and the time rows from the clock. No network, no files."""
        r = self.result
        if self.profile is None:
            self._set_countdown("", "none")
            self.renewal_label.setText("")
            return
        self.details.show_times(
            r, self.facts, self.renew_at, auto_refresh=self.auto_refresh.isChecked(), now=self._now()
        )
        if self._busy is not None:
            self.renewal_label.setText(self._progress_text())
        if r is None:
            self._set_countdown("busy…" if self._busy else "no token", "busy" if self._busy else "none")
            if self._busy is None:
                self.renewal_label.setText("")
            return
        if r.expires_at is None:
            self._set_countdown("expiry unknown", "valid")
        else:
            now = self._now()
            state = token_state(r, self.renew_at, now)
            left = r.expires_at - now
            self._set_countdown("expired" if left <= 0 else f"expires in {humanize_seconds(left)}", state)
            if (state == "expired") == self.copy_token_button.isEnabled():
                self._update_buttons()  # it expired while shown: what a pasted token can do changes
        if self._busy is None:
            self.renewal_label.setText(self._renewal_text())

    def _renewal_text(self) -> str:
        if self.facts is not None and self.facts.pasted:
            return pasted_renewal_text(self.result, self._now())
        if self.renew_at is None or not self.auto_refresh.isChecked():
            return ""
        left = self.renew_at - self._now()
        return f"refreshes in {humanize_seconds(left)}" if left > 0 else "refreshing…"

    def _progress_text(self) -> str:
        elapsed = time.monotonic() - self._busy_since
        timeout = self._timeout()
        action = ACTION_TEXT.get(self._busy or "", "Working")
        return f"{action}… {elapsed:.0f} s (each attempt gives up after {timeout:g} s)"

    def _timeout(self) -> float:
        configured = self.profile.settings.get("timeout") if self.profile is not None else None
        if isinstance(configured, int | float) and configured > 0:
            return float(configured)
        return float(self.services.prefs.request_timeout)

    def _set_countdown(self, text: str, state: str) -> None:
        self.countdown.setText(text)
        self.countdown.setProperty("state", state)
        color = STATE_COLORS.get(state, STATE_COLORS["none"])
        self.countdown.setStyleSheet(f"color: {color};" if text else "")

    # -- actions ----------------------------------------------------------------------------------
    def on_mint_clicked(self) -> None:
        self._start_token_job("mint")

    def on_refresh_clicked(self) -> None:
        self._start_token_job("refresh")

    def on_auto_refresh_toggled(self, checked: bool) -> None:
        if self.profile is not None:
            self.tokens.set_auto_refresh(self.profile.name, checked)
        self.tick()

    def on_paste_clicked(self) -> None:
        if self.profile is not None and self.paste_button.isEnabled():
            self.paster.ask(self.profile.name)

    def _start_token_job(self, force: str) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None or self._busy is not None:
            return
        from workbench.core.operations import obtain_token

        name = self.profile.name
        gen = self.generation.next()
        self._set_busy(force)
        self._task = self.services.runner.start(
            obtain_token,
            ctx.engine,
            name,
            force=force,
            owner=self,
            on_success=lambda done: self.on_token_succeeded(gen, done),
            on_failure=lambda exc: self.on_token_failed(gen, name, exc),
        )

    def _set_busy(self, action: str | None) -> None:
        """What this view waits for (None: nothing); the token model hears of the profile's
        request starting and ending (the sidebar and the Cancel action follow it)."""
        self._busy = action
        if action is not None:
            self._busy_since = time.monotonic()
        else:
            self._task = None
        self.cancel_button.setVisible(action is not None)
        name = self.profile.name if self.profile is not None and action is not None else None
        if name != self._busy_name:
            if self._busy_name is not None:
                self.tokens.set_busy(self._busy_name, False)
            self._busy_name = name
            if name is not None:
                self.tokens.set_busy(name, True)
        self._update_buttons()
        self.tick()

    def on_cancel_clicked(self) -> None:
        if self._busy is None:
            return
        action = ACTION_TEXT.get(self._busy, "Request")
        if self._task is not None:
            self._task.cancel()
        self.generation.next()
        self._set_busy(None)
        self._show_verification()
        name = self.profile.name if self.profile else ""
        self.services.show_status(
            f"{name}: {action.lower()} cancelled; the provider call ends in the background by its timeout"
        )

    def on_token_succeeded(self, gen: int, done: TokenObtained) -> None:
        self.token_obtained.emit(done)
        if not self.generation.is_current(gen):
            return
        self._set_busy(None)
        how = OBTAINED_BY_TEXT.get(done.obtained_by, f"token: {done.obtained_by}")
        self.services.show_status(f"{done.profile}: {how}")

    def on_token_failed(self, gen: int, name: str, exc: BaseException) -> None:
        if self.generation.is_current(gen):
            self._set_busy(None)
        self.tokens.set_error(name, user_message(exc))

    # -- verification -----------------------------------------------------------------------------
    def on_verify_clicked(self) -> None:
        ctx = self.services.ctx
        if (
            ctx is None
            or self.profile is None
            or self._busy is not None
            or not self.verify_button.isEnabled()
        ):
            return
        from workbench.core.operations import verify_token

        name = self.profile.name
        gen = self.generation.next()
        self._set_busy("verify")
        self.verify_label.setText("verifying…")
        self.verify_label.setStyleSheet("")
        self._task = self.services.runner.start(
            verify_token,
            ctx.engine,
            name,
            owner=self,
            on_success=lambda answer: self.on_verify_succeeded(gen, answer),
            on_failure=lambda exc: self.on_verify_failed(gen, exc),
        )

    def on_verify_succeeded(self, gen: int, answer: Verification) -> None:
        if not self.generation.is_current(gen):
            return
        self.verification = answer
        self._set_busy(None)
        self._show_verification()

    def on_verify_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        self._set_busy(None)
        self.verification = None
        self.verify_label.setText(f"✗ could not verify: {user_message(exc)}")
        self.verify_label.setStyleSheet(f"color: {STATE_COLORS['error']};")

    def _show_verification(self) -> None:
        """The last verdict, only while it is about the token shown; else say it is out of date."""
        if self._busy == "verify":
            return
        v = self.verification
        if v is None:
            self.verify_label.setText("—" if self.result is None else "not verified yet")
            self.verify_label.setStyleSheet("")
            self.verify_label.setToolTip("")
            return
        if v.token_fingerprint != token_fingerprint(self.result):
            self.verify_label.setText("— (a new token since the last check: Verify again)")
            self.verify_label.setStyleSheet("")
            return
        lines = [v.summary, *(f"{label}: {text}" for label, text in v.details)]
        self.verify_label.setText("\n".join(lines))
        color = STATE_COLORS["error"] if v.valid is False else STATE_COLORS["valid"] if v.valid else ""
        self.verify_label.setStyleSheet(f"color: {color};" if color else "")
        self.verify_label.setToolTip("")

    def on_inspect_clicked(self) -> None:
        if self.result and self.result.access_token:
            self.inspect_requested.emit(self.result.access_token)

    # -- clipboard --------------------------------------------------------------------------------
    def copy_token(self) -> None:
        self._with_fresh_token("token")

    def copy_header(self) -> None:
        self._with_fresh_token("header")

    def copy_curl(self) -> None:
        self._with_fresh_token("curl")

    def _with_fresh_token(self, what: str) -> None:
        """Get a valid token on the pool (renewed first if needed) and build the text to copy
        there: only that text comes back. If renewing changed the token, the engine's event
        says so."""
        ctx = self.services.ctx
        if ctx is None or self.profile is None or self._busy is not None:
            return
        profile = self.profile
        getter = self.services.current_request
        spec = getter() if getter is not None else None
        engine = ctx.engine
        gen = self.generation.next()
        self._set_busy("copy")

        def job() -> str:
            return build_clipboard_text(what, profile, engine.get_token(profile.name).access_token, spec)

        self._task = self.services.runner.start(
            job,
            owner=self,
            on_success=lambda text: self.on_copy_ready(gen, profile.name, what, text),
            on_failure=lambda exc: self.on_token_failed(gen, profile.name, exc),
        )

    def on_copy_ready(self, gen: int, name: str, what: str, text: str) -> None:
        self.token_obtained.emit(name)
        if not self.generation.is_current(gen):
            return
        self._set_busy(None)
        self.services.clipboard.copy_secret(text, COPIED_WHAT.get(what, what))


__all__ = ["OBTAINED_BY_TEXT", "TokenView", "build_clipboard_text"]
