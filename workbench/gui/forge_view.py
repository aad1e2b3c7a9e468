"""The Inspector's editable mode (as jwt.io): edit the header and payload, pick a key, re-sign live.

The panel gathers input and shows results; signing is one core operation
(`operations.resign_edited`, the one `workbench jwt sign` shares its signer with), run on
the worker pool because a profile's or the keychain's key is read from the vault. The JSON
is checked as the user types (`forge.parse_json_object`, pure and cheap) and a token is
signed only from valid JSON, a quarter second after the last keystroke; a result from a
superseded edit is dropped (generation counter).

``alg: none`` is refused unless "Allow alg none" is ticked, and ticking it shows a red
warning for as long as it stays ticked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import WorkbenchError, user_message
from workbench.core.jose.forge import decode_secret, parse_json_object, with_claim
from workbench.core.jose.inspect import decode_unverified
from workbench.core.operations.forge import (
    KeyChoice,
    generate_keychain_key,
    keychain_key_names,
    resign_edited,
)
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, JwtHighlighter, monospace_font, pretty_json, refill, text_box

if TYPE_CHECKING:
    from workbench.core.operations.forge import KeyGenerated, Signed

# (label, kind): where the signing key comes from.
KEY_SOURCES = (
    ("Secret (HMAC)", "secret"),
    ("Pasted PEM / JWK", "pasted"),
    ("Profile key", "profile"),
    ("Keychain key", "keychain"),
)
NEW_KEY_ALGS = ("ES256", "ES384", "RS256", "EdDSA")  # what the key generator makes (core.jose.keys)
DEBOUNCE_MS = 250
DEFAULT_HEADER = {"alg": "HS256", "typ": "JWT"}
DEFAULT_PAYLOAD = {"sub": "1234567890", "name": "Test User"}


class ForgePanel(QWidget):
    """Signals:
    signed(object): a `Signed` result is shown (the new token).
    inspect_requested(str): the user asked to inspect the signed token.
    """

    signed = Signal(object)
    inspect_requested = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.generation = Generation()
        self.keychain_generation = Generation()
        self.token = ""
        self.header_error: str | None = None
        self.payload_error: str | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.resign)
        self._build()
        self.header_edit.setPlainText(pretty_json(DEFAULT_HEADER))
        self.payload_edit.setPlainText(pretty_json(DEFAULT_PAYLOAD))

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        editors = QSplitter(Qt.Orientation.Horizontal)
        self.header_edit = text_box(read_only=False)
        self.payload_edit = text_box(read_only=False)
        self.header_status = QLabel()
        self.payload_status = QLabel()
        for title, box, status in (
            ("Header (JSON)", self.header_edit, self.header_status),
            ("Payload (JSON)", self.payload_edit, self.payload_status),
        ):
            w = QWidget()
            bl = QVBoxLayout(w)
            bl.setContentsMargins(0, 0, 0, 0)
            bl.addWidget(QLabel(title))
            bl.addWidget(box, 1)
            status.setWordWrap(True)
            bl.addWidget(status)
            editors.addWidget(w)
        editors.setStretchFactor(0, 1)
        editors.setStretchFactor(1, 2)
        outer.addWidget(editors, 1)

        claim_row = QHBoxLayout()
        claim_row.addWidget(QLabel("Change one claim"))
        self.claim_line = QLineEdit()
        self.claim_line.setFont(monospace_font())
        self.claim_line.setPlaceholderText('name=value (typed: 42, true, null, ["a"], "text")')
        self.claim_button = QPushButton("Set && re-sign")
        claim_row.addWidget(self.claim_line, 1)
        claim_row.addWidget(self.claim_button)
        outer.addLayout(claim_row)

        keys = QGridLayout()
        self.key_source = QComboBox()
        for label, kind in KEY_SOURCES:
            self.key_source.addItem(label, kind)
        self.key_stack = QStackedWidget()
        # Secret, with a base64 toggle; hidden unless shown on request.
        self.secret_line = QLineEdit()
        self.secret_line.setFont(monospace_font())
        self.secret_line.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_line.setPlaceholderText("HMAC secret (hidden)")
        self.secret_base64 = QCheckBox("base64")
        self.secret_base64.setToolTip("The secret is base64 (or base64url) encoded bytes")
        self.reveal_button = QPushButton("Show")
        self.reveal_button.setCheckable(True)
        secret_page = QWidget()
        sl = QHBoxLayout(secret_page)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.secret_line, 1)
        sl.addWidget(self.secret_base64)
        sl.addWidget(self.reveal_button)
        self.secret_page = secret_page
        self.pasted_key = text_box(
            read_only=False, placeholder="-----BEGIN PRIVATE KEY-----…  or a private JWK"
        )
        self.pasted_key.setFixedHeight(64)
        self.profile_combo = QComboBox()
        self.profile_combo.setToolTip("Signs with the key in this profile's key slot")
        keychain_page = QWidget()
        kl = QHBoxLayout(keychain_page)
        kl.setContentsMargins(0, 0, 0, 0)
        self.keychain_combo = QComboBox()
        self.keychain_combo.setMinimumContentsLength(12)
        self.new_key_alg = QComboBox()
        self.new_key_alg.addItems(list(NEW_KEY_ALGS))
        self.new_key_name = QLineEdit()
        self.new_key_name.setPlaceholderText("new key name")
        self.generate_button = QPushButton("Generate into keychain")
        kl.addWidget(self.keychain_combo, 1)
        kl.addWidget(self.new_key_alg)
        kl.addWidget(self.new_key_name)
        kl.addWidget(self.generate_button)
        self.keychain_page = keychain_page
        for page in (self.secret_page, self.pasted_key, self.profile_combo, self.keychain_page):
            self.key_stack.addWidget(page)
        keys.addWidget(QLabel("Key"), 0, 0)
        keys.addWidget(self.key_source, 0, 1)
        keys.addWidget(self.key_stack, 0, 2)
        keys.setColumnStretch(2, 1)
        outer.addLayout(keys)

        options = QHBoxLayout()
        self.allow_weak = QCheckBox("Allow a short HMAC secret")
        self.allow_none = QCheckBox("Allow alg none (unsigned)")
        self.none_warning = QLabel(
            "⚠ alg none makes an UNSIGNED token: any API must refuse it. Use it only to test that yours does."
        )
        self.none_warning.setWordWrap(True)
        self.none_warning.setStyleSheet(f"color: {STATE_COLORS['expired']}; font-weight: bold")
        self.none_warning.setVisible(False)
        options.addWidget(self.allow_weak)
        options.addWidget(self.allow_none)
        options.addStretch(1)
        outer.addLayout(options)
        outer.addWidget(self.none_warning)

        self.token_box = text_box(read_only=True)
        self.token_box.setMaximumHeight(84)
        self.token_box.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.highlighter = JwtHighlighter(self.token_box.document())
        outer.addWidget(self.token_box)
        bottom = QHBoxLayout()
        self.status_label = QLabel("edit the header or payload, pick a key")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy token")
        self.copy_button.setEnabled(False)
        self.inspect_button = QPushButton("Inspect this token")
        self.inspect_button.setEnabled(False)
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.inspect_button)
        bottom.addWidget(self.copy_button)
        outer.addLayout(bottom)

        self.header_edit.textChanged.connect(self.on_edited)
        self.payload_edit.textChanged.connect(self.on_edited)
        self.key_source.currentIndexChanged.connect(self.on_key_source_changed)
        self.secret_line.textChanged.connect(self.on_edited)
        self.secret_base64.toggled.connect(self.on_edited)
        self.pasted_key.textChanged.connect(self.on_edited)
        self.profile_combo.currentIndexChanged.connect(self.on_edited)
        self.keychain_combo.currentIndexChanged.connect(self.on_edited)
        self.allow_weak.toggled.connect(self.on_edited)
        self.allow_none.toggled.connect(self.on_allow_none_toggled)
        self.reveal_button.toggled.connect(self.on_reveal_toggled)
        self.claim_button.clicked.connect(self.set_claim)
        self.claim_line.returnPressed.connect(self.set_claim)
        self.copy_button.clicked.connect(self.copy_token)
        self.inspect_button.clicked.connect(self.on_inspect_clicked)
        self.generate_button.clicked.connect(self.generate_keychain_key)
        self.on_key_source_changed()

    # -- inputs -----------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh_key_lists()

    def refresh_key_lists(self) -> None:
        """Profiles (from their files) and keychain keys (from the vault, on the worker pool)."""
        ctx = self.services.ctx
        if ctx is None:
            return
        refill(self.profile_combo, ctx.profiles.names(), self.profile_combo.currentText())

        gen = self.keychain_generation.next()
        self.services.runner.start(
            keychain_key_names,
            ctx.vault,
            owner=self,
            on_success=lambda names: self.on_keychain_names(gen, names),
            on_failure=lambda exc: None,  # no keychain: the list stays empty, signing says why
        )

    def on_keychain_names(self, gen: int, names: tuple[str, ...], select: str | None = None) -> None:
        if not self.keychain_generation.is_current(gen):
            return
        refill(self.keychain_combo, names, select or self.keychain_combo.currentText())
        self.on_edited()

    def on_key_source_changed(self, _index: int = 0) -> None:
        kind = self.key_source.currentData()
        pages = {
            "secret": self.secret_page,
            "pasted": self.pasted_key,
            "profile": self.profile_combo,
            "keychain": self.keychain_page,
        }
        if kind != "secret":
            self.reveal_button.setChecked(False)
        self.key_stack.setCurrentWidget(pages[kind])
        self.key_stack.setFixedHeight(64 if kind == "pasted" else self.secret_line.sizeHint().height() + 8)
        self.on_edited()

    def on_reveal_toggled(self, shown: bool) -> None:
        self.secret_line.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal_button.setText("Hide" if shown else "Show")

    def on_allow_none_toggled(self, ticked: bool) -> None:
        self.none_warning.setVisible(ticked)
        self.on_edited()

    def load_token(self, token: str) -> None:
        """Start from a decoded token ("Change one claim and re-sign"): its header and payload."""

        try:
            header, payload = decode_unverified(token)
        except WorkbenchError as exc:
            self._show_status(f"✗ {user_message(exc)}", error=True)
            return
        self.header_edit.setPlainText(pretty_json(header))
        self.payload_edit.setPlainText(pretty_json(payload))
        alg = header.get("alg")
        if isinstance(alg, str) and alg.startswith("HS"):
            self.key_source.setCurrentIndex(self.key_source.findData("secret"))
        self.claim_line.setFocus()

    def set_claim(self) -> None:
        """Set the claim typed as name=value in the payload; the edit re-signs the token."""

        try:
            payload = parse_json_object(self.payload_edit.toPlainText(), what="payload")
            changed = with_claim(payload, self.claim_line.text())
        except WorkbenchError as exc:
            self._show_status(f"✗ {user_message(exc)}", error=True)
            return
        self.payload_edit.setPlainText(pretty_json(changed))
        self.claim_line.clear()

    # -- validation and signing ---------------------------------------------------------------------
    def on_edited(self) -> None:
        self.validate()
        self._debounce.start()

    def validate(self) -> bool:
        """Check both editors as the user types; each shows its own one-line verdict."""

        ok = True
        for attr, box, label, what in (
            ("header_error", self.header_edit, self.header_status, "header"),
            ("payload_error", self.payload_edit, self.payload_status, "payload"),
        ):
            try:
                parse_json_object(box.toPlainText(), what=what)
                setattr(self, attr, None)
                label.setText("✓ valid JSON")
                label.setStyleSheet(f"color: {STATE_COLORS['valid']}")
            except WorkbenchError as exc:
                ok = False
                setattr(self, attr, user_message(exc))
                label.setText(f"✗ {user_message(exc)}")
                label.setStyleSheet(f"color: {STATE_COLORS['error']}")
        return ok

    def key_choice(self) -> KeyChoice:
        """What the key picker says, as the core's KeyChoice (InputError for a bad base64 secret)."""

        kind = self.key_source.currentData()
        if kind == "secret":
            text = self.secret_line.text()
            return KeyChoice(
                secret=decode_secret(text, base64=self.secret_base64.isChecked()) if text else None
            )
        if kind == "pasted":
            text = self.pasted_key.toPlainText()
            return KeyChoice(text=text, source="the pasted key") if text.strip() else KeyChoice()
        if kind == "profile":
            name = self.profile_combo.currentText()
            return KeyChoice(profile=name) if name else KeyChoice()
        name = self.keychain_combo.currentText()
        return KeyChoice(keychain=name) if name else KeyChoice()

    def resign(self) -> None:
        gen = self.generation.next()
        ctx = self.services.ctx
        if ctx is None or not self.validate():
            self._clear_token()
            return
        try:
            choice = self.key_choice()
        except WorkbenchError as exc:
            self._clear_token()
            self._show_status(f"✗ {user_message(exc)}", error=True)
            return
        if not choice.given() and not self._header_says_none():
            self._clear_token()
            self._show_status("pick a key to sign with")
            return
        self._show_status("signing…")
        self.services.runner.start(
            resign_edited,
            ctx,
            self.header_edit.toPlainText(),
            self.payload_edit.toPlainText(),
            choice,
            allow_weak=self.allow_weak.isChecked(),
            allow_none=self.allow_none.isChecked(),
            owner=self,
            on_success=lambda result: self.on_signed(gen, result),
            on_failure=lambda exc: self.on_sign_failed(gen, exc),
        )

    def _header_says_none(self) -> bool:
        try:
            return parse_json_object(self.header_edit.toPlainText(), what="header").get("alg") == "none"
        except WorkbenchError:  # validate() has already said what is wrong with it
            return False

    def on_signed(self, gen: int, result: Signed) -> None:
        if not self.generation.is_current(gen):
            return
        self.token = result.forged.token
        self.token_box.setPlainText(self.token)
        self.copy_button.setEnabled(True)
        self.inspect_button.setEnabled(True)
        alg = result.forged.header.get("alg")
        how = f"signed {alg} with the {result.key_label}" if result.key_label else "UNSIGNED (alg none)"
        warnings = "; ".join(result.forged.warnings)
        self._show_status(f"✓ {how}" + (f" — warning: {warnings}" if warnings else ""), error=alg == "none")
        self.signed.emit(result)

    def on_sign_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        self._clear_token()
        # Shown beside the editor, not in the window's banner: it changes with every keystroke.
        self._show_status(f"✗ {user_message(exc)}", error=True)

    def _clear_token(self) -> None:
        self.token = ""
        self.token_box.clear()
        self.copy_button.setEnabled(False)
        self.inspect_button.setEnabled(False)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {STATE_COLORS['error']}" if error else "")

    # -- actions ----------------------------------------------------------------------------------
    def copy_token(self) -> None:
        if self.token:
            self.services.clipboard.copy_secret(self.token, "token")

    def on_inspect_clicked(self) -> None:
        if self.token:
            self.inspect_requested.emit(self.token)

    def generate_keychain_key(self) -> None:
        ctx = self.services.ctx
        name = self.new_key_name.text().strip()
        if ctx is None:
            return
        if not name:
            self._show_status("✗ name the new key first", error=True)
            return
        self.generate_button.setEnabled(False)
        self.services.runner.start(
            generate_keychain_key,
            ctx.vault,
            name,
            self.new_key_alg.currentText(),
            owner=self,
            on_success=self.on_key_generated,
            on_failure=self.on_generate_failed,
        )

    def on_key_generated(self, made: KeyGenerated) -> None:
        self.generate_button.setEnabled(True)
        self.new_key_name.clear()
        self.services.show_status(f"generated {made.alg} key '{made.name}' (kid {made.public_jwk['kid']})")
        ctx = self.services.ctx
        if ctx is None:
            return
        gen = self.keychain_generation.next()
        self.services.runner.start(
            keychain_key_names,
            ctx.vault,
            owner=self,
            on_success=lambda names: self.on_keychain_names(gen, names, select=made.name),
            on_failure=lambda exc: None,
        )

    def on_generate_failed(self, exc: BaseException) -> None:
        self.generate_button.setEnabled(True)
        self.services.error_from(exc)
