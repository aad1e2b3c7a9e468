"""Where things live: `WORKBENCH_HOME` (profiles, state, history, locks) and `resources/`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "token-workbench"


def workbench_home() -> Path:
    env = os.environ.get("WORKBENCH_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = platformdirs.user_data_path(APP_DIR_NAME, appauthor=False)
    home.mkdir(parents=True, exist_ok=True)
    return home


def _subdir(name: str) -> Path:
    path = workbench_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def history_path() -> Path:
    return workbench_home() / "history.jsonl"


def resources_dir() -> Path:
    """`resources/` in a source checkout, in a PyInstaller bundle, or installed beside the package."""
    candidates = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / "resources")
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    candidates.append(Path(sys.prefix) / "share" / APP_DIR_NAME / "resources")
    for candidate in candidates:
        if (candidate / "presets").is_dir():
            return candidate
    return candidates[0]


def presets_dir() -> Path:
    return resources_dir() / "presets"
