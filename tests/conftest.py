"""Shared fixtures. Every test gets its own WORKBENCH_HOME; GUI tests run offscreen."""

from __future__ import annotations

import os

import pytest

# GUI tests must never need a display (and must not pick one up by accident). The offscreen
# screen is 1920x1200 (Qt's default is 800x800): the window fits the screen it opens on, and
# most tests are about a full-size window (tests/gui/test_small_windows.py covers small ones).
_SCREEN = os.path.join(os.path.dirname(__file__), "fixtures", "offscreen_screen.json")
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"


@pytest.fixture(autouse=True)
def workbench_home(tmp_path, monkeypatch):
    home = tmp_path / "wbhome"
    home.mkdir()
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    return home


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and "secret_service" in getattr(item, "fixturenames", ()):
        from tests import keychain

        service = item.funcargs.get("secret_service")
        if service is not None and not keychain.healthy(service):
            keychain.restart(service)
            report.sections.append(("keychain", "the Secret Service had died; restarted it for later tests"))
    return report


@pytest.fixture(scope="session")
def secret_service():
    """A real Secret Service for the whole session; its env vars are returned for subprocesses."""
    from tests import keychain

    if not keychain.available():
        if os.environ.get("CI") or os.environ.get("WORKBENCH_REQUIRE_KEYCHAIN"):
            pytest.fail("gnome-keyring and dbus-daemon are required in CI (see .ci/packages)")
        pytest.skip("gnome-keyring/dbus-daemon not installed (apt-get install gnome-keyring dbus)")
    service = keychain.start()
    saved = {k: os.environ.get(k) for k in service.env}
    os.environ.update(service.env)
    import keyring

    keyring.set_keyring(keyring.core.load_keyring("keyring.backends.SecretService.Keyring"))
    yield service
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    service.stop()
