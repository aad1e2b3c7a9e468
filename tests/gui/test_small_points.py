"""Issue 10, item 10 (the window's and the Token tab's part): glyphs, a stable divider, disabled
buttons that say why, Ctrl+R on a mint-only provider, Verify in the Token menu, the shortcuts
list, a guided first start, and a quiet `gui --screenshot`."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QFontMetrics

from tests.gui.conftest import obtain, wait_idle


def menu_texts(window, title):
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return [a.text().replace("&", "") for a in action.menu().actions() if a.text()]
    raise AssertionError(title)


def test_the_clipboard_countdown_uses_only_glyphs_the_font_has(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    with qtbot.waitSignal(window.clipboard.copied, timeout=10_000):
        window.copy_token_action.trigger()
    label = window.clipboard_label
    assert label.text().startswith("Clipboard clears in ")
    metrics = QFontMetrics(label.font())
    assert all(metrics.inFontUcs4(ord(ch)) for ch in label.text())


def test_the_details_divider_stays_put_between_profiles(qtbot, make_window, add_profile):
    add_profile("true-markets", "tm")
    add_profile("token-of-trust", "tot")
    window = make_window(select="tm")
    view = window.token_view
    with qtbot.waitSignal(view.token_obtained, timeout=10_000):
        view.mint_button.click()
    wait_idle(qtbot, window)
    before = view.details_splitter.sizes()
    for name in ("tot", "tm", "tot"):
        window.select_profile(name)
        qtbot.wait(20)
        assert view.details_splitter.sizes() == before


def test_disabled_buttons_say_why(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    add_profile("marketiger3d", "mt")
    window = make_window(select="tot")
    view = window.token_view
    assert not view.refresh_button.isEnabled()
    assert "no refresh" in view.refresh_button.toolTip()
    assert not view.verify_button.isEnabled()
    assert "No token" in view.verify_button.toolTip()
    window.select_profile("mt")
    assert not view.mint_button.isEnabled()
    assert "paste" in view.mint_button.toolTip()


def test_ctrl_r_on_a_provider_without_refresh_mints(qtbot, make_window, add_profile, sandbox):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    before = sandbox.calls("token-of-trust", "mint")
    assert obtain(qtbot, window, window.refresh_action.trigger).obtained_by == "mint"
    assert sandbox.calls("token-of-trust", "mint") == before + 1


def test_verify_is_in_the_token_menu_and_help_lists_the_shortcuts(qtbot, make_window, add_profile):
    add_profile("token-of-trust", "tot")
    window = make_window(select="tot")
    assert "Verify" in menu_texts(window, "Token")
    assert "Keyboard shortcuts" in menu_texts(window, "Help")
    with qtbot.waitSignal(window.token_view.token_obtained, timeout=10_000):
        window.mint_action.trigger()
    window.verify_action.trigger()
    qtbot.waitUntil(lambda: window.token_view.verify_label.text().startswith("✓"), timeout=10_000)
    window.shortcuts_action.trigger()
    assert window.shortcuts_dialog.isVisible() and "Ctrl+Shift+C" in window.shortcuts_dialog.text()
    window.shortcuts_dialog.close()


def test_a_first_start_without_profiles_guides_the_user(qtbot, make_window):
    window = make_window()
    view = window.token_view
    assert view.pages.currentWidget() is view.welcome and view.welcome.isVisible()
    assert "demo" in view.welcome_demo_button.text().lower()
    from workbench.gui.profile_editor import ProfileEditor

    view.welcome_new_button.click()
    editors = [w for w in window.findChildren(ProfileEditor) if w.isVisible()]
    assert editors  # "Create a profile…" opened the editor
    for editor in editors:
        editor.close()


def test_gui_screenshot_prints_no_qt_platform_noise(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_HOME": str(tmp_path / "home")}
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "gui", "--demo", "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert shot.is_file()
    assert "propagateSizeHints" not in proc.stderr
    assert proc.stderr == ""
