"""The profiles sidebar: one row per profile with its state dot, the time its token has left
and a tooltip; refreshed from the token model's one notification and the one-second tick.

The tree widget itself is built with the window (``window_ui``); this keeps what it shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem

from workbench.gui.token_details import auto_renewal_text
from workbench.gui.widgets import PRESET_ROLE, humanize_seconds, state_dot

if TYPE_CHECKING:
    from collections.abc import Iterable

    from PySide6.QtWidgets import QTreeWidget

    from workbench.core.profiles.profile import Profile
    from workbench.gui.token_model import TokenModel

# Qt.ItemDataRole.UserRole: a row's profile name (column 0) and the state it shows (column 1).
NAME_ROLE = 0x0100
# The tooltip's line for each state (left: the time the token has left).
STATE_WORDS = {
    "busy": "obtaining a token…",
    "none": "no token yet",
    "expired": "token expired",
    "error": "no usable token",
    "valid": "token valid, expires in {left}",
    "expiring": "token expiring in {left}",
}
# The "Left" column for states without a countdown.
LEFT_TEXT = {"busy": "…", "error": "error", "none": "—", "expired": "expired"}


class ProfileSidebar:
    """Attributes:
    tree: the sidebar's tree widget (column 0: name and preset; column 1: time left).
    tokens: the token model it shows.
    profiles: the profiles listed, by name.
    """

    def __init__(self, tree: QTreeWidget, tokens: TokenModel) -> None:
        self.tree = tree
        self.tokens = tokens
        self.profiles: dict[str, Profile] = {}
        tokens.changed.connect(self.on_tokens_changed)

    # -- rows -------------------------------------------------------------------------------------
    def show_profiles(self, profiles: Iterable[Profile]) -> None:
        """One row per profile (no selection signals meanwhile; the caller selects one)."""
        self.profiles = {p.name: p for p in profiles}
        self.tree.blockSignals(True)
        self.tree.clear()
        for p in self.profiles.values():
            item = QTreeWidgetItem(self.tree, [p.name, ""])
            item.setData(0, NAME_ROLE, p.name)
            item.setData(0, PRESET_ROLE, p.preset_name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.tree.blockSignals(False)

    def items(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def selected_name(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, NAME_ROLE) if item is not None else None

    def select(self, name: str | None) -> None:
        for item in self.items():
            if item.data(0, NAME_ROLE) == name:
                self.tree.setCurrentItem(item)
                return

    # -- state ------------------------------------------------------------------------------------
    def state_of(self, name: str) -> tuple[str, str]:
        """(state, time-left text), from the token model and the clock; "pending" for an imported
        profile that still needs input (no token can be had until it is completed)."""
        profile = self.profiles.get(name)
        if profile is not None and profile.pending:
            return "pending", "needs input"
        status = self.tokens.status(name)
        if status.state in LEFT_TEXT:
            return status.state, LEFT_TEXT[status.state]
        if status.seconds_left is None:
            return status.state, "∞?"
        return status.state, humanize_seconds(status.seconds_left)

    def on_tokens_changed(self, names: frozenset[str]) -> None:
        self.refresh(names)

    def refresh(self, names: frozenset[str] | None = None) -> None:
        """Redraw the rows of `names` (all when None): dot, time left, tooltip."""
        if self.tokens.ctx is None:
            return
        now = self.tokens.now()
        for item in self.items():
            name = item.data(0, NAME_ROLE)
            if names is not None and name not in names:
                continue
            state, left = self.state_of(name)
            if item.data(1, NAME_ROLE) != state:
                item.setIcon(0, state_dot(state))
                item.setData(1, NAME_ROLE, state)
            if item.text(1) != left:
                item.setText(1, left)
            tip = self.tooltip(name, state, left, now)
            if item.toolTip(0) != tip:
                item.setToolTip(0, tip)
                item.setToolTip(1, tip)

    def tooltip(self, name: str, state: str, left: str, now: float) -> str:
        p = self.profiles.get(name)
        lines = [name] if p is None else [name, f"{p.preset.title} ({p.preset_name})", p.base_url]
        if state == "pending" and p is not None:
            lines.append(f"pending: needs {p.missing_flags()}")
        else:
            lines.append(STATE_WORDS.get(state, state).format(left=left))
        renewal = self.tokens.auto_renewal(name)
        if renewal.phase == "scheduled":
            lines.append(f"auto-refresh: refreshes in {humanize_seconds(renewal.seconds)}")
        elif renewal.phase != "off":
            words = auto_renewal_text(renewal)
            lines.append(words if words.startswith("auto-refresh") else f"auto-refresh: {words}")
        error = self.tokens.error(name)
        if error is not None:
            lines.append(f"last attempt failed: {error}")
        return "\n".join(lines)


__all__ = ["NAME_ROLE", "ProfileSidebar"]
