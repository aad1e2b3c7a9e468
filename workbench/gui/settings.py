"""GUI preferences, kept in ``$WORKBENCH_HOME/gui.ini`` (``QSettings``, INI format).

They live beside the profiles they go with: two homes (``WORKBENCH_HOME=...``) never share
a preference, a window geometry, the auto-refresh choices or the TLS switch. Preferences
kept by earlier versions in the platform's shared store (organisation ``token-workbench``)
are copied once into the default home's file, the one home those versions knew.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings

from workbench.core.errors import StorageError
from workbench.core.storage import paths

ORGANIZATION = "token-workbench"
APPLICATION = "Token Workbench"

DEFAULT_REFRESH_LEAD = 0  # 0 = the engine's default: min(60 s, 10 % of the lifetime)
DEFAULT_CLIPBOARD_CLEAR = 30  # seconds; 0 = never
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_VERIFY_TLS = True
TLS_WARNING = "TLS verification is OFF: certificates are not checked (only for local test servers)."


@dataclass
class Preferences:
    refresh_lead: int = DEFAULT_REFRESH_LEAD
    clipboard_clear: int = DEFAULT_CLIPBOARD_CLEAR
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    verify_tls: bool = DEFAULT_VERIFY_TLS


def _as_bool(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _as_number(value: object, default: float, lo: float, hi: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return min(max(number, lo), hi)


def home_qsettings() -> QSettings:
    """The QSettings of the current WORKBENCH_HOME (copied once from the shared store of
    earlier versions when the home is the default one)."""
    try:
        path = paths.gui_settings_path()
    except StorageError:
        # The home cannot be made: nothing is kept (the window says why), nothing is shared.
        return QSettings(os.devnull, QSettings.Format.IniFormat)
    fresh = not path.exists()
    q = QSettings(str(path), QSettings.Format.IniFormat)
    if fresh and paths.home_is_default():
        legacy = QSettings(ORGANIZATION, APPLICATION)
        for key in legacy.allKeys():
            q.setValue(key, legacy.value(key))
        q.sync()
    return q


class Settings:
    """Typed access to the stored preferences, window state and last selection."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or home_qsettings()

    def load(self) -> Preferences:
        q = self.q
        return Preferences(
            refresh_lead=int(_as_number(q.value("prefs/refresh_lead"), DEFAULT_REFRESH_LEAD, 0, 3600)),
            clipboard_clear=int(
                _as_number(q.value("prefs/clipboard_clear"), DEFAULT_CLIPBOARD_CLEAR, 0, 3600)
            ),
            request_timeout=_as_number(q.value("prefs/request_timeout"), DEFAULT_REQUEST_TIMEOUT, 1, 600),
            verify_tls=_as_bool(q.value("prefs/verify_tls"), DEFAULT_VERIFY_TLS),
        )

    def save(self, prefs: Preferences) -> None:
        q = self.q
        q.setValue("prefs/refresh_lead", int(prefs.refresh_lead))
        q.setValue("prefs/clipboard_clear", int(prefs.clipboard_clear))
        q.setValue("prefs/request_timeout", float(prefs.request_timeout))
        q.setValue("prefs/verify_tls", bool(prefs.verify_tls))
        q.sync()

    # -- window state -----------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)
        self.q.sync()

    def last_profile(self) -> str | None:
        value = self.q.value("window/last_profile")
        return str(value) if value else None

    def set_last_profile(self, name: str | None) -> None:
        self.q.setValue("window/last_profile", name or "")
        self.q.sync()

    # -- per-profile GUI settings -----------------------------------------------------------------
    def auto_refresh_profiles(self) -> set[str]:
        """Profiles the app keeps fresh in the background (each one's "Auto-refresh" box)."""
        q = self.q
        q.beginGroup("auto_refresh")
        try:
            return {key for key in q.childKeys() if _as_bool(q.value(key), False)}
        finally:
            q.endGroup()

    def set_auto_refresh(self, profile: str, enabled: bool) -> None:
        if enabled:
            self.q.setValue(f"auto_refresh/{profile}", True)
        else:
            self.q.remove(f"auto_refresh/{profile}")
        self.q.sync()
