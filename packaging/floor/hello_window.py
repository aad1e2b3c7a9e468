"""The floor the packaging benchmark measures against: the least a PySide6 app can do.

`--version` prints and exits without importing Qt (like `workbench --version`);
otherwise it shows one QMainWindow. Under WORKBENCH_STARTUP_PROBE=1 it prints
`first-paint <unix time> <seconds since process start>` once its first paint has been
flushed and exits, exactly like `workbench gui` (workbench/gui/app.py); `--screenshot
PNG` renders the window to a file and exits. Same conventions, so the numbers compare.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def process_uptime() -> float:
    """Seconds since this process started (Linux /proc; -1 elsewhere), as the app's probe reports it."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return -1.0


def main(argv: list[str]) -> int:
    if "--version" in argv:
        print("hello-floor 1.0")
        return 0
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    class Window(QMainWindow):
        def __init__(self) -> None:
            super().__init__()
            self.setWindowTitle("hello")
            self.setCentralWidget(QLabel("Hello, window"))
            self.resize(960, 640)
            self._painted = False

        def paintEvent(self, event):
            super().paintEvent(event)
            if not self._painted and os.environ.get("WORKBENCH_STARTUP_PROBE"):
                self._painted = True
                QTimer.singleShot(0, self.report)

        def report(self) -> None:
            print(f"first-paint {time.time():.6f} {process_uptime():.3f}", flush=True)
            QApplication.instance().exit(0)

    app = QApplication(argv[:1])
    window = Window()
    if "--screenshot" in argv:
        path = argv[argv.index("--screenshot") + 1]
        window.show()
        app.processEvents()
        return 0 if window.grab().save(path) else 1
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
