"""What a new user sees instead of an empty Token tab: create a profile, or try the demo."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePage(QWidget):
    """Signals:
    new_profile_requested(): "Create a profile…".
    demo_requested(): "Try the demo".
    """

    new_profile_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel("<h2>Welcome to Token Workbench</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Create a profile for each API account you use: pick its provider's preset, enter the "
            "base URL and credentials (they go to the OS keychain), then Mint or Refresh to get a "
            "token. The Inspector and Keys tabs work without a profile."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.new_button = QPushButton("Create a profile…")
        self.new_button.setDefault(True)
        self.new_button.clicked.connect(self.on_new_clicked)
        self.demo_button = QPushButton("Try the demo")
        self.demo_button.setToolTip("Opens a second window with a local sandbox that emulates every provider")
        self.demo_button.clicked.connect(self.on_demo_clicked)
        note = QLabel(
            "The demo runs against a local sandbox with throwaway profiles: nothing touches your "
            "keychain or real providers (also: <code>workbench gui --demo</code>)."
        )
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        note.setStyleSheet("color: gray")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addWidget(note)
        layout.addStretch(2)

    # Slots without parameters: `clicked(bool)` must not reach the signals.
    def on_new_clicked(self) -> None:
        self.new_profile_requested.emit()

    def on_demo_clicked(self) -> None:
        self.demo_requested.emit()


__all__ = ["WelcomePage"]
