"""The Token tab against the sandbox: mint, refresh, countdown, auto-refresh, errors."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from tests.gui.conftest import obtain


def mint(qtbot, window):
    return obtain(qtbot, window, window.token_view.mint_button.click)


def test_minting_from_the_token_view_shows_the_new_token(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    assert view.mint_button.isEnabled()
    assert not view.refresh_button.isEnabled()  # token-of-trust has no refresh: mint again
    assert view.verify_button.isEnabled() is False  # no token yet

    result = mint(qtbot, window)

    assert result.obtained_by == "mint"
    qtbot.waitUntil(lambda: view.token_box.token == result.access_token)
    assert view.token_box.toPlainText().replace("\n", "") == result.access_token
    assert view.verify_button.isEnabled()
    claims = [view.claims.topLevelItem(i).text(0) for i in range(view.claims.topLevelItemCount())]
    assert "exp" in claims and "header.alg" in claims


def test_refreshing_from_the_token_view_uses_the_refresh_endpoint(qtbot, make_window, add_profile, sandbox):
    add_profile("true-markets", "tm")
    window = make_window(select="tm")
    first = mint(qtbot, window)
    before = sandbox.calls("true-markets", "refresh")

    second = obtain(qtbot, window, window.token_view.refresh_button.click)

    assert second.obtained_by == "refresh"
    assert second.access_token != first.access_token
    assert sandbox.calls("true-markets", "refresh") == before + 1
    qtbot.waitUntil(lambda: window.token_view.token_box.token == second.access_token)


def test_paste_in_preset_offers_refresh_but_not_mint(qtbot, make_window, add_profile):
    add_profile("marketiger3d", "mt")
    window = make_window(select="mt")
    assert not window.token_view.mint_button.isEnabled()
    assert window.token_view.refresh_button.isEnabled()
    assert "12 h" in window.token_view.refresh_label.text()


def test_countdown_ticks_down_and_flips_to_expired(qtbot, make_window, add_profile, clock):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    result = mint(qtbot, window)
    view = window.token_view
    left = result.expires_at - clock.now()
    assert 800 < left <= 900  # token-of-trust: 15 minutes

    qtbot.waitUntil(lambda: view.countdown.text().startswith("expires in 1"))
    first_text = view.countdown.text()
    clock.advance(120)
    qtbot.waitUntil(lambda: view.countdown.text() != first_text)
    minutes = int(view.countdown.text().removeprefix("expires in ").split(":")[0])
    assert minutes == int((left - 120) // 60)
    assert view.countdown.property("state") == "valid"

    clock.advance(left - 120 - 30)  # 30 s left
    qtbot.waitUntil(lambda: view.countdown.property("state") == "expiring")

    clock.advance(60)
    qtbot.waitUntil(lambda: view.countdown.text() == "expired")
    assert view.countdown.property("state") == "expired"
    item = window.sidebar.topLevelItem(0)
    qtbot.waitUntil(lambda: item.text(1) == "expired")


def test_auto_refresh_renews_the_token_ahead_of_expiry_by_itself(
    qtbot, make_window, add_profile, sandbox, clock
):
    add_profile("paymentsgate", "pg")
    window = make_window(select="pg")
    view = window.token_view
    first = obtain(qtbot, window, view.refresh_button.click)
    refreshes = sandbox.calls("paymentsgate", "refresh")
    view.auto_refresh.setChecked(True)
    qtbot.waitUntil(lambda: window.tokens.renew_at("pg") is not None)
    lead = first.expires_at - window.tokens.renew_at("pg")
    assert 0 < lead <= 60
    assert view.renewal_label.text().startswith("refreshes in ")

    # Well before the lead: nothing happens.
    clock.advance(first.expires_at - clock.now() - lead - 30)
    qtbot.wait(300)
    assert sandbox.calls("paymentsgate", "refresh") == refreshes

    # Inside the lead window: the window refreshes it by itself.
    clock.advance(40)
    qtbot.waitUntil(lambda: sandbox.calls("paymentsgate", "refresh") == refreshes + 1, timeout=10_000)
    qtbot.waitUntil(lambda: view.token_box.token not in ("", first.access_token))
    assert window.tokens.result("pg").obtained_by == "refresh"


def test_a_provider_fault_becomes_an_error_banner_and_the_window_stays_responsive(
    qtbot, make_window, add_profile, sandbox
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None)

    window.token_view.mint_button.click()

    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=15_000)
    text = window.banner.label.text()
    assert "tot" in text and "500" in text
    assert "<html" not in text.lower()  # the HTML body is summarised, not dumped
    assert window.tokens.error("tot")
    qtbot.waitUntil(lambda: window.sidebar.topLevelItem(0).data(1, 0x0100) == "error")
    assert window.token_view.mint_button.isEnabled()  # usable again


def test_the_gui_thread_keeps_ticking_while_a_provider_is_slow(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    sandbox.inject_fault("token-of-trust", "mint", "slow", delay=1.0)
    stalls: list[float] = []
    last = [time.perf_counter()]

    def probe():
        now = time.perf_counter()
        stalls.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(probe)
    timer.start(10)
    with qtbot.waitSignal(window.token_view.token_obtained, timeout=15_000):
        window.token_view.mint_button.click()
        assert window.token_view.countdown.text() == "busy…"
    timer.stop()
    assert len(stalls) > 20  # the loop ran all along
    assert max(stalls) < 0.5


def test_verify_asks_the_provider_and_shows_the_answer(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    mint(qtbot, window)
    view = window.token_view
    qtbot.waitUntil(view.verify_button.isEnabled)
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_label.text().startswith(("✓", "✗", "answered")), timeout=10_000)
    assert view.verify_label.text().startswith("✓") or "answered" in view.verify_label.text()


def test_results_for_a_profile_no_longer_selected_are_ignored(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "a-tot")
    add_profile("api-key-sliding", "b-sliding")
    window = make_window(select="a-tot")
    sandbox.inject_fault("token-of-trust", "mint", "slow", delay=0.5)
    with qtbot.waitSignal(window.token_view.token_obtained, timeout=10_000):
        window.token_view.mint_button.click()
        window.select_profile("b-sliding")
    qtbot.wait(100)
    assert window.token_view.profile.name == "b-sliding"
    assert window.token_view.token_box.token == ""  # a-tot's token did not land on b-sliding
    assert window.tokens.result("a-tot") is not None  # ... but the sidebar knows about it


def test_verify_checks_a_true_markets_token_against_the_providers_jwks(qtbot, make_window, add_profile):
    add_profile("true-markets", "tm")
    window = make_window(select="tm")
    mint(qtbot, window)
    view = window.token_view
    qtbot.waitUntil(view.verify_button.isEnabled)
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_label.text().startswith("✓ valid"), timeout=10_000)
    assert "locally" in view.verify_label.text()


def test_verify_asks_token_of_trust_itself(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    mint(qtbot, window)
    view = window.token_view
    before = sandbox.calls("token-of-trust", "verify")
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_label.text().startswith("✓ valid"), timeout=10_000)
    assert sandbox.calls("token-of-trust", "verify") == before + 1


def test_a_late_event_about_an_older_token_does_not_erase_the_new_one(qtbot, make_window, add_profile):
    from workbench.core.engine.token_engine import EngineEvent

    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    result = mint(qtbot, window)
    qtbot.waitUntil(lambda: window.tokens.result("tot") is not None)
    seq = window.tokens.of("tot").seq
    window.tokens.on_engine_event(EngineEvent("changed", "tot", seq=seq - 1))  # read before the mint
    assert window.tokens.result("tot").access_token == result.access_token
    assert window.tokens.state("tot") == "valid"
