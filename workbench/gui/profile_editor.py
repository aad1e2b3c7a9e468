"""The profile editor: create a profile from a preset, or edit its base URL, vars and secrets.

The inputs form is generated from ``preset.inputs``. Secret values go to the vault
(on the pool) and are never shown unless the user presses "Reveal"; each secret
says whether a value is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, ErrorBanner, monospace_font

if TYPE_CHECKING:
    from workbench.core.presets import Preset, PresetInput
    from workbench.core.profiles import Profile

STORED = "stored ✓"
NOT_SET = "not set"


PLACEHOLDER_NEW = "kept in the keychain"
PLACEHOLDER_NEW_MULTILINE = "paste, or load from a file"
PLACEHOLDER_KEEP = "leave empty to keep the stored value"
PLACEHOLDER_KEEP_MULTILINE = "paste, or load from a file; leave empty to keep the stored value"


class SecretField(QWidget):
    """One secret input: a masked editor, its stored/not-set status, and a Reveal button."""

    reveal_requested = Signal(str)

    def __init__(self, spec: PresetInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.name = spec.name
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.editor: QLineEdit | QPlainTextEdit
        if spec.multiline:
            box = QPlainTextEdit()
            box.setFont(monospace_font())
            box.setPlaceholderText(PLACEHOLDER_NEW_MULTILINE)
            box.setFixedHeight(80)
            self.editor = box
        else:
            line = QLineEdit()
            line.setEchoMode(QLineEdit.EchoMode.Password)
            line.setPlaceholderText(PLACEHOLDER_NEW)
            self.editor = line
        self.editor.setObjectName(f"secret_{spec.name}")
        layout.addWidget(self.editor, 1, Qt.AlignmentFlag.AlignTop)
        # Keep the row as tall as its content: a form must not spread a PEM box over spare space.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        side = QVBoxLayout()
        self.status = QLabel(NOT_SET)
        self.status.setObjectName(f"status_{spec.name}")
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setEnabled(False)
        self.reveal_button.setToolTip("Load the stored value from the vault and show it")
        self.reveal_button.clicked.connect(self.on_reveal_clicked)
        side.addWidget(self.status)
        side.addWidget(self.reveal_button)
        if spec.multiline:
            self.file_button = QPushButton("From file…")
            self.file_button.clicked.connect(self.on_file_clicked)
            side.addWidget(self.file_button)
        side.addStretch(1)
        layout.addLayout(side)
        self.stored = False

    def value(self) -> str:
        if isinstance(self.editor, QLineEdit):
            return self.editor.text()
        return self.editor.toPlainText()

    def set_value(self, text: str) -> None:
        if isinstance(self.editor, QLineEdit):
            self.editor.setText(text)
        else:
            self.editor.setPlainText(text)

    def set_stored(self, stored: bool | None) -> None:
        self.stored = bool(stored)
        if stored is None:
            self.status.setText("checking…")
            self.status.setStyleSheet("color: gray")
        else:
            self.status.setText(STORED if stored else NOT_SET)
            self.status.setStyleSheet(f"color: {STATE_COLORS['valid'] if stored else 'gray'}")
        self.reveal_button.setEnabled(bool(stored))
        # "Leave empty to keep" only makes sense when there is something to keep.
        multiline = not isinstance(self.editor, QLineEdit)
        if stored:
            text = PLACEHOLDER_KEEP_MULTILINE if multiline else PLACEHOLDER_KEEP
        else:
            text = PLACEHOLDER_NEW_MULTILINE if multiline else PLACEHOLDER_NEW
        self.editor.setPlaceholderText(text)

    def show_revealed(self, value: str | None) -> None:
        self.set_value(value or "")
        if isinstance(self.editor, QLineEdit):
            self.editor.setEchoMode(QLineEdit.EchoMode.Normal)
        self.reveal_button.setEnabled(False)

    def on_reveal_clicked(self) -> None:
        self.reveal_requested.emit(self.name)

    def on_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Load {self.spec.label}")
        if path:
            try:
                self.set_value(Path(path).read_text())
            except (OSError, UnicodeDecodeError) as exc:
                self.status.setText(f"cannot read: {exc.__class__.__name__}")


def save_profile(
    ctx: Any,
    *,
    name: str,
    preset: str,
    base_url: str,
    vars: dict[str, str],
    secrets: dict[str, str],
    existing: Profile | None,
) -> str:
    """Create or update the profile with its secrets through the core operations. Runs on the pool."""
    from workbench.core import operations

    if existing is None:
        created = operations.create_profile(
            ctx, name, preset=preset, base_url=base_url, vars=vars, secrets=secrets
        )
        return created.name
    updated = operations.update_profile(
        ctx,
        existing.name,
        base_url=base_url,
        vars=vars,
        unset_vars=[k for k in existing.vars if k not in vars],
        secrets=secrets,
    )
    return updated.name


class ProfileEditor(QDialog):
    """Create (``profile=None``) or edit a profile.

    Signals:
        saved(str): the profile was written (its name).
    """

    saved = Signal(str)

    def __init__(
        self,
        services: Services,
        profile: Profile | None = None,
        parent: QWidget | None = None,
        preset_name: str | None = None,
    ) -> None:
        super().__init__(parent)
        assert services.ctx is not None
        self.services = services
        self.ctx = services.ctx
        self.profile = profile
        self.generation = Generation()
        self.var_fields: dict[str, QLineEdit] = {}
        self.secret_fields: dict[str, SecretField] = {}
        self.setWindowTitle(f"Edit profile {profile.name}" if profile else "New profile")
        self.setMinimumWidth(560)
        self._build(preset_name)

    def _build(self, preset_name: str | None) -> None:
        outer = QVBoxLayout(self)
        self.banner = ErrorBanner()
        outer.addWidget(self.banner)
        top = QFormLayout()
        self.name_edit = QLineEdit(self.profile.name if self.profile else "")
        self.name_edit.setPlaceholderText("letters, digits, . _ - (e.g. tm-uat)")
        self.name_edit.setReadOnly(self.profile is not None)
        self.preset_combo = QComboBox()
        for name in self.ctx.presets.names():
            self.preset_combo.addItem(f"{self.ctx.presets.get(name).title}  ({name})", name)
        self.preset_combo.setEnabled(self.profile is None)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: gray")
        self.base_url = QLineEdit(self.profile.base_url if self.profile else "")
        self.base_url.setFont(monospace_font())
        top.addRow("Name", self.name_edit)
        top.addRow("Preset", self.preset_combo)
        top.addRow("", self.summary)
        top.addRow("Base URL", self.base_url)
        outer.addLayout(top)

        self.inputs_box = QGroupBox("Inputs")
        self.inputs_layout = QVBoxLayout(self.inputs_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.inputs_box)
        outer.addWidget(scroll, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        initial = self.profile.preset_name if self.profile else preset_name
        if initial:
            index = self.preset_combo.findData(initial)
            if index >= 0:
                self.preset_combo.setCurrentIndex(index)
        self.preset_combo.currentIndexChanged.connect(self.on_preset_changed)
        self.on_preset_changed()

    @property
    def preset(self) -> Preset:
        if self.profile is not None:
            return self.profile.preset
        return self.ctx.presets.get(self.preset_combo.currentData())

    def select_preset(self, name: str) -> None:
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(name))

    def on_preset_changed(self, _index: int = 0) -> None:
        preset = self.preset
        self.summary.setText(preset.summary)
        self.base_url.setPlaceholderText(preset.base_url_example)
        # Rebuild the inputs form from the preset.
        old = self.inputs_box.layout().itemAt(0)
        if old is not None and old.widget() is not None:
            old.widget().deleteLater()
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.var_fields.clear()
        self.secret_fields.clear()
        for spec in preset.inputs:
            label = spec.label + ("" if spec.required else " (optional)")
            if spec.kind == "var":
                line = QLineEdit()
                line.setObjectName(f"var_{spec.name}")
                current = self.profile.vars.get(spec.name) if self.profile else None
                line.setText(current if current is not None else (spec.default or ""))
                if spec.help:
                    line.setToolTip(spec.help)
                self.var_fields[spec.name] = line
                form.addRow(label, line)
            else:
                field = SecretField(spec)
                if spec.help:
                    field.editor.setToolTip(spec.help)
                field.reveal_requested.connect(self.on_reveal_requested)
                self.secret_fields[spec.name] = field
                form.addRow(label, field)
            if spec.help:
                hint = QLabel(spec.help)
                hint.setWordWrap(True)
                hint.setStyleSheet("color: gray")
                form.addRow("", hint)
        self.inputs_layout.addWidget(form_widget)
        self.inputs_box.setTitle(f"Inputs for {preset.title}")
        self._check_stored()

    # -- vault status / reveal (pool) -------------------------------------------------------------
    def _check_stored(self) -> None:
        if self.profile is None:
            for field in self.secret_fields.values():
                field.set_stored(False)
            return
        for field in self.secret_fields.values():
            field.set_stored(None)
        vault, name, names = self.ctx.vault, self.profile.name, list(self.secret_fields)
        gen = self.generation.next()
        self.services.runner.start(
            lambda: {n: vault.has(name, n) for n in names},
            owner=self,
            on_success=lambda result: self.on_stored_checked(gen, result),
            on_failure=self.on_vault_failed,
        )

    def on_stored_checked(self, gen: int, result: dict[str, bool]) -> None:
        if not self.generation.is_current(gen):
            return
        for n, stored in result.items():
            if n in self.secret_fields:
                self.secret_fields[n].set_stored(stored)

    def on_vault_failed(self, exc: BaseException) -> None:
        from workbench.core.errors import user_message

        self.banner.show_message(user_message(exc))

    def on_reveal_requested(self, secret: str) -> None:
        if self.profile is None:
            return
        vault, name = self.ctx.vault, self.profile.name
        self.services.runner.start(
            vault.load,
            name,
            secret,
            owner=self,
            on_success=lambda value: self.on_revealed(secret, value),
            on_failure=self.on_vault_failed,
        )

    def on_revealed(self, secret: str, value: str | None) -> None:
        field = self.secret_fields.get(secret)
        if field is not None:
            field.show_revealed(value)

    # -- save -------------------------------------------------------------------------------------
    def collect(self) -> tuple[dict[str, str], dict[str, str]]:
        # Vars the form does not know (added by hand to the profile file) are kept as they are.
        kept = {
            k: v for k, v in (self.profile.vars if self.profile else {}).items() if k not in self.var_fields
        }
        vars_ = kept | {k: f.text().strip() for k, f in self.var_fields.items() if f.text().strip()}
        secrets = {k: f.value() for k, f in self.secret_fields.items() if f.value().strip()}
        return vars_, secrets

    def validate(self) -> str | None:
        name = self.name_edit.text().strip()
        if not name:
            return "Give the profile a name."
        if not self.base_url.text().strip():
            return f"Enter the base URL (e.g. {self.preset.base_url_example})."
        vars_, secrets = self.collect()
        for spec in self.preset.inputs:
            if not spec.required:
                continue
            if spec.kind == "var" and spec.name not in vars_:
                return f"'{spec.label}' is required."
            if (
                spec.kind == "secret"
                and spec.name not in secrets
                and not self.secret_fields[spec.name].stored
            ):
                return f"'{spec.label}' is required (it is not stored yet)."
        return None

    def save(self) -> None:
        problem = self.validate()
        if problem:
            self.banner.show_message(problem)
            return
        self.banner.dismiss()
        vars_, secrets = self.collect()
        self.buttons.setEnabled(False)
        self.services.runner.start(
            save_profile,
            self.ctx,
            name=self.name_edit.text().strip(),
            preset=self.preset.name,
            base_url=self.base_url.text().strip(),
            vars=vars_,
            secrets=secrets,
            existing=self.profile,
            owner=self,
            on_success=self.on_saved,
            on_failure=self.on_save_failed,
        )

    def on_saved(self, name: str) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(name)
        self.accept()

    def on_save_failed(self, exc: BaseException) -> None:
        from workbench.core.errors import user_message

        self.buttons.setEnabled(True)
        self.banner.show_message(user_message(exc))
