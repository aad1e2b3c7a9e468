"""Start-up memory: what the app keeps resident that it does not need."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> str:
    (tmp_path / "freshmod.py").write_text("VALUE = 1\n" * 2000)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={"PYTHONPATH": f"{ROOT}:{tmp_path}", "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return out.stdout.strip()


def test_pyside_import_hook_reads_sources_but_the_app_does_not_keep_them(tmp_path):
    # Without the app: PySide6's __feature__ hook reads each later import's source into linecache.
    plain = _run(
        """
        import linecache, PySide6.QtWidgets, freshmod
        print(any(k.endswith("freshmod.py") for k in linecache.cache))
        """,
        tmp_path,
    )
    assert plain == "True", "PySide6 no longer reads imported sources: forget_pyside_source_reads can go"
    with_app = _run(
        """
        import linecache, workbench.gui.app, freshmod, json.tool
        print(sorted(k for k in linecache.cache if k.endswith((".py", ".pyw"))))
        """,
        tmp_path,
    )
    assert with_app == "[]"
