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
