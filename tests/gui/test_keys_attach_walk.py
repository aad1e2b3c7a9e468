"""Keys tab, the truthful list and the displayed key (issue 21 item 12): Attach offers only the
profiles that take a key of that type, the shown key goes when the algorithm changes, and the
RFC 7638 thumbprint has its Copy button."""

from __future__ import annotations

import base64
import hashlib
import json

from PySide6.QtGui import QGuiApplication


def combo_names(combo):
    return [combo.itemText(i) for i in range(combo.count())]


def generate(qtbot, keys, alg):
    keys.alg.setCurrentText(alg)
    with qtbot.waitSignal(keys.generated, timeout=20_000) as blocker:
        keys.generate_button.click()
    return blocker.args[0]


def test_attach_lists_only_profiles_that_take_a_key_of_that_type(qtbot, make_window, add_profile):
    add_profile("true-markets", "tm")  # ES256 only
    add_profile("api-key-sliding", "hmac")  # a shared HS256 secret: no key slot
    window = make_window(select="tm")
    keys = window.keys_view
    generate(qtbot, keys, "RS256")
    assert combo_names(keys.profile_combo) == []
    assert not keys.attach_button.isEnabled()
    generate(qtbot, keys, "ES256")
    assert combo_names(keys.profile_combo) == ["tm"]
    assert keys.attach_button.isEnabled()


def test_the_displayed_key_clears_when_the_algorithm_changes(qtbot, make_window):
    window = make_window()
    keys = window.keys_view
    generate(qtbot, keys, "ES256")
    assert keys.public_pem.toPlainText() and "ES256" in keys.kid_label.text()
    keys.alg.setCurrentText("EdDSA")
    assert keys.pair is None
    assert keys.public_pem.toPlainText() == "" and keys.public_jwk.toPlainText() == ""
    assert keys.kid_label.text() == ""
    assert not keys.copy_pem_button.isEnabled() and not keys.copy_private_button.isEnabled()


def test_the_displayed_rsa_key_clears_when_its_size_changes(qtbot, make_window):
    window = make_window()
    keys = window.keys_view
    keys.rsa_bits.setCurrentIndex(keys.rsa_bits.findData(2048))
    generate(qtbot, keys, "RS256")
    assert keys.pair.private_key.key_size == 2048
    keys.rsa_bits.setCurrentIndex(keys.rsa_bits.findData(3072))
    assert keys.pair is None and keys.public_jwk.toPlainText() == ""


def test_copy_thumbprint_copies_the_rfc7638_thumbprint(qtbot, make_window):
    window = make_window()
    keys = window.keys_view
    assert not keys.copy_thumbprint_button.isEnabled()  # nothing to copy yet
    pair = generate(qtbot, keys, "ES256")
    keys.copy_thumbprint_button.click()
    jwk = pair.public_jwk()
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, sort_keys=True, separators=(",", ":")
    )
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert QGuiApplication.clipboard().text() == expected == jwk["kid"]
