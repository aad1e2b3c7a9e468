"""The Inspector's JSON boxes and its verdict banner.

* :class:`JsonView`: a read-only header or payload, syntax-coloured in the palette's sense
  (one set of colours for a light base, one for a dark one, switched when the palette
  changes), whose time claims (``exp``, ``iat``, ``nbf``, ``auth_time``) say their date and
  how long ago or ahead they are when hovered;
* :class:`VerdictBanner`: the signature verdict as a tinted strip ("✓ Signature verified"
  on green, red for a bad signature, amber when it could not be checked).

What the words say comes from :mod:`workbench.gui.inspector_text`; this module only draws.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QToolTip, QWidget

from workbench.core.jose.inspect.registry import TIME_CLAIMS
from workbench.gui.inspector_text import time_tooltip
from workbench.gui.widgets import STATE_COLORS, WrappingLabel, monospace_font

# VS Code's JSON colours: each set reads on its own background.
LIGHT_COLORS = {"key": "#0451a5", "string": "#a31515", "number": "#098658", "literal": "#0000ff"}
DARK_COLORS = {"key": "#9cdcfe", "string": "#ce9178", "number": "#b5cea8", "literal": "#569cd6"}

_TOKENS = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*")(?P<colon>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
)
# A top-level time claim in `pretty_json`'s layout (two spaces in): "  \"exp\": 1716200000,".
_TIME_LINE = re.compile(r'^  "(?P<claim>[a-z_]+)": (?P<value>-?\d+(?:\.\d+)?),?$')


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class JsonHighlighter(QSyntaxHighlighter):
    """Colours JSON text by token (keys, strings, numbers, true/false/null); off for text
    that is not JSON (a text or binary payload is shown as it is)."""

    def __init__(self, document: QTextDocument, *, dark: bool = False) -> None:
        super().__init__(document)
        self.enabled = True
        self.dark = dark
        self._formats: dict[str, QTextCharFormat] = {}
        self._set_formats()

    def _set_formats(self) -> None:
        colors = DARK_COLORS if self.dark else LIGHT_COLORS
        self._formats = {}
        for kind, color in colors.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            self._formats[kind] = fmt

    def set_dark(self, dark: bool) -> None:
        if dark != self.dark:
            self.dark = dark
            self._set_formats()
            self.rehighlight()

    def color_at(self, kind: str) -> str:
        return (DARK_COLORS if self.dark else LIGHT_COLORS)[kind]

    def highlightBlock(self, text: str) -> None:
        if not self.enabled:
            return
        for match in _TOKENS.finditer(text):
            if match.group("string") is not None:
                kind = "key" if match.group("colon") else "string"
                self.setFormat(match.start("string"), len(match.group("string")), self._formats[kind])
            elif match.group("number") is not None:
                self.setFormat(match.start(), len(match.group()), self._formats["number"])
            else:
                self.setFormat(match.start(), len(match.group()), self._formats["literal"])


class JsonView(QPlainTextEdit):
    """A read-only, coloured JSON box; a time claim's line explains itself when hovered.

    Attributes:
        now: the clock's time the hover text is relative to (the Inspector's tick sets it).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(monospace_font())
        self.now = 0.0
        self.highlighter = JsonHighlighter(self.document(), dark=is_dark(self.palette()))

    def set_json_text(self, text: str, *, is_json: bool = True) -> None:
        self.highlighter.enabled = is_json
        self.setPlainText(text)

    def time_claim_at_line(self, line: int) -> tuple[str, float] | None:
        """(claim, value) when line `line` holds a top-level time claim."""
        block = self.document().findBlockByNumber(line)
        match = _TIME_LINE.match(block.text()) if block.isValid() else None
        if match is None or match.group("claim") not in TIME_CLAIMS or not self.highlighter.enabled:
            return None
        return match.group("claim"), float(match.group("value"))

    def tooltip_at(self, pos: QPoint) -> str:
        """What hovering at `pos` (viewport coordinates) shows: a time claim's date, else nothing."""
        found = self.time_claim_at_line(self.cursorForPosition(pos).blockNumber())
        return time_tooltip(found[0], found[1], self.now) if found is not None else ""

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos())  # type: ignore[attr-defined]
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_dark(is_dark(self.palette()))


VERDICT_COLORS = {
    "verified": STATE_COLORS["valid"],
    "invalid": STATE_COLORS["error"],
    "unchecked": STATE_COLORS["expiring"],
    "error": STATE_COLORS["error"],  # the key or token could not be read
}


class VerdictBanner(WrappingLabel):
    """The signature verdict, as a strip tinted by its kind ("verified", "invalid",
    "unchecked"; "info" is plain). A long reason wraps rather than clips."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.kind = "info"
        self.set_verdict("info", text)

    def set_verdict(self, kind: str, text: str) -> None:
        self.kind = kind
        color = VERDICT_COLORS.get(kind)
        if color is None:
            self.setStyleSheet("")
        else:
            base = QColor(color)
            window = self.palette().color(QPalette.ColorRole.Window)
            # The window colour tinted towards the verdict's: legible in light and dark
            # palettes, the text in the palette's own colour, a solid edge in the verdict's.
            tint = QColor(
                (window.red() * 3 + base.red()) // 4,
                (window.green() * 3 + base.green()) // 4,
                (window.blue() * 3 + base.blue()) // 4,
            )
            self.setStyleSheet(
                f"QLabel {{ background: {tint.name()}; border-left: 4px solid {color}; "
                "padding: 4px 8px; font-weight: bold; }"
            )
        self.setText(text)


__all__ = ["DARK_COLORS", "LIGHT_COLORS", "JsonHighlighter", "JsonView", "VerdictBanner", "is_dark"]
