"""Retry texts that count down, and no "refreshing…" while nothing is sent (issue 21 item 7).

Every wait is followed on the app's clock (the FakeClock): the tests move it, never sleep.
A request left waiting in the engine's back-off is ended by Cancel, which wakes it at once.
"""

from __future__ import annotations

import re

from tests.gui.conftest import wait_idle
from workbench.core.engine.policy import RetryPolicy


def seconds_in(text: str, phrase: str) -> int:
    match = re.search(rf"{phrase} (\d+) s\b", text)
    assert match is not None, text
    return int(match.group(1))


def test_a_mint_waiting_in_backoff_says_so_and_counts_down(
    qtbot, make_window, add_profile, ctx, clock, sandbox
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    ctx.engine.retry = RetryPolicy(attempts=3, base_delay=50.0, max_delay=50.0)  # 25-50 s of back-off
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None)
    view.mint_button.click()
    qtbot.waitUntil(lambda: "retrying in" in view.renewal_label.text(), timeout=10_000)
    text = view.renewal_label.text()
    assert text.startswith("Minting: ") and "answered 500" in text and "attempt 1 of 3" in text
    assert "Minting…" not in text  # nothing is being sent while it waits
    before = seconds_in(text, "retrying in")
    clock.advance(10)
    qtbot.waitUntil(
        lambda: seconds_in(view.renewal_label.text(), "retrying in") == before - 10, timeout=5_000
    )
    view.cancel_button.click()
    wait_idle(qtbot, window)
    sandbox.clear_faults()


def test_a_failed_auto_refresh_counts_down_instead_of_refreshing(
    qtbot, make_window, add_profile, ctx, clock, sandbox
):
    add_profile("token-of-trust", "tot")  # no token yet: auto-refresh mints one at once
    window = make_window(select="tot")
    view = window.token_view
    ctx.engine.retry = RetryPolicy(attempts=1)  # fail at once: no back-off inside the engine
    sandbox.inject_fault("token-of-trust", "mint", "500-html", times=None)
    view.auto_refresh.setChecked(True)
    qtbot.waitUntil(lambda: window.tokens.error("tot") is not None, timeout=10_000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "tries again in" in view.renewal_label.text(), timeout=5_000)
    assert view.renewal_label.text() == "auto-refresh failed; tries again in 30 s"
    assert window.banner.text().endswith("(auto-refresh tries again in 30 s)")
    clock.advance(12)
    qtbot.waitUntil(lambda: view.renewal_label.text().endswith("tries again in 18 s"), timeout=5_000)
    qtbot.waitUntil(
        lambda: window.banner.text().endswith("(auto-refresh tries again in 18 s)"), timeout=5_000
    )
    assert "refreshing" not in view.renewal_label.text()
    view.auto_refresh.setChecked(False)  # no second renewal once the faults are cleared
    sandbox.clear_faults()


def test_a_rate_limited_mint_counts_its_retry_after_down(
    qtbot, make_window, add_profile, ctx, clock, sandbox
):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    view = window.token_view
    ctx.engine.retry = RetryPolicy(attempts=1)  # the 429 is the answer, not a retry
    sandbox.inject_fault("token-of-trust", "mint", "429", times=None)
    view.mint_button.click()
    qtbot.waitUntil(lambda: window.banner.text() != "", timeout=10_000)
    wait_idle(qtbot, window)
    assert window.banner.text().endswith("(retry in 1 s)")
    clock.advance(2)
    qtbot.waitUntil(lambda: window.banner.text().endswith("(you can retry now)"), timeout=5_000)
    assert "retry in 1 s" not in window.banner.text()
    sandbox.clear_faults()


def test_an_auto_refresh_that_kept_the_current_token_does_not_try_again_at_once(
    qtbot, make_window, add_profile, clock
):
    from workbench.core.operations import TokenObtained

    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    window.tokens.on_renewed(TokenObtained("tot", "cache"))  # due, but the engine kept its token
    assert window.tokens.of("tot").retry_at == clock.now() + 30
    window.tokens.on_renewed(TokenObtained("tot", "refresh"))  # renewed: no wait added
    assert window.tokens.of("tot").retry_at == clock.now() + 30
