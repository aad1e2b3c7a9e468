"""Issue 10, item 7: the window has a minimum size, and at 800x500 and 600x380 nothing is cut:
the countdown reads whole and no button of the window or the Token tab is clipped."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QPushButton


def clipped_buttons(window) -> list[str]:
    """Visible buttons narrower than their text needs, or not wholly inside the window."""
    out = []
    inside = window.rect()
    for button in window.findChildren(QPushButton):
        if not button.isVisibleTo(window) or not button.isVisible():
            continue
        top_left = button.mapTo(window, button.rect().topLeft())
        area = QRect(top_left, button.size())
        needs = button.fontMetrics().horizontalAdvance(button.text()) + 12  # text and its padding
        if button.width() < needs or not inside.contains(area):
            out.append(f"{button.text()!r} {button.width()}<{needs} at {area}")
    return out


@pytest.mark.parametrize("size", [(800, 500), (600, 380)])
def test_small_windows_stay_usable(qtbot, make_window, add_profile, size):
    add_profile("true-markets", "tm")
    add_profile("oauth2-client-credentials", "a-very-long-profile-name-for-the-sidebar")
    window = make_window(select="tm")
    with qtbot.waitSignal(window.token_view.token_obtained, timeout=10_000):
        window.token_view.mint_button.click()
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size)
    QApplication.processEvents()
    countdown = window.token_view.countdown
    assert countdown.text().startswith("expires in ")
    assert countdown.width() >= countdown.fontMetrics().horizontalAdvance(countdown.text())
    assert countdown.width() >= countdown.fontMetrics().horizontalAdvance("expires in 59:59")
    assert clipped_buttons(window) == []
    assert window.sidebar.width() >= 150


def test_the_window_cannot_be_made_too_small_to_use(make_window):
    window = make_window()
    window.resize(300, 200)
    assert window.width() >= 600 and window.height() >= 380
