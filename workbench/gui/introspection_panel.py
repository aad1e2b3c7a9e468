"""The Inspector's Introspect tab: ask a profile's issuer whether the pasted token is active (RFC 7662).

The request is the core operation `workbench decode --introspect` runs
(`operations.introspection.introspect_token`), on the worker pool, with the chosen profile's client
authentication. Each answer is kept for the token it was about (by its SHA-256, never the token
itself), so pasting a token again shows what its issuer said; a result for a token or profile the
user has since left is dropped (generation counter). The token is never shown here.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import user_message
from workbench.core.oauth.introspection import introspection_rows
from workbench.core.operations.introspection import introspect_token, introspectable_profiles
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, refill

if TYPE_CHECKING:
    from collections.abc import Callable

    from workbench.core.oauth.introspection import Introspected

IDLE_TEXT = "Ask the profile's issuer whether this token is active (RFC 7662), as the profile's client."


def token_key(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8", "replace")).hexdigest()


class IntrospectionPanel(QWidget):
    """Signals:
    introspected(object): an `Introspected` answer is shown.

    Attributes:
        profile_name_getter: the window's selected profile (the default choice), set by the window.
    """

    introspected = Signal(object)

    def __init__(self, services: Services, token_box: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.token_box = token_box
        self.generation = Generation()
        self.profiles_generation = Generation()
        self.profile_name_getter: Callable[[], str | None] | None = None
        self.results: dict[str, Introspected] = {}  # SHA-256 of the token → what its issuer said
        self.shown: Introspected | None = None
        outer = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Profile"))
        self.profile_combo = QComboBox()
        self.profile_combo.setMinimumContentsLength(14)
        self.profile_combo.setToolTip("Whose issuer to ask, authenticated as that profile's client")
        row.addWidget(self.profile_combo)
        self.introspect_button = QPushButton("Introspect")
        self.introspect_button.setToolTip("POST the token to the issuer's introspection endpoint (RFC 7662)")
        row.addWidget(self.introspect_button)
        self.status = QLabel(IDLE_TEXT)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.status, 1)
        outer.addLayout(row)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Member", "Value"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        outer.addWidget(self.table, 1)
        self.introspect_button.clicked.connect(self.introspect)
        self.profile_combo.currentIndexChanged.connect(self.on_profile_changed)
        self.token_box.textChanged.connect(self.on_token_changed)
        self._update_button()

    # -- inputs -----------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh_profiles()
        self.on_token_changed()

    def refresh_profiles(self) -> None:
        ctx = self.services.ctx
        if ctx is None:
            return
        gen = self.profiles_generation.next()
        self.services.runner.start(
            introspectable_profiles,
            ctx,
            owner=self,
            on_success=lambda names: self.on_profiles_listed(gen, names),
            on_failure=self.services.error_from,
        )

    def on_profiles_listed(self, gen: int, names: list[str]) -> None:
        if not self.profiles_generation.is_current(gen):
            return
        selected = self.profile_name_getter() if callable(self.profile_name_getter) else None
        refill(self.profile_combo, names, self.profile_combo.currentText(), selected)
        if not names:
            self.status.setText("No OAuth profile to ask: introspection needs one whose issuer offers it.")
        self._update_button()

    def _token(self) -> str:
        return self.token_box.toPlainText().strip()

    def _update_button(self) -> None:
        self.introspect_button.setEnabled(bool(self._token() and self.profile_combo.currentText()))

    def on_profile_changed(self, _index: int = 0) -> None:
        self.generation.next()  # an answer for the other profile is not this one's
        self._update_button()

    def on_token_changed(self) -> None:
        """Show what was said of this token before, if anything."""
        self.generation.next()
        self._update_button()
        kept = self.results.get(token_key(self._token())) if self._token() else None
        if kept is not None:
            self._show(kept)
            return
        self.shown = None
        self.table.clear()
        self.status.setText(IDLE_TEXT)
        self.status.setStyleSheet("")

    # -- work -------------------------------------------------------------------------------------
    def introspect(self) -> None:
        token, name, ctx = self._token(), self.profile_combo.currentText(), self.services.ctx
        if not token or not name or ctx is None:
            return
        gen = self.generation.next()
        key = token_key(token)
        self.introspect_button.setEnabled(False)
        self.status.setText(f"asking the issuer of {name}…")
        self.status.setStyleSheet("")
        self.services.runner.start(
            introspect_token,
            ctx,
            name,
            token,
            owner=self,
            on_success=lambda answer: self.on_introspected(gen, key, answer),
            on_failure=lambda exc: self.on_introspect_failed(gen, exc),
        )

    def on_introspected(self, gen: int, key: str, answer: Introspected) -> None:
        self.results[key] = answer  # kept for that token whatever is shown now
        if not self.generation.is_current(gen):
            return
        self._update_button()
        self._show(answer)
        self.introspected.emit(answer)

    def on_introspect_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        self._update_button()
        self.status.setText(f"✗ {user_message(exc)}")
        self.status.setStyleSheet(f"color: {STATE_COLORS['error']}")

    # -- output -----------------------------------------------------------------------------------
    def _show(self, answer: Introspected) -> None:
        self.shown = answer
        ctx = self.services.ctx
        now = ctx.clock.now() if ctx is not None else answer.checked_at
        self.table.clear()
        for member, value in introspection_rows(answer, now):
            item = QTreeWidgetItem([member, value])
            item.setToolTip(1, value)
            if member == "active":
                color = STATE_COLORS["valid" if answer.active else "error"]
                item.setForeground(1, QBrush(QColor(color)))
            self.table.addTopLevelItem(item)
        verdict = "✓ active" if answer.active else "✗ not active"
        self.status.setText(f"{verdict} at {answer.endpoint} (asked as {answer.profile})")
        self.status.setStyleSheet(f"color: {STATE_COLORS['valid' if answer.active else 'error']}")

    def active_shown(self) -> bool | None:
        """What the table says now (None: nothing asked for this token yet)."""
        return None if self.shown is None else self.shown.active


__all__ = ["IntrospectionPanel", "token_key"]
