"""Inspector details (issue 21 item 13): the inner token of a nested JWT verified and its
claims shown, coloured JSON readable in light and dark palettes, time claims that explain
themselves when hovered (following the clock), Copy header / Copy payload, a clear
"Signature verified" banner, registered claims described, and a "secret is base64" toggle."""

from __future__ import annotations

import base64

import jwt
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QGuiApplication, QHelpEvent, QPalette
from PySide6.QtWidgets import QToolTip

SECRET = "inspector-details-secret-0123456789abcdef"


@pytest.fixture
def window(make_window):
    w = make_window()
    w.show_tab("inspector")
    return w


@pytest.fixture
def view(window):
    return window.inspector_view


def inspected(qtbot, view, action):
    with qtbot.waitSignal(view.inspected, timeout=10_000) as blocker:
        action()
    return blocker.args[0]


def verify_with_secret(qtbot, view, secret):
    view.set_key("secret", secret)
    return inspected(qtbot, view, view.verify_button.click)


def claim_rows(view):
    tree = view.claims
    return [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]


def row(view, name):
    return next(item for item in claim_rows(view) if item.text(0) == name)


def nested_jws(outer_secret, inner_secret, now):
    inner = jwt.encode({"sub": "inner-user", "exp": int(now) + 300}, inner_secret, algorithm="HS256")
    return jwt.api_jws.encode(inner.encode(), outer_secret, algorithm="HS256", headers={"cty": "JWT"})


# --------------------------------------------------------------------------- nested tokens


def test_the_inner_token_of_a_nested_jwt_is_verified_and_its_claims_shown(qtbot, view, clock):
    view.set_token(nested_jws(SECRET, SECRET, clock.now()))
    ins = verify_with_secret(qtbot, view, SECRET)
    assert ins.nested.signature_valid is True
    names = [item.text(0) for item in claim_rows(view)]
    assert "nested JWS" in names and "  sub" in names
    assert row(view, "  sub").text(1) == "inner-user"
    assert view.result_label.kind == "verified"
    assert "inner token: ✓ signature verified" in view.result_label.text()


def test_a_nested_token_signed_with_another_key_is_shown_not_valid(qtbot, view, clock):
    view.set_token(nested_jws(SECRET, "another-secret-for-the-inner-token-0123", clock.now()))
    ins = verify_with_secret(qtbot, view, SECRET)
    assert ins.signature_valid is True and ins.nested.signature_valid is False
    assert view.result_label.kind == "invalid"
    assert "inner token: ✗ signature NOT valid" in view.result_label.text()


# --------------------------------------------------------------------------- the verdict banner


def test_a_good_signature_gets_a_clear_signature_verified_banner(qtbot, view):
    view.set_token(jwt.encode({"sub": "me"}, SECRET, algorithm="HS256"))
    verify_with_secret(qtbot, view, SECRET)
    banner = view.result_label
    assert banner.text().startswith("✓ Signature verified")
    assert banner.kind == "verified" and "background" in banner.styleSheet()
    verify_with_secret(qtbot, view, "not-the-secret-at-all-0123456789abcdef")
    assert banner.text().startswith("✗ signature NOT valid") and banner.kind == "invalid"


# --------------------------------------------------------------------------- coloured JSON


def foreground_at(box, line, column):
    block = box.document().findBlockByNumber(line)
    for fmt in block.layout().formats():
        if fmt.start <= column < fmt.start + fmt.length:
            return fmt.format.foreground().color().name()
    return None


def test_header_and_payload_are_coloured_for_light_and_dark_palettes(qtbot, view):
    from workbench.gui.json_view import DARK_COLORS, LIGHT_COLORS

    view.set_token(jwt.encode({"sub": "me", "n": 5, "admin": True}, SECRET, algorithm="HS256"))
    qtbot.waitUntil(lambda: view.payload_box.toPlainText() != "", timeout=10_000)
    box = view.payload_box
    # Line 1 is '  "sub": "me",': the key at column 2, the string at column 9.
    assert foreground_at(box, 1, 2) == LIGHT_COLORS["key"]
    assert foreground_at(box, 1, 9) == LIGHT_COLORS["string"]
    assert foreground_at(box, 2, 7) == LIGHT_COLORS["number"]
    dark = QPalette(box.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#d4d4d4"))
    box.setPalette(dark)
    assert foreground_at(box, 1, 2) == DARK_COLORS["key"]
    assert foreground_at(box, 3, 11) == DARK_COLORS["literal"]


# --------------------------------------------------------------------------- time tooltips


def line_point(box, line):
    cursor = box.textCursor()
    cursor.setPosition(box.document().findBlockByNumber(line).position() + 4)
    return box.cursorRect(cursor).center()


# Showing a tooltip raises its window, which the offscreen platform cannot do (and says so).
@pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")
def test_time_claims_say_their_date_and_relative_time_when_hovered(qtbot, view, clock):
    now = int(clock.now())
    view.set_token(jwt.encode({"sub": "me", "exp": now + 330, "iat": now}, SECRET, algorithm="HS256"))
    qtbot.waitUntil(lambda: view.payload_box.toPlainText() != "", timeout=10_000)
    box = view.payload_box
    exp_tip = box.tooltip_at(line_point(box, 2))
    assert exp_tip.startswith("exp (expires): ") and "(in 5 min)" in exp_tip and "UTC" in exp_tip
    assert "Expiration time" in exp_tip
    assert box.tooltip_at(line_point(box, 1)) == ""  # sub is not a time
    # The tooltip a real hover raises.
    point = line_point(box, 2)
    QGuiApplication.sendEvent(
        box.viewport(), QHelpEvent(QEvent.Type.ToolTip, point, box.viewport().mapToGlobal(point))
    )
    assert QToolTip.text() == exp_tip
    QToolTip.hideText()
    # It follows the clock, and so does the claims tab's tooltip on the value.
    clock.advance(660)
    qtbot.waitUntil(lambda: "ago" in box.tooltip_at(line_point(box, 2)), timeout=5_000)
    assert "(5 min ago)" in row(view, "exp").toolTip(1)


# --------------------------------------------------------------------------- copy, descriptions


def test_copy_header_and_copy_payload(qtbot, view):
    token = jwt.encode({"sub": "copied"}, SECRET, algorithm="HS256", headers={"kid": "k1"})
    view.set_token(token)
    qtbot.waitUntil(lambda: view.tabs.copy_payload_button.isEnabled(), timeout=10_000)
    view.tabs.copy_header_button.click()
    assert '"kid": "k1"' in QGuiApplication.clipboard().text()
    view.tabs.copy_payload_button.click()
    assert QGuiApplication.clipboard().text() == view.payload_box.toPlainText()
    assert '"sub": "copied"' in QGuiApplication.clipboard().text()


def test_registered_claims_are_described(qtbot, view, clock):
    claims = {"iss": "https://idp.example", "aud": "api", "jti": "j1", "nonce": "n", "cnf": {"jkt": "x"}}
    view.set_token(jwt.encode(claims, SECRET, algorithm="HS256"))
    qtbot.waitUntil(lambda: view.claims.topLevelItemCount() > 0, timeout=10_000)
    assert row(view, "iss").text(2) == "issuer"
    assert "issued the token" in row(view, "iss").toolTip(0)
    assert "replays" in row(view, "nonce").toolTip(0)
    assert "RFC 7800" in row(view, "cnf").toolTip(2)
    assert "signed" in row(view, "header.alg").toolTip(0)


# --------------------------------------------------------------------------- base64 secret


def test_a_base64_secret_verifies_with_the_toggle_on(qtbot, view):
    raw = bytes(range(200, 248))  # a secret of bytes that are not text
    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    view.set_token(jwt.encode({"sub": "me"}, raw, algorithm="HS256"))
    assert verify_with_secret(qtbot, view, encoded).signature_valid is False
    ins = inspected(qtbot, view, lambda: view.secret_base64.setChecked(True))  # verifies again
    assert ins.signature_valid is True
    assert view.result_label.text().startswith("✓ Signature verified · HMAC secret (base64-decoded)")


def test_the_token_tabs_claims_are_described_too(qtbot, make_window, ctx, sandbox):
    from tests.gui.test_second_walk import make_bearer

    make_bearer(ctx, sandbox, lifetime=600)
    window = make_window(select="pasted")
    view = window.token_view
    qtbot.waitUntil(lambda: view.claims.topLevelItemCount() > 0, timeout=5_000)
    rows = {
        view.claims.topLevelItem(i).text(0): view.claims.topLevelItem(i)
        for i in range(view.claims.topLevelItemCount())
    }
    assert "Expiration time" in rows["exp"].toolTip(0)
    assert "the user or client" in rows["sub"].toolTip(0)
    assert "signed" in rows["header.alg"].toolTip(0)
