"""Run-time hook replacing PyInstaller's `pyi_rth_pyside6` (see buildconfig.replace_qt_runtime_hook).

PyInstaller's hook imports PySide6.QtCore at start-up to register an embedded qt.conf,
which costs ~0.25 s on *every* run, including `workbench --version` and
`workbench token NAME`, which never touch Qt. PySide6's wheels register that qt.conf
themselves when QtCore is first imported (Prefix = <package>/Qt, correct inside the
bundle too), so only the cheap environment set-up is kept here.
"""


def _pyi_rthook() -> None:
    import os
    import sys

    root = sys._MEIPASS  # type: ignore[attr-defined]  # set by the PyInstaller bootloader
    windows = sys.platform.startswith("win")
    qt = os.path.join(root, "PySide6") if windows else os.path.join(root, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt, "plugins")
    if windows:
        # As PyInstaller's hook: DLLs collected at the top level must be found by Qt's plugins.
        os.environ["PATH"] = root + os.pathsep + os.environ.get("PATH", "")


_pyi_rthook()
del _pyi_rthook
