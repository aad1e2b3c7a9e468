"""Render every view of the demo app offscreen, at a given size and palette, to PNG files.

    PYTHONPATH=$PWD python packaging/screenshots.py OUT_DIR [--sizes 800x500,1440x900] [--palettes light,dark]
        [--views token,request,inspector,keys,editor,new-profile]

Each picture is made in its own process (`--one`), so one view's state never leaks into the
next. "dark" is a forced dark Fusion palette, the way a user with a dark desktop sees the app.
The README's screenshots (resources/screenshots/) are made with this script.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

VIEWS = ("token", "request", "inspector", "keys", "editor", "new-profile")


def dark_palette() -> object:
    from PySide6.QtGui import QColor, QPalette

    pal = QPalette()
    role = QPalette.ColorRole
    for r, color in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#262626"),
        (role.ToolTipBase, "#3a3a3a"),
        (role.ToolTipText, "#e6e6e6"),
        (role.PlaceholderText, "#8a8a8a"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.BrightText, "#ff5555"),
        (role.Link, "#6ab0ff"),
        (role.Highlight, "#2f65ca"),
        (role.HighlightedText, "#ffffff"),
    ):
        pal.setColor(r, QColor(color))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, QColor("#7a7a7a"))
    return pal


def render_one(view: str, size: str, palette: str, out: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["WORKBENCH_SCREENSHOT_TAB"] = view if view in VIEWS[:4] else "token"
    dialogs = ("editor", "new-profile")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.core.context import AppContext
    from workbench.gui import app as gui_app

    width, height = (int(v) for v in size.split("x"))
    qapp = QApplication([sys.argv[0]])
    qapp.setApplicationName(gui_app.APPLICATION)
    gui_app.load_style(qapp)
    qapp.setStyle("Fusion")
    if palette == "dark":
        qapp.setPalette(dark_palette())
    ctx = AppContext()

    class Shot(gui_app.WorkbenchApp):
        def take_screenshot(self) -> None:
            banner = getattr(self.window, "banner", None)
            if banner is not None and banner.isVisible():  # a picture of an error is a finding
                print(f"banner: {banner.text()}", file=sys.stderr)
            super().take_screenshot()

        def stage_screenshot(self) -> None:
            if view not in dialogs:
                super().stage_screenshot()
                return
            if view == "editor":
                editor = self.window.edit_profile()
            else:  # a new profile half filled in and saved once: every problem shows inline
                editor = self.window.new_profile("true-markets")
                editor.name_edit.setText("tm uat")
                editor.base_url.setText("api.uat.truemarkets.co/v1/auth")
                editor.timeout.setText("0")
                editor.save()
            editor.resize(min(width, 640), min(height, 600))
            editor.show()

            def grab() -> None:
                editor.grab().save(out)
                self.screenshot = None
                qapp.exit(0)

            QTimer.singleShot(400, grab)

    wb = Shot(qapp, ctx, demo=True, screenshot=out)
    wb.window.resize(width, height)
    qapp.aboutToQuit.connect(wb.close)
    wb.start()
    code = qapp.exec()
    wb.close()
    return int(code or wb.exit_code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--sizes", default="800x500,1440x900")
    parser.add_argument("--palettes", default="light,dark")
    parser.add_argument("--views", default=",".join(VIEWS))
    parser.add_argument("--one", nargs=4, metavar=("VIEW", "SIZE", "PALETTE", "PNG"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return render_one(*args.one)
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for view in args.views.split(","):
        for size in args.sizes.split(","):
            for palette in args.palettes.split(","):
                png = args.out / f"{view}-{size}-{palette}.png"
                cmd = [sys.executable, __file__, str(args.out), "--one", view, size, palette, str(png)]
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
                ok = proc.returncode == 0 and png.exists()
                failures += not ok
                banners = [line for line in proc.stderr.splitlines() if line.startswith("banner: ")]
                print(f"{'ok ' if ok else 'FAIL'} {png}" + ("" if ok else f"\n{proc.stderr[-2000:]}"))
                for line in banners:
                    print(f"     {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
