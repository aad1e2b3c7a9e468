"""The Keys tab: generate a signing key pair, show/copy/save its public half, attach the private half."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.jose.keys import generate_key_pair, jwk_thumbprint, write_key_files
from workbench.core.operations import attach_private_key as attach
from workbench.core.operations import key_slot_status, profiles_taking_key
from workbench.gui.confirm import ask
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import ElidedLabel, pretty_json, text_box

if TYPE_CHECKING:
    from collections.abc import Iterable

    from PySide6.QtWidgets import QMessageBox

    from workbench.core.jose.keys import KeyPair
    from workbench.core.operations import KeySlotStatus
    from workbench.core.profiles.profile import Profile

ALGORITHMS = (
    "ES256",
    "ES384",
    "RS256",
    "EdDSA",
)  # mirrors core.keys.ALGORITHMS without importing cryptography
RSA_SIZES = (2048, 3072, 4096)


def attach_private_key(ctx: Any, profile_name: str, pem: str) -> str:
    """Store ``pem`` in the profile's key slot (checked against its preset's algorithm). Pool thread."""

    return attach(ctx, profile_name, pem).profile


class KeysView(QWidget):
    """Signals:
    generated(object): a KeyPair was generated and is shown.
    attached(str): the private key was stored in this profile's vault entry.
    saved(str): the key files were written into this folder.
    """

    generated = Signal(object)
    attached = Signal(str)
    saved = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.generation = Generation()
        self.pair: KeyPair | None = None
        self.profiles: list[Profile] = []
        self.replace_question: QMessageBox | None = None
        self._build()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        gen_row = QHBoxLayout()
        gen_row.addWidget(QLabel("Algorithm"))
        self.alg = QComboBox()
        self.alg.addItems(list(ALGORITHMS))
        self.alg.setToolTip("ES256 is what True Markets expects")
        self.rsa_bits = QComboBox()
        for bits in RSA_SIZES:
            self.rsa_bits.addItem(f"{bits} bits", bits)
        self.generate_button = QPushButton("Generate key pair")
        # Elided: a long kid must not widen the window (the full text is in the tooltip).
        self.kid_label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)
        self.kid_label.setStyleSheet("color: gray")
        gen_row.addWidget(self.alg)
        gen_row.addWidget(self.rsa_bits)
        self.copy_thumbprint_button = QPushButton("Copy thumbprint")
        self.copy_thumbprint_button.setToolTip("The public key's RFC 7638 thumbprint (SHA-256), its kid")
        gen_row.addWidget(self.generate_button)
        gen_row.addWidget(self.kid_label, 1)
        gen_row.addWidget(self.copy_thumbprint_button)
        outer.addLayout(gen_row)

        # Stacked, each box full width: a PEM line (64 characters) fits without a scroll bar,
        # and the copy button sits beside its text instead of under a mostly empty box.
        keys_col = QVBoxLayout()
        self.public_pem = text_box(read_only=True, placeholder="Generate a key pair to see its public key")
        # A PEM line (64 characters) fits a wide tab; a narrow one wraps it rather than hiding
        # half of it behind a sideways scroll bar. Copy always copies the real lines.
        self.public_pem.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.public_pem.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        line = self.public_pem.fontMetrics().lineSpacing()
        self.public_pem.setMaximumHeight(line * 9 + 12)  # an RSA-2048 PEM; an EC one is 4 lines
        self.copy_pem_button = QPushButton("Copy PEM")
        self.public_jwk = text_box(read_only=True, placeholder="…and its JWK with the RFC 7638 kid")
        # An RSA modulus is one very long JSON string: wrap it rather than scroll sideways.
        self.public_jwk.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.copy_jwk_button = QPushButton("Copy JWK")
        for title, box, button, stretch in (
            ("Public key (PEM)", self.public_pem, self.copy_pem_button, 2),
            ("Public key (JWK)", self.public_jwk, self.copy_jwk_button, 3),
        ):
            group = QGroupBox(title)
            gl = QHBoxLayout(group)
            gl.addWidget(box, 1)
            side = QVBoxLayout()
            side.addWidget(button)
            if button is self.copy_jwk_button:
                # What an OAuth provider registers for private_key_jwt: a JWKS of this one key.
                self.copy_jwks_button = QPushButton("Copy JWKS")
                self.copy_jwks_button.setToolTip('{"keys": [this JWK]}, to register for private_key_jwt')
                side.addWidget(self.copy_jwks_button)
            side.addStretch(1)
            gl.addLayout(side)
            if box is self.public_pem:  # the group no taller than its capped box: no floating box
                frame = group.sizeHint().height() - box.sizeHint().height()
                group.setMaximumHeight(box.maximumHeight() + frame)
            keys_col.addWidget(group, stretch)
        outer.addLayout(keys_col, 1)

        private_box = QGroupBox("Private key")
        # Two short rows instead of one long one: every button keeps its full text in a
        # small window (800 px wide with the sidebar) instead of being clipped.
        vl = QGridLayout(private_box)
        self.save_button = QPushButton("Save to folder…")
        self.save_button.setToolTip("Writes private.pem (mode 0600), public.pem and public.jwk.json")
        self.copy_private_button = QPushButton("Copy private PEM")
        self.profile_combo = QComboBox()
        self.profile_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.profile_combo.setMinimumContentsLength(12)
        self.attach_button = QPushButton("Attach to profile")
        self.attach_button.setToolTip("Store the private key in the profile's vault entry 'private_key'")
        files = QHBoxLayout()
        files.addWidget(self.save_button)
        files.addWidget(self.copy_private_button)
        files.addStretch(1)
        attach = QHBoxLayout()
        attach.addWidget(QLabel("Profile"))
        attach.addWidget(self.profile_combo)
        attach.addWidget(self.attach_button)
        attach.addStretch(1)  # packed to the left, whichever row it is on
        self.profile_combo.setMaximumWidth(320)
        self._private_grid, self._files_row, self._attach_row = vl, files, attach
        self._private_wide: bool | None = None
        self._arrange_private(wide=False)
        outer.addWidget(private_box)

        self.alg.currentTextChanged.connect(self.on_alg_changed)
        self.rsa_bits.currentIndexChanged.connect(self.on_bits_changed)
        self.generate_button.clicked.connect(self.generate)
        self.copy_pem_button.clicked.connect(self.copy_public_pem)
        self.copy_jwk_button.clicked.connect(self.copy_public_jwk)
        self.copy_thumbprint_button.clicked.connect(self.copy_thumbprint)
        self.copy_jwks_button.clicked.connect(self.copy_public_jwks)
        self.copy_private_button.clicked.connect(self.copy_private_pem)
        self.save_button.clicked.connect(self.on_save_clicked)
        self.attach_button.clicked.connect(self.on_attach_clicked)
        self.on_alg_changed(self.alg.currentText())
        self._update_buttons()

    def _arrange_private(self, *, wide: bool) -> None:
        """One row when the tab is wide enough for every button, two rows when it is not."""
        if wide == self._private_wide:
            return
        self._private_wide = wide
        self._private_grid.removeItem(self._files_row)
        self._private_grid.removeItem(self._attach_row)
        self._private_grid.addLayout(self._files_row, 0, 0)
        self._private_grid.addLayout(self._attach_row, 0 if wide else 1, 1 if wide else 0)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        needed = self._files_row.sizeHint().width() + self._attach_row.sizeHint().width() + 60
        self._arrange_private(wide=self.width() >= needed)

    def on_alg_changed(self, alg: str) -> None:
        """Another algorithm: the key shown is not one for it, so it goes (and a generation
        still running for the old one is dropped); Attach lists the profiles that take it."""
        self.rsa_bits.setVisible(alg == "RS256")
        if (self.pair is not None and self.pair.alg != alg) or not self.generate_button.isEnabled():
            self._forget_key()
        self._list_profiles()

    def on_bits_changed(self, _index: int) -> None:
        """Another RSA size: an RSA key of the old size shown goes too."""
        size = getattr(self.pair.private_key, "key_size", None) if self.pair is not None else None
        if (size is not None and size != self.rsa_bits.currentData()) or not self.generate_button.isEnabled():
            self._forget_key()
            self._list_profiles()

    def _forget_key(self) -> None:
        self.generation.next()  # a generation still running for the old choice is dropped
        self.generate_button.setEnabled(True)
        self.pair = None
        self.public_pem.clear()
        self.public_jwk.clear()
        self.kid_label.setText("")

    def set_profiles(self, profiles: Iterable[Profile], selected: str | None = None) -> None:
        self.profiles = list(profiles)
        self._list_profiles(selected)

    def _list_profiles(self, selected: str | None = None) -> None:
        """Only the profiles that take a key of the shown (or chosen) algorithm (core decides)."""
        current = selected or self.profile_combo.currentText()
        alg = self.pair.alg if self.pair is not None else self.alg.currentText()
        names = profiles_taking_key(self.profiles, alg)
        self.profile_combo.clear()
        self.profile_combo.addItems(names)
        if current in names:
            self.profile_combo.setCurrentText(current)
        self.profile_combo.setPlaceholderText(f"no profile takes an {alg} key" if not names else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.pair is not None
        for b in (
            self.copy_pem_button,
            self.copy_jwk_button,
            self.copy_jwks_button,
            self.copy_thumbprint_button,
            self.copy_private_button,
            self.save_button,
        ):
            b.setEnabled(has)
        self.attach_button.setEnabled(has and self.profile_combo.count() > 0)

    # -- generate ---------------------------------------------------------------------------------
    def generate(self) -> None:
        alg = self.alg.currentText()
        bits = int(self.rsa_bits.currentData())
        gen = self.generation.next()
        self.generate_button.setEnabled(False)
        self.kid_label.setText("generating…")

        def job() -> tuple[Any, str, str]:
            pair = generate_key_pair(alg, rsa_bits=bits)
            return pair, pair.public_pem().decode(), pretty_json(pair.public_jwk())

        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda value: self.on_generated(gen, value),
            on_failure=lambda exc: self.on_generate_failed(gen, exc),
        )

    def on_generated(self, gen: int, value: tuple[Any, str, str]) -> None:
        if not self.generation.is_current(gen):
            return
        pair, pem, jwk = value
        self.pair = pair
        self.generate_button.setEnabled(True)
        self.public_pem.setPlainText(pem)
        self.public_jwk.setPlainText(jwk)
        self.kid_label.setText(f"{pair.alg} · kid {json.loads(jwk).get('kid', '?')}")
        self._list_profiles()
        self.generated.emit(pair)

    def on_generate_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        self.generate_button.setEnabled(True)
        self.kid_label.setText("")
        self.services.error_from(exc)

    # -- copy / save / attach ---------------------------------------------------------------------
    def copy_public_pem(self) -> None:
        self.services.clipboard.copy_plain(self.public_pem.toPlainText(), "public key (PEM)")

    def copy_public_jwk(self) -> None:
        self.services.clipboard.copy_plain(self.public_jwk.toPlainText(), "public key (JWK)")

    def copy_thumbprint(self) -> None:
        if self.pair is not None:
            thumbprint = jwk_thumbprint(self.pair.public_jwk())
            self.services.clipboard.copy_plain(thumbprint, "RFC 7638 thumbprint")

    def copy_public_jwks(self) -> None:
        jwk = json.loads(self.public_jwk.toPlainText())
        self.services.clipboard.copy_plain(json.dumps({"keys": [jwk]}, indent=2), "public key (JWKS)")

    def copy_private_pem(self) -> None:
        if self.pair is not None:
            self.services.clipboard.copy_secret(self.pair.private_pem().decode(), "private key")

    def on_save_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save key files to folder")
        if folder:
            self.save_to(Path(folder))

    def save_to(self, folder: Path) -> None:
        if self.pair is None:
            return
        pair = self.pair

        def job() -> str:
            written = write_key_files(pair, folder)
            return ", ".join(p.name for p in written.values())

        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda names: self.on_saved(str(folder), names),
            on_failure=self.services.error_from,
        )

    def on_saved(self, folder: str, names: str) -> None:
        self.services.show_status(f"Wrote {names} to {folder}")
        self.saved.emit(folder)

    def on_attach_clicked(self) -> None:
        name = self.profile_combo.currentText()
        if name:
            self.attach_to(name)

    def attach_to(self, profile_name: str) -> None:
        """Check the profile's key slot on the pool first: replacing a working key asks."""
        ctx = self.services.ctx
        if self.pair is None or ctx is None:
            return

        self.attach_button.setEnabled(False)
        pem = self.pair.private_pem().decode()
        self.services.runner.start(
            key_slot_status,
            ctx,
            profile_name,
            pem,
            owner=self,
            on_success=lambda status: self.on_slot_checked(profile_name, pem, status),
            on_failure=self.on_attach_failed,
        )

    def on_slot_checked(self, profile_name: str, pem: str, status: KeySlotStatus) -> None:
        if not status.has_working_key:
            self._attach_now(profile_name, pem)
            return

        self._update_buttons()
        self.replace_question = ask(
            self,
            title="Replace the profile's key",
            text=f"Profile '{profile_name}' already has a working key ({status.stored_key}).",
            detail=(
                "Replacing it means the provider must know the new public key before the next "
                "Mint; the old private key is deleted from the keychain."
            ),
            confirm="Replace the key",
            on_confirm=lambda: self._attach_now(profile_name, pem),
        )

    def _attach_now(self, profile_name: str, pem: str) -> None:
        ctx = self.services.ctx
        if ctx is None:
            return
        self.attach_button.setEnabled(False)
        self.services.runner.start(
            attach_private_key,
            ctx,
            profile_name,
            pem,
            owner=self,
            on_success=self.on_attached,
            on_failure=self.on_attach_failed,
        )

    def on_attached(self, profile_name: str) -> None:
        self._update_buttons()
        self.services.show_status(f"Private key stored in the vault for {profile_name} (private_key)")
        self.attached.emit(profile_name)

    def on_attach_failed(self, exc: BaseException) -> None:
        self._update_buttons()
        self.services.error_from(exc)
