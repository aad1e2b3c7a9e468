"""Mutual TLS in the desktop app: Mint on the demo's mTLS profile gets a certificate-bound token,
the Inspector says whether its cnf.x5t#S256 is the selected profile's certificate, and the profile
editor shows the stored certificate's thumbprint and reads a PKCS#12 file (asking its password)."""

from __future__ import annotations

import os

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.gui.conftest import obtain
from tests.integration.conftest import add_from_spec
from workbench.core.jose.keys import generate_key_pair
from workbench.core.jose.x509 import from_bundle, self_signed_certificate


def add_mtls_profile(ctx, sandbox, name="mt"):
    return add_from_spec(ctx.profiles, ctx.vault, sandbox.demo_extra_profiles()["oauth2-mtls"], name)


def shoot(widget, name):
    folder = os.environ.get("WORKBENCH_SCREENSHOTS")
    if folder:
        widget.grab().save(os.path.join(folder, name))


def test_mint_and_inspect_on_an_mtls_profile(qtbot, make_window, ctx, sandbox):
    add_mtls_profile(ctx, sandbox)
    add_mtls_profile(ctx, sandbox, "other")
    ctx.vault.store(
        "other",
        "client_cert",
        self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="x").bundle(),
    )
    window = make_window(select="mt")
    window.resize(1440, 900)
    result = obtain(qtbot, window, window.token_view.mint_button.click)
    x5t = from_bundle(ctx.vault.load("mt", "client_cert")).thumbprint
    assert result.jwt.claims["cnf"] == {"x5t#S256": x5t}
    bound = window.token_view.details.bound_label
    assert bound.isVisible() and bound.text().startswith(f"client certificate {x5t[:12]}… (cnf.x5t#S256)")
    assert bound.toolTip().startswith(f"client certificate {x5t} (cnf.x5t#S256)")
    with qtbot.waitSignal(window.inspector_view.inspected, timeout=10_000) as blocker:
        window.inspect_action.trigger()
    codes = {w.code: w.message for w in blocker.args[0].warnings}
    assert codes["mtls-binding"] == f"bound to this profile's client certificate ({x5t})"
    qtbot.wait(200)
    shoot(window, "mtls-inspector.png")

    window.select_profile("other")
    view = window.inspector_view
    with qtbot.waitSignal(view.inspected, timeout=10_000) as blocker:
        view.set_token(result.access_token)
    codes = {w.code: w.message for w in blocker.args[0].warnings}
    assert "ANOTHER certificate" in codes["mtls-other-cert"]


def test_the_editor_shows_the_certificate_and_reads_a_pkcs12_file(
    qtbot, make_window, ctx, sandbox, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QInputDialog

    add_mtls_profile(ctx, sandbox)
    window = make_window(select="mt")
    window.resize(1440, 900)
    editor = window.edit_profile()
    editor.resize(1000, 860)
    field = editor.secret_fields["client_cert"]
    stored = from_bundle(ctx.vault.load("mt", "client_cert"))
    qtbot.waitUntil(lambda: stored.thumbprint in field.detail.text(), timeout=10_000)
    assert "CN=workbench-mtls" in field.detail.text() and "self-signed" in field.detail.text()
    assert "PRIVATE KEY" not in field.value()  # shown as a thumbprint, never the key
    qtbot.wait(200)
    shoot(editor, "mtls-editor.png")

    made = self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="from-p12")
    key = serialization.load_pem_private_key(made.key_pem.encode(), None)
    cert = x509.load_pem_x509_certificate(made.chain_pem.encode())
    blob = pkcs12.serialize_key_and_certificates(
        b"c", key, cert, None, serialization.BestAvailableEncryption(b"pw")
    )
    (tmp_path / "c.p12").write_bytes(blob)
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[1])
        return "pw", True

    monkeypatch.setattr(QInputDialog, "getText", answer)
    editor.on_secret_file_chosen("client_cert", str(tmp_path / "c.p12"))
    qtbot.waitUntil(lambda: made.thumbprint in field.detail.text(), timeout=10_000)
    assert asked == ["Client certificate password"]
    assert from_bundle(field.value()).thumbprint == made.thumbprint
    editor.close()


def test_saving_a_certificate_with_another_key_is_one_line_on_its_field_and_nothing_is_stored(
    qtbot, make_window, ctx, sandbox
):
    from PySide6.QtWidgets import QDialogButtonBox

    add_mtls_profile(ctx, sandbox)
    before = ctx.vault.load("mt", "client_cert")
    window = make_window(select="mt")
    editor = window.edit_profile()
    made = self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="x")
    other_key = generate_key_pair("ES256").private_pem().decode()
    editor.secret_fields["client_cert"].set_value(made.chain_pem + other_key)
    editor.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    row = editor.rows["secret:client_cert"]
    qtbot.waitUntil(lambda: row.problem is not None, timeout=10_000)
    assert "does not match the client certificate" in row.problem and "\n" not in row.problem
    assert ctx.vault.load("mt", "client_cert") == before
    editor.close()
