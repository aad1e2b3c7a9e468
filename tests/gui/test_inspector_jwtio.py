"""The Inspector held to jwt.io: secrets stay hidden, Enter verifies, the key type follows alg,
the JWKS URL is found from iss on request, the token is coloured, times stay current,
warnings read as a list, and non-JSON payloads, JWEs, nested tokens and x5c chains show."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import jwt
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLineEdit

from workbench.core.jose import keys

SECRET = "inspector-test-secret-0123456789abcdef"
VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "rfc7520.json").read_text(encoding="utf-8"))


def inspected(qtbot, view, action):
    with qtbot.waitSignal(view.inspected, timeout=10_000) as blocker:
        action()
    return blocker.args[0]


@pytest.fixture
def view(make_window):
    window = make_window()
    window.show_tab("inspector")
    return window.inspector_view


def test_switching_from_secret_to_jwks_url_never_shows_the_secret(qtbot, view):
    view.key_kind.setCurrentIndex(view.key_kind.findData("secret"))
    qtbot.keyClicks(view.secret_line, "hunter2-hmac-secret")
    assert view.secret_line.echoMode() == QLineEdit.EchoMode.Password
    view.key_kind.setCurrentIndex(view.key_kind.findData("jwks"))
    assert view.jwks_line.text() == ""
    assert view.key_input() == ""
    for line in view.findChildren(QLineEdit):
        if line.isVisible() and line.echoMode() == QLineEdit.EchoMode.Normal:
            assert "hunter2" not in line.text()
    view.key_kind.setCurrentIndex(view.key_kind.findData("secret"))  # and it is still there, hidden
    assert view.key_input() == "hunter2-hmac-secret"
    assert view.secret_line.echoMode() == QLineEdit.EchoMode.Password
    view.reveal_button.click()  # shown on request...
    assert view.secret_line.echoMode() == QLineEdit.EchoMode.Normal
    view.key_kind.setCurrentIndex(view.key_kind.findData("jwks"))
    view.key_kind.setCurrentIndex(view.key_kind.findData("secret"))
    assert view.secret_line.echoMode() == QLineEdit.EchoMode.Password  # ...hidden again after a switch


def test_pem_and_jwk_keep_their_own_text(qtbot, view):
    view.set_key("pem", "-----BEGIN PUBLIC KEY-----")
    view.set_key("jwk", '{"kty": "oct"}')
    view.key_kind.setCurrentIndex(view.key_kind.findData("pem"))
    assert view.key_input() == "-----BEGIN PUBLIC KEY-----"


def test_enter_in_the_secret_box_verifies(qtbot, view):
    token = jwt.encode({"sub": "x"}, SECRET, algorithm="HS256")
    inspected(qtbot, view, lambda: view.set_token(token))
    view.set_key("secret", SECRET)
    result = inspected(qtbot, view, lambda: qtbot.keyClick(view.secret_line, Qt.Key.Key_Return))
    assert result.signature_valid is True
    assert view.result_label.text().startswith("✓")


def test_enter_in_the_token_box_verifies_instead_of_adding_a_line(qtbot, view):
    token = jwt.encode({"sub": "x"}, SECRET, algorithm="HS256")
    view.set_key("secret", SECRET)
    view.token_input.setPlainText(token)
    view.token_input.moveCursor(view.token_input.textCursor().MoveOperation.End)
    result = inspected(qtbot, view, lambda: qtbot.keyClick(view.token_input, Qt.Key.Key_Return))
    assert result.signature_valid is True
    assert "\n" not in view.token_input.toPlainText()


@pytest.mark.parametrize(
    ("alg", "iss", "kind"),
    [
        ("HS256", "joe", "secret"),
        ("ES256", "https://issuer.example", "jwks"),
        ("ES256", "joe", "pem"),
        ("RS256", None, "pem"),
    ],
)
def test_the_key_type_follows_the_tokens_alg(qtbot, view, alg, iss, kind):
    claims = {"sub": "x"} | ({"iss": iss} if iss else {})
    if alg == "HS256":
        token = jwt.encode(claims, SECRET, algorithm=alg)
    else:
        token = jwt.encode(claims, keys.generate_key_pair(alg).private_key, algorithm=alg)
    inspected(qtbot, view, lambda: view.set_token(token))
    assert view.key_kind.currentData() == kind


def test_a_key_type_the_user_picked_is_kept_for_that_token(qtbot, view):
    token = jwt.encode({"sub": "x"}, SECRET, algorithm="HS256")
    view.token_input.setPlainText(token)
    view.key_kind.setCurrentIndex(view.key_kind.findData("jwk"))
    view.key_kind.activated.emit(view.key_kind.currentIndex())  # what a click on the combo sends
    inspected(qtbot, view, view.inspect)
    assert view.key_kind.currentData() == "jwk"


class _Issuer:
    """A loopback OpenID issuer: a discovery document and a JWKS, counting requests."""

    def __init__(self, jwks: dict):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        owner = self
        self.hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": owner.url, "jwks_uri": owner.url + "/keys"}).encode()
                elif self.path == "/keys":
                    body = json.dumps(jwks).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_jwks_url_is_found_from_iss_on_the_pool_only_when_asked(qtbot, view, monkeypatch):
    from workbench.core.jose import inspect as jwtinspect

    pair = keys.generate_key_pair("ES256")
    issuer = _Issuer({"keys": [pair.public_jwk()]})
    try:
        token = jwt.encode(
            {"sub": "x", "iss": issuer.url}, pair.private_key, algorithm="ES256", headers={"kid": pair.kid}
        )
        inspected(qtbot, view, lambda: view.set_token(token))
        assert view.key_kind.currentData() == "jwks"
        assert issuer.url in view.jwks_line.placeholderText()
        assert issuer.hits == []  # pasting a token contacts nobody
        assert view.discover_button.isEnabled()

        threads = []
        real = jwtinspect.discover_jwks_uri

        def spy(*args, **kwargs):
            threads.append(threading.current_thread() is threading.main_thread())
            return real(*args, **kwargs)

        monkeypatch.setattr(jwtinspect, "discover_jwks_uri", spy)
        with qtbot.waitSignal(view.jwks_discovered, timeout=10_000) as found:
            view.discover_button.click()
        assert found.args[0] == issuer.url + "/keys"
        assert threads == [False]  # fetched on the worker pool, not the GUI thread
        assert view.jwks_line.text() == issuer.url + "/keys"
        result = inspected(qtbot, view, lambda: qtbot.keyClick(view.jwks_line, Qt.Key.Key_Return))
        assert result.signature_valid is True
    finally:
        issuer.close()


def test_no_lookup_is_offered_for_an_issuer_that_is_not_a_url(qtbot, view):
    pair = keys.generate_key_pair("ES256")
    token = jwt.encode({"sub": "x", "iss": "joe"}, pair.private_key, algorithm="ES256")
    inspected(qtbot, view, lambda: view.set_token(token))
    assert not view.discover_button.isEnabled()


def _segment_colors(view) -> list[tuple[int, int, str]]:
    block = view.token_input.document().firstBlock()
    return [(r.start, r.length, r.format.foreground().color().name()) for r in block.layout().formats()]


def test_the_pasted_token_is_coloured_by_segment(qtbot, view):
    from workbench.gui.widgets import JWE_COLORS, JWT_COLORS

    token = jwt.encode({"sub": "x"}, SECRET, algorithm="HS256")
    header, payload, signature = token.split(".")
    view.token_input.setPlainText(token)
    assert _segment_colors(view) == [
        (0, len(header), QColor(JWT_COLORS[0]).name()),
        (len(header) + 1, len(payload), QColor(JWT_COLORS[1]).name()),
        (len(header) + len(payload) + 2, len(signature), QColor(JWT_COLORS[2]).name()),
    ]
    view.token_input.setPlainText(VECTORS["jwe_rsa_oaep_a256gcm"]["compact"])
    assert [c for _s, _l, c in _segment_colors(view)] == [QColor(c).name() for c in JWE_COLORS]


def test_relative_times_keep_counting_while_the_tab_is_open(qtbot, view, clock):
    clock.set_time(float(int(clock.now())))  # whole seconds: "4 s ago" exactly
    now = clock.now()
    token = jwt.encode({"sub": "x", "iat": int(now) - 4, "exp": int(now) + 3600}, SECRET, algorithm="HS256")
    inspected(qtbot, view, lambda: view.set_token(token))

    def meaning(claim):
        for i in range(view.claims.topLevelItemCount()):
            item = view.claims.topLevelItem(i)
            if item.text(0) == claim:
                return item.text(2)
        raise AssertionError(claim)

    assert meaning("iat").endswith("(4 s ago)")
    clock.advance(10)
    qtbot.waitUntil(lambda: meaning("iat").endswith("(14 s ago)"), timeout=8000)
    assert meaning("exp").endswith("(in 59 min)")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # a weak key on purpose
def test_warnings_read_as_a_list_one_row_each(qtbot, view):
    token = jwt.encode({"sub": "x"}, "short", algorithm="HS256", headers={"kid": "../../etc/passwd"})
    ins = inspected(qtbot, view, lambda: view.set_token(token))
    view.set_key("secret", "short")
    ins = inspected(qtbot, view, view.verify)
    assert len(ins.warnings) >= 3
    assert view.warnings.count() == len(ins.warnings)
    for i, warning in enumerate(ins.warnings):
        item = view.warnings.item(i)
        assert item.text() == warning.message  # the whole sentence, not cut to one line
        assert not item.icon().isNull()
        rect = view.warnings.visualItemRect(item)
        assert view.warnings.viewport().rect().contains(rect)
    assert view.warnings_title.text() == f"Warnings ({len(ins.warnings)})"


def test_a_text_payload_is_shown_and_verified(qtbot, view):
    view.set_key("jwk", json.dumps(VECTORS["keys"]["oct"]))
    view.token_input.setPlainText(VECTORS["jws"]["HS256"])
    ins = inspected(qtbot, view, view.verify)
    assert ins.signature_valid is True
    assert view.result_label.text().startswith("✓")
    assert view.payload_box.toPlainText() == VECTORS["payload"]
    assert view.payload_title.text() == "Payload (text, not JSON)"
    assert "payload-not-claims" in view.warning_codes()


def test_a_jwe_shows_its_header(qtbot, view):
    ins = inspected(qtbot, view, lambda: view.set_token(VECTORS["nesting"]["encrypted"]))
    assert ins.kind == "JWE"
    assert '"enc": "A128GCM"' in view.header_box.toPlainText()
    assert "JWE" in view.kind_label.text()
    assert "encrypted" in view.result_label.text()
    assert view.key_kind.currentData() == "none"


def test_a_nested_token_gets_its_own_tab(qtbot, view):
    outer = jwt.api_jws.encode(
        VECTORS["nesting"]["signed"].encode(), SECRET, algorithm="HS256", headers={"cty": "JWT"}
    )
    inspected(qtbot, view, lambda: view.set_token(outer))
    assert view.tabs.isTabVisible(view.nested_tab)
    assert '"iss": "hobbiton.example"' in view.nested_box.toPlainText()
    assert "PS256" in view.nested_box.toPlainText()


def test_an_x5c_chain_is_listed_never_trusted(qtbot, view):
    from tests.unit.test_jwtinspect_jose import _certificate_chain

    leaf_key, chain = _certificate_chain()
    token = jwt.encode({"sub": "x"}, leaf_key, algorithm="ES256", headers={"x5c": chain})
    inspected(qtbot, view, lambda: view.set_token(token))
    assert view.tabs.isTabVisible(view.certificates_tab)
    rows = [view.certificates.topLevelItem(i) for i in range(view.certificates.topLevelItemCount())]
    assert [r.text(1) for r in rows] == ["CN=signer.example", "CN=Example Root CA"]
    assert rows[0].text(3).startswith("2024-01-01 → 2024-01-31")
    assert "never trusted" in rows[0].toolTip(1)
    assert view.result_label.text().startswith("not verified")


def test_the_token_views_coloured_display_also_colours_a_jwes_five_parts(qtbot):
    from workbench.gui.widgets import JWE_COLORS, JwtView

    view = JwtView()
    qtbot.addWidget(view)
    view.set_token(VECTORS["jwe_rsa_oaep_a256gcm"]["compact"])
    html = view.toHtml().lower()
    for color in JWE_COLORS:
        assert QColor(color).name() in html
