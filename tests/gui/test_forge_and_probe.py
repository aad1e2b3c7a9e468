"""The Inspector's editable mode and probe table: live re-sign, JSON checked as you type, alg none
only when ticked (with a red warning), change one claim, Copy token, a JWE decrypted, probes run."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from workbench.core.jose import forge, jwe, keys

SECRET = "forge-test-secret-0123456789abcdef-long"


@pytest.fixture
def view(make_window):
    window = make_window()
    window.show_tab("inspector")
    return window.inspector_view


def signed(qtbot, panel, action):
    with qtbot.waitSignal(panel.signed, timeout=10_000) as blocker:
        action()
    return blocker.args[0]


def test_editing_the_payload_re_signs_live_with_the_secret(qtbot, view):
    panel = view.forge
    view.tabs.setCurrentWidget(panel)
    panel.key_source.setCurrentIndex(panel.key_source.findData("secret"))
    result = signed(qtbot, panel, lambda: panel.secret_line.setText(SECRET))
    assert jwt.decode(result.forged.token, SECRET, algorithms=["HS256"])["name"] == "Test User"
    result = signed(qtbot, panel, lambda: panel.payload_edit.setPlainText('{"sub": "edited", "admin": true}'))
    assert jwt.decode(panel.token, SECRET, algorithms=["HS256"]) == {"sub": "edited", "admin": True}
    assert panel.token_box.toPlainText() == panel.token == result.forged.token
    assert panel.secret_line.echoMode() == panel.secret_line.EchoMode.Password


def test_invalid_json_is_flagged_as_you_type_and_nothing_is_signed(qtbot, view):
    panel = view.forge
    panel.key_source.setCurrentIndex(panel.key_source.findData("secret"))
    signed(qtbot, panel, lambda: panel.secret_line.setText(SECRET))
    panel.payload_edit.setPlainText('{"sub": ')
    assert panel.payload_status.text().startswith("✗ the payload is not valid JSON")
    assert panel.header_status.text() == "✓ valid JSON"
    qtbot.waitUntil(lambda: panel.token == "", timeout=5_000)
    assert not panel.copy_button.isEnabled()
    panel.payload_edit.setPlainText("[1, 2]")
    assert "is an array, not a JSON object" in panel.payload_status.text()


def test_alg_none_is_refused_until_ticked_and_then_warned_in_red(qtbot, view):
    panel = view.forge
    view.tabs.setCurrentWidget(panel)
    panel.header_edit.setPlainText('{"alg": "none", "typ": "JWT"}')
    qtbot.waitUntil(lambda: "alg none makes an unsigned token" in panel.status_label.text(), timeout=5_000)
    assert panel.token == "" and not panel.none_warning.isVisible()
    result = signed(qtbot, panel, lambda: panel.allow_none.setChecked(True))
    assert panel.none_warning.isVisible() and "UNSIGNED" in panel.none_warning.text()
    assert "#" in panel.none_warning.styleSheet()
    assert result.forged.token.endswith(".") and "UNSIGNED" in panel.status_label.text()
    panel.allow_none.setChecked(False)
    assert not panel.none_warning.isVisible()


def test_change_one_claim_and_re_sign_from_a_decoded_token(qtbot, view):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = keys.KeyPair("ES256", key).private_pem().decode()
    original = forge.sign_token(
        forge.TokenSpec(sub="alice", claims=(("role", "user"),)), forge.SigningKey(key, "k"), now=1e9
    )
    view.set_token(original.token)
    view.edit_button.click()
    panel = view.forge
    assert view.tabs.currentWidget() is panel
    assert json.loads(panel.payload_edit.toPlainText())["role"] == "user"
    panel.key_source.setCurrentIndex(panel.key_source.findData("pasted"))
    signed(qtbot, panel, lambda: panel.pasted_key.setPlainText(pem))
    panel.claim_line.setText("role=admin")
    result = signed(qtbot, panel, panel.claim_button.click)
    claims = jwt.decode(result.forged.token, key.public_key(), algorithms=["ES256"])
    assert claims == {"sub": "alice", "role": "admin", "iat": 1000000000}
    assert jwt.get_unverified_header(result.forged.token) == original.header


def test_copy_token_uses_the_secure_clipboard(qtbot, view):
    panel = view.forge
    panel.key_source.setCurrentIndex(panel.key_source.findData("secret"))
    signed(qtbot, panel, lambda: panel.secret_line.setText(SECRET))
    with qtbot.waitSignal(view.services.clipboard.copied, timeout=5_000):
        panel.copy_button.click()
    assert view.services.clipboard.holds_ours()


def test_a_key_that_cannot_sign_the_alg_is_one_line_beside_the_editor(qtbot, view):
    panel = view.forge
    panel.header_edit.setPlainText('{"alg": "RS256"}')
    panel.key_source.setCurrentIndex(panel.key_source.findData("secret"))
    panel.secret_line.setText(SECRET)
    qtbot.waitUntil(lambda: "cannot sign RS256" in panel.status_label.text(), timeout=5_000)
    assert panel.token == ""


def test_a_keychain_key_generated_in_the_panel_signs(qtbot, view):
    panel = view.forge
    panel.header_edit.setPlainText('{"alg": "ES256", "typ": "JWT"}')
    panel.key_source.setCurrentIndex(panel.key_source.findData("keychain"))
    panel.new_key_name.setText("gui-issuer")
    panel.new_key_alg.setCurrentText("ES256")
    result = signed(qtbot, panel, panel.generate_button.click)
    assert panel.keychain_combo.currentText() == "gui-issuer"
    assert result.key_label.startswith("EC P-256 key in keychain key 'gui-issuer'")
    public = keys.load_public_key(json.dumps(result.public_jwk))
    jwt.decode(result.forged.token, public, algorithms=["ES256"])


def test_the_inspector_decrypts_a_jwe_and_verifies_the_token_inside(qtbot, view):
    signer = ec.generate_private_key(ec.SECP256R1())
    inner = forge.sign_token(forge.TokenSpec(sub="sealed"), forge.SigningKey(signer, "k"), now=1e9).token
    recipient = ec.generate_private_key(ec.SECP256R1())
    sealed = jwe.encrypt(
        inner.encode(), jwe.encryption_key_from_text(keys.public_pem(recipient).decode(), source="r")
    )
    view.set_token(sealed.token)
    qtbot.waitUntil(view.decrypt_key_text.isVisible, timeout=5_000)
    view.decrypt_key_text.setPlainText(keys.KeyPair("ES256", recipient).private_pem().decode())
    view.set_key("pem", keys.public_pem(signer).decode())
    view.key_kind.setCurrentIndex(view.key_kind.findData("pem"))
    with qtbot.waitSignal(view.inspected, timeout=10_000) as blocker:
        view.verify()
    inspection = blocker.args[0]
    assert inspection.kind == "JWE" and inspection.nested.claims["sub"] == "sealed"
    assert inspection.nested.signature_valid is True
    assert view.result_label.text().startswith("✓ Signature verified")
    assert "signature verified · EC P-256 key" in view.nested_box.toPlainText()
    assert view.kind_label.text() == "· JWE (decrypted)"


def test_the_probe_table_needs_consent_and_shows_each_variant(qtbot, view, add_profile, sandbox):
    from workbench.core.request.saved import SavedRequest, SavedRequestStore

    name = add_profile("token-of-trust")
    SavedRequestStore().save(name, SavedRequest(name="echo", method="GET", url="/api/echo", headers=(),
                                                body=None, body_type=None))  # fmt: skip
    panel = view.probe
    view.tabs.setCurrentWidget(panel)
    panel.refresh_profiles()
    panel.profile_combo.setCurrentText(name)
    qtbot.waitUntil(lambda: panel.request_combo.currentText() == "echo", timeout=5_000)
    assert not panel.run_button.isEnabled()  # nothing is sent before the user says they may test it
    panel.consent.setChecked(True)
    assert panel.run_button.isEnabled()
    with qtbot.waitSignal(panel.probed, timeout=30_000) as blocker:
        panel.run_button.click()
    report = blocker.args[0]
    assert panel.table.rowCount() == len(report.results) == 8
    verdicts = {panel.table.item(r, 0).text(): panel.table.item(r, 3).text() for r in range(8)}
    assert verdicts["alg none (unsigned)"] == "refused"
    assert verdicts["expired (exp an hour ago)"] == "refused"
    assert panel.summary.text().startswith("✓ Every variant was refused")
    panel.profile_combo.setCurrentIndex(-1)
    assert not panel.consent.isChecked()  # consent is per profile


def test_without_a_key_the_panel_asks_for_one_and_signs_nothing(qtbot, view):
    panel = view.forge
    panel.key_source.setCurrentIndex(panel.key_source.findData("secret"))
    panel.secret_line.setText(SECRET)
    qtbot.waitUntil(lambda: panel.token != "", timeout=5_000)
    panel.secret_line.clear()
    qtbot.waitUntil(lambda: panel.status_label.text() == "pick a key to sign with", timeout=5_000)
    assert panel.token == "" and not panel.copy_button.isEnabled()
