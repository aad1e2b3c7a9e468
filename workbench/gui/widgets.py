"""Small shared widgets: the error banner, the coloured JWT view, fonts and state dots."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QIcon,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextEdit,
    QToolButton,
    QWidget,
)

# jwt.io's colours for the three parts; they read on light and dark backgrounds alike.
JWT_COLORS = ("#e0245e", "#b14bd6", "#0a9fd8")
# A JWE's five parts: header, encrypted key, IV, ciphertext, tag (header in the JWS colour).
JWE_COLORS = ("#e0245e", "#d97706", "#2e9d46", "#b14bd6", "#0a9fd8")

STATE_COLORS = {
    "valid": "#2e9d46",
    "expiring": "#e3a008",
    "expired": "#d64545",
    "error": "#d64545",
    "busy": "#3b82f6",
    "none": "#9aa0a6",
    "pending": "#8b5cf6",  # an imported profile that still needs input
}


def monospace_font(point_delta: int = 0) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    if point_delta and font.pointSize() > 0:
        font.setPointSize(font.pointSize() + point_delta)
    return font


def bold_label(text: str = "") -> QLabel:
    """A label in the bold variant of its own font (section titles, the response status)."""
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


_dot_cache: dict[tuple[str, int], QIcon] = {}


def state_dot(state: str, size: int = 12) -> QIcon:
    key = (state, size)
    icon = _dot_cache.get(key)
    if icon is None:
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATE_COLORS.get(state, STATE_COLORS["none"])))
        painter.drawEllipse(1, 1, size - 2, size - 2)
        painter.end()
        icon = QIcon(pix)
        _dot_cache[key] = icon
    return icon


class ErrorBanner(QFrame):
    """A dismissible strip that shows one user-facing message (errors or warnings).

    Signals:
        dismissed(): the user closed the banner.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.icon = QLabel("⚠")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.kind = "error"
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.kind = kind
        base = QColor("#d64545" if kind == "error" else "#e3a008")
        pal = self.palette()
        window = pal.color(QPalette.ColorRole.Window)
        # Tint the window colour towards red/amber: legible in light and dark palettes.
        mix = QColor(
            (window.red() * 3 + base.red()) // 4,
            (window.green() * 3 + base.green()) // 4,
            (window.blue() * 3 + base.blue()) // 4,
        )
        pal.setColor(QPalette.ColorRole.Window, mix)
        self.setPalette(pal)
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self.hide()
        self.label.clear()
        self.dismissed.emit()


class JwtView(QTextEdit):
    """Read-only, monospace view of a token with its three parts in distinct colours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(monospace_font())
        self.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.setAcceptRichText(False)
        self._token = ""

    def sizeHint(self) -> QSize:
        return QSize(400, 110)

    @property
    def token(self) -> str:
        return self._token

    def set_token(self, token: str | None, placeholder: str = "") -> None:
        self._token = token or ""
        if not token:
            self.setPlaceholderText(placeholder)
            self.clear()
            return
        parts = token.split(".")
        if len(parts) in (3, 5):  # a JWS, or a JWE's five parts
            colors = JWT_COLORS if len(parts) == 3 else JWE_COLORS
            spans = [
                f'<span style="color:{color}">{html.escape(part)}</span>'
                for part, color in zip(parts, colors, strict=True)
            ]
            body = ".".join(spans)
        else:  # opaque token: no parts to colour
            body = html.escape(token)
        self.setHtml(f'<div style="font-family:monospace">{body}</div>')


class JwtHighlighter(QSyntaxHighlighter):
    """Colours an editable token by segment, as jwt.io does: three parts for a JWS, five for a JWE.

    A token pasted over several lines keeps counting: each block's state is the segment its
    last character belongs to, so the next line carries on in the same colour.
    """

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}

    def _format(self, color: str) -> QTextCharFormat:
        fmt = self._formats.get(color)
        if fmt is None:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            self._formats[color] = fmt
        return fmt

    def highlightBlock(self, text: str) -> None:
        document = self.document()
        dots = document.toPlainText().count(".") if document is not None else 2
        colors = JWE_COLORS if dots == 4 else JWT_COLORS
        segment = max(self.previousBlockState(), 0)
        start = 0
        for index, char in enumerate(text + "."):
            if char != ".":
                continue
            if index > start and segment < len(colors):
                self.setFormat(start, index - start, self._format(colors[segment]))
            if index < len(text):
                segment += 1
            start = index + 1
        self.setCurrentBlockState(segment)


def text_box(read_only: bool = True, mono: bool = True, placeholder: str = "") -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setReadOnly(read_only)
    if mono:
        box.setFont(monospace_font())
    if placeholder:
        box.setPlaceholderText(placeholder)
    return box


def humanize_seconds(seconds: float) -> str:
    """A compact countdown: "14:05", "1 h 02 min", "2 d 3 h"."""
    s = int(seconds)
    if s < 0:
        s = 0
    if s < 3600:
        return f"{s // 60:d}:{s % 60:02d}"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


PRESET_ROLE = 0x0100 + 1  # Qt.ItemDataRole.UserRole + 1: the preset name under a profile's name


class ProfileDelegate(QStyledItemDelegate):
    """Sidebar cell: the profile name, and its preset in smaller, muted text beneath it."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(base.width(), option.fontMetrics.height() * 2 + 8)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        name, preset = opt.text, index.data(PRESET_ROLE) or ""
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal
        text_color = opt.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        painter.save()
        half = rect.height() // 2
        name_font = QFont(opt.font)
        name_font.setBold(True)
        painter.setFont(name_font)
        painter.setPen(text_color)
        fm = QFontMetrics(name_font)
        painter.drawText(
            rect.adjusted(2, 0, -2, -half),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
            fm.elidedText(name, Qt.TextElideMode.ElideRight, rect.width() - 4),
        )
        small = QFont(opt.font)
        if small.pointSizeF() > 0:
            small.setPointSizeF(small.pointSizeF() * 0.9)
        painter.setFont(small)
        muted = QColor(text_color)
        muted.setAlphaF(0.65)
        painter.setPen(muted)
        fm = QFontMetrics(small)
        painter.drawText(
            rect.adjusted(2, half, -2, 0),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            fm.elidedText(preset, Qt.TextElideMode.ElideRight, rect.width() - 4),
        )
        painter.restore()


class ElidedLabel(QLabel):
    """A one-line label that shortens itself with "…" instead of widening its window.

    A plain QLabel's minimum width is its whole text, so a long URL or status line pushes
    the splitter (and the profiles sidebar) aside. The full text stays in the tooltip.
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        *,
        url: bool = False,
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self._url = url
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4, hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("…") * 3, super().minimumSizeHint().height())

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width(), 0)
        if self._url:
            shown = elide_url(self._full, self.fontMetrics(), width)
        else:
            shown = self.fontMetrics().elidedText(self._full, self._mode, width)
        super().setText(shown if self.width() > 0 else self._full)


def elide_url(url: str, metrics: QFontMetrics, width: int) -> str:
    """`url` shortened to `width` pixels by whole path segments, never mid-word.

    Keeps the origin and as many trailing segments as fit ("https://host/…/v1/auth"),
    then the origin alone ("https://host/…"); only a host too long for the space is cut.
    """
    if metrics.horizontalAdvance(url) <= width:
        return url
    scheme_end = url.find("://")
    path_start = url.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    if path_start < 0:
        return metrics.elidedText(url, Qt.TextElideMode.ElideRight, width)
    origin, path = url[:path_start], url[path_start:]
    segments = [s for s in path.split("/") if s]
    for keep in range(len(segments) - 1, 0, -1):
        candidate = f"{origin}/…/" + "/".join(segments[-keep:])
        if metrics.horizontalAdvance(candidate) <= width:
            return candidate
    candidate = f"{origin}/…"
    if metrics.horizontalAdvance(candidate) <= width:
        return candidate
    return metrics.elidedText(url, Qt.TextElideMode.ElideRight, width)


def compact(button: QPushButton) -> None:
    """Let a button shrink to its text (plus padding) instead of the style's 80 px minimum, so a
    row of them fits a small window without being cut."""
    button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 20)


class WrappingLabel(QLabel):
    """A word-wrapped label that asks for the height its text needs at its width: a layout
    with a fixed-height row (or a Maximum size policy) otherwise clips the second line, as at
    a scale factor of 2."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.width() > 0:
            needed = self.heightForWidth(self.width())
            if needed > 0 and needed != self.minimumHeight():
                self.setMinimumHeight(needed)


class EnterFilter(QObject):
    """An event filter: Enter (or, with `needs_ctrl`, Ctrl+Enter, for a multi-line box) runs
    `action`; Shift+Enter stays a newline."""

    def __init__(
        self, action: Callable[[], object], parent: QObject, *, needs_ctrl: bool = False, what: str = ""
    ) -> None:
        super().__init__(parent)
        self._action = action
        self._needs_ctrl = needs_ctrl
        self.what = what  # for Help ▸ Keyboard shortcuts (workbench.gui.shortcuts)

    @property
    def action(self) -> Callable[[], object]:
        return self._action

    @property
    def needs_ctrl(self) -> bool:
        return self._needs_ctrl

    def _claims(self, event: QKeyEvent) -> bool:
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ShiftModifier:
            return False
        return not (self._needs_ctrl and not mods & Qt.KeyboardModifier.ControlModifier)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, QKeyEvent):
            return False
        if event.type() == QEvent.Type.ShortcutOverride and self._claims(event):
            # The focused box claims its key: no window-wide shortcut on the same keys runs.
            event.accept()
            return True
        if event.type() == QEvent.Type.KeyPress and self._claims(event):
            self._action()
            return True
        return False


def refill(combo: QComboBox, items: Sequence[str], *keep: str | None) -> None:
    """Replace a list's items without a change signal, selecting the first of `keep` it still has."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(list(items))
    for choice in keep:
        if choice and choice in items:
            combo.setCurrentText(choice)
            break
    combo.blockSignals(False)


def tab_stops(root: QWidget) -> list[QWidget]:
    """`root`'s widgets that Tab stops at, in the order they were added (top to bottom, left to
    right in this form)."""
    out: list[QWidget] = []
    for child in root.children():
        if not isinstance(child, QWidget) or child.isWindow():  # a combo box's popup, a dialog
            continue
        if child.focusPolicy() & Qt.FocusPolicy.TabFocus:
            out.append(child)  # a control: its own parts (a text box's viewport) are not stops
        else:
            out.extend(tab_stops(child))
    return out


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 profile", "3 profiles", "2 keychain entries" (`plural` when not `singular` + "s")."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
