"""DPoP in the desktop app: Mint on a DPoP profile gets a bound token, the Inspector says whether
its cnf.jkt is the selected profile's DPoP key, and a copied curl carries a fresh proof."""

from __future__ import annotations

import jwt

from tests.gui.conftest import obtain
from tests.integration.conftest import add_from_spec


def add_dpop_profile(ctx, sandbox, name="dp"):
    return add_from_spec(ctx.profiles, ctx.vault, sandbox.demo_extra_profiles()["oauth2-dpop"], name)


def test_mint_inspect_and_copy_curl_on_a_dpop_profile(qtbot, make_window, ctx, sandbox):
    from workbench.core.jose.dpop import DpopKey
    from workbench.core.operations.dpop import request_proof
    from workbench.core.operations.requests import clipboard_text as build_clipboard_text

    add_dpop_profile(ctx, sandbox)
    window = make_window(select="dp")
    result = obtain(qtbot, window, window.token_view.mint_button.click)
    assert result.token_type == "DPoP"
    jkt = DpopKey.from_pem(ctx.vault.load("dp", "dpop_key")).jkt
    bound = window.token_view.details.bound_label  # the Token tab says what the token is bound to
    assert bound.isVisible() and bound.text().startswith(f"DPoP key {jkt[:12]}… (cnf.jkt)")
    assert bound.toolTip().startswith(f"DPoP key {jkt} (cnf.jkt)")
    with qtbot.waitSignal(window.inspector_view.inspected, timeout=10_000) as blocker:
        window.inspect_action.trigger()
    codes = {w.code: w.message for w in blocker.args[0].warnings}
    assert codes["dpop-binding"] == f"bound to this profile's DPoP key ({jkt})"

    profile = ctx.profiles.get("dp")
    proof = request_proof(ctx.engine, profile, result, ("GET", "/me", [], ""))
    text = build_clipboard_text(
        "curl", profile, result.access_token, ("GET", "/me", [], ""), token_type="DPoP", dpop_proof=proof
    )
    assert f"Authorization: DPoP {result.access_token}" in text and f"DPoP: {proof}" in text
    claims = jwt.decode(proof, options={"verify_signature": False})
    assert claims["htu"].endswith("/oauth2/me") and claims["htm"] == "GET" and "ath" in claims


def test_the_inspector_flags_a_token_bound_to_another_key(qtbot, make_window, ctx, sandbox):
    add_dpop_profile(ctx, sandbox, "one")
    add_dpop_profile(ctx, sandbox, "two")  # the demo hands each a fresh key
    window = make_window(select="one")
    obtain(qtbot, window, window.token_view.mint_button.click)
    token = window.tokens.result("one").access_token
    window.select_profile("two")
    view = window.inspector_view
    with qtbot.waitSignal(view.inspected, timeout=10_000) as blocker:
        view.set_token(token)
    codes = {w.code for w in blocker.args[0].warnings}
    assert "dpop-other-key" in codes


def test_the_sent_headers_show_the_dpop_scheme_and_the_proof_header(qtbot, make_window, ctx, sandbox):
    """What a DPoP profile sends is `Authorization: DPoP …` and a `DPoP` proof (RFC 9449 §7.1), not
    `Bearer …` alone; the proof is made per attempt when sent, so the row says so."""
    from tests.gui.conftest import table_rows
    from workbench.gui.sent_headers import MASK

    add_dpop_profile(ctx, sandbox)
    window = make_window(select="dp")
    token = obtain(qtbot, window, window.token_view.mint_button.click).access_token
    window.show_tab("request")
    view = window.request_view
    view.update_sent_headers()
    rows = dict(table_rows(view.sent_headers))
    assert rows["Authorization"] == f"DPoP {MASK} ({len(token)} characters)"
    assert rows["DPoP"].startswith("a fresh proof")
    view.reveal_token.setChecked(True)
    assert dict(table_rows(view.sent_headers))["Authorization"] == f"DPoP {token}"
