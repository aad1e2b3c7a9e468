"""Introspection in the Inspector (RFC 7662): the Introspect tab asks the selected profile's issuer,
off the GUI thread, shows `active` and the claims, keeps the answer per token (pasting a token
again shows it), and says `not active` plainly for a token its issuer refuses. The profile editor's
"Fetch endpoints from issuer" result says what the issuer advertises."""

from __future__ import annotations

from tests.gui.conftest import obtain
from tests.gui.test_dpop_gui import add_dpop_profile


def _table(panel) -> dict[str, str]:
    return {
        panel.table.topLevelItem(i).text(0): panel.table.topLevelItem(i).text(1)
        for i in range(panel.table.topLevelItemCount())
    }


def test_the_inspector_introspects_a_token_and_keeps_the_answer_per_token(qtbot, make_window, ctx, sandbox):
    add_dpop_profile(ctx, sandbox)
    window = make_window(select="dp")
    result = obtain(qtbot, window, window.token_view.mint_button.click)
    view = window.inspector_view
    window.inspect_action.trigger()
    view.tabs.setCurrentWidget(view.introspection)
    panel = view.introspection
    qtbot.waitUntil(lambda: panel.profile_combo.currentText() == "dp", timeout=10_000)
    with qtbot.waitSignal(panel.introspected, timeout=10_000) as blocker:
        panel.introspect_button.click()
    assert blocker.args[0].active is True
    rows = _table(panel)
    assert rows["active"] == "true" and rows["token_type"] == "DPoP" and rows["cnf"].startswith("jkt ")
    assert "(in " in rows["exp"]
    assert "✓ active" in panel.status.text() and result.access_token not in panel.status.text()

    expired = sandbox.issue_token("oauth2-client-credentials", lifetime=-30)
    view.set_token(expired)
    assert panel.active_shown() is None and panel.table.topLevelItemCount() == 0  # not asked yet
    with qtbot.waitSignal(panel.introspected, timeout=10_000) as blocker:
        panel.introspect_button.click()
    assert blocker.args[0].active is False
    assert _table(panel) == {"active": "false — the issuer does not accept this token"}
    assert "✗ not active" in panel.status.text()

    view.set_token(result.access_token)  # the first token again: its answer is still there
    assert panel.active_shown() is True and _table(panel)["token_type"] == "DPoP"


def test_a_profile_without_an_introspection_endpoint_says_so_in_one_line(qtbot, make_window, ctx, sandbox):
    spec = sandbox.demo_profiles()["oauth2-client-credentials"]
    vars_ = {k: v for k, v in spec["vars"].items() if k != "introspection_endpoint"}
    ctx.profiles.create("cc", preset="oauth2-client-credentials", base_url=spec["base_url"], vars=vars_,
                        secret_names=list(spec["secrets"]))  # fmt: skip
    for key, value in spec["secrets"].items():
        ctx.vault.store("cc", key, value)
    window = make_window(select="cc")
    window.open_in_inspector(sandbox.issue_token("oauth2-client-credentials"))  # a token pasted in
    view = window.inspector_view
    view.tabs.setCurrentWidget(view.introspection)
    panel = view.introspection
    qtbot.waitUntil(lambda: panel.profile_combo.currentText() == "cc", timeout=10_000)
    before = sandbox.calls("oauth2-client-credentials")
    panel.introspect_button.click()
    qtbot.waitUntil(lambda: panel.status.text().startswith("✗"), timeout=10_000)
    assert "names no introspection endpoint" in panel.status.text() and "\n" not in panel.status.text()
    assert sandbox.calls("oauth2-client-credentials") == before


def test_the_editors_fetch_result_says_everything_the_issuer_advertises(qtbot, make_window, sandbox):
    window = make_window()
    editor = window.new_profile("oauth2-authorization-code")
    qtbot.waitExposed(editor)
    fapi = sandbox.providers["idp-fapi"]
    editor.base_url.setText(fapi.base_url)
    row = editor.discovery_row
    with qtbot.waitSignal(row.discovered, timeout=10_000):
        row.button.click()
    text = row.result.text()
    assert "PAR required" in text and "signed request objects required" in text and "introspection" in text
    assert "client auth none, client_secret_basic, client_secret_post" in text
    assert "Introspection: " + fapi.base_url + "/introspect" in row.result.toolTip()
    auth = editor.var_fields["client_auth"]  # a list: its "automatic" choice says what it does now
    assert "among none, client_secret_basic" in auth.itemText(auth.findData(""))


def test_the_demo_par_profile_logs_in_from_the_token_view_through_a_pushed_request(
    qtbot, make_window, ctx, sandbox, monkeypatch
):
    fapi = sandbox.providers["idp-fapi"]
    opened: list[str] = []

    def open_and_approve(url: str) -> bool:
        opened.append(url)
        return fapi.play_user(url)

    monkeypatch.setattr("workbench.core.oauth.login.default_opener", open_and_approve)
    spec = sandbox.demo_extra_profiles()["oauth2-par"]
    ctx.profiles.create("par", preset=spec["preset"], base_url=spec["base_url"], vars=spec["vars"],
                        secret_names=list(spec["secrets"]))  # fmt: skip
    for key, value in spec["secrets"].items():
        ctx.vault.store("par", key, value)
    window = make_window(select="par")
    result = obtain(qtbot, window, window.token_view.login_panel.login_button.click, timeout=20_000)
    assert result.access_token and "request_uri=urn" in opened[0] and "code_challenge" not in opened[0]
