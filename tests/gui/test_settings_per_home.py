"""The desktop app's preferences live beside WORKBENCH_HOME (issue 21 item 14): two homes never
share one, the TLS switch included."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from workbench.gui.settings import APPLICATION, ORGANIZATION, Preferences, Settings


def test_two_homes_keep_their_own_preferences_and_tls_switch(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("WORKBENCH_HOME", str(first))
    Settings().save(Preferences(verify_tls=False, request_timeout=42.0))
    Settings().set_last_profile("staging")
    Settings().set_auto_refresh("staging", True)

    monkeypatch.setenv("WORKBENCH_HOME", str(second))
    other = Settings()
    assert other.load() == Preferences()  # TLS verification on, the default timeout
    assert other.last_profile() is None and other.auto_refresh_profiles() == set()

    monkeypatch.setenv("WORKBENCH_HOME", str(first))
    again = Settings()
    assert again.load().verify_tls is False and again.load().request_timeout == 42.0
    assert again.last_profile() == "staging"
    assert (first / "gui.ini").is_file() and not (second / "gui.ini").exists()


def test_the_window_geometry_belongs_to_its_home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "a"))
    Settings().save_window(QByteArray(b"geometry-of-a"), QByteArray(b"state"))
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "b"))
    assert Settings().geometry() is None


def test_a_home_named_by_workbench_home_does_not_inherit_the_shared_store(tmp_path, monkeypatch):
    QSettings(ORGANIZATION, APPLICATION).setValue("prefs/verify_tls", False)
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "named"))
    assert Settings().load().verify_tls is True


def test_the_default_home_takes_what_earlier_versions_kept_once(tmp_path, monkeypatch):
    legacy = QSettings(ORGANIZATION, APPLICATION)
    legacy.setValue("prefs/request_timeout", 33.0)
    legacy.setValue("window/last_profile", "prod")
    legacy.sync()
    monkeypatch.delenv("WORKBENCH_HOME")
    monkeypatch.setattr("platformdirs.user_data_path", lambda *a, **k: tmp_path / "default-home")
    settings = Settings()
    assert settings.load().request_timeout == 33.0 and settings.last_profile() == "prod"
    assert (tmp_path / "default-home" / "gui.ini").is_file()
    # Once: a later change to the shared store is not copied again.
    legacy.setValue("prefs/request_timeout", 20.0)
    legacy.sync()
    assert Settings().load().request_timeout == 33.0


def test_an_app_started_with_a_home_uses_that_homes_settings(qtbot, tmp_path, monkeypatch):
    from workbench.gui.main_window import MainWindow

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    Settings().save(Preferences(verify_tls=False))
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.settings.load().verify_tls is False
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "other"))
    other = MainWindow()
    qtbot.addWidget(other)
    assert other.settings.load().verify_tls is True
