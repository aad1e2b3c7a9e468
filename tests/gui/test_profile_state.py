"""Issue 10, items 2-5: errors per profile, verification tied to its token, Cancel with progress,
per-profile auto-refresh in the background with its countdowns."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from tests.gui.conftest import obtain, wait_idle


def mint(qtbot, window):
    # The profile's previous request may still be ending (its failure event comes first): a
    # profile stays busy, across switches too, until its job is done (issue 21 item 4).
    qtbot.waitUntil(window.token_view.mint_button.isEnabled, timeout=15_000)
    return obtain(qtbot, window, window.token_view.mint_button.click)


def row(window, name):
    for item in window.sidebar_view.items():
        if item.data(0, 0x0100) == name:
            return item
    raise AssertionError(name)


# -- item 2: errors per profile -------------------------------------------------------------------


def test_an_error_stays_with_its_profile_and_a_later_success_clears_it(
    qtbot, make_window, add_profile, sandbox
):
    add_profile("token-of-trust", "tot")
    add_profile("api-key-sliding", "sliding")
    window = make_window(select="tot")
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None)
    window.token_view.mint_button.click()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=15_000)
    assert window.banner.text().startswith("tot: ") and "500" in window.banner.text()

    window.select_profile("sliding")  # another profile: not its error
    assert not window.banner.isVisible()
    window.select_profile("tot")
    assert window.banner.text().startswith("tot: ")
    assert "500" in row(window, "tot").toolTip(0) and "500" in row(window, "tot").toolTip(1)

    sandbox.clear_faults()
    mint(qtbot, window)  # a later success clears the error everywhere
    qtbot.waitUntil(lambda: not window.banner.isVisible())
    assert window.tokens.error("tot") is None
    assert "failed" not in row(window, "tot").toolTip(0)


def test_a_background_failure_keeps_its_reason_in_the_sidebar_tooltip(
    qtbot, make_window, add_profile, sandbox, ctx
):
    add_profile("token-of-trust", "tot")
    add_profile("api-key-sliding", "sliding")
    window = make_window(select="sliding")
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None)

    def background():
        try:
            ctx.engine.get_token("tot", force="mint")
        except Exception:  # noqa: S110 - the window learns it from the engine's event
            pass

    worker = threading.Thread(target=background)
    worker.start()
    worker.join(15)
    qtbot.waitUntil(lambda: "last attempt failed" in row(window, "tot").toolTip(1), timeout=5000)
    assert "500" in row(window, "tot").toolTip(1)
    assert window.tokens.state("tot") == "error"
    assert not window.banner.isVisible()  # sliding is shown; its banner is not tot's


def test_a_valid_token_keeps_its_green_dot_after_a_failed_attempt(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    mint(qtbot, window)
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None)
    window.token_view.mint_button.click()
    qtbot.waitUntil(lambda: window.tokens.error("tot") is not None, timeout=15_000)
    wait_idle(qtbot, window)
    assert window.tokens.state("tot") == "valid"  # the token still works: no red dot
    assert "last attempt failed" in row(window, "tot").toolTip(0)


# -- item 3: verification ---------------------------------------------------------------------------


def test_verification_goes_stale_when_the_token_changes_and_reads_in_full(qtbot, make_window, add_profile):
    add_profile("true-markets", "tm")
    window = make_window(select="tm")
    view = window.token_view
    mint(qtbot, window)
    qtbot.waitUntil(view.verify_button.isEnabled)
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_label.text().startswith("✓ valid"), timeout=10_000)
    text = view.verify_label.text()
    assert "signature checked locally" in text and "Signature: valid" in text
    assert "{" not in view.verify_label.toolTip()  # no raw JSON tooltip
    window.resize(800, 500)
    qtbot.wait(50)
    label = view.verify_label
    assert label.heightForWidth(label.width()) <= label.height() + 1  # nothing clipped

    with qtbot.waitSignal(view.token_obtained, timeout=10_000):
        view.refresh_button.click()
    qtbot.waitUntil(lambda: "Verify again" in view.verify_label.text())
    assert "✓" not in view.verify_label.text()


# -- item 4: cancel and progress --------------------------------------------------------------------


def test_a_slow_mint_shows_progress_and_can_be_cancelled(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    sandbox.inject_fault("token-of-trust", "mint", "slow", delay=2.0)
    view.mint_button.click()
    assert view.cancel_button.isVisible() and not view.mint_button.isEnabled()
    assert view.renewal_label.text().startswith("Minting… ")
    assert "gives up after" in view.renewal_label.text()
    assert "Wait for the minting" in view.mint_button.toolTip()
    qtbot.wait(100)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # Token ▸ Cancel token request
    assert not view.cancel_button.isVisible()
    assert view.mint_button.isEnabled()
    assert not window.tokens.of("tot").busy
    assert "cancelled" in window.statusBar().currentMessage()
    wait_idle(qtbot, window, timeout=15_000)


# -- item 5: auto-refresh per profile, in the background -------------------------------------------


def test_auto_refresh_keeps_a_profile_fresh_while_another_is_shown(
    qtbot, make_window, add_profile, sandbox, clock, gui_settings
):
    add_profile("paymentsgate", "pg")
    add_profile("token-of-trust", "tot")
    window = make_window(select="pg")
    view = window.token_view
    with qtbot.waitSignal(view.token_obtained, timeout=10_000):
        view.refresh_button.click()
    qtbot.waitUntil(lambda: window.tokens.renew_at("pg") is not None)
    view.auto_refresh.setChecked(True)
    assert gui_settings.auto_refresh_profiles() == {"pg"}  # kept per profile
    assert view.renewal_label.text().startswith("refreshes in ")
    assert "refreshes in" in view.renews_label.text()
    window.select_profile("tot")
    assert not view.auto_refresh.isChecked()  # tot has its own setting
    assert "auto-refresh: refreshes in" in row(window, "pg").toolTip(0)

    before = sandbox.calls("paymentsgate", "refresh")
    first = window.tokens.result("pg")
    clock.advance(window.tokens.renew_at("pg") - clock.now() + 1)
    qtbot.waitUntil(lambda: sandbox.calls("paymentsgate", "refresh") == before + 1, timeout=10_000)
    qtbot.waitUntil(lambda: window.tokens.result("pg").access_token != first.access_token, timeout=5000)
    assert window.token_view.profile.name == "tot"


def test_the_refresh_tokens_own_countdown_is_shown_where_known(qtbot, make_window, add_profile, clock):
    add_profile("true-markets", "tm")
    window = make_window(select="tm")
    mint(qtbot, window)
    qtbot.waitUntil(lambda: "expires in" in window.token_view.refresh_label.text())
    first = window.token_view.refresh_label.text()
    clock.advance(3 * 3600)
    qtbot.waitUntil(lambda: window.token_view.refresh_label.text() != first)
    assert "expires in" in window.token_view.refresh_label.text()


def test_the_cancel_shortcut_is_listed_with_the_others(make_window):
    window = make_window()
    box = window.show_shortcuts()
    for keys in ("Ctrl+R", "Ctrl+Shift+V", "Esc", "Ctrl+M"):
        assert keys in box.text()
    assert window.cancel_action.shortcut() == QKeySequence("Esc")
    box.close()


def test_switching_profiles_during_a_mint_does_not_leave_the_first_one_busy(
    qtbot, make_window, add_profile, sandbox
):
    add_profile("token-of-trust", "tot")
    add_profile("true-markets", "tm")
    window = make_window(select="tot")
    sandbox.inject_fault("token-of-trust", "mint", "slow", delay=0.5)
    window.token_view.mint_button.click()
    assert window.tokens.state("tot") == "busy"
    window.select_profile("tm")
    wait_idle(qtbot, window, timeout=15_000)
    qtbot.waitUntil(lambda: window.tokens.result("tot") is not None, timeout=5000)
    assert window.tokens.state("tot") == "valid"
    assert row(window, "tot").text(1) != "…"
