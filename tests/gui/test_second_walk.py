"""The desktop app's second walk (issue 21): no action does what it didn't say, state that
stays true, requests as Postman users expect."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.test_inspector_and_keys import tm_key_material


def focus(qtbot, window, widget):
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


# -- 1. a shortcut acts only on the view that has focus ---------------------------------------
def test_ctrl_enter_in_the_inspector_key_box_verifies_and_sends_nothing(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    request = window.request_view
    request.method.setCurrentText("POST")
    request.url.setText("/api/echo")
    sent: list[object] = []
    request.response_received.connect(sent.append)

    window.show_tab("inspector")
    view = window.inspector_view
    view.set_token(sandbox.issue_token("true-markets"))
    pem, _jwk = tm_key_material(sandbox)
    view.set_key("pem", pem)
    qtbot.waitUntil(lambda: window.runner.active_count == 0)
    focus(qtbot, window, view.key_text)
    verified = lambda ins: ins.signature_valid is not None  # noqa: E731
    with qtbot.waitSignal(view.inspected, timeout=5_000, check_params_cb=verified) as blocker:
        qtbot.keyClick(view.key_text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0].signature_valid is True
    qtbot.wait(200)
    assert window.tabs.currentWidget() is view
    assert sent == [] and window.runner.active_count == 0


def test_ctrl_enter_in_the_request_editor_sends(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.show_tab("request")
    request = window.request_view
    request.url.setText("/api/echo")
    focus(qtbot, window, request.body)
    with qtbot.waitSignal(request.response_received, timeout=10_000):
        qtbot.keyClick(request.body, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_enter_on_the_token_tab_sends_no_request(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    request = window.request_view
    request.url.setText("/api/echo")
    sent: list[object] = []
    request.response_received.connect(sent.append)
    window.show_tab("token")
    focus(qtbot, window, window.sidebar)
    qtbot.keyClick(window.sidebar, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(300)
    assert sent == [] and window.tabs.currentWidget() is window.token_view
