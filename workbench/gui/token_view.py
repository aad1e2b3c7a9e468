"""The Token tab: the selected profile's access token, its countdown, and mint/refresh/verify."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.durations import humanize_duration
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, JwtView, humanize_seconds, pretty_json

if TYPE_CHECKING:
    from workbench.core.engine import TokenResult
    from workbench.core.profiles import Profile

# After a failed automatic refresh, wait this long before trying again by itself.
AUTO_REFRESH_BACKOFF = 30.0
# Claims worth a line in the summary, in this order; the rest follow.
_SUMMARY_CLAIMS = ("sub", "iss", "aud", "scope", "scopes", "client_id", "iat", "nbf", "exp", "jti")
_TIME_CLAIMS = {"iat", "nbf", "exp", "auth_time"}


# Status-bar wording for TokenResult.obtained_by: a sentence, not "token mint".
OBTAINED_BY_TEXT = {
    "mint": "new token minted",
    "refresh": "token refreshed",
    "cache": "the stored token is still valid",
    "response-header": "token replaced from a response header",
}


def _local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def can_check(profile: Any) -> bool:
    """Verify is offered when the provider has a verify request or its tokens verify locally."""
    return bool(profile.preset.can_verify() or profile.preset.can_verify_locally())


def verify_token(engine: Any, name: str) -> dict[str, Any]:
    """Runs on the pool: the signature check with the preset's JWKS or shared secret, then the
    provider's own check when it has one (both live in core). Returns {"valid", "how", ...}."""
    if engine.can_verify_locally(name):
        inspection = engine.verify_local(name)
        valid = inspection.signature_valid is True and not inspection.expired
        if not valid or not engine.provider_can_verify(name):
            return {
                "valid": valid,
                "how": "signature checked locally",
                "signature_error": inspection.signature_error,
            }
    remote = engine.verify_remote(name)
    remote.setdefault("how", "provider's check")
    return remote


class TokenView(QWidget):
    """Signals:
    token_obtained(object): a TokenResult from a mint/refresh/copy started here.
    busy_changed(str, bool): profile name, whether a token operation is under way.
    failed(str, str): profile name and the user message of a failed operation.
    inspect_requested(str): a token to open in the Inspector.
    """

    token_obtained = Signal(object)
    busy_changed = Signal(str, bool)
    failed = Signal(str, str)
    inspect_requested = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.profile: Profile | None = None
        self.result: TokenResult | None = None
        self.generation = Generation()
        self._busy = False
        self._auto_inflight = False
        self._auto_blocked_until = 0.0
        self._decoded_for: str | None = None
        self._build()
        self.set_profile(None)

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
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
        top.addWidget(self.countdown)
        top.addStretch(1)
        self.auto_refresh = QCheckBox("Auto-refresh")
        self.auto_refresh.setToolTip("Refresh (or mint) by itself shortly before the token expires")
        top.addWidget(self.auto_refresh)
        self.mint_button = QPushButton("Mint")
        self.mint_button.setToolTip("Obtain a new token from the long-lived credentials")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Exchange the refresh token for a new access token")
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Ask the provider (or its keys) whether the token is valid")
        for b in (self.mint_button, self.refresh_button, self.verify_button):
            top.addWidget(b)
        outer.addLayout(top)
        # OAuth presets: Log in / Cancel / Sign out and the device code (hidden for other presets).
        from workbench.gui.login_panel import LoginPanel

        self.login_panel = LoginPanel(self.services)
        self.login_panel.logged_in.connect(self.on_logged_in)
        self.login_panel.signed_out.connect(self.on_signed_out)
        self.login_panel.inspect_requested.connect(self.inspect_requested)
        outer.addWidget(self.login_panel)

        self.token_box = JwtView()
        self.token_box.setObjectName("tokenBox")
        self.token_box.setMinimumHeight(90)

        copy_row = QHBoxLayout()
        self.copy_token_button = QPushButton("Copy token")
        self.copy_header_button = QPushButton("Copy Authorization header")
        self.copy_curl_button = QPushButton("Copy curl")
        self.copy_curl_button.setToolTip("A curl command for the Request tab's request, with a fresh token")
        self.inspect_button = QPushButton("Open in Inspector")
        for b in (self.copy_token_button, self.copy_header_button, self.copy_curl_button):
            copy_row.addWidget(b)
        copy_row.addStretch(1)
        copy_row.addWidget(self.inspect_button)

        token_panel = QWidget()
        tl = QVBoxLayout(token_panel)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.token_box, 1)
        tl.addLayout(copy_row)

        details = QGroupBox("Details")
        form = QFormLayout(details)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.expires_label = QLabel()
        self.obtained_label = QLabel()
        self.lifetime_label = QLabel()
        self.refresh_label = QLabel()
        self.verify_label = QLabel()
        self.verify_label.setWordWrap(True)
        self.verify_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Expires", self.expires_label)
        form.addRow("Obtained", self.obtained_label)
        form.addRow("Lifetime", self.lifetime_label)
        form.addRow("Refresh token", self.refresh_label)
        form.addRow("Verification", self.verify_label)

        claims_box = QGroupBox("Header and claims")
        cl = QVBoxLayout(claims_box)
        self.claims = QTreeWidget()
        self.claims.setHeaderLabels(["Claim", "Value"])
        self.claims.setRootIsDecorated(False)
        self.claims.setAlternatingRowColors(True)
        self.claims.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.claims.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        cl.addWidget(self.claims)

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(details)
        lower.addWidget(claims_box)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 2)
        lower.setChildrenCollapsible(False)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(token_panel)
        split.addWidget(lower)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)
        details.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        self.mint_button.clicked.connect(self.on_mint_clicked)
        self.refresh_button.clicked.connect(self.on_refresh_clicked)
        self.verify_button.clicked.connect(self.on_verify_clicked)
        self.copy_token_button.clicked.connect(self.copy_token)
        self.copy_header_button.clicked.connect(self.copy_header)
        self.copy_curl_button.clicked.connect(self.copy_curl)
        self.inspect_button.clicked.connect(self.on_inspect_clicked)

    # -- state from the window --------------------------------------------------------------------
    def set_profile(self, profile: Profile | None, result: TokenResult | None = None) -> None:
        changed = (profile.name if profile else None) != (self.profile.name if self.profile else None)
        self.profile = profile
        if changed:
            self.generation.next()  # results for the previous profile are stale now
            self._busy = False
            self._auto_inflight = False
            self._auto_blocked_until = 0.0
            self.verify_label.setText("—")
        if profile is None:
            self.title.setText("<b>No profile selected</b> — create one with File ▸ New profile (Ctrl+N)")
        else:
            preset = profile.preset
            self.title.setText(
                f"<b>{_esc(profile.name)}</b> &nbsp;·&nbsp; {_esc(preset.title)}"
                f" &nbsp;·&nbsp; <span style='color:gray'>{_esc(profile.base_url)}</span>"
            )
            self.title.setToolTip(f"{profile.name} · {preset.title} · {profile.base_url}")
        self.login_panel.set_profile(profile)
        self.set_result(result)
        self._update_buttons()

    def on_logged_in(self, result: TokenResult) -> None:
        self.token_obtained.emit(result)
        self.set_result(result)

    def on_signed_out(self, name: str) -> None:
        if self.profile is not None and self.profile.name == name:
            self.set_result(None)

    def set_result(self, result: TokenResult | None) -> None:
        self.result = result
        token = result.access_token if result else None
        if token != self.token_box.token:
            self.token_box.set_token(
                token, "No token yet. Mint or Refresh to obtain one." if self.profile else ""
            )
            self._fill_claims(result)
        self._fill_details()
        self.tick()
        self._update_buttons()

    def _update_buttons(self) -> None:
        p = self.profile
        has_token = bool(self.result and self.result.access_token)
        idle = not self._busy
        self.mint_button.setEnabled(bool(p and p.preset.can_mint()) and idle)
        self.refresh_button.setEnabled(bool(p and p.preset.can_refresh()) and idle)
        self.verify_button.setEnabled(bool(p and can_check(p)) and has_token and idle)
        self.auto_refresh.setEnabled(bool(p and (p.preset.can_mint() or p.preset.can_refresh())))
        for b in (self.copy_token_button, self.copy_header_button, self.copy_curl_button):
            b.setEnabled(p is not None and idle)
        self.inspect_button.setEnabled(has_token)

    def _now(self) -> float:
        ctx = self.services.ctx
        return ctx.clock.now() if ctx is not None else 0.0

    def _fill_details(self) -> None:
        r = self.result
        p = self.profile
        if r is None:
            for label in (self.expires_label, self.obtained_label, self.lifetime_label):
                label.setText("—")
        else:
            self.expires_label.setText(
                _local_time(r.expires_at) if r.expires_at else "unknown (used until a 401)"
            )
            got = r.obtained_by
            self.obtained_label.setText(f"{got}, {_local_time(r.issued_at)}" if r.issued_at else got)
            self.lifetime_label.setText(humanize_duration(r.lifetime, parts=2) if r.lifetime else "unknown")
        rt_text = "—"
        if p is not None:
            lifetime = p.preset.token.refresh_token_lifetime
            parts = []
            if r is not None and r.refresh_token_expires_at:
                left = r.refresh_token_expires_at - self._now()
                parts.append("expired" if left <= 0 else f"valid for {humanize_duration(left, parts=2)}")
            if lifetime:
                parts.append(f"lives {humanize_duration(lifetime, parts=2)}")
            if p.preset.token.rotates_refresh_token:
                parts.append("rotates on every refresh")
            if not p.preset.can_refresh():
                parts = ["not used by this provider (mint again)"]
            rt_text = ", ".join(parts) or "lifetime not stated by the provider"
        self.refresh_label.setText(rt_text)

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
        """Redraw the countdown from the clock; trigger auto-refresh when due. No network here."""
        r = self.result
        if self.profile is None:
            self._set_countdown("", "none")
            return
        if r is None:
            self._set_countdown("busy…" if self._busy else "no token", "busy" if self._busy else "none")
            return
        if r.expires_at is None:
            self._set_countdown("expiry unknown", "valid")
            return
        left = r.expires_at - self._now()
        lead = self.lead_for(r)
        if left <= 0:
            self._set_countdown("expired", "expired")
        else:
            state = "expiring" if left <= max(lead, 0) * 2 or left <= 60 else "valid"
            self._set_countdown(f"expires in {humanize_seconds(left)}", state)
        self._maybe_auto_refresh(left, lead)

    def lead_for(self, r: TokenResult) -> float:
        configured = self.services.prefs.refresh_lead
        if configured > 0:
            return float(configured)
        ctx = self.services.ctx
        if ctx is None or self.profile is None:
            return 60.0
        return float(ctx.engine.refresh_lead(r.lifetime, self.profile.name))

    def _set_countdown(self, text: str, state: str) -> None:
        self.countdown.setText(text)
        self.countdown.setProperty("state", state)
        color = STATE_COLORS["none"] if state in ("none", "valid") else STATE_COLORS.get(state, "")
        if state == "valid":
            color = STATE_COLORS["valid"]
        self.countdown.setStyleSheet(f"color: {color};" if text else "")

    def _maybe_auto_refresh(self, left: float, lead: float) -> None:
        if not self.auto_refresh.isChecked() or self._busy or self._auto_inflight or self.profile is None:
            return
        if left > lead or self._now() < self._auto_blocked_until:
            return
        preset = self.profile.preset
        force = "refresh" if preset.can_refresh() else "mint" if preset.can_mint() else None
        if force is None:
            return
        self._auto_inflight = True
        self._start_token_job(force, auto=True)

    # -- actions ----------------------------------------------------------------------------------
    def on_mint_clicked(self) -> None:
        self._start_token_job("mint")

    def on_refresh_clicked(self) -> None:
        self._start_token_job("refresh")

    def _start_token_job(self, force: str | None, *, auto: bool = False) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None:
            return
        name = self.profile.name
        gen = self.generation.next()
        self._set_busy(True)
        engine = ctx.engine
        self.services.runner.start(
            engine.get_token,
            name,
            force=force,
            owner=self,
            on_success=lambda result: self.on_token_succeeded(gen, name, result, auto),
            on_failure=lambda exc: self.on_token_failed(gen, name, exc, auto),
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if self.profile is not None:
            self.busy_changed.emit(self.profile.name, busy)
        self._update_buttons()
        self.tick()

    def on_token_succeeded(self, gen: int, name: str, result: TokenResult, auto: bool) -> None:
        self.token_obtained.emit(result)  # the window keeps its snapshot current either way
        if not self.generation.is_current(gen):
            return
        self._auto_inflight = False
        self._set_busy(False)
        self.set_result(result)
        how = OBTAINED_BY_TEXT.get(result.obtained_by, f"token: {result.obtained_by}")
        self.services.show_status(f"{name}: {how}" + (" (auto-refresh)" if auto else ""))

    def on_token_failed(self, gen: int, name: str, exc: BaseException, auto: bool) -> None:
        from workbench.core.errors import user_message

        message = user_message(exc)
        self.failed.emit(name, message)
        if not self.generation.is_current(gen):
            return
        self._set_busy(False)
        if auto:
            self._auto_inflight = False
            self._auto_blocked_until = self._now() + AUTO_REFRESH_BACKOFF
        self.services.show_error(f"{name}: {message}")

    def on_verify_clicked(self) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None:
            return
        name = self.profile.name
        gen = self.generation.next()
        self._set_busy(True)
        self.verify_label.setText("verifying…")
        self.services.runner.start(
            verify_token,
            ctx.engine,
            name,
            owner=self,
            on_success=lambda answer: self.on_verify_succeeded(gen, answer),
            on_failure=lambda exc: self.on_verify_failed(gen, name, exc),
        )

    def on_verify_succeeded(self, gen: int, answer: dict[str, Any]) -> None:
        if not self.generation.is_current(gen):
            return
        self._set_busy(False)
        valid = answer.get("valid") if isinstance(answer, dict) else None
        mark = "✓ valid" if valid is True else "✗ not valid" if valid is False else "answered"
        if answer.get("how"):
            mark = f"{mark} ({answer['how']})"
        detail = pretty_json(answer)
        self.verify_label.setText(f"{mark}")
        self.verify_label.setToolTip(detail)
        self.verify_label.setStyleSheet(
            f"color: {STATE_COLORS['valid'] if valid is not False else STATE_COLORS['error']};"
        )

    def on_verify_failed(self, gen: int, name: str, exc: BaseException) -> None:
        from workbench.core.errors import user_message

        if not self.generation.is_current(gen):
            return
        self._set_busy(False)
        message = user_message(exc)
        self.verify_label.setText(f"✗ {message}")
        self.verify_label.setStyleSheet(f"color: {STATE_COLORS['error']};")
        self.services.show_error(f"{name}: {message}")

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
        """Get a valid token on the pool (refreshing first if needed), then copy."""
        ctx = self.services.ctx
        if ctx is None or self.profile is None:
            return
        profile = self.profile
        request = self.services.extras.get("current_request")
        spec = request() if callable(request) else None
        engine = ctx.engine
        gen = self.generation.next()
        self._set_busy(True)

        def job() -> tuple[Any, str]:
            result = engine.get_token(profile.name)
            return result, build_clipboard_text(what, profile, result.access_token, spec)

        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda value: self.on_copy_ready(gen, what, value),
            on_failure=lambda exc: self.on_token_failed(gen, profile.name, exc, False),
        )

    def on_copy_ready(self, gen: int, what: str, value: tuple[Any, str]) -> None:
        result, text = value
        self.token_obtained.emit(result)
        if not self.generation.is_current(gen):
            return
        self._set_busy(False)
        self.set_result(result)
        names = {"token": "access token", "header": "Authorization header", "curl": "curl command"}
        self.services.clipboard.copy_secret(text, names.get(what, what))


def build_clipboard_text(
    what: str, profile: Profile, token: str, spec: tuple[str, str, list, str] | None
) -> str:
    """The text to copy: the bare token, an auth header line, or a curl command."""
    header, value = profile.preset.token.authorization(token)
    if what == "token":
        return token
    if what == "header":
        return f"{header}: {value}"
    from workbench.core.codegen import curl_command
    from workbench.core.flows import resolve_url

    method, path, headers, body = spec or ("GET", "", [], "")
    url = resolve_url(profile, path) if path else profile.base_url
    all_headers = [(header, value), *[(k, v) for k, v in headers if k.lower() != header.lower()]]
    return curl_command(method, url, all_headers, body or None)


def _esc(text: str) -> str:
    import html

    return html.escape(str(text))


def _short(value: Any, limit: int = 160) -> str:
    # One line: compact JSON, not the indented form squashed (which leaves runs of spaces).
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _relative(seconds: float) -> str:
    try:
        from workbench.core.jwtinspect import humanize_relative

        return humanize_relative(seconds)
    except Exception:  # a missing helper must not break the view
        return f"{int(seconds):+d} s"
