"""Where things live: `WORKBENCH_HOME` (profiles, state, history, locks) and `resources/`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from workbench.core.errors import StorageError

APP_DIR_NAME = "token-workbench"


def home_is_default() -> bool:
    """True when WORKBENCH_HOME is not set (the platform's data folder is the home)."""
    return not os.environ.get("WORKBENCH_HOME")


def workbench_home() -> Path:
    env = os.environ.get("WORKBENCH_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = platformdirs.user_data_path(APP_DIR_NAME, appauthor=False)
    _ensure_dir(home, "WORKBENCH_HOME" if env else "the data folder")
    return home


def gui_settings_path() -> Path:
    """The desktop app's preferences and window state (INI), beside the profiles they go with:
    two homes never share a preference (TLS verification off in one is not off in the other)."""
    return workbench_home() / "gui.ini"


def _subdir(name: str) -> Path:
    path = workbench_home() / name
    _ensure_dir(path, f"WORKBENCH_HOME's {name}/ folder")
    return path


def _ensure_dir(path: Path, label: str) -> None:
    """mkdir -p, or one StorageError saying what is wrong with `path` and what to do."""

    if path.is_dir():
        return
    fix = "set WORKBENCH_HOME to a folder you can write to"
    # Another thread may create the folder between the two checks: only a path that exists
    # and is still not a folder is the user's problem.
    if (path.exists() or path.is_symlink()) and not path.is_dir():
        if label.endswith("folder"):  # a sub-folder of ours that is a file: the user can move it away
            fix = "move that file away, or " + fix
        raise StorageError(f"{label} ({path}) is not a folder ({fix})")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        if not path.is_dir():
            raise StorageError(f"{label} ({path}) is not a folder ({fix})") from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise StorageError(f"cannot create {label} ({path}): {reason} ({fix})") from None


def profiles_dir() -> Path:
    return _subdir("profiles")


def user_presets_dir() -> Path:
    """A user's own presets (TOML, same schema as the shipped ones)."""
    return _subdir("presets")


def state_dir() -> Path:
    """Non-secret token metadata (expiry, obtained_by), one JSON file per profile."""
    return _subdir("state")


def locks_dir() -> Path:
    return _subdir("locks")


def requests_dir() -> Path:
    """Saved requests, one TOML file per profile (beside `profiles/`)."""
    return _subdir("requests")


def history_db_path() -> Path:
    """The request history (SQLite)."""
    return workbench_home() / "history.sqlite3"


def resources_dir() -> Path:
    """`resources/` in a source checkout, in a PyInstaller bundle, or installed beside the package."""
    candidates = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / "resources")
    candidates.append(Path(__file__).resolve().parents[3] / "resources")
    candidates.append(Path(sys.prefix) / "share" / APP_DIR_NAME / "resources")
    for candidate in candidates:
        if (candidate / "presets").is_dir():
            return candidate
    return candidates[0]


def presets_dir() -> Path:
    return resources_dir() / "presets"
