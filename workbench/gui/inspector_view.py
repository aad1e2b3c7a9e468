"""The Inspector tab: decode any JWT (or JWE), list its claims and warnings, verify its signature.

What it does, in the manner of jwt.io:
- the pasted token is coloured by segment (header, payload, signature; five parts for a JWE);
- the key type follows the token's ``alg`` until the user picks one (HS* → secret, the rest →
  JWKS URL when ``iss`` is a URL, else PEM);
- a JWKS URL can be looked up from ``iss`` (OIDC discovery), on the worker pool and only when
  the user asks: the issuer is a claim nobody has verified yet, so the app never contacts a
  host just because a pasted token names it;
- Enter verifies; each key type keeps its own input, so a typed HMAC secret never shows in
  the clear in another type's box;
- times read "(4 s ago)" and stay current while the tab is open;
- a JWE opens with the recipient's key ("Decrypt key") and its inner token is verified;
- "Change one claim and re-sign" starts the editable mode (`forge_view`) from the decoded
  token; "Probe API" sends the variants an API must refuse (`probe_view`); "Introspect" asks a
  profile's issuer whether the token is active (`introspection_panel`, RFC 7662).
Decoding and verifying is one core operation (`operations.inspect_token`), the one
`workbench decode` uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import TokenFormatError, user_message
from workbench.core.jose.inspect import discovery_url
from workbench.core.operations import inspect_token
from workbench.gui.forge_view import ForgePanel
from workbench.gui.inspector_tabs import InspectionTabs
from workbench.gui.inspector_text import DANGER_CODES, INFO_CODES, kind_text, suggested_key_kind, verdict
from workbench.gui.introspection_panel import IntrospectionPanel
from workbench.gui.json_view import VerdictBanner
from workbench.gui.probe_view import ProbePanel
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import (
    EnterFilter,
    JwtHighlighter,
    bold_label,
    monospace_font,
    state_dot,
    text_box,
)

if TYPE_CHECKING:
    from workbench.core.jose.inspect import Inspection
    from workbench.core.jose.inspect.results import TokenWarning

# (label, key kind of `jwtinspect.KEY_KINDS`); "none" decodes only.
KEY_KINDS = (
    ("No key (decode only)", "none"),
    ("Secret (HMAC)", "secret"),
    ("PEM public key", "pem"),
    ("JWK", "jwk"),
    ("JWKS URL", "jwks"),
)
KEY_TEXT_HEIGHT = 64
MAX_WARNING_ROWS = 4
TICK_MS = 1000
SHORT_VIEW_HEIGHT = 520  # below this (an 800x500 window) the token box keeps to three lines


class InspectorView(QWidget):
    """Signals:
    inspected(object): an Inspection shown.
    jwks_discovered(str): the JWKS URL found from the token's issuer.
    """

    inspected = Signal(object)
    jwks_discovered = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.generation = Generation()
        self.discovery_generation = Generation()
        self.inspection: Inspection | None = None
        self._shown_warnings: list[tuple[str, str]] = []
        self._discovered: tuple[str, str] | None = None  # (issuer, JWKS URL) found from iss
        self.current_token_getter: Callable[[], str | None] | None = None  # set by the window
        # The selected profile's name: a token's DPoP binding is compared with its key (set by the window).
        self.profile_name_getter: Callable[[], str | None] | None = None
        self._user_kind_token: str | None = None  # the token text for which the user chose a key type
        self._pending_kind_by_user = False
        self._kind_texts: dict[str, str] = {"pem": "", "jwk": ""}
        self._shown_kind = "none"
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.inspect)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self.on_tick)
        self._build()

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        title = QLabel("Token")
        top.addWidget(title)
        self.kind_label = QLabel()
        self.kind_label.setStyleSheet("color: gray")
        top.addWidget(self.kind_label)
        top.addStretch(1)
        self.current_button = QPushButton("Inspect current")
        self.current_button.setToolTip("The selected profile's access token")
        self.clear_button = QPushButton("Clear")
        self.edit_button = QPushButton("Change one claim and re-sign")
        self.edit_button.setToolTip("Edit this token's header and payload and sign it again")
        top.addWidget(self.edit_button)
        top.addWidget(self.current_button)
        top.addWidget(self.clear_button)
        outer.addLayout(top)
        self.token_input = text_box(read_only=False, placeholder="Paste a JWT (eyJ…) here; Enter verifies")
        self.token_input.setMaximumHeight(84)
        self.token_input.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.highlighter = JwtHighlighter(self.token_input.document())
        outer.addWidget(self.token_input)

        verify = QGroupBox("Verify signature")
        vl = QGridLayout(verify)
        self.key_kind = QComboBox()
        for label, kind in KEY_KINDS:
            self.key_kind.addItem(label, kind)
        # As wide as "PEM public key", not as the longest entry: the key box needs the room.
        self.key_kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.key_kind.setMinimumContentsLength(14)
        self.key_stack = QStackedWidget()
        # One input per key type: a typed secret never appears in another type's box.
        self.secret_line = QLineEdit()
        self.secret_line.setFont(monospace_font())
        self.secret_line.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_line.setPlaceholderText("HMAC secret (hidden); Enter verifies")
        self.reveal_button = QToolButton()
        self.reveal_button.setText("Show")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setToolTip("Show the secret")
        self.reveal_button.toggled.connect(self.on_reveal_toggled)
        # Some issuers hand out an HMAC secret as base64url text of its bytes (jwt.io's box).
        self.secret_base64 = QCheckBox("base64")
        self.secret_base64.setToolTip("The secret is base64url-encoded: verify with the bytes it decodes to")
        self.secret_page = QWidget()
        sp = QHBoxLayout(self.secret_page)
        sp.setContentsMargins(0, 0, 0, 0)
        sp.addWidget(self.secret_line, 1)
        sp.addWidget(self.reveal_button)
        sp.addWidget(self.secret_base64)
        self.jwks_page = QWidget()
        jl = QHBoxLayout(self.jwks_page)
        jl.setContentsMargins(0, 0, 0, 0)
        self.jwks_line = QLineEdit()
        self.jwks_line.setFont(monospace_font())
        self.jwks_line.setPlaceholderText("https://issuer.example/.well-known/jwks.json")
        self.jwks_line.textChanged.connect(self.jwks_line.setToolTip)  # a long URL, read in full
        self.discover_button = QPushButton("Find from iss")
        self.discover_button.setEnabled(False)
        jl.addWidget(self.jwks_line, 1)
        jl.addWidget(self.discover_button)
        self.key_text = text_box(read_only=False)  # PEM / JWK; Ctrl+Enter verifies
        self.key_text.setFixedHeight(KEY_TEXT_HEIGHT)
        self.no_key_hint = QLabel("Decode only. Pick a secret, PEM, JWK or JWKS URL to check the signature.")
        self.no_key_hint.setWordWrap(True)
        self.no_key_hint.setEnabled(False)  # greyed in any palette
        for page in (self.no_key_hint, self.secret_page, self.jwks_page, self.key_text):
            self.key_stack.addWidget(page)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Check the signature with this key (Enter)")
        self.result_label = VerdictBanner("not verified")  # a long kid or error wraps, never clips
        top_aligned = Qt.AlignmentFlag.AlignTop
        vl.addWidget(self.key_kind, 0, 0, top_aligned)
        vl.addWidget(self.key_stack, 0, 1)
        vl.addWidget(self.verify_button, 0, 2, top_aligned)
        vl.addWidget(self.result_label, 1, 0, 1, 3)
        # A JWE opens with its recipient's private key (or the shared key, as an oct JWK).
        self.decrypt_label = QLabel("Decrypt key")
        self.decrypt_key_text = text_box(
            read_only=False,
            placeholder="JWE: the recipient's private key (PEM/JWK) or an oct JWK  (Ctrl+Enter)",
        )
        self.decrypt_key_text.setFixedHeight(KEY_TEXT_HEIGHT)
        vl.addWidget(self.decrypt_label, 2, 0, top_aligned)
        vl.addWidget(self.decrypt_key_text, 2, 1, 1, 2)
        self.decrypt_label.setVisible(False)
        self.decrypt_key_text.setVisible(False)
        vl.setColumnStretch(1, 1)
        verify.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        outer.addWidget(verify)

        # Warnings: one row each, wrapped, full width, with a dot for how much it matters.
        self.warnings_title = bold_label("Warnings")
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        self.warnings.setResizeMode(QListView.ResizeMode.Adjust)
        self.warnings.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.warnings.setSpacing(1)
        self.warnings.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        outer.addWidget(self.warnings_title)
        outer.addWidget(self.warnings)

        self.tabs = InspectionTabs()
        # The result tabs' parts, by name.
        self.claims = self.tabs.claims
        self.header_box, self.payload_box = self.tabs.header_box, self.tabs.payload_box
        self.payload_title, self.nested_box = self.tabs.payload_title, self.tabs.nested_box
        self.certificates = self.tabs.certificates
        self.nested_tab, self.certificates_tab = self.tabs.nested_tab, self.tabs.certificates_tab
        self.forge = ForgePanel(self.services)
        self.probe = ProbePanel(self.services)
        self.forge_tab = self.tabs.addTab(self.forge, "Edit && re-sign")
        self.probe_tab = self.tabs.addTab(self.probe, "Probe API")
        self.introspection = IntrospectionPanel(self.services, self.token_input)  # RFC 7662, kept per token
        self.introspection.profile_name_getter = self._selected_profile
        self.introspect_tab = self.tabs.addTab(self.introspection, "Introspect")
        outer.addWidget(self.tabs, 1)

        self.key_kind.currentIndexChanged.connect(self.on_key_kind_changed)
        self.key_kind.activated.connect(self.on_key_kind_activated)
        self.token_input.textChanged.connect(self.on_token_edited)
        self.verify_button.clicked.connect(self.verify)
        self.current_button.clicked.connect(self.inspect_current)
        self.clear_button.clicked.connect(self.clear)
        self.edit_button.clicked.connect(self.edit_and_resign)
        self.forge.inspect_requested.connect(self.set_token)
        self.tabs.copy_requested.connect(self.on_copy_requested)
        self.secret_base64.toggled.connect(self.on_secret_base64_toggled)
        self.decrypt_key_text.installEventFilter(EnterFilter(self.verify, self, needs_ctrl=True))
        self.discover_button.clicked.connect(self.discover_jwks)
        self.secret_line.returnPressed.connect(self.verify)
        self.jwks_line.returnPressed.connect(self.verify)
        self.token_input.installEventFilter(EnterFilter(self.on_enter_in_token, self))
        self.key_text.installEventFilter(EnterFilter(self.verify, self, needs_ctrl=True))
        self.on_key_kind_changed()
        self._fit_warnings()

    # -- visibility: the clock ticks only while someone can see it --------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._ticker.start()
        self.on_tick()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self._ticker.stop()

    # -- inputs -----------------------------------------------------------------------------------
    def on_key_kind_changed(self, _index: int = 0) -> None:
        kind = self.key_kind.currentData()
        # PEM and JWK share one box; each keeps its own text.
        if self._shown_kind in ("pem", "jwk"):
            self._kind_texts[self._shown_kind] = self.key_text.toPlainText()
        if kind != "secret":
            self.reveal_button.setChecked(False)  # a shown secret is hidden again on the way out
        if kind == "secret":
            self.key_stack.setCurrentWidget(self.secret_page)
        elif kind == "jwks":
            self.key_stack.setCurrentWidget(self.jwks_page)
        elif kind in ("pem", "jwk"):
            self.key_stack.setCurrentWidget(self.key_text)
            self.key_text.setPlainText(self._kind_texts.get(kind, ""))
            self.key_text.setPlaceholderText(
                ("-----BEGIN PUBLIC KEY-----…" if kind == "pem" else '{"kty": "EC", "crv": "P-256", …}')
                + "   (Ctrl+Enter verifies)"
            )
        else:
            self.key_stack.setCurrentWidget(self.no_key_hint)
        self._shown_kind = kind
        # The row is as tall as the visible input: one line, or a few for a pasted key.
        line_height = max(self.secret_line.sizeHint().height(), self.discover_button.sizeHint().height())
        self.key_stack.setFixedHeight(KEY_TEXT_HEIGHT if kind in ("pem", "jwk") else line_height)
        self.verify_button.setEnabled(kind != "none")

    def on_key_kind_activated(self, _index: int) -> None:
        """The user picked a key type: the alg no longer picks one for this token."""
        self._user_kind_token = self._token_text()

    def on_reveal_toggled(self, shown: bool) -> None:
        self.secret_line.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal_button.setText("Hide" if shown else "Show")
        self.reveal_button.setToolTip("Hide the secret" if shown else "Show the secret")

    def on_copy_requested(self, text: str, what: str) -> None:
        self.services.clipboard.copy_plain(text, what)

    def on_secret_base64_toggled(self, _checked: bool) -> None:
        if self.key_kind.currentData() == "secret" and self.secret_line.text():
            self.verify()  # the verdict shown was about the secret read the other way

    def set_key(self, kind: str, text: str) -> None:
        """Choose the key type and fill its input (what a user does by hand)."""
        index = self.key_kind.findData(kind)
        self.key_kind.setCurrentIndex(index)
        self._user_kind_token = self._token_text()
        if kind == "secret":
            self.secret_line.setText(text)
        elif kind == "jwks":
            self.jwks_line.setText(text)
            self.jwks_line.setCursorPosition(0)  # the scheme and host, the telling part, in view
        elif kind in ("pem", "jwk"):
            self._kind_texts[kind] = text
            self.key_text.setPlainText(text)

    def key_input(self) -> str:
        kind = self.key_kind.currentData()
        if kind == "secret":
            return self.secret_line.text()
        if kind == "jwks":
            return self.jwks_line.text()
        if kind in ("pem", "jwk"):
            return self.key_text.toPlainText()
        return ""

    def _selected_profile(self) -> str | None:
        return self.profile_name_getter() if callable(self.profile_name_getter) else None

    def _token_text(self) -> str:
        return self.token_input.toPlainText().strip()

    def set_token(self, token: str) -> None:
        self.token_input.setPlainText(token)
        self._debounce.stop()
        self.inspect()

    def on_token_edited(self) -> None:
        jwe = self._is_jwe(self._token_text())
        self.decrypt_label.setVisible(jwe)
        self.decrypt_key_text.setVisible(jwe)
        self._debounce.start()

    def on_enter_in_token(self) -> None:
        if self.key_kind.currentData() == "none":
            self._debounce.stop()
            self.inspect()
        else:
            self.verify()

    def inspect_current(self) -> None:
        token = self.current_token_getter() if callable(self.current_token_getter) else None
        if token:
            self.set_token(token)
        else:
            self.services.show_status("The selected profile has no token yet")

    def clear(self) -> None:
        self.generation.next()
        self.token_input.clear()
        self._show(None)

    # -- work -------------------------------------------------------------------------------------
    def inspect(self) -> None:
        self._run("none")

    def edit_and_resign(self) -> None:
        """The decoded token's header and payload into the editable mode."""
        token = self._token_text()
        if token:
            self.forge.load_token(token)
        self.tabs.setCurrentWidget(self.forge)

    @staticmethod
    def _is_jwe(token: str) -> bool:
        return token.strip().count(".") == 4

    def verify(self) -> None:
        kind = self.key_kind.currentData()
        if kind == "none":
            self.inspect()
            return
        self._run(kind)

    def _run(self, kind: str) -> None:
        token = self._token_text()
        gen = self.generation.next()
        if not token:
            self._show(None)
            return
        ctx = self.services.ctx
        now = ctx.clock.now() if ctx is not None else None
        prefs = self.services.prefs
        if kind != "none":
            self.result_label.set_verdict("info", "verifying…")
        self.services.runner.start(
            inspect_token,
            token,
            key_kind=kind,
            key_text=self.key_input() if kind != "none" else "",
            decrypt_key_text=self.decrypt_key_text.toPlainText() if self._is_jwe(token) else "",
            secret_base64=kind == "secret" and self.secret_base64.isChecked(),
            now=now,
            timeout=prefs.request_timeout,
            verify_tls=prefs.verify_tls,
            ctx=ctx,
            profile=self.profile_name_getter() if callable(self.profile_name_getter) else None,
            owner=self,
            on_success=lambda ins: self.on_inspect_succeeded(gen, kind, ins),
            on_failure=lambda exc: self.on_inspect_failed(gen, kind, exc),
        )

    def on_inspect_succeeded(self, gen: int, kind: str, inspection: Inspection) -> None:
        if not self.generation.is_current(gen):
            return
        self._show(inspection, verified_with=kind)
        if kind == "none":
            self._follow_alg(inspection)
        self.inspected.emit(inspection)

    def on_inspect_failed(self, gen: int, kind: str, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        message = user_message(exc)
        if isinstance(exc, TokenFormatError):
            self._show(None)
            self.result_label.set_verdict("error", f"✗ {message}")
            return  # a half-pasted token is not worth a banner
        self.result_label.set_verdict("error", f"✗ {message}")
        self.services.show_error(message)

    def _follow_alg(self, ins: Inspection) -> None:
        """Pick the key type the token's alg calls for, unless the user chose one for this token."""
        if self._user_kind_token is not None and self._user_kind_token == ins.token:
            return
        kind = suggested_key_kind(ins.header, ins.claims)
        if kind != self.key_kind.currentData():
            self.key_kind.setCurrentIndex(self.key_kind.findData(kind))

    # -- OIDC discovery (only on request) ---------------------------------------------------------
    def _issuer(self) -> str | None:
        if self.inspection is None:
            return None
        iss = self.inspection.claims.get("iss")
        return iss if isinstance(iss, str) and discovery_url(iss) is not None else None

    def _update_discovery(self) -> None:
        issuer = self._issuer()
        self.discover_button.setEnabled(issuer is not None)
        if issuer is None:
            self.discover_button.setToolTip("The token's iss is not an https:// URL: nothing to look up")
            self.jwks_line.setPlaceholderText("https://issuer.example/.well-known/jwks.json")
        else:
            self.discover_button.setToolTip(
                f"Look up the JWKS URL in {discovery_url(issuer)} (OpenID Connect discovery)"
            )
            self.jwks_line.setPlaceholderText(f"press 'Find from iss' to look it up from {issuer}")

    def discover_jwks(self) -> None:
        from workbench.core.jose.inspect import discover_jwks_uri

        issuer = self._issuer()
        if issuer is None:
            return
        gen = self.discovery_generation.next()
        prefs = self.services.prefs
        self.discover_button.setEnabled(False)
        self.result_label.set_verdict("info", f"looking up the JWKS URL of {issuer}…")
        self.services.runner.start(
            discover_jwks_uri,
            issuer,
            timeout=prefs.request_timeout,
            verify_tls=prefs.verify_tls,
            owner=self,
            on_success=lambda url: self.on_discovered(gen, issuer, url),
            on_failure=lambda exc: self.on_discovery_failed(gen, exc),
        )

    def on_discovered(self, gen: int, issuer: str, url: str) -> None:
        if not self.discovery_generation.is_current(gen):
            return
        self._update_discovery()
        self.key_kind.setCurrentIndex(self.key_kind.findData("jwks"))
        self.jwks_line.setText(url)
        self.jwks_line.setCursorPosition(0)
        self._discovered = (issuer, url)
        self.result_label.set_verdict(
            "info", f"JWKS URL from {issuer}'s discovery document; press Verify (Enter)"
        )
        self.jwks_discovered.emit(url)

    def on_discovery_failed(self, gen: int, exc: BaseException) -> None:
        if not self.discovery_generation.is_current(gen):
            return
        self._update_discovery()
        self.result_label.set_verdict("error", f"✗ {user_message(exc)}")

    # -- output -----------------------------------------------------------------------------------
    def _show(self, ins: Inspection | None, verified_with: str = "none") -> None:
        issuer = ins.claims.get("iss") if ins is not None else None
        if self._discovered is not None and self._discovered[0] != issuer:
            # A token of another issuer: the JWKS URL found for the previous one does not apply.
            if self.jwks_line.text() == self._discovered[1]:
                self.jwks_line.clear()
            self._discovered = None
        self.inspection = ins
        self.warnings.clear()
        self._update_discovery()
        ctx = self.services.ctx
        self.tabs.show_inspection(ins, ctx.clock.now() if ctx is not None else None)
        if ins is None:
            self.kind_label.setText("")
            self.result_label.set_verdict("info", "not verified")
            self._fit_warnings()
            return
        self.kind_label.setText(kind_text(ins))
        self._show_warnings(ins.warnings_at(ctx.clock.now()) if ctx is not None else ins.warnings)
        self.result_label.set_verdict(*verdict(ins, key_given=verified_with != "none"))

    def _show_warnings(self, warnings: list[TokenWarning]) -> None:
        self._shown_warnings = [(w.code, w.message) for w in warnings]
        self.warnings.clear()
        for warning in warnings:
            info = warning.code in INFO_CODES
            dot = "error" if warning.code in DANGER_CODES else "busy" if info else "expiring"
            row_item = QListWidgetItem(state_dot(dot), warning.message)
            row_item.setToolTip(warning.code)
            row_item.setData(Qt.ItemDataRole.UserRole, warning.code)
            self.warnings.addItem(row_item)
        if not warnings:
            self.warnings.addItem(QListWidgetItem(state_dot("valid"), "No warnings"))
        self._fit_warnings()

    def on_tick(self) -> None:
        ctx = self.services.ctx
        if ctx is not None:
            now = ctx.clock.now()
            self.tabs.tick(now)
            if self.inspection is not None:  # time-based warnings follow the clock too
                warnings = self.inspection.warnings_at(now)
                if [(w.code, w.message) for w in warnings] != self._shown_warnings:
                    self._show_warnings(warnings)

    def _fit_warnings(self) -> None:
        """Every warning readable without scrolling (up to a handful), one row when there are none."""
        self.warnings.doItemsLayout()
        line = self.warnings.fontMetrics().lineSpacing() + 4
        shown = min(self.warnings.count(), MAX_WARNING_ROWS)
        if shown:
            last = self.warnings.visualItemRect(self.warnings.item(shown - 1))
            top = self.warnings.visualItemRect(self.warnings.item(0)).top()
            content = last.bottom() - top + 1 + 2 * self.warnings.spacing()
        else:
            content = line
        if self.warnings.count() > MAX_WARNING_ROWS:
            content += line // 2  # a half row hints that the list scrolls
        self.warnings.setFixedHeight(content + 2 * self.warnings.frameWidth() + 2)
        count = len(self.warning_codes())
        self.warnings_title.setText(f"Warnings ({count})" if count else "Warnings")

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        # A short window gives the token three lines and the claims the rest.
        lines = 3 if self.height() < SHORT_VIEW_HEIGHT else 5
        spacing = self.token_input.fontMetrics().lineSpacing()
        self.token_input.setMaximumHeight(lines * spacing + 2 * self.token_input.frameWidth() + 8)
        if self.warnings.count():
            self._fit_warnings()  # wrapped rows change height with the width

    def warning_codes(self) -> list[str]:
        """The codes of the warnings shown (as they read now)."""
        return [code for code, _message in self._shown_warnings] if self.inspection else []
