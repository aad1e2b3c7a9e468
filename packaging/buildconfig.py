"""What goes into (and stays out of) the PyInstaller bundles.

Shared by `workbench.spec` (the app) and `floor.spec` (the hello-window floor the
benchmark compares against), so both are built with exactly the same excludes and
the size/start-up ratios measure our own weight, not a difference in packaging.
Imported by the spec files (PyInstaller executes them with SPECPATH set) and by
`build.py`; it must not import PyInstaller at module level.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
ICONS = RESOURCES / "icons"
BUILD_DIR = ROOT / "build"
DIST_DIR = ROOT / "dist"

APP_NAME = "workbench"
FLOOR_NAME = "hello-floor"

# The Qt modules the app uses. Everything else PySide6 ships is excluded: PyInstaller's
# per-module hooks then also leave out those modules' shared libraries and plugins.
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtSvg")
QT_MODULES_ALL = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtAxContainer", "QtBluetooth", "QtCanvasPainter", "QtCharts", "QtConcurrent", "QtDBus",
    "QtDataVisualization", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp",
    "QtHttpServer", "QtLabsStyleKit", "QtLocation", "QtMultimedia", "QtMultimediaWidgets",
    "QtNetwork", "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf",
    "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml", "QtQmlFeatures", "QtQuick",
    "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects",
    "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql",
    "QtStateMachine", "QtSvgWidgets", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
    "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView",
    "QtXml",
)

EXCLUDES = [
    *(f"PySide6.{m}" for m in QT_MODULES_ALL if m not in QT_MODULES_USED),
    # Other Qt bindings, should one be installed next to PySide6.
    "PyQt5", "PyQt6", "PySide2", "shiboken2",
    # Stdlib parts the app never uses.
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc", "pydoc_data",
    "doctest", "unittest", "test", "ensurepip", "venv", "distutils", "curses", "xmlrpc",
    # (not sqlite3: the request history is a SQLite file, core/history.py)
    # Dev and test tooling that may be importable in the build venv.
    "pip", "setuptools", "pkg_resources", "wheel", "pytest", "_pytest", "pytestqt", "hypothesis",
    "ruff", "mypy", "PyInstaller", "IPython", "numpy",
    # httpx's own command line (httpx._main) is the only user of these; httpx imports it
    # inside try/except ImportError.
    "pygments", "rich", "click",
]

# Qt data the app does not need. Translations: the UI is English only (Qt's own
# dialogs fall back to English). Matched against the bundle-relative destination path.
DROP_DATA_PREFIXES = (
    "PySide6/Qt/translations/",
    "PySide6/translations/",
)

# Qt plugins the app never loads, by plugin folder (all of it) or (folder, plugin stem).
# Kept on purpose: platforms xcb, wayland, offscreen, minimal (+ windows/cocoa elsewhere),
# the wayland client integrations, the xdg-desktop-portal theme (native file dialogs),
# input contexts (compose/ibus), SVG and ICO/ICNS image formats.
DROP_PLUGIN_DIRS = frozenset({
    "printsupport", "sqldrivers", "tls", "networkinformation", "qmltooling", "designer",
    "egldeviceintegrations",  # EGLFS: full-screen embedded devices without a window system
    "generic",                # evdev/tuio input for the same, and tuio pulls in QtNetwork
    "multimedia", "position", "sensors", "texttospeech", "webview", "sceneparsers", "geometryloaders",
    "renderers", "renderplugins", "canbus", "qmllint", "scxmldatamodel", "vectorimageformats",
})
DROP_PLUGINS = frozenset({
    ("platforms", "qeglfs"), ("platforms", "qlinuxfb"), ("platforms", "qminimalegl"),
    ("platforms", "qvkkhrdisplay"), ("platforms", "qvnc"), ("platforms", "qdirect2d"),
    # The GTK3 theme drags GTK, cairo, pango, gdk-pixbuf and atk (~25 MB) into the bundle and
    # mixes the build machine's GTK with the user's; Qt falls back to Fusion + the portal theme.
    ("platformthemes", "qgtk3"),
    ("imageformats", "qtiff"), ("imageformats", "qwebp"), ("imageformats", "qtga"),
    ("imageformats", "qwbmp"), ("imageformats", "qgif"), ("imageformats", "qjpeg"),
    ("imageformats", "qpdf"),
})
_PLUGIN_PATH = re.compile(r"PySide6/(?:Qt/)?plugins/([^/]+)/(?:lib)?([^/.]+)[^/]*$")


def icon_for_platform() -> str | None:
    """The icon file PyInstaller embeds: .ico on Windows, .icns on macOS, none on Linux (ignored there)."""
    if sys.platform == "win32":
        return str(ICONS / "token-workbench.ico")
    if sys.platform == "darwin":
        return str(ICONS / "token-workbench.icns")
    return None


Toc = list[tuple[str, str, str]]


def prune_datas(toc: Toc) -> Toc:
    """Drop TOC entries whose destination path starts with one of DROP_DATA_PREFIXES."""
    return [entry for entry in toc if not entry[0].replace("\\", "/").startswith(DROP_DATA_PREFIXES)]


def _unwanted_plugin(dest: str) -> bool:
    match = _PLUGIN_PATH.search(dest.replace("\\", "/"))
    if not match:
        return False
    folder, stem = match.groups()
    return folder in DROP_PLUGIN_DIRS or (folder, stem) in DROP_PLUGINS


def prune_binaries(toc: Toc) -> Toc:
    """Drop unwanted Qt plugins and, on Linux, the shared libraries only they needed.

    PyInstaller resolves every collected binary's dependencies during the analysis, so
    dropping a plugin afterwards leaves its libraries behind (GTK for the gtk3 theme).
    On Linux `bindepend.get_imports` asks ldd, which lists the whole transitive closure;
    a library is removed when a dropped plugin needs it and nothing that stays does.
    (Elsewhere the dropped plugins are few and self-contained, so only they go.)
    """
    dropped = [entry for entry in toc if _unwanted_plugin(entry[0])]
    kept = [entry for entry in toc if not _unwanted_plugin(entry[0])]
    if not dropped or not sys.platform.startswith("linux"):
        return kept
    from PyInstaller.depend import bindepend

    def needs(entry: tuple[str, str, str]) -> set[str]:
        return {name for name, _path in bindepend.get_imports(entry[1])}

    candidates: set[str] = set().union(*(needs(entry) for entry in dropped))
    roots = [entry for entry in kept if os.path.basename(entry[0]) not in candidates]
    still_needed: set[str] = set().union(*(needs(entry) for entry in roots))
    return [
        entry for entry in kept
        if os.path.basename(entry[0]) not in candidates or os.path.basename(entry[0]) in still_needed
    ]


# Strip debug symbols from the collected shared libraries on Linux (libpython alone
# drops from 23 MB to ~4 MB). Not on macOS (it would invalidate code signatures) nor
# on Windows (PE files carry no symbols to strip).
STRIP = sys.platform.startswith("linux")


def drop_dangling_symlinks(binaries: Toc, datas: Toc) -> tuple[Toc, Toc]:
    """Remove SYMLINK entries whose target was pruned (PyInstaller links Qt libraries to the top level)."""
    present = {entry[0].replace("\\", "/") for entry in (*binaries, *datas) if entry[2] != "SYMLINK"}

    def keep(entry: tuple[str, str, str]) -> bool:
        if entry[2] != "SYMLINK":
            return True
        target = os.path.normpath(os.path.join(os.path.dirname(entry[0]), entry[1])).replace("\\", "/")
        return target in present

    return [e for e in binaries if keep(e)], [e for e in datas if keep(e)]


# Our replacement for PyInstaller's PySide6 run-time hook (see rthooks/pyi_rth_workbench_qt.py).
RUNTIME_HOOKS = [str(Path(__file__).resolve().parent / "rthooks" / "pyi_rth_workbench_qt.py")]


# PyInstaller run-time hooks that cost start-up time (every run, CLI included) for nothing here:
# pyi_rth_pyside6 imports QtCore (~0.25 s; replaced by RUNTIME_HOOKS); pyi_rth_multiprocessing
# prepares multiprocessing's spawn mode, which the app never uses (~30 ms); pyi_rth_pkgutil
# teaches pkgutil.iter_modules about the PYZ archive, which nothing bundled calls (~35 ms with
# the zipfile import it pulls in).
DROPPED_RUNTIME_HOOKS = frozenset({"pyi_rth_pyside6", "pyi_rth_multiprocessing", "pyi_rth_pkgutil"})


def replace_qt_runtime_hook(scripts: Toc) -> Toc:
    """Drop the run-time hooks in DROPPED_RUNTIME_HOOKS (RUNTIME_HOOKS keeps what Qt needs)."""
    return [entry for entry in scripts if entry[0] not in DROPPED_RUNTIME_HOOKS]
