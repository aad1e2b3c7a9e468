"""The profile editor's client certificate (mutual TLS, RFC 8705): "From file…" reads a PEM or a
PKCS#12 file (asking for its password when it has one) through the core, and the field shows the
certificate's x5t#S256 thumbprint, subject and expiry, for the stored one and for a file just
chosen. The private key goes to the keychain only when the profile is saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QLineEdit

from workbench.core.errors import ClientCertError, user_message
from workbench.core.jose.x509 import CLIENT_CERT_SECRET
from workbench.core.operations.mtls import client_certificate_info, describe_info, read_certificate_file

if TYPE_CHECKING:
    from workbench.core.operations.mtls import ClientCertInfo
    from workbench.gui.profile_editor import ProfileEditor


class ClientCertField:
    """Drives the editor's `client_cert` secret field (when its preset has one)."""

    def __init__(self, editor: ProfileEditor) -> None:
        self.editor = editor

    def choose(self, path: str, password: str | None = None) -> None:
        self.editor.services.runner.start(
            read_certificate_file,
            path,
            password=password,
            owner=self.editor,
            on_success=lambda result: self.on_read(result),
            on_failure=lambda exc: self.on_failed(path, password, exc),
        )

    def on_read(self, result: tuple[str, ClientCertInfo]) -> None:
        bundle, info = result
        field = self.editor.secret_fields.get(CLIENT_CERT_SECRET)
        if field is None:
            return
        field.set_value(bundle)
        field.set_detail(describe_info(info) + " (saved to the keychain with the profile)")
        self.editor.on_edited(f"secret:{CLIENT_CERT_SECRET}")

    def on_failed(self, path: str, password: str | None, exc: BaseException) -> None:
        if isinstance(exc, ClientCertError) and "password" in str(exc) and password is None:
            text, ok = QInputDialog.getText(
                self.editor,
                "Client certificate password",
                "Password of the PKCS#12 file (or of its encrypted key):",
                QLineEdit.EchoMode.Password,
            )
            if ok:
                self.choose(path, text)
                return
        row = self.editor.rows.get(f"secret:{CLIENT_CERT_SECRET}")
        if row is not None:
            row.set_problem(user_message(exc))

    def show_stored(self) -> None:
        """The stored certificate's thumbprint and expiry under the field (read on the pool)."""
        profile = self.editor.profile
        if profile is None or CLIENT_CERT_SECRET not in self.editor.secret_fields:
            return
        self.editor.services.runner.start(
            client_certificate_info,
            self.editor.ctx,
            profile.name,
            owner=self.editor,
            on_success=self.on_info,
            on_failure=lambda exc: self.on_info_failed(exc),
        )

    def on_info(self, info: ClientCertInfo | None) -> None:
        field = self.editor.secret_fields.get(CLIENT_CERT_SECRET)
        if field is not None and info is not None:
            field.set_detail(describe_info(info))

    def on_info_failed(self, exc: BaseException) -> None:
        field = self.editor.secret_fields.get(CLIENT_CERT_SECRET)
        if field is not None:
            field.set_detail(f"the stored certificate cannot be used: {user_message(exc)}")
