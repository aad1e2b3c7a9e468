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
from dataclasses import dataclass, field
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
from workbench.core.operations import obtain_token, token_facts, verify_token
from workbench.core.operations.requests import clipboard_text as build_clipboard_text
from workbench.core.redact import fingerprint
from workbench.gui.fix_hints import gui_hint
from workbench.gui.login_panel import LoginPanel
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.token_buttons import ACTION_TEXT, button_states
from workbench.gui.token_copy import CopyActions
from workbench.gui.token_details import TokenDetails, auto_renewal_text, pasted_renewal_text
from workbench.gui.token_layout import build_copy_row, build_countdown
from workbench.gui.token_model import OBTAINED_BY_TEXT
from workbench.gui.token_paste import TokenPaster
from workbench.gui.token_welcome import WelcomePage
from workbench.gui.widgets import STATE_COLORS, ElidedLabel, JwtView, compact, humanize_seconds

if TYPE_CHECKING:
    from workbench.core.engine.types import TokenResult
    from workbench.core.operations import TokenFacts, TokenObtained, Verification
    from workbench.core.profiles.profile import Profile
    from workbench.gui.tasks import Task


@dataclass
class Job:
    """A Mint/Refresh/Verify/copy under way for one profile: it keeps running (and is shown
    again) while other profiles are selected."""

    action: str  # "mint" | "refresh" | "copy" | "verify"
    gen: int
    since: float = field(default_factory=time.monotonic)
    task: Task | None = None


def token_fingerprint(result: TokenResult | None) -> str | None:
    return fingerprint(result.access_token) if result is not None else None


class TokenView(CopyActions, QWidget):
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
        verifications: each profile's last verdict (shown only while it is about the token shown).
        jobs: each profile's request under way (Cancel stops the shown profile's).
    """

    # Built by token_layout (the countdown line and the copy row).
    countdown: QLabel
    renewal_label: ElidedLabel
    copy_token_button: QPushButton
    copy_header_button: QPushButton
    copy_curl_button: QPushButton
    inspect_button: QPushButton

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
        self.verifications: dict[str, Verification] = {}
        self.generation = Generation()
        self.jobs: dict[str, Job] = {}
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
        outer.addLayout(build_countdown(self))
        # OAuth presets: Log in / Cancel / Sign out and the device code (hidden for other presets).

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
        tl.addLayout(build_copy_row(self))

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

        self.paster = TokenPaster(self.services, self)
        self.paste_button.clicked.connect(self.on_paste_clicked)
        self.mint_button.clicked.connect(self.on_mint_clicked)
        self.refresh_button.clicked.connect(self.on_refresh_clicked)
        self.verify_button.clicked.connect(self.on_verify_clicked)
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        self.auto_refresh.toggled.connect(self.on_auto_refresh_toggled)
        return actions

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
            self.facts = token_facts(profile)
        if changed:
            self.cancel_button.setVisible(self._busy is not None)
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
        self.details.show_token(result, pasted=self.facts is not None and self.facts.pasted)
        self._show_verification()
        self.tick()
        self._update_buttons()
        self.login_panel.refresh_state()  # granted scope, refresh token granted / none / refused

    @property
    def busy(self) -> bool:
        return self._busy is not None

    @property
    def _job(self) -> Job | None:
        return self.jobs.get(self.profile.name) if self.profile is not None else None

    @property
    def _busy(self) -> str | None:
        """What the shown profile waits for (None: nothing)."""
        job = self._job
        return job.action if job is not None else None

    @property
    def verification(self) -> Verification | None:
        return self.verifications.get(self.profile.name) if self.profile is not None else None

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
            r,
            self.facts,
            self.renew_at,
            auto_refresh=self.tokens.auto_renewal(self.profile.name),
            now=self._now(),
        )
        self.details.tick_claims(self._now())
        if self._busy is not None:
            self.renewal_label.setText(self._progress_text())
        if r is None:
            self._set_countdown("busy…" if self._busy else "no token", "busy" if self._busy else "none")
            if self._busy is None:  # auto-refresh may be waiting to mint one: say so
                self.renewal_label.setText(self._renewal_text())
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
        if self.profile is None:
            return ""
        return auto_renewal_text(self.tokens.auto_renewal(self.profile.name))

    def _progress_text(self) -> str:
        action = ACTION_TEXT.get(self._busy or "", "Working")
        waiting = self.tokens.backoff(self.profile.name if self.profile is not None else None)
        if waiting is not None:  # nothing is being sent: say what it waits for, counting down
            return f"{action}: {waiting.words(self._now())} · {waiting.why}"  # the countdown first
        job = self._job
        elapsed = time.monotonic() - job.since if job is not None else 0.0
        return f"{action}… {elapsed:.0f} s (each attempt gives up after {self._timeout():g} s)"

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

        name = self.profile.name
        job = self._start_job(name, force)
        gen = job.gen
        job.task = self.services.runner.start(
            obtain_token,
            ctx.engine,
            name,
            force=force,
            pass_cancel=True,  # Cancel reaches the engine's retry loop: nothing is sent again
            owner=self,
            on_success=lambda done: self.on_token_succeeded(gen, done),
            on_failure=lambda exc: self.on_token_failed(gen, name, exc),
        )

    def _start_job(self, name: str, action: str) -> Job:
        """`name` waits for `action` now; the token model hears of it (the sidebar and the
        Cancel action follow it)."""
        job = self.jobs[name] = Job(action, self.generation.next())
        self.tokens.set_busy(name, True)
        self._job_changed(name)
        return job

    def _end_job(self, name: str, gen: int) -> bool:
        """The job `gen` of `name` ended; False when it was cancelled or replaced meanwhile."""
        job = self.jobs.get(name)
        if job is None or job.gen != gen:
            return False
        del self.jobs[name]
        self.tokens.set_busy(name, False)
        self._job_changed(name)
        return True

    def _job_changed(self, name: str) -> None:
        if self.profile is not None and self.profile.name == name:
            self.cancel_button.setVisible(self._busy is not None)
            self._update_buttons()
            self.tick()

    def on_cancel_clicked(self) -> None:
        job = self._job
        if job is None or self.profile is None:
            return
        name = self.profile.name
        action = ACTION_TEXT.get(job.action, "Request")
        if job.task is not None:
            job.task.cancel()
        self._end_job(name, job.gen)
        self._show_verification()
        self.services.show_status(
            f"{name}: {action.lower()} cancelled; nothing more is sent (an attempt already on its way "
            "ends by its timeout)"
        )

    def on_token_succeeded(self, gen: int, done: TokenObtained) -> None:
        self.token_obtained.emit(done)
        if not self._end_job(done.profile, gen):
            return
        how = OBTAINED_BY_TEXT.get(done.obtained_by, f"token: {done.obtained_by}")
        self.services.show_status(f"{done.profile}: {how}")

    def on_token_failed(self, gen: int, name: str, exc: BaseException) -> None:
        if self._end_job(name, gen):
            profile = self.profile if self.profile is not None and self.profile.name == name else None
            self.tokens.failed(name, exc, hint=gui_hint(exc, profile))  # a setting: its editor field

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

        name = self.profile.name
        job = self._start_job(name, "verify")
        gen = job.gen
        self.verify_label.setText("verifying…")
        self.verify_label.setStyleSheet("")
        job.task = self.services.runner.start(
            verify_token,
            ctx.engine,
            name,
            owner=self,
            on_success=lambda answer: self.on_verify_succeeded(gen, name, answer),
            on_failure=lambda exc: self.on_verify_failed(gen, name, exc),
        )

    def on_verify_succeeded(self, gen: int, name: str, answer: Verification) -> None:
        if not self._end_job(name, gen):
            return
        self.verifications[name] = answer  # kept per profile: shown again when it is selected
        if self.profile is not None and self.profile.name == name:
            self._show_verification()

    def on_verify_failed(self, gen: int, name: str, exc: BaseException) -> None:
        if not self._end_job(name, gen):
            return
        self.verifications.pop(name, None)
        if self.profile is not None and self.profile.name == name:
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


__all__ = ["OBTAINED_BY_TEXT", "TokenView", "build_clipboard_text"]
