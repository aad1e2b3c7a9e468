"""GUI fixtures: a sandbox, an in-memory AppContext on a FakeClock, and an attached main window.

QSettings always points into the test's tmp dir, so no test reads or writes real preferences.
"""

from __future__ import annotations

import pytest

# The offscreen platform plugin warns about window size hints it cannot honour; that is
# the platform talking, not our code (every top-level window triggers it).
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/gui/" in str(item.fspath) or "/tests/bench/" in str(item.fspath):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def qsettings_in_tmp(tmp_path):
    from PySide6.QtCore import QSettings

    path = str(tmp_path / "qsettings")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, path)
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, path)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    return path


@pytest.fixture(scope="session")
def sandbox_session():
    from workbench.sandbox import Sandbox

    sb = Sandbox().start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(sandbox_session):
    sandbox_session.clear_faults()
    yield sandbox_session
    sandbox_session.clear_faults()


@pytest.fixture
def clock():
    from workbench.core.clock import FakeClock

    return FakeClock()


@pytest.fixture
def ctx(clock):
    from workbench.core.context import AppContext
    from workbench.core.storage.vault import MemoryKeyring, Vault

    context = AppContext(clock=clock, vault=Vault(MemoryKeyring()))
    yield context
    context.close()


@pytest.fixture
def add_profile(ctx, sandbox):
    """add_profile(preset, name=None) → name: a profile with the sandbox's demo credentials."""

    def add(preset: str, name: str | None = None) -> str:
        spec = sandbox.demo_profiles()[preset]
        name = name or preset
        ctx.profiles.create(
            name,
            preset=preset,
            base_url=spec["base_url"],
            vars=spec.get("vars", {}),
            secret_names=list(spec.get("secrets", {})),
        )
        for key, value in spec.get("secrets", {}).items():
            ctx.vault.store(name, key, value)
        return name

    return add


@pytest.fixture
def gui_settings(tmp_path):
    from PySide6.QtCore import QSettings

    from workbench.gui.settings import Settings

    return Settings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, ctx, gui_settings):
    """make_window(**kwargs) → an attached, warmed-up MainWindow (shown offscreen)."""
    from workbench.gui.main_window import MainWindow

    windows = []

    def make(select: str | None = None, settings=None, **kwargs):
        kwargs.setdefault("tick_ms", 50)
        kwargs.setdefault("clipboard_tick_ms", 50)
        window = MainWindow(settings or gui_settings, **kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        if select:
            window.settings.set_last_profile(select)
        with qtbot.waitSignal(window.ready, timeout=10_000):
            window.attach(ctx)
        return window

    yield make
    for window in windows:
        window.shutdown()


def wait_idle(qtbot, window, timeout=10_000):
    qtbot.waitUntil(lambda: window.runner.active_count == 0, timeout=timeout)


def obtain(qtbot, window, action, timeout=10_000):
    """Run `action` (a Mint, Refresh or Log in click), wait until the Token tab says it is done,
    and return the token the selected profile holds now: the token reaches the window by the
    engine's event, not with the job's answer."""
    with qtbot.waitSignal(window.token_view.token_obtained, timeout=timeout):
        action()
    result = window.tokens.result(window.selected_name())
    assert result is not None
    return result


def confirm_button(box):
    """The confirming (destructive) button of a question made by `workbench.gui.confirm.ask`."""
    from PySide6.QtWidgets import QMessageBox

    for button in box.buttons():
        if box.buttonRole(button) == QMessageBox.ButtonRole.DestructiveRole:
            return button
    raise LookupError("no confirming button")


def choose_preset(editor, name):
    """Pick `name` in a profile editor's preset list, as a user would."""
    editor.preset_combo.setCurrentIndex(editor.preset_combo.findData(name))


def table_rows(table):
    """A two-column QTableWidget's rows as (first, second) text pairs."""
    rows = []
    for row in range(table.rowCount()):
        first, second = table.item(row, 0), table.item(row, 1)
        rows.append((first.text() if first else "", second.text() if second else ""))
    return rows
