"""The status bar's permanent indicators: the clipboard's countdown, TLS verification off,
secrets in memory only, the providers' clock offset, the demo sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel

from workbench.gui.settings import TLS_WARNING
from workbench.gui.widgets import STATE_COLORS

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from workbench.gui.clipboard import SecureClipboard


class StatusIndicators:
    """Attributes:
    clipboard_label / tls_label / vault_label / clock_label / sandbox_label: the indicators,
        in the bar from left to right.
    """

    def __init__(self, bar: QStatusBar, clipboard: SecureClipboard, *, verify_tls: bool) -> None:
        self.bar = bar
        self.clipboard_label = QLabel()
        self.tls_label = QLabel("⚠ TLS verification off")
        self.tls_label.setToolTip(TLS_WARNING)
        self.tls_label.setStyleSheet(f"color: {STATE_COLORS['error']}; font-weight: bold")
        self.vault_label = QLabel()
        self.clock_label = QLabel()
        self.sandbox_label = QLabel()
        for label in (
            self.clipboard_label,
            self.tls_label,
            self.vault_label,
            self.clock_label,
            self.sandbox_label,
        ):
            bar.addPermanentWidget(label)
        self.clipboard_label.hide()
        self.vault_label.hide()
        self.show_tls(verify_tls)
        clipboard.countdown_changed.connect(self.on_clipboard_countdown)
        clipboard.copied.connect(self.on_copied)
        clipboard.cleared.connect(self.on_clipboard_cleared)

    def show_status(self, message: str) -> None:
        """A transient message (five seconds)."""
        self.bar.showMessage(message, 5000)

    def show_tls(self, verify_tls: bool) -> None:
        self.tls_label.setVisible(not verify_tls)

    def show_vault_warning(self, warning: str) -> None:
        self.vault_label.setText("⚠ secrets in memory only")
        self.vault_label.setToolTip(warning)
        self.vault_label.show()

    def show_clock(self, offset: float) -> None:
        text = f"server clock {offset:+.0f} s"
        if self.clock_label.text() != text:
            self.clock_label.setText(text)
            self.clock_label.setToolTip(
                "Offset of the providers' clock (from HTTP Date headers) to this machine"
            )

    def show_sandbox(self, url: str | None) -> None:
        if url:
            self.sandbox_label.setText(f"● sandbox {url}")
            self.sandbox_label.setStyleSheet(f"color: {STATE_COLORS['valid']}")
            self.sandbox_label.setToolTip("The embedded sandbox emulates every preset's provider (demo mode)")
        else:
            self.sandbox_label.setText("sandbox off")
            self.sandbox_label.setStyleSheet("color: gray")

    def on_copied(self, what: str) -> None:
        self.show_status(f"Copied {what}")

    def on_clipboard_countdown(self, seconds: int) -> None:
        if seconds > 0:
            self.clipboard_label.setText(f"Clipboard clears in {seconds} s")
            self.clipboard_label.show()
        else:
            self.clipboard_label.hide()

    def on_clipboard_cleared(self) -> None:
        self.show_status("Clipboard cleared")


__all__ = ["StatusIndicators"]
