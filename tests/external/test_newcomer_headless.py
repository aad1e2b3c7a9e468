"""The README's first block, on a headless machine: `workbench gui --demo` "needs a display;
headless: add --screenshot demo.png". Without a display, as a newcomer's shell has it (no
DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM), Qt used to abort the process (exit 134) with
several lines about xcb plugins, with or without --screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="X11/Wayland only")


def _headless_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["WORKBENCH_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_readme_headless_screenshot_works_as_written(workbench_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.png"
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "gui", "--demo", "--screenshot", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_headless_env(workbench_home),
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"\x89PNG")


def test_the_window_without_a_display_is_one_line_not_an_abort(workbench_home: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "workbench"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_headless_env(workbench_home),
    )
    assert proc.returncode not in (0, -6, 134), proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: no display"), proc.stderr
    assert "--screenshot" in lines[0]
