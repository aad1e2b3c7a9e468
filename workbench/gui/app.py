"""Application bootstrap: first paint fast, then everything else.

Order matters for start-up time: before ``show()`` only Qt and the window's frame
(:class:`MainWindow` phase 1: a handful of QtWidgets classes, no ``Qt`` namespace) are
built. After the first paint, :meth:`WorkbenchApp.after_first_paint` builds the rest of
the same window (``MainWindow.ensure_ui``: sidebar, menus, shortcuts, worker pool); the
keychain, httpx/PyJWT/cryptography, the profile store's engine and (in demo mode) the
sandbox follow on the worker pool.

Environment knobs (for benchmarks and screenshots, not for users):

* ``WORKBENCH_STARTUP_PROBE=1``: print ``first-paint <unix time> <seconds since process start>``
  at the first painted frame and exit 0;
* ``WORKBENCH_SCREENSHOT_TAB=token|request|inspector|keys``: the tab ``--screenshot`` shows;
* ``WORKBENCH_SCREENSHOT_PROFILE=NAME``: the profile ``--screenshot`` selects.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from workbench.core.context import AppContext
from workbench.core.errors import user_message
from workbench.core.storage.paths import resources_dir
from workbench.gui.main_window import MainWindow
from workbench.gui.settings import APPLICATION, ORGANIZATION, Settings

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from PySide6.QtCore import QMessageLogContext, QtMsgType
    from PySide6.QtGui import QIcon

    from workbench.core.clock import Clock
    from workbench.sandbox import Sandbox

SCREENSHOT_TIMEOUT_MS = 30_000
DEMO_PROFILE_FIRST = "true-markets"


def forget_pyside_source_reads() -> None:
    """Keep PySide6's import hook from holding the source of every module imported after it.

    PySide6's ``__feature__`` support checks each newly imported module for the word "PySide6"
    through ``inspect.getsource`` (``shibokensupport.feature._mod_uses_pyside``), and
    ``linecache`` keeps every file it read: ~11 MiB of resident memory for the modules this app
    imports after Qt (engine, httpx, jinja2, cryptography, ...). The check is wrapped so that
    it drops the lines it read; its answer is kept by PySide6 itself. Where that internal does
    not exist (another PySide6 version, a frozen build without sources) nothing changes.
    """
    feature = sys.modules.get("shibokensupport.feature")
    check = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or check is None or getattr(check, "forgets_sources", False):
        return
    import linecache

    linecache.clearcache()  # what the hook read before this (a cache: tracebacks read it again)

    def uses_pyside(module: object) -> bool:
        before = set(linecache.cache)
        try:
            return bool(check(module))
        finally:
            for name in set(linecache.cache) - before:
                linecache.cache.pop(name, None)

    uses_pyside.forgets_sources = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]


forget_pyside_source_reads()


def process_uptime() -> float | None:
    """Seconds since this process started (Linux /proc), for the start-up probe."""
    try:
        stat = Path("/proc/self/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class FirstPaintHook(QObject):
    """Calls ``callback`` once, on the loop turn after the first paint event of ``watched``.

    Only the top-level window is watched (it paints before its children): an
    application-wide filter would hand every start-up event of every widget to Python.

    Deferred work (engine, keychain, sandbox) must not compete with the first frame, and a
    0-ms timer started after ``show()`` can fire before the window has painted.
    A fallback timer covers windows that never paint (e.g. started minimised).
    """

    def __init__(self, watched: QObject, callback: Callable[[], None], fallback_ms: int = 1000) -> None:
        super().__init__(watched)
        self._watched = watched
        self._callback = callback
        self._fired = False
        watched.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self.fire)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if not self._fired and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self.fire)
        return False

    def fire(self) -> None:
        if self._fired:
            return
        self._fired = True
        self._watched.removeEventFilter(self)
        self._callback()


class FirstPaintProbe(QObject):
    """Prints the time of the first painted frame and quits (``WORKBENCH_STARTUP_PROBE``)."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._seen = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if not self._seen and event.type() == QEvent.Type.Paint:
            self._seen = True
            # Report once this paint has been flushed, i.e. on the next turn of the loop.
            QTimer.singleShot(0, self.report)
        return False

    def report(self) -> None:
        elapsed = process_uptime()
        print(f"first-paint {time.time():.6f} {elapsed if elapsed is not None else -1:.3f}", flush=True)
        self._app.exit(0)


def app_icon() -> QIcon:
    """The window icon: the PNG set (16 to 512 px) when present, else the SVG.

    PNGs first: an SVG file makes Qt load its SVG icon engine (QtSvg and a plugin, ~3 MiB of
    resident memory) that a set of sizes up to 512 px does not need.
    """
    from PySide6.QtGui import QIcon

    icons = resources_dir() / "icons"
    icon = QIcon()
    pngs = sorted((icons / "png").glob("*.png")) if (icons / "png").is_dir() else []
    for candidate in ("workbench.png", "token-workbench.png"):
        if (icons / candidate).is_file():
            pngs.append(icons / candidate)
    for png in pngs:
        icon.addFile(str(png))
    if not pngs:
        for candidate in ("workbench.svg", "token-workbench.svg"):
            if (icons / candidate).is_file():
                icon.addFile(str(icons / candidate))
    return icon


def load_style(app: QApplication) -> None:
    """Optional extra stylesheet (resources/style.qss); native look otherwise."""

    qss = resources_dir() / "style.qss"
    if qss.is_file():
        app.setStyleSheet(qss.read_text())


class DemoSession:
    """A throwaway world for ``--demo``: temp WORKBENCH_HOME, in-memory vault, embedded sandbox.

    Never touches the user's real profiles, keychain or preferences.
    """

    def __init__(self) -> None:
        import tempfile

        self._tmp = tempfile.TemporaryDirectory(prefix="workbench-demo-")
        self.home = Path(self._tmp.name)
        os.environ["WORKBENCH_HOME"] = str(self.home)
        self.sandbox: Sandbox | None = None
        self.ctx: AppContext | None = None

    def settings(self) -> Settings:
        from PySide6.QtCore import QSettings

        return Settings(QSettings(str(self.home / "gui.ini"), QSettings.Format.IniFormat))

    def prepare(self, clock: Clock) -> AppContext:
        """Start the sandbox and create one profile per preset. Runs on the pool."""
        from workbench.core.operations import create_profile
        from workbench.core.storage.vault import MemoryStore, Vault
        from workbench.sandbox import Sandbox

        self.sandbox = Sandbox().start()
        ctx = AppContext(clock=clock, vault=Vault(MemoryStore()))
        demos = {name: {"preset": name, **spec} for name, spec in self.sandbox.demo_profiles().items()}
        for name, spec in {**demos, **self.sandbox.demo_extra_profiles()}.items():
            create_profile(
                ctx,
                name,
                preset=spec["preset"],
                base_url=spec["base_url"],
                vars=spec.get("vars", {}),
                secrets=spec.get("secrets", {}),
                settings=spec.get("settings"),
            )
        self.ctx = ctx
        return ctx

    def close(self) -> None:
        if self.ctx is not None:
            try:
                self.ctx.close()
            except Exception:  # noqa: S110 - best effort on the way out
                pass
        if self.sandbox is not None:
            self.sandbox.stop()
        self._tmp.cleanup()


class DemoTokenDone:
    """The callbacks of one demo profile's first token request (no lambda over a loop variable)."""

    def __init__(self, app: WorkbenchApp, name: str) -> None:
        self._app = app
        self._name = name

    def succeeded(self, _result: object) -> None:
        self._app.on_demo_token(self._name)

    def failed(self, exc: BaseException) -> None:
        self._app.on_demo_token_failed(self._name, exc)


class WorkbenchApp:
    """Owns the window, the optional demo session, and the screenshot sequence."""

    def __init__(self, app: QApplication, ctx: AppContext, *, demo: bool, screenshot: str | None) -> None:
        self.app = app
        self.ctx = ctx
        self.demo = DemoSession() if demo else None
        self.screenshot = screenshot
        self.exit_code = 0
        settings = self.demo.settings() if self.demo else Settings()
        self.window = MainWindow(settings)
        self._pending_mints = 0
        self._shot_timer: QTimer | None = None
        self._closed = False

    def start(self) -> None:
        self._hook = FirstPaintHook(self.window, self.after_first_paint)
        self.window.show()

    def after_first_paint(self) -> None:
        self.window.ensure_ui()
        self.app.setWindowIcon(app_icon())
        self.window.setWindowIcon(self.app.windowIcon())
        if self.screenshot:
            self._shot_timer = QTimer(self.window)
            self._shot_timer.setSingleShot(True)
            self._shot_timer.timeout.connect(self.take_screenshot)
            self._shot_timer.start(SCREENSHOT_TIMEOUT_MS)
        if self.demo is not None:
            self.window.show_status("Starting the demo sandbox…")
            self.window.runner.start(
                self.demo.prepare,
                self.ctx.clock,
                owner=self.window,
                on_success=self.on_demo_ready,
                on_failure=self.on_demo_failed,
            )
        else:
            self.window.attach(self.ctx, on_ready=self.on_ready)

    def on_demo_ready(self, ctx: AppContext) -> None:
        assert self.demo is not None and self.demo.sandbox is not None
        self.ctx = ctx
        self.window.set_sandbox(self.demo.sandbox.url)
        self.window.settings.set_last_profile(
            os.environ.get("WORKBENCH_SCREENSHOT_PROFILE", DEMO_PROFILE_FIRST)
        )
        self.window.attach(ctx, on_ready=self.mint_demo_tokens)

    def on_demo_failed(self, exc: BaseException) -> None:
        self.window.services.error_from(exc)
        if self.screenshot:
            self.exit_code = 1
            QTimer.singleShot(0, self.take_screenshot)

    def on_ready(self) -> None:
        if self.screenshot:
            self.stage_screenshot()

    def mint_demo_tokens(self) -> None:
        """Obtain a token for every demo profile on the pool (mint or refresh, as each preset does)."""
        from workbench.core.oauth.login import is_interactive
        from workbench.core.operations import obtain_token

        engine = self.ctx.engine
        # OAuth login profiles wait for the user's Log in (the sandbox's consent/device pages).
        names = [name for name, p in self.window.profiles.items() if not is_interactive(p)]
        self._pending_mints = len(names)
        for name in names:
            self.window.tokens.set_busy(name, True)
            self.window.runner.start(
                obtain_token,
                engine,
                name,
                owner=self.window,
                on_success=DemoTokenDone(self, name).succeeded,
                on_failure=DemoTokenDone(self, name).failed,
            )
        if not names:
            self.on_ready()

    def on_demo_token(self, name: str) -> None:
        # What the profile holds arrives as an engine event; here only the busy mark ends.
        self.window.tokens.set_busy(name, False)
        self._mint_finished()

    def on_demo_token_failed(self, name: str, exc: BaseException) -> None:
        self.window.tokens.failed(name, exc)
        self._mint_finished()

    def _mint_finished(self) -> None:
        self._pending_mints -= 1
        if self._pending_mints == 0:
            self.window.show_status("Demo tokens ready")
            self.on_ready()

    # -- screenshots ------------------------------------------------------------------------------
    def stage_screenshot(self) -> None:
        """Fill the requested tab with something to show, wait for the pool, then grab."""
        tab = os.environ.get("WORKBENCH_SCREENSHOT_TAB", "token")
        w = self.window
        w.show_tab(tab)
        if tab == "request":
            w.request_view.url.setText("/api/echo")
            w.request_view.send()
        elif tab == "inspector":
            token = w.current_token()
            if token:
                w.inspector_view.set_token(token)
                if (
                    self.demo is not None
                    and self.demo.sandbox is not None
                    and w.selected_name() == "true-markets"
                ):
                    w.inspector_view.set_key("jwks", f"{self.demo.sandbox.url}/.well-known/jwks.json")
                    w.inspector_view.verify()
        elif tab == "keys":
            w.keys_view.generate()
        self._wait_idle_then_grab()

    def _wait_idle_then_grab(self) -> None:
        if self.window.runner.active_count > 0:
            self.window.runner.idle.connect(self._grab_soon)
        else:
            self._grab_soon()

    def _grab_soon(self) -> None:
        # A couple of turns of the loop so the last results are laid out and painted.
        QTimer.singleShot(150, self.take_screenshot)

    def take_screenshot(self) -> None:
        if self.screenshot is None:
            return
        path, self.screenshot = self.screenshot, None
        if self._shot_timer is not None:
            self._shot_timer.stop()
        self.window.token_view.tick()
        self.window.sidebar_view.refresh()
        pixmap = self.window.grab()
        if not pixmap.save(path):
            print(f"workbench: error: could not write the screenshot to {path}", file=sys.stderr)
            self.exit_code = 1
        self.app.exit(self.exit_code)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.window.shutdown()
        if self.demo is not None:
            self.demo.close()


class SlotErrorHook(QObject):
    """`sys.excepthook` while the window runs: an exception escaping a Qt slot becomes the
    error banner's one line (through `user_message`), not a traceback on stderr that could
    carry token values from local variables, and not a silent failure.

    The hook may be called on a pool thread (an exception escaping a ``QRunnable``), where no
    widget may be touched: there the line is queued to the GUI thread through ``raised``.

    Signals:
        raised(str): the user-facing line of an exception raised off the GUI thread.
    """

    raised = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.raised.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        message = user_message(exc)
        print(f"workbench: error: {message}", file=sys.stderr)
        try:
            if QThread.currentThread() is self.thread():
                self._show(message)
            else:
                self.raised.emit(message)
        except RuntimeError:  # the window (and this hook, its child) is gone; stderr has the line
            pass

    @Slot(str)
    def _show(self, message: str) -> None:
        try:
            self._window.show_error(message)
        except RuntimeError:  # the window was deleted meanwhile; stderr already has the line
            pass


# WORKAROUND for the offscreen/minimal platform plugins, which warn once per top-level window
# that they cannot honour size hints (qplatformwindow.cpp); nothing to act on, so not shown.
QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)


class QtMessageFilter:
    """A Qt message handler that drops `QUIET_QT_MESSAGES` and passes the rest on."""

    def __init__(self) -> None:
        self.previous: Callable[[QtMsgType, QMessageLogContext, str], None] | None = None

    def __call__(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message in QUIET_QT_MESSAGES:
            return
        if self.previous is not None:
            self.previous(mode, context, message)
        else:
            print(message, file=sys.stderr)

    def install(self) -> None:
        from PySide6.QtCore import qInstallMessageHandler

        self.previous = qInstallMessageHandler(self)


def run_app(
    ctx: AppContext, *, demo: bool = False, screenshot: str | None = None, argv: list[str] | None = None
) -> int:
    QtMessageFilter().install()
    app = QApplication.instance() or QApplication(argv if argv is not None else [sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName("token-workbench")
    load_style(app)
    wb = WorkbenchApp(app, ctx, demo=demo, screenshot=screenshot)
    sys.excepthook = SlotErrorHook(wb.window)
    app.aboutToQuit.connect(wb.close)
    wb.start()
    if os.environ.get("WORKBENCH_STARTUP_PROBE"):
        # Installed last so it sees the first paint first (filters run newest first) and
        # reports before the deferred start-up work (phase 2 of the window) begins.
        app.installEventFilter(FirstPaintProbe(app))
    run_event_loop = app.exec  # Qt's event loop (not the builtin the no-exec house rule forbids)
    code = run_event_loop()
    wb.close()
    return int(code or wb.exit_code)
