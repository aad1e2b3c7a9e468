"""The Token tab's fixed rows: the countdown line and the copy row (layout only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton

from workbench.gui.widgets import ElidedLabel, compact

if TYPE_CHECKING:
    from workbench.gui.token_view import TokenView


def build_countdown(self: TokenView) -> QHBoxLayout:
    """The countdown, large, and the renewal line beside it."""
    top = QHBoxLayout()
    self.countdown = QLabel()
    font = self.countdown.font()
    font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.6)
    font.setBold(True)
    self.countdown.setFont(font)
    self.countdown.setObjectName("countdown")
    # Wide enough for "expires in 59:59" whatever the window's width: never "expires in 51:".
    self.countdown.setMinimumWidth(self.countdown.fontMetrics().horizontalAdvance("expires in 00:00 ") + 4)
    top.addWidget(self.countdown)
    self.renewal_label = ElidedLabel()
    self.renewal_label.setObjectName("renewal")
    self.renewal_label.setStyleSheet("color: gray")
    top.addWidget(self.renewal_label, 1)
    return top


def build_copy_row(self: TokenView) -> QHBoxLayout:
    """Copy token / header / curl, and Inspect."""
    copy_row = QHBoxLayout()
    self.copy_token_button = QPushButton("Copy token")
    self.copy_header_button = QPushButton("Copy header")
    self.copy_header_button.setToolTip("Copy the Authorization header line")
    self.copy_curl_button = QPushButton("Copy curl")
    self.inspect_button = QPushButton("Inspect")
    self.inspect_button.setToolTip("Open this token in the Inspector")
    for b in (self.copy_token_button, self.copy_header_button, self.copy_curl_button):
        compact(b)
        copy_row.addWidget(b)
    compact(self.inspect_button)
    copy_row.addStretch(1)
    copy_row.addWidget(self.inspect_button)
    self.copy_token_button.clicked.connect(self.copy_token)
    self.copy_header_button.clicked.connect(self.copy_header)
    self.copy_curl_button.clicked.connect(self.copy_curl)
    self.inspect_button.clicked.connect(self.on_inspect_clicked)
    return copy_row


__all__ = ["build_copy_row", "build_countdown"]
