"""Start-up, demo mode, screenshots, preferences and window state."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QSettings

from workbench.gui.settings import Preferences, Settings

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, **extra):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_HOME": str(tmp_path / "home")}
    # The GUI's own preferences must stay inside the test too.
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env.update(extra)
    return env


def test_the_window_is_built_without_network_keychain_or_crypto_imports():
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from workbench.gui.main_window import MainWindow\n"
        "import workbench.gui.app\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "w.ensure_ui(); w.ensure_tabs(); app.processEvents()\n"
        "heavy = [m for m in ('httpx', 'jwt', 'cryptography', 'keyring', 'jinja2', 'workbench.sandbox')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
        "w.shutdown()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_first_frame_needs_neither_the_worker_pool_nor_the_panels():
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "import workbench.gui.app\n"
        "from workbench.gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "later = ('workbench.gui.window_ui', 'workbench.gui.tasks', 'workbench.gui.widgets',"
        " 'workbench.gui.services', 'workbench.gui.token_view',"
        " 'workbench.core.profiles.profile', 'email.utils')\n"
        "print([m for m in later if m in sys.modules])\n"
        "w.shutdown()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_full_ui_arrives_in_the_window_that_painted_first(qtbot, gui_settings):
    from PySide6.QtGui import QKeySequence

    from workbench.gui.main_window import MainWindow

    window = MainWindow(gui_settings, tick_ms=50, clipboard_tick_ms=50)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Token Workbench"
    assert window.loading_label.isVisible()
    assert not hasattr(window, "splitter")  # phase 2 not built yet

    window.ensure_ui()
    try:
        assert window.centralWidget() is window.splitter
        qtbot.waitUntil(window.sidebar.isVisible)  # a new child of a shown window shows on the next turn
        assert not _alive(window.loading_label) or not window.loading_label.isVisible()
        assert not window.new_button.isEnabled()  # until a context is attached
        assert window.new_action.shortcut() == QKeySequence("Ctrl+N")
        menus = [a.text() for a in window.menuBar().actions()]
        assert menus == ["&File", "&Token", "&Request", "&Help"]
        window.ensure_ui()  # idempotent: the same widgets
        assert window.centralWidget() is window.splitter
    finally:
        window.shutdown()


def _alive(widget) -> bool:
    from shiboken6 import Shiboken

    return Shiboken.isValid(widget)


def test_closing_before_the_ui_is_built_still_saves_the_window(qtbot, gui_settings):
    from workbench.gui.main_window import MainWindow

    window = MainWindow(gui_settings)
    qtbot.addWidget(window)
    window.show()
    window.resize(900, 600)
    window.close()
    assert gui_settings.geometry() is not None


def test_plain_workbench_starts_the_gui_and_paints(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "workbench"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path, WORKBENCH_STARTUP_PROBE="1"),
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("first-paint ")


def test_demo_screenshot_mints_every_preset_and_writes_a_png(tmp_path):
    shot = tmp_path / "shot.png"
    home = tmp_path / "home"
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "gui", "--demo", "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        timeout=90,
        env=_env(tmp_path),
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "error" not in out.stderr.lower()
    # Demo mode never touches the configured WORKBENCH_HOME.
    assert not (home / "profiles").exists() or not any((home / "profiles").iterdir())


def test_preferences_round_trip_and_tls_off_shows_a_warning(qtbot, make_window, gui_settings):
    window = make_window()
    assert not window.tls_label.isVisible()
    window.apply_preferences(
        Preferences(refresh_lead=30, clipboard_clear=5, request_timeout=3.5, verify_tls=False)
    )
    assert window.tls_label.isVisible()
    assert window.clipboard.clear_after == 5
    again = gui_settings.load()
    assert again == Preferences(refresh_lead=30, clipboard_clear=5, request_timeout=3.5, verify_tls=False)


def test_settings_default_to_tls_verification_on(tmp_path):
    prefs = Settings(QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat)).load()
    assert prefs.verify_tls is True
    assert prefs.clipboard_clear == 30


def test_window_geometry_and_last_profile_are_restored(qtbot, make_window, add_profile, gui_settings):
    add_profile("token-of-trust", "a-tot")
    add_profile("api-key-sliding", "b-sliding")
    window = make_window(select="a-tot")
    window.select_profile("b-sliding")
    window.resize(700, 500)  # the layout's minimum width may win; what counts is that it comes back
    size = (window.width(), window.height())
    window.close()

    again = make_window()
    assert again.selected_name() == "b-sliding"
    assert (again.width(), again.height()) == size


def test_an_exception_escaping_a_slot_becomes_one_banner_line_without_its_values(qtbot, make_window, capsys):
    from workbench.core.errors import ProviderError
    from workbench.gui.app import SlotErrorHook

    window = make_window()
    hook = SlotErrorHook(window)
    secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
    try:
        raise ProviderError(f"provider said no to {secret}")
    except ProviderError as exc:
        hook(type(exc), exc, exc.__traceback__)
    assert window.banner.isVisible()
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: ") and "Traceback" not in err
    hook(RuntimeError, RuntimeError("local detail"), None)
    assert "internal error (RuntimeError)" in window.banner.label.text()


def test_an_exception_raised_on_a_pool_thread_reaches_the_banner_through_the_gui_thread(
    qtbot, make_window, capsys
):
    """`sys.excepthook` is also called on pool threads (an exception escaping a QRunnable); there
    it must not build widgets (Qt aborts: "Cannot create children for a parent that is in a
    different thread", the segfault of CI run 25) but queue the line to the GUI thread."""
    from PySide6.QtCore import QRunnable, QThreadPool

    from workbench.gui.app import SlotErrorHook

    window = make_window()
    hook = SlotErrorHook(window)
    built_on = []
    show_error = window.show_error
    window.show_error = lambda message: (built_on.append(threading.current_thread()), show_error(message))

    class Escaping(QRunnable):
        def run(self):
            hook(RuntimeError, RuntimeError("from a worker"), None)

    pool = QThreadPool()
    job = Escaping()
    job.setAutoDelete(False)
    pool.start(job)
    assert pool.waitForDone(5000)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert built_on == [threading.main_thread()]
    assert "internal error (RuntimeError)" in window.banner.label.text()
    assert capsys.readouterr().err.startswith("workbench: error: internal error (RuntimeError)")


def test_the_settings_dialog_is_window_modal_and_applies_on_ok(qtbot, make_window):
    window = make_window()
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog.isVisible()  # open() returns at once: the window keeps ticking meanwhile
    dialog.verify_tls.setChecked(False)
    dialog.accept()
    assert window.services.prefs.verify_tls is False
    assert not window.tls_label.isHidden()
