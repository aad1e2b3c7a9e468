"""The Keys tab fits a small window: at 800×500 no button is clipped and the tab does not
force the window wider."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton


@pytest.mark.parametrize("size", [(800, 500), (1440, 900)])
def test_keys_buttons_are_whole_in_a_small_and_a_large_window(qtbot, make_window, add_profile, size):
    add_profile("true-markets", "a-profile-with-a-rather-long-name")
    window = make_window()
    window.resize(*size)
    window.show_tab("keys")
    view = window.keys_view
    view.alg.setCurrentText("RS256")  # the longest kid
    with qtbot.waitSignal(view.generated, timeout=20_000):
        view.generate()
    qtbot.wait(50)
    assert window.width() == size[0], "the Keys tab forces the window wider"
    for button in view.findChildren(QPushButton):
        if not button.isVisible():
            continue
        assert button.width() >= button.sizeHint().width(), button.text()
        top_left = button.mapTo(view, button.rect().topLeft())
        bottom_right = button.mapTo(view, button.rect().bottomRight())
        assert view.rect().contains(top_left) and view.rect().contains(bottom_right), button.text()
    assert not view.public_pem.horizontalScrollBar().isVisible()
