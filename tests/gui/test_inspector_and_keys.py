"""The Inspector (decode, claims, warnings, verify with every key kind) and the Keys tab."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.gui.conftest import confirm_button, obtain


def jwks_of(sandbox):
    with urllib.request.urlopen(f"{sandbox.url}/.well-known/jwks.json", timeout=5) as response:  # noqa: S310
        return json.load(response)


def other_key_material():
    from workbench.core.jose.keys import generate_key_pair

    pair = generate_key_pair("ES256")
    return pair.public_pem().decode(), json.dumps(pair.public_jwk())


def tm_key_material(sandbox):
    from cryptography.hazmat.primitives import serialization

    from workbench.core.jose.keys import load_public_key

    jwk = jwks_of(sandbox)["keys"][0]
    pem = load_public_key(json.dumps(jwk)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode(), json.dumps(jwk)


def verify(qtbot, view, kind, key_text):
    view.set_key(kind, key_text)
    with qtbot.waitSignal(view.inspected, timeout=10_000) as blocker:
        view.verify_button.click()
    return blocker.args[0]


@pytest.mark.parametrize("kind", ["secret", "pem", "jwk", "jwks"])
def test_inspector_verifies_true_and_false_with_each_key_kind(qtbot, make_window, sandbox, kind):
    window = make_window()
    view = window.inspector_view
    if kind == "secret":
        token = sandbox.issue_token("api-key-sliding")
        good = sandbox.demo_profiles()["api-key-sliding"]["secrets"]["client_secret"]
        bad = "not-the-client-secret-at-all-0123456789"
    else:
        token = sandbox.issue_token("true-markets")
        pem, jwk = tm_key_material(sandbox)
        other_pem, other_jwk = other_key_material()
        good, bad = {
            "pem": (pem, other_pem),
            "jwk": (jwk, other_jwk),
            "jwks": (f"{sandbox.url}/.well-known/jwks.json", None),
        }[kind]
    view.set_token(token)

    assert verify(qtbot, view, kind, good).signature_valid is True
    assert view.result_label.text().startswith("✓")

    if bad is None:  # a JWKS that does not hold the token's key: a served JWKS of another issuer
        other_pem, other_jwk = other_key_material()
        bad_kind, bad = "jwk", other_jwk
    else:
        bad_kind = kind
    ins = verify(qtbot, view, bad_kind, bad)
    assert ins.signature_valid is False
    assert view.result_label.text().startswith("✗")


def test_inspector_shows_claims_with_human_times_and_warnings(qtbot, make_window, sandbox):
    window = make_window()
    view = window.inspector_view
    token = sandbox.issue_token("token-of-trust", lifetime=-60)  # already expired
    with qtbot.waitSignal(view.inspected, timeout=10_000) as blocker:
        view.set_token(token)
    ins = blocker.args[0]
    assert ins.expired is True
    assert "expired" in view.warning_codes()
    rows = {
        view.claims.topLevelItem(i).text(0): view.claims.topLevelItem(i).text(2)
        for i in range(view.claims.topLevelItemCount())
    }
    assert rows["exp"].startswith("expires ") and "ago" in rows["exp"]
    assert '"alg"' in view.header_box.toPlainText()
    assert view.warnings.count() >= 1


def test_a_jwks_url_that_cannot_be_fetched_becomes_an_error_banner(qtbot, make_window, sandbox):
    window = make_window()
    view = window.inspector_view
    view.set_token(sandbox.issue_token("true-markets"))
    view.set_key("jwks", f"{sandbox.url}/no/such/jwks.json")
    view.verify_button.click()
    qtbot.waitUntil(window.banner.isVisible, timeout=10_000)
    assert view.result_label.text().startswith("✗")


def test_garbage_in_the_inspector_is_explained_not_raised(qtbot, make_window):
    window = make_window()
    view = window.inspector_view
    view.token_input.setPlainText("eyJ-not-a-token")
    qtbot.waitUntil(lambda: view.result_label.text().startswith("✗"), timeout=5000)
    assert not window.banner.isVisible()


def test_inspect_current_opens_the_selected_profiles_token(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    result = obtain(qtbot, window, window.token_view.mint_button.click)
    with qtbot.waitSignal(window.inspector_view.inspected, timeout=10_000):
        window.inspect_action.trigger()
    assert window.tabs.currentWidget() is window.inspector_view
    assert window.inspector_view.token_input.toPlainText() == result.access_token


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_generating_a_key_shows_its_public_halves_and_attaches_the_private_key(
    qtbot, make_window, add_profile, ctx, tmp_path, alg
):
    add_profile("true-markets", "tm")
    window = make_window(select="tm")
    keys = window.keys_view
    keys.alg.setCurrentText(alg)
    with qtbot.waitSignal(keys.generated, timeout=20_000) as blocker:
        keys.generate_button.click()
    pair = blocker.args[0]
    assert keys.public_pem.toPlainText().startswith("-----BEGIN PUBLIC KEY-----")
    jwk = json.loads(keys.public_jwk.toPlainText())
    assert jwk["kid"] and jwk["alg"] == alg
    assert jwk["kid"] in keys.kid_label.text()

    keys.profile_combo.setCurrentText("tm")
    if alg == "ES256":
        keys.attach_button.click()  # tm holds the sandbox's working key: replacing it asks
        qtbot.waitUntil(lambda: keys.replace_question is not None and keys.replace_question.isVisible())
        with qtbot.waitSignal(keys.attached, timeout=10_000):
            confirm_button(keys.replace_question).click()
        assert ctx.vault.load("tm", "private_key") == pair.private_pem().decode()
        assert "private_key" in ctx.profiles.get("tm").secret_names
    else:  # true-markets signs with ES256: another key is not offered to it (it would break the next Mint)
        assert keys.profile_combo.findText("tm") == -1
        assert not keys.attach_button.isEnabled()

    with qtbot.waitSignal(keys.saved, timeout=10_000):
        keys.save_to(tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"private.pem", "public.pem", "public.jwk.json"}
