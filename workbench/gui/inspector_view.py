"""The Inspector tab: decode any JWT, list its claims and warnings, verify its signature."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, monospace_font, pretty_json, text_box

if TYPE_CHECKING:
    from workbench.core.jwtinspect import Inspection

# (label, VerificationKey kind); "none" decodes only.
KEY_KINDS = (
    ("No key (decode only)", "none"),
    ("Secret (HMAC)", "secret"),
    ("PEM public key", "pem"),
    ("JWK", "jwk"),
    ("JWKS URL", "jwks"),
)
KEY_TEXT_HEIGHT = 64
MAX_WARNING_ROWS = 4
_TIME_CLAIMS = {"exp": "expires", "iat": "issued", "nbf": "not before", "auth_time": "authenticated"}
_CLAIM_NAMES = {
    "iss": "issuer",
    "sub": "subject",
    "aud": "audience",
    "jti": "token id",
    "scope": "scope",
    "azp": "authorised party",
    "client_id": "client",
}


def run_inspection(
    token: str, kind: str, key_text: str, *, now: float, timeout: float, verify_tls: bool
) -> Inspection:
    """Build the key (fetching a JWKS if asked) and inspect; runs on the pool."""
    from workbench.core.jwtinspect import VerificationKey, fetch_jwks, inspect_token

    key = None
    if kind != "none":
        if not key_text.strip():
            from workbench.core.errors import InputError

            raise InputError(
                f"no {kind.upper() if kind != 'secret' else 'secret'} given: paste one to verify"
            )
        if kind == "secret":
            key = VerificationKey.from_secret(key_text)
        elif kind == "pem":
            key = VerificationKey.from_pem(key_text)
        elif kind == "jwk":
            key = VerificationKey.from_jwk(key_text)
        else:
            key = fetch_jwks(key_text.strip(), timeout=timeout, verify_tls=verify_tls)
    return inspect_token(token.strip(), key=key, now=now)


class InspectorView(QWidget):
    """Signals:
    inspected(object): an Inspection shown (for tests and the status bar).
    """

    inspected = Signal(object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.generation = Generation()
        self.inspection: Inspection | None = None
        self.current_token_getter: Any = None  # set by the window: () -> str | None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.inspect)
        self._build()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Token"))
        top.addStretch(1)
        self.current_button = QPushButton("Inspect current")
        self.current_button.setToolTip("The selected profile's access token")
        self.clear_button = QPushButton("Clear")
        top.addWidget(self.current_button)
        top.addWidget(self.clear_button)
        outer.addLayout(top)
        self.token_input = text_box(read_only=False, placeholder="Paste a JWT (eyJ…) here")
        self.token_input.setMaximumHeight(90)
        outer.addWidget(self.token_input)

        verify = QGroupBox("Verify signature")
        vl = QGridLayout(verify)
        self.key_kind = QComboBox()
        for label, kind in KEY_KINDS:
            self.key_kind.addItem(label, kind)
        self.key_stack = QStackedWidget()
        self.key_line = QLineEdit()  # secret / JWKS URL
        self.key_line.setFont(monospace_font())
        self.key_text = text_box(read_only=False)  # PEM / JWK
        self.key_text.setFixedHeight(KEY_TEXT_HEIGHT)
        self.no_key_hint = QLabel("Decode only. Pick a secret, PEM, JWK or JWKS URL to check the signature.")
        self.no_key_hint.setEnabled(False)  # greyed in any palette
        self.key_stack.addWidget(self.no_key_hint)
        self.key_stack.addWidget(self.key_line)
        self.key_stack.addWidget(self.key_text)
        self.verify_button = QPushButton("Verify")
        self.result_label = QLabel("not verified")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top_aligned = Qt.AlignmentFlag.AlignTop
        vl.addWidget(self.key_kind, 0, 0, top_aligned)
        vl.addWidget(self.key_stack, 0, 1)
        vl.addWidget(self.verify_button, 0, 2, top_aligned)
        vl.addWidget(self.result_label, 1, 0, 1, 3)
        vl.setColumnStretch(1, 1)
        verify.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        outer.addWidget(verify)

        # Full width and wrapped, so a long warning is read, not clipped.
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        self.warnings.setResizeMode(QListView.ResizeMode.Adjust)
        self.warnings.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.warnings_title = QLabel("Warnings")
        outer.addWidget(self.warnings_title)
        outer.addWidget(self.warnings)
        self._fit_warnings()

        self.tabs = QTabWidget()
        self.claims = QTreeWidget()
        self.claims.setHeaderLabels(["Claim", "Value", "Meaning"])
        self.claims.setRootIsDecorated(False)
        self.claims.setAlternatingRowColors(True)
        self.claims.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.claims.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.claims.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        json_split = QSplitter(Qt.Orientation.Horizontal)
        self.header_box = text_box(read_only=True)
        self.payload_box = text_box(read_only=True)
        for title, box in (("Header", self.header_box), ("Payload", self.payload_box)):
            w = QWidget()
            wl = QVBoxLayout(w)
            wl.setContentsMargins(0, 0, 0, 0)
            wl.addWidget(QLabel(title))
            wl.addWidget(box)
            json_split.addWidget(w)
        json_split.setStretchFactor(0, 1)
        json_split.setStretchFactor(1, 2)
        self.tabs.addTab(self.claims, "Claims")
        self.tabs.addTab(json_split, "Header && payload")

        outer.addWidget(self.tabs, 1)

        self.key_kind.currentIndexChanged.connect(self.on_key_kind_changed)
        self.token_input.textChanged.connect(self._debounce.start)
        self.verify_button.clicked.connect(self.verify)
        self.current_button.clicked.connect(self.inspect_current)
        self.clear_button.clicked.connect(self.clear)
        self.on_key_kind_changed()

    # -- inputs -----------------------------------------------------------------------------------
    def on_key_kind_changed(self, _index: int = 0) -> None:
        kind = self.key_kind.currentData()
        if kind in ("secret", "jwks"):
            self.key_stack.setCurrentWidget(self.key_line)
            self.key_line.setEchoMode(
                QLineEdit.EchoMode.Password if kind == "secret" else QLineEdit.EchoMode.Normal
            )
            self.key_line.setPlaceholderText(
                "HMAC secret" if kind == "secret" else "https://issuer.example/.well-known/jwks.json"
            )
        elif kind in ("pem", "jwk"):
            self.key_stack.setCurrentWidget(self.key_text)
            self.key_text.setPlaceholderText(
                "-----BEGIN PUBLIC KEY-----…" if kind == "pem" else '{"kty": "EC", "crv": "P-256", …}'
            )
        else:
            self.key_stack.setCurrentWidget(self.no_key_hint)
        # The row is as tall as the visible input: one line, or a few for a pasted key.
        self.key_stack.setFixedHeight(
            KEY_TEXT_HEIGHT if kind in ("pem", "jwk") else self.key_line.sizeHint().height()
        )
        self.verify_button.setEnabled(kind != "none")

    def set_key(self, kind: str, text: str) -> None:
        index = self.key_kind.findData(kind)
        self.key_kind.setCurrentIndex(index)
        if kind in ("secret", "jwks"):
            self.key_line.setText(text)
        elif kind in ("pem", "jwk"):
            self.key_text.setPlainText(text)

    def key_input(self) -> str:
        kind = self.key_kind.currentData()
        if kind in ("secret", "jwks"):
            return self.key_line.text()
        if kind in ("pem", "jwk"):
            return self.key_text.toPlainText()
        return ""

    def set_token(self, token: str) -> None:
        self.token_input.setPlainText(token)
        self._debounce.stop()
        self.inspect()

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

    def verify(self) -> None:
        self._run(self.key_kind.currentData())

    def _run(self, kind: str) -> None:
        token = self.token_input.toPlainText().strip()
        gen = self.generation.next()
        if not token:
            self._show(None)
            return
        ctx = self.services.ctx
        now = ctx.clock.now() if ctx is not None else None
        prefs = self.services.prefs
        if kind != "none":
            self.result_label.setText("verifying…")
            self.result_label.setStyleSheet("")
        self.services.runner.start(
            run_inspection,
            token,
            kind,
            self.key_input(),
            now=now,
            timeout=prefs.request_timeout,
            verify_tls=prefs.verify_tls,
            owner=self,
            on_success=lambda ins: self.on_inspect_succeeded(gen, kind, ins),
            on_failure=lambda exc: self.on_inspect_failed(gen, kind, exc),
        )

    def on_inspect_succeeded(self, gen: int, kind: str, inspection: Inspection) -> None:
        if not self.generation.is_current(gen):
            return
        self._show(inspection, verified_with=kind)
        self.inspected.emit(inspection)

    def on_inspect_failed(self, gen: int, kind: str, exc: BaseException) -> None:
        from workbench.core.errors import TokenFormatError, user_message

        if not self.generation.is_current(gen):
            return
        message = user_message(exc)
        if isinstance(exc, TokenFormatError):
            self._show(None)
            self.result_label.setText(f"✗ {message}")
            self.result_label.setStyleSheet(f"color: {STATE_COLORS['error']}")
            return  # a half-pasted token is not worth a banner
        self.result_label.setText(f"✗ {message}")
        self.result_label.setStyleSheet(f"color: {STATE_COLORS['error']}")
        self.services.show_error(message)

    # -- output -----------------------------------------------------------------------------------
    def _show(self, ins: Inspection | None, verified_with: str = "none") -> None:
        self.inspection = ins
        self.claims.clear()
        self.warnings.clear()
        if ins is None:
            self.header_box.clear()
            self.payload_box.clear()
            self.result_label.setText("not verified")
            self.result_label.setStyleSheet("")
            self._fit_warnings()
            return
        self.header_box.setPlainText(pretty_json(ins.header))
        self.payload_box.setPlainText(
            pretty_json(ins.payload) if isinstance(ins.payload, dict) else str(ins.payload or "")
        )
        now = self.services.ctx.clock.now() if self.services.ctx is not None else None
        for key, value in ins.header.items():
            QTreeWidgetItem(self.claims, [f"header.{key}", _short(value), "header"])
        for key, value in ins.claims.items():
            meaning = _CLAIM_NAMES.get(key, "")
            if key in _TIME_CLAIMS and isinstance(value, int | float):
                stamp = datetime.fromtimestamp(float(value)).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
                rel = _relative(float(value) - now) if now is not None else ""
                meaning = f"{_TIME_CLAIMS[key]} {stamp} ({rel})"
            QTreeWidgetItem(self.claims, [key, _short(value), meaning])
        for warning in ins.warnings:
            item = QListWidgetItem(f"⚠ {warning.message}")
            item.setToolTip(warning.code)
            item.setData(Qt.ItemDataRole.UserRole, warning.code)
            self.warnings.addItem(item)
        if not ins.warnings:
            self.warnings.addItem(QListWidgetItem("No warnings"))
        self._fit_warnings()
        if verified_with == "none" or ins.signature_valid is None:
            self.result_label.setText(f"not verified · alg {ins.alg or 'none'}")
            self.result_label.setStyleSheet("")
        elif ins.signature_valid:
            self.result_label.setText("✓ signature valid")
            self.result_label.setStyleSheet(f"color: {STATE_COLORS['valid']}; font-weight: bold")
        else:
            reason = f": {ins.signature_error}" if ins.signature_error else ""
            self.result_label.setText(f"✗ signature NOT valid{reason}")
            self.result_label.setStyleSheet(f"color: {STATE_COLORS['error']}; font-weight: bold")

    def _fit_warnings(self) -> None:
        """Show every warning without scrolling (up to a handful), and one row when there are none."""
        rows = max(self.warnings.count(), 1)
        self.warnings.doItemsLayout()
        row_heights = [self.warnings.sizeHintForRow(i) for i in range(self.warnings.count())]
        line = self.warnings.fontMetrics().lineSpacing() + 4
        content = sum(h if h > 0 else line for h in row_heights[:MAX_WARNING_ROWS]) or line
        if rows > MAX_WARNING_ROWS:
            content += line // 2  # a half row hints that the list scrolls
        self.warnings.setFixedHeight(content + 2 * self.warnings.frameWidth() + 4)
        count = len(self.warning_codes())
        self.warnings_title.setText(f"Warnings ({count})" if count else "Warnings")

    def warning_codes(self) -> list[str]:
        return [w.code for w in self.inspection.warnings] if self.inspection else []


def _short(value: Any, limit: int = 200) -> str:
    # One line: compact JSON, not the indented form squashed (which leaves runs of spaces).
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _relative(seconds: float) -> str:
    from workbench.core.jwtinspect import humanize_relative

    return humanize_relative(seconds)
