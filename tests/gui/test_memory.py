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


def test_request_inspector_and_keys_are_built_when_first_shown_and_in_step(qtbot, make_window, add_profile):
    from tests.gui.conftest import wait_idle

    add_profile("token-of-trust", "tot")
    add_profile("api-key-sliding", "sl")
    window = make_window(select="sl")
    wait_idle(qtbot, window)
    # The first screen is the Token tab: the other panels (and their modules) wait.
    assert [window.panel_built(n) for n in ("request", "inspector", "keys")] == [False, False, False]
    assert window.tabs.count() == 5  # Token, Request, Inspector, Keys, History: all listed
    window.show_tab("keys")
    assert window.panel_built("keys") and not window.panel_built("request")
    assert window.tabs.currentWidget() is window.keys_view
    assert window.tabs.indexOf(window.keys_view) == 3
    window.tabs.setCurrentIndex(1)  # a click on the Request tab
    assert window.panel_built("request") and window.tabs.currentWidget() is window.request_view
    assert window.request_view.profile is not None and window.request_view.profile.name == "sl"
    assert window.saved_requests_panel is not None
    window.select_profile("tot")
    assert window.request_view.profile.name == "tot"
    assert not window.panel_built("inspector")
