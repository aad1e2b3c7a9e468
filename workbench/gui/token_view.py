"""The Token tab: the selected profile's access token, its countdown, and mint/refresh/verify.

What token the profile holds comes from the window, which learns it from engine events
only (:meth:`set_result`); the jobs this view starts report when they are done, never what
the token is. Verification is kept with the fingerprint of the token it checked, so a new
token makes it stale.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.durations import humanize_duration
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, ElidedLabel, JwtView, humanize_seconds

if TYPE_CHECKING:
    from workbench.core.engine.token_engine import TokenResult
    from workbench.core.operations import TokenFacts, Verification
    from workbench.core.profiles.profile import Profile
    from workbench.gui.services import RequestSpec
    from workbench.gui.tasks import Task

# Claims worth a line in the summary, in this order; the rest follow.
_SUMMARY_CLAIMS = ("sub", "iss", "aud", "scope", "scopes", "client_id", "iat", "nbf", "exp", "jti")
_TIME_CLAIMS = {"iat", "nbf", "exp", "auth_time"}
# A token this close to expiry (or inside twice its renewal lead) is shown as "expiring".
EXPIRING_SECONDS = 60.0

# Status-bar wording for TokenResult.obtained_by: a sentence, not "token mint".
OBTAINED_BY_TEXT = {
    "mint": "new token minted",
    "refresh": "token refreshed",
    "cache": "the stored token is still valid",
    "response-header": "token replaced from a response header",
}
# The Details row: how the token shown was obtained.
OBTAINED_HOW = {
    "mint": "minted",
    "refresh": "refreshed",
    "cache": "stored earlier",
    "response-header": "from a response header",
}
ACTION_TEXT = {"mint": "Minting", "refresh": "Refreshing", "copy": "Getting a token", "verify": "Verifying"}


def compact(button: QPushButton) -> None:
    """Let a button shrink to its text (plus padding) instead of the style's 80 px minimum."""
    button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 20)


def _local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def token_state(result: TokenResult | None, renew_at: float | None, now: float) -> str:
    """ "none" | "valid" | "expiring" | "expired", from the token and the clock only."""
    if result is None:
        return "none"
    if result.expires_at is None:
        return "valid"
    left = result.expires_at - now
    if left <= 0:
        return "expired"
    lead = result.expires_at - renew_at if renew_at is not None else EXPIRING_SECONDS
    return "expiring" if left <= max(lead * 2, EXPIRING_SECONDS) else "valid"


def token_fingerprint(result: TokenResult | None) -> str | None:
    if result is None:
        return None
    from workbench.core.redact import fingerprint

    return fingerprint(result.access_token)


class TokenView(QWidget):
    """Signals:
    token_obtained(object): a Mint/Refresh/copy started here is done (its TokenResult). A
        notification only: the token shown comes from engine events through :meth:`set_result`.
    busy_changed(str, bool): profile name, whether a token operation is under way.
    failed(str, str): profile name and the user message of a failed operation.
    inspect_requested(str): a token to open in the Inspector.
    auto_refresh_changed(str, bool): the user turned a profile's auto-refresh on or off.
    new_profile_requested(): "Create a profile…" on the welcome page.
    demo_requested(): "Try the demo" on the welcome page.
    """

    token_obtained = Signal(object)
    busy_changed = Signal(str, bool)
    failed = Signal(str, str)
    inspect_requested = Signal(str)
    auto_refresh_changed = Signal(str, bool)
    new_profile_requested = Signal()
    demo_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.profile: Profile | None = None
        self.facts: TokenFacts | None = None
        self.result: TokenResult | None = None
        self.renew_at: float | None = None
        self.verification: Verification | None = None
        self.generation = Generation()
        self._busy: str | None = None  # "mint" | "refresh" | "copy" | "verify"
        self._busy_since = 0.0
        self._task: Task | None = None
        self._decoded_for: str | None = None
        self._build()
        self.set_profile(None)

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.pages = QStackedWidget()
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.pages)
        main_page = QWidget()
        self.pages.addWidget(main_page)
        self.welcome = self._build_welcome()
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
        outer.addLayout(top)
        # OAuth presets: Log in / Cancel / Sign out and the device code (hidden for other presets).
        from workbench.gui.login_panel import LoginPanel

        self.login_panel = LoginPanel(self.services)
        self.login_panel.logged_in.connect(self.on_logged_in)
        self.login_panel.signed_out.connect(self.on_signed_out)
        self.login_panel.inspect_requested.connect(self.inspect_requested)
        outer.addWidget(self.login_panel)

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
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop waiting for the provider (the request ends by its timeout)")
        self.cancel_button.hide()
        for b in (self.mint_button, self.refresh_button, self.verify_button, self.cancel_button):
            compact(b)
            actions.addWidget(b)
        outer.addLayout(actions)

        self.token_box = JwtView()
        self.token_box.setObjectName("tokenBox")
        self.token_box.setMinimumHeight(48)

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

        token_panel = QWidget()
        tl = QVBoxLayout(token_panel)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.token_box, 1)
        tl.addLayout(copy_row)

        details = QGroupBox("Details")
        form = QFormLayout(details)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.expires_label = QLabel()
        self.obtained_label = QLabel()
        self.lifetime_label = QLabel()
        self.renews_label = QLabel()
        self.refresh_label = QLabel()
        self.verify_label = QLabel()
        self.verify_label.setObjectName("verification")
        for label in (
            self.expires_label,
            self.obtained_label,
            self.lifetime_label,
            self.renews_label,
            self.refresh_label,
            self.verify_label,
        ):
            # Wrapped, and without a say in the divider's position: the Details/claims split
            # stays where the user put it whatever profile is shown.
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Expires", self.expires_label)
        form.addRow("Obtained", self.obtained_label)
        form.addRow("Lifetime", self.lifetime_label)
        form.addRow("Renewal", self.renews_label)
        form.addRow("Refresh token", self.refresh_label)
        form.addRow("Verification", self.verify_label)
        details_scroll = QScrollArea()
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        details_scroll.setWidget(details)
        details_scroll.setMinimumWidth(200)

        claims_box = QGroupBox("Header and claims")
        cl = QVBoxLayout(claims_box)
        self.claims = QTreeWidget()
        self.claims.setHeaderLabels(["Claim", "Value"])
        self.claims.setRootIsDecorated(False)
        self.claims.setAlternatingRowColors(True)
        self.claims.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.claims.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.claims.setColumnWidth(0, 110)
        cl.addWidget(self.claims)
        claims_box.setMinimumWidth(160)

        self.details_splitter = lower = QSplitter(Qt.Orientation.Horizontal)
        lower.setObjectName("detailsSplitter")
        lower.addWidget(details_scroll)
        lower.addWidget(claims_box)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 2)
        lower.setChildrenCollapsible(False)
        lower.setSizes([420, 580])  # proportions: Qt scales them to the width on first layout

        self.token_splitter = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(token_panel)
        split.addWidget(lower)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)

        self.mint_button.clicked.connect(self.on_mint_clicked)
        self.refresh_button.clicked.connect(self.on_refresh_clicked)
        self.verify_button.clicked.connect(self.on_verify_clicked)
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        self.copy_token_button.clicked.connect(self.copy_token)
        self.copy_header_button.clicked.connect(self.copy_header)
        self.copy_curl_button.clicked.connect(self.copy_curl)
        self.inspect_button.clicked.connect(self.on_inspect_clicked)
        self.auto_refresh.toggled.connect(self.on_auto_refresh_toggled)

    def _build_welcome(self) -> QWidget:
        """What a new user sees instead of an empty Token tab: create a profile, or try the demo."""
        welcome = QWidget()
        welcome.setObjectName("welcome")
        layout = QVBoxLayout(welcome)
        layout.addStretch(1)
        title = QLabel("<h2>Welcome to Token Workbench</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Create a profile for each API account you use: pick its provider's preset, enter the "
            "base URL and credentials (they go to the OS keychain), then Mint or Refresh to get a "
            "token. The Inspector and Keys tabs work without a profile."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome_new_button = QPushButton("Create a profile…")
        self.welcome_new_button.setDefault(True)
        self.welcome_new_button.clicked.connect(self.on_welcome_new_clicked)
        self.welcome_demo_button = QPushButton("Try the demo")
        self.welcome_demo_button.setToolTip(
            "Opens a second window with a local sandbox that emulates every provider"
        )
        self.welcome_demo_button.clicked.connect(self.on_welcome_demo_clicked)
        note = QLabel(
            "The demo runs against a local sandbox with throwaway profiles: nothing touches your "
            "keychain or real providers (also: <code>workbench gui --demo</code>)."
        )
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        note.setStyleSheet("color: gray")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.welcome_new_button)
        buttons.addWidget(self.welcome_demo_button)
        buttons.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addWidget(note)
        layout.addStretch(2)
        return welcome

    def show_welcome(self, show: bool) -> None:
        self.pages.setCurrentIndex(1 if show else 0)

    @property
    def welcome_shown(self) -> bool:
        return self.pages.currentIndex() == 1

    def on_welcome_new_clicked(self) -> None:
        self.new_profile_requested.emit()

    def on_welcome_demo_clicked(self) -> None:
        self.demo_requested.emit()

    # -- state from the window --------------------------------------------------------------------
    def set_profile(
        self,
        profile: Profile | None,
        result: TokenResult | None = None,
        renew_at: float | None = None,
        *,
        auto_refresh: bool = False,
    ) -> None:
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
        self.auto_refresh.blockSignals(True)
        self.auto_refresh.setChecked(auto_refresh)
        self.auto_refresh.blockSignals(False)
        if profile is None:
            self.title.setText("<b>No profile selected</b>")
        else:
            self.title.setText(
                f"<b>{_esc(profile.name)}</b> &nbsp;·&nbsp; {_esc(profile.preset.title)}"
                f" &nbsp;·&nbsp; <span style='color:gray'>{_esc(profile.base_url)}</span>"
            )
            self.title.setToolTip(f"{profile.name} · {profile.preset.title} · {profile.base_url}")
        self.login_panel.set_profile(profile)
        self.set_result(result, renew_at)

    def on_logged_in(self, result: TokenResult) -> None:
        # The token itself arrives as the engine's "changed" event; this only says it is done.
        self.token_obtained.emit(result)

    def on_signed_out(self, name: str) -> None:
        """Signing out deletes the tokens; the engine's "changed" event clears the view."""

    def set_result(self, result: TokenResult | None, renew_at: float | None = None) -> None:
        """The token the profile holds now (from an engine event) and when it is renewed."""
        self.result = result
        self.renew_at = renew_at
        token = result.access_token if result else None
        placeholder = ""
        if self.profile is not None:
            placeholder = (
                "No token yet. Log in to obtain one."
                if self.login_panel.interactive
                else "No token yet. Mint or Refresh to obtain one."
            )
        if token != self.token_box.token:
            self.token_box.set_token(token, placeholder)
            self._fill_claims(result)
        elif not token:
            self.token_box.setPlaceholderText(placeholder)
        self._fill_details()
        self._show_verification()
        self.tick()
        self._update_buttons()

    def set_auto_refresh(self, enabled: bool) -> None:
        self.auto_refresh.blockSignals(True)
        self.auto_refresh.setChecked(enabled)
        self.auto_refresh.blockSignals(False)
        self.tick()

    @property
    def busy(self) -> bool:
        return self._busy is not None

    def _update_buttons(self) -> None:
        p, facts = self.profile, self.facts
        has_token = bool(self.result and self.result.access_token)
        busy = self._busy is not None

        def enable(button: QPushButton, ok: bool, why_not: str, tip: str) -> None:
            button.setEnabled(ok)
            button.setToolTip(tip if ok else why_not)

        if p is None or facts is None:
            for b in (
                self.mint_button,
                self.refresh_button,
                self.verify_button,
                self.copy_token_button,
                self.copy_header_button,
                self.copy_curl_button,
                self.inspect_button,
            ):
                enable(b, False, "Select or create a profile first", "")
            self.auto_refresh.setEnabled(False)
            return
        title = p.preset.title
        wait = f"Wait for the {ACTION_TEXT.get(self._busy or '', 'current request').lower()} (or Cancel)"
        enable(
            self.mint_button,
            facts.can_mint and not busy,
            wait
            if busy
            else f"{title} hands out no new tokens by itself: paste a new pair (Edit…) or Refresh",
            "Obtain a new token from the long-lived credentials",
        )
        self.login_panel.set_signed_in(has_token)
        needs_login = self.login_panel.interactive and not has_token
        enable(
            self.refresh_button,
            facts.can_refresh and not busy and not needs_login,
            wait
            if busy
            else "No token yet: Log in first"
            if needs_login
            else f"{title} has no refresh: Mint obtains a new token",
            "Exchange the refresh token for a new access token",
        )
        enable(
            self.verify_button,
            facts.can_verify and has_token and not busy,
            wait
            if busy
            else "No token to verify yet: Mint or Refresh first"
            if facts.can_verify
            else f"{title} offers no check and no key to verify its tokens with (decode it in the Inspector)",
            "Check the token's signature with the provider's keys, or ask the provider",
        )
        for b, tip in (
            (self.copy_token_button, "Copy the token (renewed first if needed); the clipboard clears itself"),
            (self.copy_header_button, f"Copy '{facts.header}: …' (renewed first if needed)"),
            (self.copy_curl_button, "Copy a curl command for the Request tab's request, with a fresh token"),
        ):
            # A login profile's token comes only from the browser: a copy cannot renew one.
            enable(b, not busy and not needs_login, wait if busy else "No token yet: Log in first", tip)
        enable(self.inspect_button, has_token, "No token to inspect yet", "Open this token in the Inspector")
        renewable = facts.can_mint or facts.can_refresh
        self.auto_refresh.setEnabled(renewable)
        if not renewable:
            self.auto_refresh.setToolTip(f"{title} cannot renew tokens by itself")

    def _now(self) -> float:
        ctx = self.services.ctx
        return ctx.clock.now() if ctx is not None else 0.0

    def _fill_details(self) -> None:
        r = self.result
        if r is None:
            for label in (self.expires_label, self.obtained_label, self.lifetime_label):
                label.setText("—")
        else:
            self.expires_label.setText(
                _local_time(r.expires_at) if r.expires_at else "unknown (used until a 401)"
            )
            how = OBTAINED_HOW.get(r.obtained_by, r.obtained_by)
            self.obtained_label.setText(f"{how}, {_local_time(r.issued_at)}" if r.issued_at else how)
            self.lifetime_label.setText(humanize_duration(r.lifetime, parts=2) if r.lifetime else "unknown")
        self._fill_times()

    def _fill_times(self) -> None:
        """The rows that change with the clock: renewal and the refresh token's own countdown."""
        r, facts, now = self.result, self.facts, self._now()
        if facts is None:
            self.renews_label.setText("—")
            self.refresh_label.setText("—")
            return
        if r is None or self.renew_at is None:
            renew = "—" if r is None else "not by time (its expiry is unknown)"
        elif self.auto_refresh.isChecked():
            left = self.renew_at - now
            renew = f"refreshes in {humanize_seconds(left)} (auto-refresh)" if left > 0 else "refreshing now"
        else:
            left = self.renew_at - now
            renew = (
                f"on use after {humanize_seconds(left)} (auto-refresh off)"
                if left > 0
                else "on next use (auto-refresh off)"
            )
        self.renews_label.setText(renew)
        if not facts.can_refresh:
            self.refresh_label.setText("not used by this provider (mint again)")
            return
        parts = []
        if r is not None and r.refresh_token_expires_at:
            left = r.refresh_token_expires_at - now
            parts.append("expired" if left <= 0 else f"expires in {humanize_seconds(left)}")
        if facts.refresh_token_lifetime:
            parts.append(f"lives {humanize_duration(facts.refresh_token_lifetime, parts=2)}")
        if facts.rotates_refresh_token:
            parts.append("rotates on every refresh")
        self.refresh_label.setText(", ".join(parts) or "lifetime not stated by the provider")

    def _fill_claims(self, result: TokenResult | None) -> None:
        self.claims.clear()
        token = result.access_token if result else None
        self._decoded_for = token
        if result is None or not token:
            return
        jwt = result.jwt  # read once by the engine, from the provider's answer
        if jwt is None:  # opaque tokens are fine: there is simply nothing to show
            QTreeWidgetItem(self.claims, ["(opaque token)", "not a JWT: no claims to show"])
            return
        header, payload = jwt.header, jwt.claims
        for key in ("alg", "typ", "kid"):
            if key in header:
                QTreeWidgetItem(self.claims, [f"header.{key}", _short(header[key])])
        ordered = [k for k in _SUMMARY_CLAIMS if k in payload] + [
            k for k in payload if k not in _SUMMARY_CLAIMS
        ]
        now = self._now()
        for key in ordered:
            value = payload[key]
            if key in _TIME_CLAIMS and isinstance(value, int | float):
                text = f"{_local_time(float(value))} · {_relative(float(value) - now)}"
                item = QTreeWidgetItem(self.claims, [key, text])
                item.setToolTip(1, str(value))
            else:
                item = QTreeWidgetItem(self.claims, [key, _short(value)])
                item.setToolTip(1, _short(value, 2000))

    # -- the one-second tick ----------------------------------------------------------------------
    def tick(self) -> None:
        """Redraw the countdown and the time rows from the clock. No network, no files."""
        r = self.result
        if self.profile is None:
            self._set_countdown("", "none")
            self.renewal_label.setText("")
            return
        self._fill_times()
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
        if self._busy is None:
            self.renewal_label.setText(self._renewal_text())

    def _renewal_text(self) -> str:
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
            self.auto_refresh_changed.emit(self.profile.name, checked)
        self.tick()

    def _start_token_job(self, force: str) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None or self._busy is not None:
            return
        name = self.profile.name
        gen = self.generation.next()
        self._set_busy(force)
        self._task = self.services.runner.start(
            ctx.engine.get_token,
            name,
            force=force,
            owner=self,
            on_success=lambda result: self.on_token_succeeded(gen, name, result),
            on_failure=lambda exc: self.on_token_failed(gen, name, exc),
        )

    def _set_busy(self, action: str | None) -> None:
        was = self._busy is not None
        self._busy = action
        if action is not None:
            self._busy_since = time.monotonic()
        else:
            self._task = None
        self.cancel_button.setVisible(action is not None)
        if self.profile is not None and was != (action is not None):
            self.busy_changed.emit(self.profile.name, action is not None)
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

    def on_token_succeeded(self, gen: int, name: str, result: TokenResult) -> None:
        self.token_obtained.emit(result)
        if not self.generation.is_current(gen):
            return
        self._set_busy(None)
        how = OBTAINED_BY_TEXT.get(result.obtained_by, f"token: {result.obtained_by}")
        self.services.show_status(f"{name}: {how}")

    def on_token_failed(self, gen: int, name: str, exc: BaseException) -> None:
        from workbench.core.errors import user_message

        self.failed.emit(name, user_message(exc))
        if not self.generation.is_current(gen):
            return
        self._set_busy(None)

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
        from workbench.core.errors import user_message

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
        """Get a valid token on the pool (renewed first if needed), then copy. The token shown
        is not replaced from here: if renewing changed it, the engine's event says so."""
        ctx = self.services.ctx
        if ctx is None or self.profile is None or self._busy is not None:
            return
        profile = self.profile
        getter: Callable[[], RequestSpec] | None = self.services.current_request
        spec = getter() if getter is not None else None
        engine = ctx.engine
        gen = self.generation.next()
        self._set_busy("copy")

        def job() -> tuple[TokenResult, str]:
            result = engine.get_token(profile.name)
            return result, build_clipboard_text(what, profile, result.access_token, spec)

        self._task = self.services.runner.start(
            job,
            owner=self,
            on_success=lambda value: self.on_copy_ready(gen, what, value),
            on_failure=lambda exc: self.on_token_failed(gen, profile.name, exc),
        )

    def on_copy_ready(self, gen: int, what: str, value: tuple[TokenResult, str]) -> None:
        result, text = value
        self.token_obtained.emit(result)
        if not self.generation.is_current(gen):
            return
        self._set_busy(None)
        names = {"token": "access token", "header": "Authorization header", "curl": "curl command"}
        self.services.clipboard.copy_secret(text, names.get(what, what))


def build_clipboard_text(what: str, profile: Profile, token: str, spec: RequestSpec | None) -> str:
    """The text to copy: the bare token, an auth header line, or a curl command."""
    from workbench.core.operations import token_facts

    facts = token_facts(profile)
    value = facts.header_value(token)
    if what == "token":
        return token
    if what == "header":
        return f"{facts.header}: {value}"
    from workbench.core.engine.flows import resolve_url
    from workbench.core.request.codegen import curl_command

    method, path, headers, body = spec or ("GET", "", [], "")
    url = resolve_url(profile, path) if path else profile.base_url
    all_headers = [(facts.header, value), *[(k, v) for k, v in headers if k.lower() != facts.header.lower()]]
    return curl_command(method, url, all_headers, body or None)


def _esc(text: str) -> str:
    import html

    return html.escape(str(text))


def _short(value: object, limit: int = 160) -> str:
    # One line: compact JSON, not the indented form squashed (which leaves runs of spaces).
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _relative(seconds: float) -> str:
    try:
        from workbench.core.jose.inspect import humanize_relative

        return humanize_relative(seconds)
    except Exception:  # a missing helper must not break the view
        return f"{int(seconds):+d} s"
