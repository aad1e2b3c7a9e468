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
from functools import partial
from itertools import pairwise
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import user_message
from workbench.core.jose.x509 import CLIENT_CERT_SECRET
from workbench.core.net.origins import crosses_network_unencrypted
from workbench.gui.client_cert_field import ClientCertField
from workbench.gui.confirm import ask
from workbench.gui.login_discovery import add_discovery_row
from workbench.gui.profile_fields import (  # noqa: F401 - LABEL_WIDTH, NOT_SET, STORED: re-exported
    LABEL_WIDTH,
    NOT_SET,
    STORED,
    ChoiceField,
    FieldRow,
    SecretField,
    form_label,
    read_secret_file,
    var_input,
)
from workbench.gui.profile_form import (  # noqa: F401 - MAX_TIMEOUT_SECONDS, save_profile: re-exported
    MAX_TIMEOUT_SECONDS,
    FormValues,
    field_message,
    form_problems,
    row_of,
    save_profile,
    summary,
    user_words,
    vault_status,
)
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.token_placement_fields import TokenPlacementFields
from workbench.gui.widgets import STATE_COLORS, ErrorBanner, monospace_font, tab_stops

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent
    from PySide6.QtWidgets import QMessageBox

    from workbench.core.profiles.presets import Preset
    from workbench.core.profiles.profile import Profile


class ProfileEditor(QDialog):
    """Create (``profile=None``) or edit a profile.

    The whole form scrolls as one (the banner and the buttons stay put), and the row that has
    focus is scrolled into view with its help and problem. Tab walks the fields in the order
    they are shown, the preset's inputs included, then Save and Cancel.

    Signals:
        saved(str): the profile was written (its name).

    Attributes:
        rows: field key ("name", "base_url", "timeout", "allowed_origins", "var:NAME",
            "secret:NAME") → FieldRow.
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
        self.var_fields: dict[str, QLineEdit | ChoiceField] = {}
        self.secret_fields: dict[str, SecretField] = {}
        self.rows: dict[str, FieldRow] = {}
        self.touched: set[str] = set()
        self.keychain = True
        self.summary_shown = False  # the banner shows the "Fix N fields" summary (kept up to date)
        if taken_names is None:
            # The window's list of profiles (already loaded): no disk read on the GUI thread.
            taken_names = getattr(parent, "profiles", None) or ()
        self.taken_names = frozenset(taken_names)
        self.setWindowTitle(f"Edit profile {profile.name}" if profile else "New profile")
        self.setMinimumWidth(560)
        self._build(preset_name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self.on_focus_changed)

    def _build(self, preset_name: str | None) -> None:
        outer = QVBoxLayout(self)
        self.banner = ErrorBanner()
        self.banner.dismissed.connect(self.on_banner_dismissed)
        outer.addWidget(self.banner)
        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 6, 0)
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
        settings = self.profile.settings if self.profile else {}
        current = settings.get("timeout")
        self.timeout.setText(f"{current:g}" if isinstance(current, int | float) else "")
        self.timeout.setPlaceholderText(f"app default ({self.services.prefs.request_timeout:g} s)")
        self.timeout.setMaximumWidth(220)
        self.allowed_origins = QLineEdit(" ".join(str(o) for o in settings.get("allowed_origins") or ()))
        self.allowed_origins.setObjectName("allowedOrigins")
        self.allowed_origins.setPlaceholderText("e.g. https://files.example.com https://api2.example.com")
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
        body.addLayout(top)

        self.inputs_box = QGroupBox("Inputs")
        self.inputs_layout = QVBoxLayout(self.inputs_box)
        self.keychain_note = ErrorBanner()  # tinted amber: legible in light and dark palettes
        self.keychain_note.setObjectName("keychainNote")
        self.inputs_layout.addWidget(self.keychain_note)
        body.addWidget(self.inputs_box)
        sending = QGroupBox("Where and how its token is sent")
        sending_form = QFormLayout(sending)
        sending_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add_row(
            sending_form,
            "allowed_origins",
            "Allowed origins (optional)",
            self.allowed_origins,
            "Origins besides the base URL's that may receive this profile's token, as "
            "https://host[:port], separated by spaces. Requests to any other origin are refused.",
        )
        self.token_fields = TokenPlacementFields(settings, lambda *a: self._add_row(sending_form, *a))
        body.addWidget(sending)
        body.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.form_content = content
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its fields take focus, not the area
        self.form_scroll = scroll
        outer.addWidget(scroll, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        for key, line in (
            ("name", self.name_edit),
            ("base_url", self.base_url),
            ("timeout", self.timeout),
            ("allowed_origins", self.allowed_origins),
        ):
            line.textEdited.connect(lambda _text, k=key: self.on_edited(k))
        self.token_fields.on_edited(self.on_edited)
        initial = self.profile.preset_name if self.profile else preset_name
        if initial:
            index = self.preset_combo.findData(initial)
            if index >= 0:
                self.preset_combo.setCurrentIndex(index)
        self.preset_combo.currentIndexChanged.connect(self.on_preset_changed)
        self.on_preset_changed()
        self._fit_screen()
        (self.base_url if self.profile is not None else self.name_edit).setFocus()
        if self.profile is not None and self.profile.pending:
            self.show_pending(self.profile)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # QDialog then gives the first field a Tab-like focus, which selects its text (a keystroke
        # would replace the base URL): take the selection away once that has happened.
        QTimer.singleShot(0, self.base_url.deselect)

    def _fit_screen(self) -> None:
        """Open as tall as the form needs, within the screen (the form scrolls beyond that)."""
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        content = self.form_content.sizeHint()
        height = content.height() + self.buttons.sizeHint().height() + 60
        width = max(640, content.width() + 40)
        if screen is not None:
            height = min(height, int(screen.height() * 0.85))
            width = min(width, int(screen.width() * 0.9))
        self.resize(width, height)

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
        self.show_banner(
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
        self.token_fields.show_preset(preset.token)
        self.base_url.setPlaceholderText(preset.base_url_example)
        self.rows["base_url"].help.setText(f"For example {preset.base_url_example}")
        self.rows["base_url"].help.show()
        # Rebuild the inputs form from the preset.
        old_form = getattr(self, "inputs_form", None)
        if old_form is not None:
            self.inputs_layout.removeWidget(old_form)
            old_form.deleteLater()
        for key in [k for k in self.rows if k.startswith(("var:", "secret:"))]:
            del self.rows[key]
            self.touched.discard(key)
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.setContentsMargins(0, 0, 0, 0)  # the group's own margins suffice (as the next group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.var_fields.clear()
        self.secret_fields.clear()
        for spec in preset.inputs:
            label = spec.label + ("" if spec.required else " (optional)")
            if spec.kind == "var":
                current = self.profile.vars.get(spec.name) if self.profile else None
                key = f"var:{spec.name}"
                own = self.profile.name if self.profile else None
                others = [n for n in self.taken_names if n != own]
                line, shown = var_input(spec, current, others, partial(self.on_edited, key))
                self.var_fields[spec.name] = line
                self._add_row(form, key, label, shown, spec.help)
            else:
                field = SecretField(spec)
                field.set_keychain(self.keychain)
                field.reveal_requested.connect(self.on_reveal_requested)
                field.file_chosen.connect(self.on_secret_file_chosen)
                self.secret_fields[spec.name] = field
                key = f"secret:{spec.name}"
                field.edited.connect(lambda k=key: self.on_edited(k))
                self._add_row(form, key, label, field, spec.help)

        self.redirect_uri: QLineEdit | None = None  # browser logins: the redirect URI to register
        self.redirect_copy: QPushButton | None = None
        self.discovery_row = add_discovery_row(self, form, preset)  # OAuth presets: "Fetch endpoints"
        self.inputs_form = form_widget
        self.inputs_layout.addWidget(form_widget)
        self.inputs_box.setTitle(f"Inputs for {preset.title}")
        self._chain_tab_order()
        self._check_stored()
        self.refresh_problems()

    def _chain_tab_order(self) -> None:
        """Tab follows the form as shown: the fields, the preset's inputs, then Save and Cancel.
        (Qt's default is the order of creation, and the inputs are rebuilt after the buttons.)"""
        top = [self.name_edit, self.preset_combo, self.base_url, self.timeout]
        inputs = [
            *tab_stops(self.keychain_note),
            *tab_stops(self.inputs_form),
            self.allowed_origins,
            *self.token_fields.widgets(),
        ]
        buttons = [b for b in self.buttons.buttons() if b.focusPolicy() & Qt.FocusPolicy.TabFocus]
        banner = tab_stops(self.banner)
        chain: list[QWidget] = [*top, *inputs, *buttons, *banner]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- vault status / reveal / key files (pool) -------------------------------------------------
    def _check_stored(self) -> None:
        for field in self.secret_fields.values():
            field.set_stored(None if self.profile is not None else False)
        vault = self.ctx.vault
        name = self.profile.name if self.profile is not None else None
        gen = self.generation.next()
        self.services.runner.start(
            vault_status,
            vault,
            name,
            list(self.secret_fields),
            owner=self,
            on_success=lambda result: self.on_stored_checked(gen, result),
            on_failure=self.on_vault_failed,
        )

    def on_stored_checked(self, gen: int, result: tuple[dict[str, bool], bool]) -> None:
        if not self.generation.is_current(gen):
            return
        stored, keychain = result
        self.keychain = keychain
        warning = self.ctx.vault.warning or (
            "No usable OS keychain: secrets typed here are kept in memory until the app quits."
        )
        if keychain:
            self.keychain_note.hide()
        else:
            self.keychain_note.show_message(warning, kind="warning")
        refs = self.profile.secret_refs if self.profile is not None else {}
        for n, field in self.secret_fields.items():
            field.set_keychain(keychain)
            if n in refs:  # read from env:/cmd: at each use: show where, not "not set"
                field.set_reference(refs[n])
            elif n in stored:
                field.set_stored(stored[n])
            if n == CLIENT_CERT_SECRET and stored.get(n):
                ClientCertField(self).show_stored()
        self.refresh_problems()

    def on_vault_failed(self, exc: BaseException) -> None:
        self.show_banner(user_message(exc))

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

    # -- the focused row stays in view ------------------------------------------------------------
    def on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or not self.form_content.isAncestorOf(new):
            return
        row = next((r for r in self.rows.values() if r.isAncestorOf(new)), None)
        if row is not None:
            # The whole row: its input, help and problem (Qt alone would show the input only).
            self.form_scroll.ensureWidgetVisible(row, 0, 8)
            self.form_scroll.ensureWidgetVisible(new, 0, 8)

    # -- checking, as the user types --------------------------------------------------------------
    def collect(self) -> tuple[dict[str, str], dict[str, str]]:
        vars_ = {k: f.text().strip() for k, f in self.var_fields.items() if f.text().strip()}
        secrets = {k: f.value() for k, f in self.secret_fields.items() if f.value().strip()}
        return vars_, secrets

    def form_values(self) -> FormValues:
        vars_, secrets = self.collect()
        present = {
            name for name, f in self.secret_fields.items() if name in secrets or f.stored or f.checking
        }
        return FormValues(
            name=self.name_edit.text().strip(),
            preset=self.preset,
            base_url=self.base_url.text().strip(),
            timeout=self.timeout.text().strip(),
            origins=self.allowed_origins.text().strip(),
            vars=vars_,
            secrets_given=tuple(secrets),
            secrets_present=frozenset(present),
            existing=self.profile,
            taken_names=self.taken_names,
            token=self.token_fields.values(),
        )

    def timeout_value(self) -> float | None:
        return self.form_values().timeout_seconds()

    def problems(self) -> dict[str, str]:
        """Every problem of the form, by field key, in the form's own words (no disk, no vault)."""
        return form_problems(self.ctx, self.form_values())

    def on_edited(self, key: str) -> None:
        self.touched.add(key)
        self.refresh_problems()

    def refresh_problems(self, *, all_fields: bool = False) -> dict[str, str]:
        """Outline and explain every problem in a field the user has been at (or every field);
        the banner's "Fix N fields" summary follows as fields get fixed."""
        found = self.problems()
        for key, row in self.rows.items():
            shown = found.get(key) if (all_fields or key in self.touched) else None
            row.set_problem(shown)
        if self.summary_shown:
            text = self.validate()
            if text is None:
                self.dismiss_banner()
            elif text != self.banner.label.text():
                self.banner.show_message(text)
        return found

    def validate(self) -> str | None:
        """All problems in one sentence for the banner, or None when the form can be saved."""
        return summary(self.problems(), {k: r.title for k, r in self.rows.items()})

    def show_banner(self, text: str, kind: str = "error") -> None:
        self.summary_shown = False
        self.banner.show_message(text, kind=kind)

    def dismiss_banner(self) -> None:
        self.summary_shown = False
        self.banner.dismiss()

    def on_banner_dismissed(self) -> None:
        self.summary_shown = False

    # -- save -------------------------------------------------------------------------------------
    def save(self) -> None:
        found = self.refresh_problems(all_fields=True)
        self.touched.update(self.rows)
        if found:
            self.banner.show_message(self.validate() or "")
            self.summary_shown = True
            first = next(k for k in self.rows if k in found)
            self.rows[first].input_widget().setFocus()
            return
        self.dismiss_banner()
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
        _, secrets = self.collect()
        self.buttons.setEnabled(False)
        self.services.runner.start(
            save_profile,
            self.ctx,
            self.form_values(),
            secrets,
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
        key = row_of(getattr(exc, "field", ""))
        if key is not None and key in self.rows:
            self.rows[key].set_problem(field_message(exc))
        self.show_banner(user_words(user_message(exc)))
