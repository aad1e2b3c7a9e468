"""The profile editor: create a profile from a preset, or edit its base URL, timeout, vars and secrets.

The inputs form is generated from ``preset.inputs``. Secret values go to the vault
(on the pool) and are never shown unless the user presses "Reveal"; each secret
says whether a value is stored.

Every field is checked as the user types, all at once: a field with a problem is outlined
and says what is wrong under it, in the words on the form ("Base URL must start with
https://"), never the file's key names. Save shows every remaining problem together and
goes through the core operations (`operations.create_profile` / `update_profile`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.core import operations
from workbench.core.errors import ProfileError, user_message
from workbench.core.jose.x509 import CLIENT_CERT_SECRET
from workbench.core.net.origins import crosses_network_unencrypted
from workbench.core.profiles.profile import validate_base_url, validate_profile_name
from workbench.gui.client_cert_field import ClientCertField
from workbench.gui.confirm import ask
from workbench.gui.login_discovery import add_discovery_row
from workbench.gui.profile_fields import (  # noqa: F401 - LABEL_WIDTH, NOT_SET, STORED: re-exported
    LABEL_WIDTH,
    NOT_SET,
    STORED,
    FieldRow,
    SecretField,
    form_label,
    read_secret_file,
)
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, ErrorBanner, monospace_font

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from workbench.core.context import AppContext
    from workbench.core.profiles.presets import Preset
    from workbench.core.profiles.profile import Profile


def save_profile(
    ctx: AppContext,
    *,
    name: str,
    preset: str,
    base_url: str,
    vars: dict[str, str],
    secrets: dict[str, str],
    existing: Profile | None,
    timeout: float | None = None,
) -> str:
    """Create or update the profile with its secrets through the core operations. Runs on the pool.

    `timeout` is the profile's own request timeout in seconds; None means the app default
    (and removes a timeout the profile had).
    """

    if existing is None:
        created = operations.create_profile(
            ctx,
            name,
            preset=preset,
            base_url=base_url,
            vars=vars,
            secrets=secrets,
            settings={"timeout": timeout} if timeout is not None else None,
        )
        return created.name
    updated = operations.update_profile(
        ctx,
        existing.name,
        base_url=base_url,
        vars=vars,
        unset_vars=[k for k in existing.vars if k not in vars],
        secrets=secrets,
        settings={"timeout": timeout},
    )
    return updated.name


MAX_TIMEOUT_SECONDS = 600


class ProfileEditor(QDialog):
    """Create (``profile=None``) or edit a profile.

    Signals:
        saved(str): the profile was written (its name).

    Attributes:
        rows: field key ("name", "base_url", "timeout", "var:NAME", "secret:NAME") → FieldRow.
    """

    saved = Signal(str)

    def __init__(
        self,
        services: Services,
        profile: Profile | None = None,
        parent: QWidget | None = None,
        preset_name: str | None = None,
        taken_names: Iterable[str] | None = None,
    ) -> None:
        super().__init__(parent)
        assert services.ctx is not None
        self.services = services
        self.ctx = services.ctx
        self.profile = profile
        self.generation = Generation()
        self.discard_question: QMessageBox | None = None
        self.var_fields: dict[str, QLineEdit] = {}
        self.secret_fields: dict[str, SecretField] = {}
        self.rows: dict[str, FieldRow] = {}
        self.touched: set[str] = set()
        if taken_names is None:
            # The window's list of profiles (already loaded): no disk read on the GUI thread.
            taken_names = getattr(parent, "profiles", None) or ()
        self.taken_names = frozenset(taken_names)
        self.setWindowTitle(f"Edit profile {profile.name}" if profile else "New profile")
        self.setMinimumWidth(560)
        self._build(preset_name)

    def _build(self, preset_name: str | None) -> None:
        outer = QVBoxLayout(self)
        self.banner = ErrorBanner()
        outer.addWidget(self.banner)
        top = QFormLayout()
        top.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(self.profile.name if self.profile else "")
        self.name_edit.setPlaceholderText("e.g. tm-uat")
        self.name_edit.setReadOnly(self.profile is not None)
        self.preset_combo = QComboBox()
        for name in self.ctx.presets.names():
            self.preset_combo.addItem(f"{self.ctx.presets.get(name).title}  ({name})", name)
        self.preset_combo.setEnabled(self.profile is None)
        self.preset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.preset_combo.setMinimumContentsLength(20)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: gray")
        self.base_url = QLineEdit(self.profile.base_url if self.profile else "")
        self.base_url.setFont(monospace_font())
        self.timeout = QLineEdit()
        self.timeout.setObjectName("timeout")
        current = self.profile.settings.get("timeout") if self.profile else None
        self.timeout.setText(f"{current:g}" if isinstance(current, int | float) else "")
        self.timeout.setPlaceholderText(f"app default ({self.services.prefs.request_timeout:g} s)")
        self.timeout.setMaximumWidth(220)
        name_help = "" if self.profile else "Letters, digits, '.', '_' and '-'."
        self._add_row(top, "name", "Name", self.name_edit, name_help)
        preset_row = QWidget()
        pl = QVBoxLayout(preset_row)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.preset_combo)
        pl.addWidget(self.summary)
        top.addRow(form_label("Preset"), preset_row)
        base_row = self._add_row(top, "base_url", "Base URL", self.base_url, "")
        # Plain http:// to a host that is not loopback (core's rule): said while typing, as the
        # CLI says it on every use.
        self.http_warning = QLabel()
        self.http_warning.setObjectName("httpWarning")
        self.http_warning.setWordWrap(True)
        self.http_warning.setStyleSheet(f"color: {STATE_COLORS['expiring']}")
        self.http_warning.hide()
        row_layout = base_row.layout()
        assert row_layout is not None  # FieldRow lays out its field, help and problem
        row_layout.addWidget(self.http_warning)
        self.base_url.textChanged.connect(self.on_base_url_changed)
        self.on_base_url_changed(self.base_url.text())
        self._add_row(
            top,
            "timeout",
            "Timeout (seconds)",
            self.timeout,
            "How long one request may take in all, from connecting to the last byte. "
            "Leave empty for the app's default.",
        )
        outer.addLayout(top)

        self.inputs_box = QGroupBox("Inputs")
        self.inputs_layout = QVBoxLayout(self.inputs_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.inputs_box)
        self.inputs_scroll = scroll
        outer.addWidget(scroll, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        for key, line in (("name", self.name_edit), ("base_url", self.base_url), ("timeout", self.timeout)):
            line.textEdited.connect(lambda _text, k=key: self.on_edited(k))
        initial = self.profile.preset_name if self.profile else preset_name
        if initial:
            index = self.preset_combo.findData(initial)
            if index >= 0:
                self.preset_combo.setCurrentIndex(index)
        self.preset_combo.currentIndexChanged.connect(self.on_preset_changed)
        self.on_preset_changed()
        if self.profile is not None and self.profile.pending:
            self.show_pending(self.profile)

    def on_base_url_changed(self, text: str) -> None:
        plain = crosses_network_unencrypted(text)
        if plain:
            host = urlsplit(text.strip()).hostname
            self.http_warning.setText(
                f"⚠ Plain http:// to {host}: this profile's secrets and tokens would cross the network "
                "unencrypted. Use https:// unless it is a test server on a network you trust."
            )
        self.http_warning.setVisible(plain)

    def show_pending(self, profile: Profile) -> None:
        """An imported profile that still needs input: say what, and open on the first missing field."""
        missing = profile.missing_required()
        if not missing:
            return
        keys = [
            name if name == "base_url" else ("secret:" if name in self.secret_fields else "var:") + name
            for name in missing
        ]
        titles = ", ".join(self.rows[k].title for k in keys if k in self.rows)
        self.banner.show_message(
            f"This imported profile is pending: fill in {titles} to complete it.", kind="warning"
        )
        first = next((k for k in keys if k in self.rows), None)
        if first is not None:
            self.rows[first].input_widget().setFocus()

    def _add_row(self, form: QFormLayout, key: str, label: str, field: QWidget, help_text: str) -> FieldRow:
        row = FieldRow(field, help_text)
        row.title = label.removesuffix(" (optional)")
        self.rows[key] = row
        form.addRow(form_label(label), row)
        return row

    @property
    def preset(self) -> Preset:
        if self.profile is not None:
            return self.profile.preset
        return self.ctx.presets.get(self.preset_combo.currentData())

    def on_preset_changed(self, _index: int = 0) -> None:
        preset = self.preset
        self.summary.setText(preset.summary)
        self.base_url.setPlaceholderText(preset.base_url_example)
        self.rows["base_url"].help.setText(f"For example {preset.base_url_example}")
        self.rows["base_url"].help.show()
        # Rebuild the inputs form from the preset.
        old = self.inputs_layout.itemAt(0)
        old_form = old.widget() if old is not None else None
        if old_form is not None:
            old_form.deleteLater()
            self.inputs_layout.removeWidget(old_form)
        for key in [k for k in self.rows if k.startswith(("var:", "secret:"))]:
            del self.rows[key]
            self.touched.discard(key)
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.var_fields.clear()
        self.secret_fields.clear()
        for spec in preset.inputs:
            label = spec.label + ("" if spec.required else " (optional)")
            if spec.kind == "var":
                line = QLineEdit()
                line.setObjectName(f"var_{spec.name}")
                current = self.profile.vars.get(spec.name) if self.profile else None
                line.setText(current if current is not None else (spec.default or ""))
                self.var_fields[spec.name] = line
                key = f"var:{spec.name}"
                line.textEdited.connect(lambda _text, k=key: self.on_edited(k))
                self._add_row(form, key, label, line, spec.help)
            else:
                field = SecretField(spec)
                field.reveal_requested.connect(self.on_reveal_requested)
                field.file_chosen.connect(self.on_secret_file_chosen)
                self.secret_fields[spec.name] = field
                key = f"secret:{spec.name}"
                field.edited.connect(lambda k=key: self.on_edited(k))
                self._add_row(form, key, label, field, spec.help)

        self.redirect_uri: QLineEdit | None = None  # browser logins: the redirect URI to register
        self.discovery_row = add_discovery_row(self, form, preset)  # OAuth presets: "Fetch endpoints"
        self.inputs_layout.addWidget(form_widget)
        self.inputs_box.setTitle(f"Inputs for {preset.title}")
        self._check_stored()
        self.refresh_problems()

    # -- vault status / reveal / key files (pool) -------------------------------------------------
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
        refs = self.profile.secret_refs if self.profile is not None else {}
        for n, stored in result.items():
            if n in self.secret_fields:
                if n in refs:  # read from env:/cmd: at each use: show where, not "not set"
                    self.secret_fields[n].set_reference(refs[n])
                else:
                    self.secret_fields[n].set_stored(stored)
                if n == CLIENT_CERT_SECRET and stored:
                    ClientCertField(self).show_stored()
        self.refresh_problems()

    def on_vault_failed(self, exc: BaseException) -> None:
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

    def on_secret_file_chosen(self, secret: str, path: str) -> None:
        if secret == CLIENT_CERT_SECRET:  # PEM or PKCS#12, checked, its thumbprint shown
            ClientCertField(self).choose(path)
            return
        self.services.runner.start(
            read_secret_file,
            path,
            owner=self,
            on_success=lambda text: self.on_secret_file_read(secret, text),
            on_failure=lambda exc: self.on_secret_file_failed(secret, exc),
        )

    def on_secret_file_read(self, secret: str, text: str) -> None:
        field = self.secret_fields.get(secret)
        if field is not None:
            field.set_value(text)
            self.on_edited(f"secret:{secret}")

    def on_secret_file_failed(self, secret: str, exc: BaseException) -> None:
        row = self.rows.get(f"secret:{secret}")
        if row is not None:
            row.set_problem(user_message(exc))

    # -- checking, as the user types --------------------------------------------------------------
    def collect(self) -> tuple[dict[str, str], dict[str, str]]:
        # Vars the form does not know (added by hand to the profile file) are kept as they are.
        kept = {
            k: v for k, v in (self.profile.vars if self.profile else {}).items() if k not in self.var_fields
        }
        vars_ = kept | {k: f.text().strip() for k, f in self.var_fields.items() if f.text().strip()}
        secrets = {k: f.value() for k, f in self.secret_fields.items() if f.value().strip()}
        return vars_, secrets

    def timeout_value(self) -> float | None:
        text = self.timeout.text().strip()
        return float(text) if text else None

    def problems(self) -> dict[str, str]:
        """Every problem of the form, by field key, in the form's own words (no disk, no vault)."""

        found: dict[str, str] = {}
        name = self.name_edit.text().strip()
        if self.profile is None:
            if not name:
                found["name"] = "Give the profile a name."
            else:
                try:
                    validate_profile_name(name)
                except ProfileError as exc:  # its text names the rule
                    found["name"] = _sentence(str(exc).replace(f"profile name '{name}' ", "The name "))
                else:
                    if name in self.taken_names:
                        found["name"] = f"A profile named '{name}' already exists: pick another name."
        base = self.base_url.text().strip()
        if not base:
            found["base_url"] = f"Enter the base URL, e.g. {self.preset.base_url_example}"
        else:
            try:
                validate_base_url(base)
            except ValueError as exc:
                found["base_url"] = _sentence(f"The base URL {exc}")
        text = self.timeout.text().strip()
        if text:
            try:
                seconds = float(text)
            except ValueError:
                found["timeout"] = "The timeout is a number of seconds, like 30."
            else:
                if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
                    found["timeout"] = f"The timeout must be more than 0 and at most {MAX_TIMEOUT_SECONDS} s."
        vars_, secrets = self.collect()
        for spec in self.preset.inputs:
            if not spec.required:
                continue
            if spec.kind == "var" and spec.name not in vars_:
                found[f"var:{spec.name}"] = f"{spec.label} is required."
            elif spec.kind == "secret" and spec.name not in secrets:
                field = self.secret_fields.get(spec.name)
                if field is not None and not field.stored and not field.checking:
                    found[f"secret:{spec.name}"] = f"{spec.label} is required (nothing is stored yet)."
        return found

    def on_edited(self, key: str) -> None:
        self.touched.add(key)
        self.refresh_problems()

    def refresh_problems(self, *, all_fields: bool = False) -> dict[str, str]:
        """Outline and explain every problem in a field the user has been at (or every field)."""
        found = self.problems()
        for key, row in self.rows.items():
            shown = found.get(key) if (all_fields or key in self.touched) else None
            row.set_problem(shown)
        if self.banner.isVisible() and not found:
            self.banner.dismiss()
        return found

    def validate(self) -> str | None:
        """All problems in one sentence for the banner, or None when the form can be saved."""
        found = self.problems()
        if not found:
            return None
        if len(found) == 1:
            return next(iter(found.values()))
        names = ", ".join(self.rows[k].title if k in self.rows else k for k in found)
        return f"Fix {len(found)} fields ({names}): each says what is wrong under it."

    # -- save -------------------------------------------------------------------------------------
    def save(self) -> None:
        found = self.refresh_problems(all_fields=True)
        self.touched.update(self.rows)
        if found:
            self.banner.show_message(self.validate() or "")
            first = next(k for k in self.rows if k in found)
            self.rows[first].input_widget().setFocus()
            return
        self.banner.dismiss()
        if self._discards_live_token():
            assert self.profile is not None
            self.discard_question = ask(
                self,
                title="Discard the current token",
                text=f"Profile '{self.profile.name}' holds a valid token for its current base URL.",
                detail="Saving the new base URL or settings discards it; the next use obtains a new one.",
                confirm="Save and discard the token",
                on_confirm=self.save_now,
            )
            return
        self.save_now()

    def _discards_live_token(self) -> bool:
        """An edit of the base URL or vars makes the token the profile holds useless."""
        if self.profile is None:
            return False
        vars_, _ = self.collect()
        if self.base_url.text().strip() == self.profile.base_url and vars_ == dict(self.profile.vars):
            return False
        token = self.services.tokens.result(self.profile.name)
        if token is None:
            return False
        return token.expires_at is None or token.expires_at > self.ctx.clock.now()

    def save_now(self) -> None:
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
            timeout=self.timeout_value(),
            owner=self,
            on_success=self.on_saved,
            on_failure=self.on_save_failed,
        )

    def on_saved(self, name: str) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(name)
        self.accept()

    def on_save_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        message = _user_words(user_message(exc))
        key = _row_of(getattr(exc, "field", ""))
        if key is not None and key in self.rows:
            self.rows[key].set_problem(message)
        self.banner.show_message(message)


# Internal names a core message may carry, and the words the form uses for them.
_FORM_WORDS = (("base_url", "Base URL"), ("secret_names", "secrets"), ("settings.timeout", "Timeout"))


def _user_words(message: str) -> str:
    for internal, shown in _FORM_WORDS:
        message = message.replace(f"{internal}:", f"{shown}:").replace(internal, shown)
    return message


def _row_of(field: str) -> str | None:
    """The form row of an error's `field` (core errors name the input they concern)."""
    head, _, rest = field.partition(".")
    if field in ("name", "base_url"):
        return field
    if field == "settings.timeout":
        return "timeout"
    if head == "vars" and rest:
        return f"var:{rest}"
    if head in ("secrets", "secret_refs") and rest:
        return f"secret:{rest}"
    return None


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
