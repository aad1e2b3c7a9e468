"""Token placement as a profile setting in the desktop app (issue 21 item 5): the Request tab
says where the token goes (a query parameter is not an Authorization header), Send puts it
there, and the Token tab's copies follow."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from tests.gui.conftest import table_rows, wait_idle
from workbench.core.operations import create_profile, update_profile


def _pasted(ctx, sandbox, settings):
    token = sandbox.issue_token("true-markets")
    create_profile(
        ctx,
        "p",
        preset="bearer",
        base_url=sandbox.url,
        secrets={"access_token": token},
        settings=settings,
    )
    return token


def _request_tab(qtbot, window):
    window.show_tab("request")
    view = window.request_view
    wait_idle(qtbot, window)
    view.update_sent_headers()
    return view


def test_the_sent_headers_show_a_query_placed_token_in_the_url_not_in_a_header(
    qtbot, make_window, ctx, sandbox
):
    _pasted(ctx, sandbox, {"token_placement": "query", "token_parameter": "key"})
    window = make_window(select="p")
    view = _request_tab(qtbot, window)
    rows = dict(table_rows(view.sent_headers))
    assert "?key=" in rows and "Authorization" not in rows
    assert not rows["?key="].startswith("Bearer")
    assert "query" in view.sent_note.text()


def test_send_puts_the_token_where_the_profile_says(qtbot, make_window, ctx, sandbox):
    _pasted(ctx, sandbox, {"token_placement": "query"})
    window = make_window(select="p")
    view = _request_tab(qtbot, window)
    view.url.setText("/api/echo?x=1")
    with qtbot.waitSignal(view.response_received, timeout=10_000) as blocker:
        view.send_button.click()
    result = blocker.args[0]
    assert "access_token=" not in result.url  # what is shown and kept names no token


def test_a_custom_scheme_shows_in_the_sent_headers_and_the_copied_header(qtbot, make_window, ctx, sandbox):
    token = _pasted(ctx, sandbox, {"token_scheme": "JWT"})
    window = make_window(select="p")
    view = _request_tab(qtbot, window)
    rows = dict(table_rows(view.sent_headers))
    assert rows["Authorization"].startswith("JWT ")
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_header_action.trigger()
    assert QGuiApplication.clipboard().text() == f"Authorization: JWT {token}"
    update_profile(ctx, "p", settings={"token_placement": "query"})
    window.reload_profiles(select="p")
    qtbot.waitUntil(lambda: window.profiles["p"].settings.get("token_placement") == "query", timeout=5_000)
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_header_action.trigger()
    assert QGuiApplication.clipboard().text() == f"access_token={token}"
