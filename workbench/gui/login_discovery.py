"""The profile editor's "Fetch endpoints from issuer" row (OAuth presets with discovery).

The fetch is `oauth_login.discover_issuer` (OpenID Connect discovery, then RFC 8414) on the
worker pool. What it finds is shown, and becomes the placeholder text of the endpoint fields:
discovery stays the source of the endpoints, a value typed into a field overrides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from workbench.core.errors import user_message
from workbench.core.oauth.advertised import advertised_rows, advertised_summary, default_client_auth_note
from workbench.core.oauth.login import discover_issuer
from workbench.core.oauth.params import redirect_uri_note, redirect_uri_to_register
from workbench.gui.profile_fields import ChoiceField, form_label
from workbench.gui.services import Services
from workbench.gui.tasks import Generation

if TYPE_CHECKING:
    from workbench.core.oauth.protocol import Endpoints
    from workbench.core.profiles.presets import Preset
    from workbench.gui.profile_editor import ProfileEditor

_SHOWN = (
    ("authorization_endpoint", "authorization"),
    ("token_endpoint", "token"),
    ("device_authorization_endpoint", "device"),
    ("revocation_endpoint", "revocation"),
    ("jwks_uri", "JWKS"),
    ("pushed_authorization_request_endpoint", "PAR"),
    ("introspection_endpoint", "introspection"),
)


def offers_discovery(preset: Preset) -> bool:
    section = preset.data.get("oauth")
    return isinstance(section, Mapping) and section.get("discovery", True) is not False


def fetch_endpoints(issuer: str, verify_tls: bool) -> Endpoints:
    """Runs on the pool."""

    return discover_issuer(issuer, verify_tls=verify_tls)


class DiscoveryRow(QWidget):
    """A button and a result line; fills endpoint fields' placeholders with what was found.

    Signals:
        discovered(object): the `Endpoints` found.
    """

    discovered = Signal(object)

    def __init__(
        self,
        services: Services,
        base_url: QLineEdit,
        var_fields: Mapping[str, QLineEdit | ChoiceField],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.base_url = base_url
        self.var_fields = var_fields
        self.generation = Generation()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = QPushButton("Fetch endpoints from issuer")
        self.button.setToolTip(
            "Read the issuer's discovery document (the base URL is the issuer): OpenID Connect, then RFC 8414"
        )
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.button)
        layout.addWidget(self.result, 1)
        self.button.clicked.connect(self.on_fetch_clicked)

    def on_fetch_clicked(self) -> None:
        issuer = self.base_url.text().strip()
        if not issuer:
            self.result.setText("Enter the issuer as the base URL first.")
            return
        gen = self.generation.next()
        self.button.setEnabled(False)
        self.result.setText("Fetching…")
        self.services.runner.start(
            fetch_endpoints,
            issuer,
            self.services.prefs.verify_tls,
            owner=self,
            on_success=lambda endpoints: self.on_fetched(gen, endpoints),
            on_failure=lambda exc: self.on_fetch_failed(gen, exc),
        )

    def on_fetched(self, gen: int, endpoints: Endpoints) -> None:
        if not self.generation.is_current(gen):
            return
        self.button.setEnabled(True)
        found = endpoints.urls()
        for name, field in self.var_fields.items():
            if not isinstance(field, QLineEdit):
                continue
            if name in found:
                field.setPlaceholderText(found[name])
                field.setToolTip(f"From discovery: {found[name]} (type a URL here to override it)")

        auth = self.var_fields.get("client_auth")
        note = default_client_auth_note(endpoints)
        if isinstance(auth, ChoiceField):  # what "automatic" means now that the issuer said what it takes
            auth.describe_empty(note.removeprefix("empty: "))
        elif auth is not None:
            auth.setPlaceholderText(note)
        parts = [label for name, label in _SHOWN if name in found]
        offers = advertised_summary(endpoints)
        text = f"Found {', '.join(parts) or 'no'} endpoints ({endpoints.source})."
        self.result.setText(f"{text}\n{offers}" if offers else text)
        rows = [*found.items(), *advertised_rows(endpoints)]
        self.result.setToolTip("\n".join(f"{k}: {v}" for k, v in rows))
        self.discovered.emit(endpoints)

    def on_fetch_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        self.button.setEnabled(True)
        self.result.setText(user_message(exc))


def add_redirect_row(editor: ProfileEditor, form: QFormLayout, preset: Preset) -> QLineEdit | None:
    """Browser logins: the redirect URI to register with the provider (read-only, selectable,
    with Copy), following the redirect_port field as it is typed
    (`oauth.params.redirect_uri_to_register`)."""

    section = preset.data.get("oauth")
    if not isinstance(section, Mapping) or section.get("grant") != "authorization_code":
        return None
    shown = QLineEdit()
    shown.setObjectName("redirectUri")
    shown.setReadOnly(True)
    copy = QPushButton("Copy")
    copy.setObjectName("copyRedirectUri")
    copy.setToolTip("Copy the redirect URI, to paste into the provider's app registration")
    note = QLabel()
    note.setWordWrap(True)
    note.setStyleSheet("color: gray")
    field = editor.var_fields.get("redirect_port")
    port = field if isinstance(field, QLineEdit) else None

    def update() -> None:
        vars_ = {"redirect_port": port.text() if port is not None else ""}
        shown.setText(redirect_uri_to_register(vars_))
        note.setText(f"Register it with the provider as an allowed redirect URI: {redirect_uri_note(vars_)}.")
        shown.setToolTip(note.text())

    if port is not None:
        port.textChanged.connect(lambda _text: update())
    copy.clicked.connect(lambda: editor.services.clipboard.copy_plain(shown.text(), "redirect URI"))
    update()
    row = QWidget()
    column = QVBoxLayout(row)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    line = QHBoxLayout()
    line.addWidget(shown, 1)
    line.addWidget(copy)
    column.addLayout(line)
    column.addWidget(note)
    form.insertRow(0, form_label("Redirect URI to register"), row)
    editor.redirect_copy = copy
    return shown


def add_discovery_row(editor: ProfileEditor, form: QFormLayout, preset: Preset) -> DiscoveryRow | None:
    """The hook the profile editor calls after building a preset's inputs form."""
    editor.redirect_uri = add_redirect_row(editor, form, preset)
    if not offers_discovery(preset):
        return None
    row = DiscoveryRow(editor.services, editor.base_url, editor.var_fields)
    form.insertRow(0, form_label("Issuer"), row)
    return row


__all__ = ["DiscoveryRow", "add_discovery_row", "add_redirect_row", "fetch_endpoints", "offers_discovery"]
