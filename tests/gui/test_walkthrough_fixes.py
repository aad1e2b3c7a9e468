"""Things a user noticed walking through the demo: stale panels, clipped text, jumping layouts."""

from __future__ import annotations

import base64
import json


def _unsigned(header: dict, payload: dict) -> str:
    def part(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


def test_a_failed_request_leaves_no_jwt_or_headers_of_the_previous_response(qtbot, make_window, add_profile):
    add_profile("api-key-sliding", "sl")
    window = make_window(select="sl")
    view = window.request_view
    view.method.setCurrentText("POST")
    view.url.setText("/api/echo")
    with qtbot.waitSignal(view.response_received, timeout=10_000):
        view.send()
    assert view.inspect_button.isEnabled()  # the sliding token came back in a header
    assert view.response_headers.rowCount() > 0

    view.body.setPlainText('{"at": {{ nope( }}')  # a template error: nothing is sent
    view.send()
    qtbot.waitUntil(lambda: view.status_label.text() == "Failed", timeout=10_000)
    assert not view.inspect_button.isEnabled()
    assert view.last_result is None
    assert view.response_headers.rowCount() == 0
    assert "template" in window.banner.text()


def test_an_answered_request_retires_the_banner_of_the_failed_one(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.request_view
    view.url.setText("/api/echo")
    view.body.setPlainText("{{ nope( }}")
    view.send()
    qtbot.waitUntil(lambda: bool(window.banner.text()), timeout=10_000)

    view.body.setPlainText("")
    with qtbot.waitSignal(view.response_received, timeout=10_000):
        view.send()
    assert window.banner.text() == ""


def test_the_request_view_keeps_someone_elses_banner(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.show_error("the keychain is locked")
    view = window.request_view
    view.url.setText("/api/echo")
    with qtbot.waitSignal(view.response_received, timeout=10_000):
        view.send()
    assert window.banner.text() == "the keychain is locked"


def test_a_long_base_url_does_not_squeeze_the_profiles_sidebar(qtbot, make_window, add_profile, ctx, sandbox):
    add_profile("token-of-trust", "tot")
    long_base = sandbox.demo_profiles()["token-of-trust"]["base_url"] + "/" + "very-long-segment/" * 12
    ctx.profiles.create(
        "long", preset="token-of-trust", base_url=long_base, vars={"app_domain": "x"}, secret_names=[]
    )
    window = make_window(select="tot")
    window.resize(1200, 760)
    window.splitter.setSizes([300, 900])
    window.show_tab("request")
    qtbot.wait(50)
    before = window.splitter.sizes()[0]
    window.select_profile("long")
    qtbot.wait(50)
    assert window.request_view.base_label.text() == long_base  # the full text is kept...
    assert long_base in window.request_view.base_label.toolTip()  # ...and shown on hover
    assert window.splitter.sizes()[0] == before


def test_every_inspector_warning_is_readable_at_full_width(qtbot, make_window):
    window = make_window()
    view = window.inspector_view
    window.show_tab("inspector")
    token = _unsigned({"alg": "none", "typ": "JWT"}, {"sub": "x", "iat": 1, "exp": 2})
    with qtbot.waitSignal(view.inspected, timeout=10_000):
        view.set_token(token)
    assert len(view.warning_codes()) >= 2
    qtbot.wait(50)
    for i in range(view.warnings.count()):
        rect = view.warnings.visualItemRect(view.warnings.item(i))
        assert view.warnings.viewport().rect().contains(rect), "a warning is cut off"
    assert view.warnings.width() > view.width() * 0.8
    assert view.warnings_title.text() == f"Warnings ({len(view.warning_codes())})"


def test_the_verify_row_says_what_decode_only_means(qtbot, make_window):
    view = make_window().inspector_view
    view.set_key("none", "")
    assert not view.verify_button.isEnabled()
    assert view.key_stack.currentWidget() is view.no_key_hint
    view.set_key("pem", "")
    assert view.key_stack.currentWidget() is view.key_text


def test_array_claims_read_as_one_tidy_line():
    from workbench.gui.inspector_text import short as _short

    assert _short(["verify", "api_keys"]) == '["verify", "api_keys"]'
    assert _short({"a": 1}) == '{"a": 1}'


def test_a_new_profile_does_not_offer_to_keep_a_secret_it_does_not_have(qtbot, make_window):
    window = make_window()
    editor = window.new_profile("true-markets")
    pem = editor.secret_fields["private_key"]
    assert "keep" not in pem.editor.placeholderText()
    pem.set_stored(True)  # what an existing profile's vault check reports
    assert "keep the stored value" in pem.editor.placeholderText()


def test_key_boxes_span_the_tab_so_a_pem_needs_no_sideways_scrolling(qtbot, make_window):
    window = make_window()
    window.resize(1200, 760)
    window.show_tab("keys")
    view = window.keys_view
    view.alg.setCurrentText("RS256")  # the longest PEM and JWK
    with qtbot.waitSignal(view.generated, timeout=20_000):
        view.generate()
    qtbot.wait(50)
    assert not view.public_pem.horizontalScrollBar().isVisible()
    assert view.public_pem.width() > view.width() * 0.7


def test_the_status_bar_says_in_words_how_a_token_was_obtained():
    from workbench.gui.token_model import OBTAINED_BY_TEXT

    assert OBTAINED_BY_TEXT["mint"] == "new token minted"
