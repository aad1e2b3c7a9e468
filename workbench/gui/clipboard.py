"""Putting secrets on the clipboard, marked sensitive, and taking them off again.

Clipboard managers and history tools honour these hints:

* KDE Klipper and most Linux managers: ``x-kde-passwordManagerHint`` = ``secret``;
* macOS: ``application/x-nspasteboard-concealed-type`` (nspasteboard.org);
* Windows: the ``ExcludeClipboardContentFromMonitorProcessing`` format, and
  ``CanIncludeInClipboardHistory`` / ``CanUploadToCloudClipboard`` set to 0.

The copy is cleared after a delay (0 = never) and on quit, but only while the
clipboard still holds what we put there: if the user copied something else, we
leave it alone.
"""

from __future__ import annotations

import struct
import sys

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

KDE_HINT = "x-kde-passwordManagerHint"
MAC_CONCEALED = "application/x-nspasteboard-concealed-type"
_WIN_FORMAT = 'application/x-qt-windows-mime;value="{}"'


def sensitive_mime_data(text: str, platform: str | None = None) -> QMimeData:
    """A QMimeData with ``text`` and the platform's "do not keep this" hints."""
    platform = platform or sys.platform
    mime = QMimeData()
    mime.setText(text)
    if platform.startswith("darwin"):
        mime.setData(MAC_CONCEALED, text.encode())
    elif platform.startswith("win"):
        zero = struct.pack("<I", 0)
        mime.setData(_WIN_FORMAT.format("ExcludeClipboardContentFromMonitorProcessing"), b"")
        mime.setData(_WIN_FORMAT.format("CanIncludeInClipboardHistory"), zero)
        mime.setData(_WIN_FORMAT.format("CanUploadToCloudClipboard"), zero)
    else:
        mime.setData(KDE_HINT, b"secret")
    return mime


class SecureClipboard(QObject):
    """Copies secrets with sensitivity hints and clears them after ``clear_after`` seconds.

    Signals:
        countdown_changed(int): seconds until the clipboard is cleared (0: nothing pending).
        cleared(): we removed our secret from the clipboard.
        copied(str): a description of what was copied ("access token", "curl command").
    """

    countdown_changed = Signal(int)
    cleared = Signal()
    copied = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clear_after: int = 30,
        clipboard: QClipboard | None = None,
        tick_ms: int = 1000,
    ) -> None:
        super().__init__(parent)
        self.clear_after = clear_after
        self._clipboard = clipboard or QGuiApplication.clipboard()
        self._ours: str | None = None
        self._remaining = 0
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)  # one countdown step; tests shorten it
        self._timer.timeout.connect(self.on_tick)

    @property
    def remaining(self) -> int:
        return self._remaining

    def copy_secret(self, text: str, what: str = "secret") -> None:
        self._clipboard.setMimeData(sensitive_mime_data(text))
        self._ours = text
        self.copied.emit(what)
        if self.clear_after > 0:
            self._remaining = int(self.clear_after)
            self._timer.start()
        else:
            self._remaining = 0
            self._timer.stop()
        self.countdown_changed.emit(self._remaining)

    def copy_plain(self, text: str, what: str = "text") -> None:
        """Non-secret text (a public key, a JWK): no hints, no timed clear."""
        self._clipboard.setText(text)
        self.copied.emit(what)

    def holds_ours(self) -> bool:
        return self._ours is not None and self._clipboard.text() == self._ours

    def on_tick(self) -> None:
        if self._ours is None or not self.holds_ours():
            # Someone else owns the clipboard now; forget about it.
            self._ours = None
            self._remaining = 0
            self._timer.stop()
            self.countdown_changed.emit(0)
            return
        self._remaining -= 1
        if self._remaining <= 0:
            self.clear_now()
        else:
            self.countdown_changed.emit(self._remaining)

    def clear_now(self) -> None:
        """Clear if the clipboard still holds our secret (also called on quit)."""
        self._timer.stop()
        if self.holds_ours():
            self._clipboard.clear()
            self.cleared.emit()
        self._ours = None
        self._remaining = 0
        self.countdown_changed.emit(0)
