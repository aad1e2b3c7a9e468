"""The profile editor's "how the token is sent" rows: `[settings] token_placement`,
`token_parameter` and `token_scheme` (core: `profiles.profile.with_token_settings`), the same
settings `profile set --set token_placement=query` writes. Empty fields keep the preset's way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from workbench.core.profiles.presets import TokenSpec

PLACEMENTS = (
    ("As the preset sends it", ""),
    ("In a header", "header"),
    ("As a query parameter", "query"),
)
HELP = {
    "token_placement": "Where calls, snippets and Copy put the token. A DPoP token always goes in "
    "the Authorization header.",
    "token_scheme": "The word before the token in its header (Bearer, Token, JWT); none sends the "
    "token alone. Empty: the preset's.",
    "token_parameter": "The query parameter that carries the token when it goes in the URL. "
    "Empty: access_token, or the preset's own.",
}


class TokenPlacementFields:
    """Three inputs and the settings they stand for (None: remove, the preset's way again)."""

    def __init__(self, settings: Mapping[str, Any], add_row: Callable[[str, str, QWidget, str], Any]) -> None:
        """`add_row(key, label, field, help)` lays each row out in the editor's form."""
        self.placement = QComboBox()
        self.placement.setObjectName("tokenPlacement")
        for text, value in PLACEMENTS:
            self.placement.addItem(text, value)
        index = self.placement.findData(settings.get("token_placement") or "")
        self.placement.setCurrentIndex(max(index, 0))
        self.scheme = QLineEdit(_shown_scheme(settings.get("token_scheme")))
        self.scheme.setObjectName("tokenScheme")
        self.parameter = QLineEdit(str(settings.get("token_parameter") or ""))
        self.parameter.setObjectName("tokenParameter")
        self.placement.currentIndexChanged.connect(self._follow_placement)
        self._follow_placement()
        for key, label, widget in self.rows():
            add_row(key, label, widget, HELP[key])

    def on_edited(self, edited: Callable[[str], None]) -> None:
        """Call `edited(row key)` as the user changes a field."""
        self.placement.currentIndexChanged.connect(lambda _i: edited("token_placement"))
        self.scheme.textEdited.connect(lambda _t: edited("token_scheme"))
        self.parameter.textEdited.connect(lambda _t: edited("token_parameter"))

    def show_preset(self, spec: TokenSpec) -> None:
        """Placeholders that say what the preset does when a field is left empty."""
        self.scheme.setPlaceholderText(
            f"preset: {spec.scheme or 'none'}" if spec.placement == "header" else "Bearer"
        )
        self.parameter.setPlaceholderText(spec.header if spec.placement == "query" else "access_token")
        self.placement.setItemText(0, f"As the preset sends it ({_preset_way(spec)})")

    def rows(self) -> list[tuple[str, str, QWidget]]:
        """(settings key, label, field) of each row, in order."""
        return [
            ("token_placement", "Token goes", self.placement),
            ("token_scheme", "Header scheme (optional)", self.scheme),
            ("token_parameter", "Query parameter (optional)", self.parameter),
        ]

    def widgets(self) -> list[QWidget]:
        return [self.placement, self.scheme, self.parameter]

    def values(self) -> dict[str, str | None]:
        """The token settings as `profile set` takes them: None removes one."""
        scheme: str | None = self.scheme.text().strip() or None
        if scheme is not None and scheme.lower() == "none":
            scheme = ""  # the token alone
        return {
            "token_placement": self.placement.currentData() or None,
            "token_scheme": scheme,
            "token_parameter": self.parameter.text().strip() or None,
        }

    def _follow_placement(self) -> None:
        query = self.placement.currentData() == "query"
        self.parameter.setEnabled(query or self.placement.currentData() == "")
        self.scheme.setEnabled(not query)


def _shown_scheme(value: Any) -> str:
    if value is None:
        return ""
    return str(value) or "none"


def _preset_way(spec: TokenSpec) -> str:
    if spec.placement == "query":
        return f"query parameter {spec.header}"
    if spec.placement == "cookie":
        return f"cookie {spec.header}"
    return f"{spec.header}: {spec.scheme + ' ' if spec.scheme else ''}…"
