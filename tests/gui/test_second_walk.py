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
def test_ctrl_enter_in_the_inspector_key_box_verifies_and_sends_nothing(
    qtbot, make_window, add_profile, sandbox
):
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


# -- 2. a pasted-token profile has its own view ------------------------------------------------
def make_bearer(ctx, sandbox, name="pasted", *, lifetime=600):
    from workbench.core.operations import create_profile

    token = sandbox.issue_token("true-markets") if lifetime is None else _jwt(ctx, lifetime)
    create_profile(ctx, name, preset="bearer", base_url=sandbox.url, secrets={"access_token": token})
    return token


def _jwt(ctx, lifetime):
    import jwt

    now = int(ctx.clock.now())
    return jwt.encode({"sub": "me", "iat": now, "exp": now + lifetime}, "k" * 32, algorithm="HS256")


def test_a_saved_pasted_token_is_shown_with_its_countdown(qtbot, make_window, ctx, sandbox):
    token = make_bearer(ctx, sandbox)
    window = make_window(select="pasted")
    view = window.token_view
    qtbot.waitUntil(lambda: view.token_box.token == token, timeout=5_000)
    assert view.countdown.text().startswith("expires in")
    assert view.paste_button.isVisibleTo(view) and view.paste_button.isEnabled()
    assert not view.mint_button.isVisibleTo(view) and not view.refresh_button.isVisibleTo(view)
    assert view.copy_token_button.isEnabled()
    assert "paste a new token" in view.renews_label.text()


def test_a_pasted_token_that_expires_says_so_and_offers_a_new_paste(qtbot, make_window, ctx, clock, sandbox):
    make_bearer(ctx, sandbox, lifetime=30)
    window = make_window(select="pasted")
    view = window.token_view
    qtbot.waitUntil(lambda: view.result is not None, timeout=5_000)
    clock.advance(60)
    qtbot.waitUntil(lambda: view.countdown.text() == "expired", timeout=5_000)
    assert "paste a new token" in view.renewal_label.text()
    assert "next use" not in view.renews_label.text() and "paste a new token" in view.renews_label.text()
    assert not view.copy_token_button.isEnabled() and "paste a new one" in view.copy_token_button.toolTip()

    fresh = _jwt(ctx, 600)
    focus(qtbot, window, window.sidebar)
    qtbot.keyClick(
        window.sidebar, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    dialog = view.paster.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue(f"Bearer {fresh}")
    dialog.accept()
    qtbot.waitUntil(lambda: view.token_box.token == fresh, timeout=5_000)
    assert view.countdown.text().startswith("expires in") and view.copy_token_button.isEnabled()
    assert ctx.vault.load("pasted", "access_token") == fresh


def test_a_bearer_profile_saved_in_the_editor_shows_its_token(qtbot, make_window, ctx, sandbox):
    from PySide6.QtWidgets import QDialogButtonBox

    from tests.gui.conftest import choose_preset

    window = make_window()
    editor = window.new_profile()
    qtbot.waitExposed(editor)
    choose_preset(editor, "bearer")
    token = _jwt(ctx, 600)
    editor.name_edit.setText("later")
    editor.base_url.setText(sandbox.url)
    editor.secret_fields["access_token"].set_value(token)
    with qtbot.waitSignal(editor.saved, timeout=10_000):
        editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    view = window.token_view
    qtbot.waitUntil(lambda: window.selected_name() == "later", timeout=5_000)
    qtbot.waitUntil(lambda: view.token_box.token == token, timeout=5_000)
    assert view.countdown.text().startswith("expires in")


# -- 3. login links and profile switches --------------------------------------------------------
@pytest.fixture
def idp(sandbox):
    return sandbox.provider("oauth2-authorization-code")


@pytest.fixture
def browser_that_records(monkeypatch):
    """The system browser as a user who has not approved yet: it records what it was asked to open."""
    opened: list[str] = []

    def record(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("workbench.core.oauth.login.default_opener", record)
    return opened


def start_browser_login(qtbot, window):
    panel = window.token_view.login_panel
    panel.login_button.click()
    qtbot.waitUntil(lambda: panel.prompt is not None, timeout=10_000)
    return panel


def test_the_sign_in_link_and_open_again_open_the_exact_url(
    qtbot, make_window, add_profile, browser_that_records
):
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    panel = start_browser_login(qtbot, window)
    url = panel.prompt.url
    assert "&" in url and browser_that_records == [url]
    panel.instructions.linkActivated.emit("#sign-in")  # the user clicks "open the sign-in page"
    qtbot.waitUntil(lambda: len(browser_that_records) == 2, timeout=5_000)
    panel.open_button.click()
    qtbot.waitUntil(lambda: len(browser_that_records) == 3, timeout=5_000)
    assert browser_that_records == [url, url, url] and "&amp;" not in url
    panel.on_cancel_clicked()


def test_browser_that_does_not_start_is_said_honestly(qtbot, make_window, add_profile, monkeypatch):
    monkeypatch.setattr("workbench.core.oauth.login.default_opener", lambda url: False)
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    panel = start_browser_login(qtbot, window)
    text = panel.instructions.text()
    assert "Could not start a browser" in text and "has been" not in text
    assert panel.copy_code_button.isVisible() and panel.copy_code_button.text() == "Copy link"
    panel.on_cancel_clicked()


def test_open_browser_again_honours_dollar_browser(qtbot, make_window, add_profile, monkeypatch, tmp_path):
    import sys
    import webbrowser

    out = tmp_path / "opened.txt"
    script = tmp_path / "browser.py"
    # Written aside then renamed: `out` appears whole (a waiter seeing it half-written read "").
    script.write_text(
        f"import sys, pathlib\nside = pathlib.Path({str(out)!r} + '.part')\n"
        f"side.write_text(sys.argv[1])\nside.replace({str(out)!r})\n"
    )
    monkeypatch.setenv("BROWSER", f"{sys.executable} {script} %s")
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # read $BROWSER again, as a new process would
    monkeypatch.setattr(webbrowser, "_browsers", {})
    add_profile("oauth2-authorization-code", "corp")
    window = make_window(select="corp")
    panel = start_browser_login(qtbot, window)
    qtbot.waitUntil(out.exists, timeout=5_000)  # the login's own first open
    out.unlink()
    panel.open_button.click()
    qtbot.waitUntil(out.exists, timeout=5_000)
    assert out.read_text() == panel.prompt.url
    panel.on_cancel_clicked()


def test_a_browser_login_keeps_running_while_another_profile_is_shown(
    qtbot, make_window, add_profile, idp, browser_that_records
):
    add_profile("oauth2-authorization-code", "corp")
    add_profile("token-of-trust", "tot")
    window = make_window(select="corp")
    panel = start_browser_login(qtbot, window)
    url = panel.prompt.url
    window.select_profile("tot")
    qtbot.wait(200)
    window.select_profile("corp")
    assert panel.busy and panel.prompt_box.isVisible() and "Waiting" in panel.status.text()
    window.select_profile("tot")
    assert idp.play_user(url)  # approving while another profile is shown still lands
    qtbot.waitUntil(lambda: window.tokens.result("corp") is not None, timeout=10_000)
    window.select_profile("corp")
    qtbot.waitUntil(lambda: not panel.busy, timeout=10_000)  # the job ends after the token's event
    assert window.token_view.token_box.token


# -- 4. busy state and Cancel --------------------------------------------------------------------
def test_a_slow_mint_stays_busy_while_another_profile_is_shown(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    add_profile("api-key-sliding", "sl")
    window = make_window(select="tot")
    view = window.token_view
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=1, delay=1.5)
    view.mint_button.click()
    window.select_profile("sl")
    assert view.mint_button.isEnabled() and not view.cancel_button.isVisible()  # sl is idle
    window.select_profile("tot")
    assert not view.mint_button.isEnabled() and view.cancel_button.isVisible()
    assert view.busy and window.cancel_action.isEnabled()
    assert "Minting" in view.renewal_label.text()
    qtbot.waitUntil(lambda: window.tokens.result("tot") is not None, timeout=15_000)
    qtbot.waitUntil(lambda: not view.busy, timeout=5_000)
    assert view.mint_button.isEnabled()


def test_cancel_stops_the_attempt_and_its_retries(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    sandbox.reset_calls()
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None, delay=0.5)
    view.mint_button.click()
    qtbot.waitUntil(lambda: sandbox.calls("token-of-trust", "mint") == 1, timeout=5_000)
    view.cancel_button.click()
    qtbot.waitUntil(lambda: window.runner.active_count == 0, timeout=10_000)
    qtbot.wait(1_500)
    assert sandbox.calls("token-of-trust", "mint") == 1  # nothing was sent again
    assert window.tokens.of("tot").error is None  # a cancel is not a failure
    sandbox.clear_faults()


def test_verify_results_are_kept_per_profile(qtbot, make_window, add_profile, sandbox):
    from tests.gui.conftest import obtain

    add_profile("token-of-trust", "tot")
    add_profile("api-key-sliding", "sl")
    window = make_window(select="tot")
    view = window.token_view
    obtain(qtbot, window, view.mint_button.click)
    qtbot.waitUntil(view.verify_button.isEnabled, timeout=5_000)
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_label.text().startswith("✓"), timeout=10_000)
    verdict = view.verify_label.text()
    window.select_profile("sl")
    assert not view.verify_label.text().startswith("✓")
    window.select_profile("tot")
    assert view.verify_label.text() == verdict


# -- 5. requests as Postman users expect ----------------------------------------------------------
def send_and_wait(qtbot, view):
    with qtbot.waitSignal(view.response_received, timeout=10_000) as blocker:
        view.send_button.click()
    return blocker.args[0]


def echoed_content_type(result):
    return result.json()["content_type"] or ""


@pytest.mark.parametrize(
    ("body_type", "expected"),
    [
        ("json", "application/json"),
        ("raw", "text/plain"),
        ("form", "application/x-www-form-urlencoded"),
        ("multipart", "multipart/form-data; boundary="),
    ],
)
def test_the_body_type_sets_the_content_type(qtbot, make_window, add_profile, body_type, expected):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    view.method.setCurrentText("POST")
    view.url.setText("/api/echo")
    view.body_editor.set_body_type(body_type)
    view.body.setPlainText('{"at": {{ now() }}}')
    view.body_editor.form.set_pairs([("a", "1"), ("b", "two")])
    result = send_and_wait(qtbot, view)
    assert echoed_content_type(result).startswith(expected)
    sent = {
        view.sent_headers.item(r, 0).text(): view.sent_headers.item(r, 1).text()
        for r in range(view.sent_headers.rowCount())
    }
    assert sent["Content-Type"].startswith(expected.split(";")[0])


def test_invalid_json_is_one_clear_line_not_sent_as_text(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    view.method.setCurrentText("POST")
    view.body_editor.set_body_type("json")
    view.body.setPlainText('{"a": 1,}')
    view.send_button.click()
    qtbot.waitUntil(lambda: view.status_label.text() == "Failed", timeout=10_000)
    assert "not valid JSON" in view.response_body.toPlainText()


def test_copy_as_emits_what_is_sent(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    panel = window.saved_requests_panel
    view.method.setCurrentText("POST")
    view.url.setText("/api/echo")
    view.body_editor.set_body_type("json")
    view.body.setPlainText('{"at": {{ now() }}}')
    panel.copy_as("curl")
    qtbot.waitUntil(lambda: panel.last_snippet is not None, timeout=5_000)
    assert "application/json" in panel.last_snippet
    assert (
        "now()" not in panel.last_snippet
        and str(int(window.services.ctx.clock.now()))[:6] in panel.last_snippet
    )


def test_the_sent_headers_say_which_authorization_header_wins(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    view.set_headers([("Authorization", "Bearer mine")])
    view.update_sent_headers()
    notes = [view.sent_headers.item(r, 1).toolTip() for r in range(view.sent_headers.rowCount())]
    assert any("token wins" in note and "not sent" in note for note in notes)


def test_delete_removes_a_header_row(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.show_tab("request")
    view = window.request_view
    view.request_tabs.setCurrentWidget(view.headers)
    qtbot.waitUntil(lambda: window.runner.active_count == 0, timeout=10_000)
    qtbot.wait(300)  # the window's start-up work (profiles listed, panels filled) is done
    view.set_headers([("X-One", "1"), ("X-Two", "2")])
    focus(qtbot, window, view.headers)
    cell = view.headers.visualItemRect(view.headers.item(0, 0)).center()
    qtbot.mouseClick(view.headers.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # select row 0
    qtbot.waitUntil(lambda: {i.row() for i in view.headers.selectedIndexes()} == {0}, timeout=5_000)
    qtbot.keyClick(view.headers, Qt.Key.Key_Delete)
    assert view.header_list() == [("X-Two", "2")]


# -- 6. big and binary responses -----------------------------------------------------------------
def answer(body: bytes, content_type: str):
    from workbench.core.engine.types import CallResult

    return CallResult(
        status=200,
        reason="OK",
        headers=[("Content-Type", content_type)],
        body=body,
        elapsed=0.01,
        url="https://api.example.com/x",
        method="GET",
        token_replaced=False,
        retried=False,
    )


def test_a_big_json_answer_is_formatted_off_the_gui_thread_with_show_raw(qtbot, make_window):
    window = make_window()
    request = window.request_view
    big = json.dumps({"items": [{"id": i, "name": f"n{i}"} for i in range(40_000)]}).encode()
    with qtbot.waitSignal(request.response_view.shown, timeout=30_000):
        request.show_response(answer(big, "application/json"))
        assert "formatting" in request.response_view.note.text()  # the GUI thread did not wait
    text = request.response_body.toPlainText()
    assert text.startswith('{\n  "items": [\n    {\n      "id": 0,')
    with qtbot.waitSignal(request.response_view.shown, timeout=30_000):
        request.response_view.raw_check.setChecked(True)
    assert request.response_body.toPlainText().startswith('{"items": [{"id": 0')


def test_a_binary_answer_gets_a_hex_view_and_save_to_file(qtbot, make_window, tmp_path):
    window = make_window()
    request = window.request_view
    body = bytes(range(256)) * 4
    view = request.response_view
    with qtbot.waitSignal(view.shown, timeout=5_000):
        request.show_response(answer(body, "application/octet-stream"))
    assert view.text.toPlainText().startswith("00000000  00 01 02 03")
    assert "binary" in view.note.text() and view.save_button.isEnabled()
    target = tmp_path / "body.bin"
    view.save_to(str(target))
    qtbot.waitUntil(target.exists, timeout=5_000)
    assert target.read_bytes() == body


def test_an_image_answer_is_shown(qtbot, make_window):
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(20, 10, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    window = make_window()
    request = window.request_view
    request.show_response(answer(bytes(buffer.data()), "image/png"))
    view = request.response_view
    assert view.stack.currentIndex() == 1 and not view.image.pixmap().isNull()
    assert "20×10" in view.note.text()


# -- 8. history re-open never sends [redacted] ----------------------------------------------------
def test_a_reopened_request_never_sends_the_redacted_placeholder(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    panel = window.history_panel
    panel.reopen_requested.emit("tot", "GET", "/api/echo?key=[redacted]&page=2")
    view = window.request_view
    assert view.url.text() == "/api/echo?key=&page=2"
    assert view.params.missing() == ["key"]
    # Typing the value clears the mark.
    for row in range(view.params.rowCount()):
        if view.params.item(row, 0).text() == "key":
            view.params.item(row, 1).setText("abc")
    assert view.params.missing() == [] and view.url.text() == "/api/echo?key=abc&page=2"
    # A placeholder left elsewhere (the path) is refused, not sent.
    view.url.setText("/api/[redacted]/echo")
    view.send_button.click()
    qtbot.waitUntil(lambda: view.status_label.text() == "Failed", timeout=10_000)
    assert (
        "[redacted]" in view.response_body.toPlainText()
        and "type the real value" in view.response_body.toPlainText()
    )


# -- 9. the window fits the screen ----------------------------------------------------------------
def test_the_window_fits_the_available_screen_and_a_saved_geometry_only_if_it_fits(
    qtbot, make_window, gui_settings
):
    from PySide6.QtCore import QByteArray, QRect

    window = make_window()
    available = window.screen().availableGeometry()
    assert available.contains(window.geometry())
    # A geometry saved on a bigger screen (or at scale factor 1) is not restored as it was.
    window.setGeometry(QRect(0, 0, 2400, 1520))
    gui_settings.save_window(window.saveGeometry(), QByteArray())
    again = make_window(settings=gui_settings)
    assert again.screen().availableGeometry().contains(again.geometry())


# -- 10. errors follow the profile ----------------------------------------------------------------
def test_a_login_error_follows_its_profile(qtbot, make_window, add_profile, monkeypatch, idp):
    add_profile("oauth2-authorization-code", "corp")
    add_profile("token-of-trust", "tot")

    def deny(url):
        return idp.play_user(url, approve=False)

    monkeypatch.setattr("workbench.core.oauth.login.default_opener", deny)
    window = make_window(select="corp")
    window.token_view.login_panel.login_button.click()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=15_000)
    assert "corp" in window.banner.text()
    window.select_profile("tot")
    assert not window.banner.isVisible()
    window.select_profile("corp")
    assert window.banner.isVisible() and "corp" in window.banner.text()


# -- 7. times and warnings follow the clock -------------------------------------------------------
def test_the_token_views_claim_times_follow_the_clock(qtbot, make_window, ctx, clock, sandbox):
    make_bearer(ctx, sandbox, lifetime=60)
    window = make_window(select="pasted")
    view = window.token_view
    qtbot.waitUntil(lambda: view.result is not None, timeout=5_000)

    def exp_row():
        for row in range(view.claims.topLevelItemCount()):
            item = view.claims.topLevelItem(row)
            if item.text(0) == "exp":
                return item.text(1)
        return ""

    assert "ago" not in exp_row()
    clock.advance(120)
    qtbot.waitUntil(lambda: view.countdown.text() == "expired", timeout=5_000)
    qtbot.waitUntil(lambda: "ago" in exp_row(), timeout=5_000)


def test_the_inspectors_warnings_follow_the_clock(qtbot, make_window, ctx, clock):
    window = make_window()
    window.show_tab("inspector")
    view = window.inspector_view
    with qtbot.waitSignal(view.inspected, timeout=10_000):
        view.set_token(_jwt(ctx, 5))
    assert "expired" not in view.warning_codes()
    clock.advance(10)
    qtbot.waitUntil(lambda: "expired" in view.warning_codes(), timeout=5_000)


def test_a_future_iat_is_warned():
    import jwt

    from workbench.core.jose.inspect.inspection import inspect_token

    token = jwt.encode({"sub": "x", "iat": 2_000_000_000, "exp": 2_000_000_600}, "k" * 32, algorithm="HS256")
    assert "future-iat" in inspect_token(token, now=1_900_000_000).warning_codes
    assert "future-iat" not in inspect_token(token, now=2_000_000_000).warning_codes


def test_at_scale_factor_2_on_a_1440x900_screen_the_window_fits(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    screen = root / "tests" / "fixtures" / "offscreen_1440x900.json"
    code = (
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from workbench.gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "f, a = w.frameGeometry(), w.screen().availableGeometry()\n"
        "print(a.contains(f), f.width() * w.devicePixelRatio(), f.height() * w.devicePixelRatio())\n"
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
        "QT_SCALE_FACTOR": "2",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "WORKBENCH_HOME": str(tmp_path / "home"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=root
    )
    assert out.returncode == 0, out.stderr
    fits, width, height = out.stdout.split()
    assert fits == "True" and float(width) <= 1440 and float(height) <= 900


# -- 13. inspector details ----------------------------------------------------------------------
def test_an_unsigned_token_is_labelled_unsigned_with_a_red_warning(qtbot, make_window):
    import base64

    from workbench.gui.widgets import state_dot

    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    window = make_window()
    window.show_tab("inspector")
    view = window.inspector_view
    with qtbot.waitSignal(view.inspected, timeout=10_000):
        view.set_token(f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': 'x', 'exp': 4_000_000_000})}.")
    assert "unsigned" in view.kind_label.text() and "JWS (signed)" not in view.kind_label.text()
    rows = [view.warnings.item(i) for i in range(view.warnings.count())]
    alg_none = next(r for r in rows if r.data(Qt.ItemDataRole.UserRole) == "alg-none")
    assert alg_none.icon().cacheKey() == state_dot("error").cacheKey()


def test_no_key_with_the_tokens_kid_is_not_a_bad_signature(qtbot, make_window, sandbox):
    window = make_window()
    window.show_tab("inspector")
    view = window.inspector_view
    view.set_token(sandbox.issue_token("true-markets"))
    # Another issuer's key set: none of its keys has the token's kid.
    view.set_key("jwks", sandbox.base_url("oauth2-authorization-code") + "/jwks")
    qtbot.waitUntil(lambda: window.runner.active_count == 0)
    checked = lambda ins: ins.signature_valid is not None  # noqa: E731
    with qtbot.waitSignal(view.inspected, timeout=10_000, check_params_cb=checked) as blocker:
        view.verify_button.click()
    assert blocker.args[0].signature_unchecked
    shown = view.result_label.text()
    assert shown.startswith("⚠ signature not checked") and "kid" in shown
    assert "NOT valid" not in view.result_label.text()
