"""The floor the packaging benchmark measures against: the least a PySide6 app can do.

`--version` prints and exits without importing Qt (like `workbench --version`);
otherwise it shows one QMainWindow. Under WORKBENCH_STARTUP_PROBE=1 it prints
`first-paint <seconds>` at its first paint and exits; `--screenshot PNG` renders the
window to a file and exits. Same conventions as the app, so the numbers compare.
"""

from __future__ import annotations

import os
import sys
import time

T0 = time.perf_counter()


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
                print(f"first-paint {time.perf_counter() - T0:.3f}", flush=True)
                QTimer.singleShot(0, QApplication.instance().quit)

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
