"""Preferences: refresh lead, clipboard clear delay, request timeout, TLS verification."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.settings import TLS_WARNING, Preferences
from workbench.gui.widgets import STATE_COLORS


class SettingsDialog(QDialog):
    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.refresh_lead = QSpinBox()
        self.refresh_lead.setRange(0, 3600)
        self.refresh_lead.setSuffix(" s")
        self.refresh_lead.setSpecialValueText("automatic (min 60 s, 10 % of lifetime)")
        self.refresh_lead.setValue(prefs.refresh_lead)
        self.clipboard_clear = QSpinBox()
        self.clipboard_clear.setRange(0, 3600)
        self.clipboard_clear.setSuffix(" s")
        self.clipboard_clear.setSpecialValueText("never")
        self.clipboard_clear.setValue(prefs.clipboard_clear)
        self.request_timeout = QDoubleSpinBox()
        self.request_timeout.setRange(1, 600)
        self.request_timeout.setDecimals(1)
        self.request_timeout.setSuffix(" s")
        self.request_timeout.setValue(prefs.request_timeout)
        self.verify_tls = QCheckBox("Verify TLS certificates")
        self.verify_tls.setChecked(prefs.verify_tls)
        self.tls_warning = QLabel(TLS_WARNING)
        self.tls_warning.setWordWrap(True)
        self.tls_warning.setStyleSheet(f"color: {STATE_COLORS['error']}")
        form.addRow("Auto-refresh ahead of expiry", self.refresh_lead)
        form.addRow("Clear copied secrets after", self.clipboard_clear)
        form.addRow("Request timeout", self.request_timeout)
        form.addRow("", self.verify_tls)
        form.addRow("", self.tls_warning)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.verify_tls.toggled.connect(self.on_verify_tls_toggled)
        self.on_verify_tls_toggled(prefs.verify_tls)

    def on_verify_tls_toggled(self, checked: bool) -> None:
        self.tls_warning.setVisible(not checked)
        # Grow (or shrink back) so the wrapped warning is read whole, not cut at the buttons.
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(self.width(), self.sizeHint().height())

    def preferences(self) -> Preferences:
        return Preferences(
            refresh_lead=self.refresh_lead.value(),
            clipboard_clear=self.clipboard_clear.value(),
            request_timeout=self.request_timeout.value(),
            verify_tls=self.verify_tls.isChecked(),
        )
