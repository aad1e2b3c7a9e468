"""The Request tab shows what it sends: effective headers with the injected Authorization
(masked, with Reveal), a query-parameter editor in step with the URL, no stale response
after switching profiles, and a base URL shortened by whole segments."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from tests.gui.conftest import obtain, table_rows
from workbench.gui.request_view import NO_JWT_TIP
from workbench.gui.sent_headers import MASK


def minted(qtbot, window):
    return obtain(qtbot, window, window.token_view.mint_button.click).access_token


def test_sent_headers_include_the_injected_authorization_masked_with_reveal(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    token = minted(qtbot, window)
    window.show_tab("request")
    view = window.request_view
    view.set_headers([("X-Demo", "yes")])
    view.body.setPlainText('{"a": 1}')
    view.update_sent_headers()
    rows = dict(table_rows(view.sent_headers))
    assert rows["X-Demo"] == "yes"
    assert rows["Content-Type"] == "application/json"
    assert rows["Authorization"] == f"Bearer {MASK} ({len(token)} characters)"
    assert all(token not in value for value in rows.values())
    view.reveal_token.setChecked(True)
    assert dict(table_rows(view.sent_headers))["Authorization"] == f"Bearer {token}"
    assert view.request_tabs.tabText(3) == "Sent headers (3)"


def test_the_reveal_is_forgotten_when_the_profile_changes(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    add_profile("api-key-sliding", "sl")
    window = make_window(select="tot")
    minted(qtbot, window)
    view = window.request_view
    view.reveal_token.setChecked(True)
    window.select_profile("sl")
    assert not view.reveal_token.isChecked()


def test_query_parameters_have_their_own_editor_in_step_with_the_url(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    view.url.setText("/api/echo?a=1&b=two words")
    assert view.params.pairs() == [("a", "1"), ("b", "two words")]
    view.params.item(0, 1).setText("42")
    assert view.url.text() == "/api/echo?a=42&b=two%20words"
    row = view.params.rowCount() - 1  # the blank row to type into
    view.params.item(row, 0).setText("c")
    view.params.item(row, 1).setText("x/y")
    assert view.url.text() == "/api/echo?a=42&b=two%20words&c=x/y"
    with qtbot.waitSignal(view.response_received, timeout=10_000) as blocker:
        view.send()
    assert blocker.args[0].json()["query"] == {"a": "42", "b": "two words", "c": "x/y"}


def test_switching_profiles_clears_the_previous_response(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    add_profile("api-key-sliding", "sl")
    window = make_window(select="tot")
    view = window.request_view
    view.url.setText("/api/echo")
    with qtbot.waitSignal(view.response_received, timeout=10_000):
        view.send()
    assert view.status_label.text().startswith("200")
    assert view.response_body.toPlainText()
    window.select_profile("sl")
    assert view.status_label.text() == "No response yet"
    assert view.response_body.toPlainText() == ""
    assert view.response_headers.rowCount() == 0
    assert not view.inspect_button.isEnabled()
    assert view.inspect_button.toolTip() == NO_JWT_TIP  # a disabled button says why
    assert view.last_result is None


def test_a_long_base_url_is_shortened_by_whole_segments_never_mid_word(qtbot):
    from workbench.gui.widgets import ElidedLabel

    url = "https://api.uat.example-provider.com/tenants/acme-corporation/environments/staging/v1/auth"
    label = ElidedLabel(url=True)
    qtbot.addWidget(label)
    label.setText(url)
    label.show()
    segments = set(url.split("/"))
    for width in (120, 260, 380, 520):
        label.resize(width, 20)
        shown = QLabel.text(label)
        assert label.fontMetrics().horizontalAdvance(shown) <= width or "…" not in shown
        if shown != url and "/…" in shown:
            for part in shown.split("/"):
                assert part in segments or part == "…", (width, shown)
        assert label.toolTip() == url
    label.resize(380, 20)
    assert QLabel.text(label).startswith("https://api.uat.example-provider.com/…/")
    assert QLabel.text(label).endswith("/v1/auth")


def test_a_side_panel_can_be_added_beside_the_editor(qtbot, make_window):
    from PySide6.QtWidgets import QListWidget

    window = make_window()
    panel = QListWidget()
    window.request_view.add_side_panel(panel)
    assert window.request_view.side_split.widget(0) is panel
    window.request_view.load_request("POST", "/api/echo?x=1", [("X-A", "b")], "{}")
    assert window.request_view.current_request() == ("POST", "/api/echo?x=1", [("X-A", "b")], "{}")
    assert window.request_view.params.pairs() == [("x", "1")]


def test_the_saved_requests_panel_gives_way_in_a_small_window(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    if view.side_panel is None:  # the panel is another module's; give the view one if absent
        from PySide6.QtWidgets import QListWidget

        view.add_side_panel(QListWidget())
    window.show_tab("request")
    window.resize(800, 500)
    qtbot.waitUntil(lambda: not view.side_panel.isVisible(), timeout=3000)
    assert not view.side_toggle.isChecked()
    qtbot.waitUntil(lambda: view.url.width() >= 200, timeout=3000)  # the URL keeps room to be read
    view.side_toggle.click()  # the user wants it anyway
    assert view.side_panel.isVisible()
    window.resize(820, 520)
    qtbot.wait(50)
    assert view.side_panel.isVisible()  # a choice made by hand stays
    window.resize(1440, 900)
    qtbot.wait(50)
    assert view.side_panel.isVisible()
