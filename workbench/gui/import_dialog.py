"""File ▸ Import…: a collection, an OpenAPI or HAR file, or a pasted curl command, with a preview.

The dialog calls the same core functions as `workbench import` (`importers.read_plan`,
`operations.imports.preview_import` / `import_collection`), on the worker pool: choosing a file or typing
shows what would be created (profiles, where their secrets go, saved requests, what
could not be mapped) before anything is written; Import writes it. Secret values never
appear in the preview, only their names.

Like `workbench import` without `--trust`, the other origins a profile's saved requests use
are not added to its `allowed_origins` (its token is not sent there) unless the user ticks
"Let tokens go to…", which shows only when there are such origins; the preview follows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import user_message
from workbench.core.importers import read_plan
from workbench.core.importers.apply import describe
from workbench.core.operations.imports import import_collection, preview_import
from workbench.gui.tasks import Generation
from workbench.gui.widgets import counted

if TYPE_CHECKING:
    from workbench.core.importers.apply import ImportOutcome
    from workbench.core.importers.model import ImportPlan
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.gui.main_window import MainWindow
    from workbench.gui.services import Services

FORMATS = ("detect", "curl", "postman", "insomnia", "bruno", "openapi", "har")
PREVIEW_PAUSE_MS = 250


def _read(
    source: str, fmt: str | None, environment: str | None, presets: PresetCatalog, keep_all: bool = False
) -> ImportPlan:
    """A path, or a curl command typed into the field (anything starting with `curl `).
    `keep_all`: a HAR file's static assets too (`workbench import --all`)."""

    text = source.strip()
    if text.startswith(("curl ", "curl\t", "$ curl ")):
        return read_plan(
            "-", fmt or "curl", presets=presets, stdin=text.encode("utf-8"), environment=environment
        )
    return read_plan(
        str(Path(text).expanduser()), fmt, presets=presets, environment=environment, keep_all=keep_all
    )


class ImportDialog(QDialog):
    """Signals:
    imported(object): the ImportOutcome once everything was written.
    """

    imported = Signal(object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Import")
        self.generation = Generation()
        self.plan: ImportPlan | None = None
        self._build()
        self.resize(760, 520)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.source = QLineEdit()
        self.source.setPlaceholderText("a file or folder — or paste a curl command")
        self.browse_button = QPushButton("Browse…")
        row.addWidget(self.source, 1)
        row.addWidget(self.browse_button)
        form.addRow("Source:", row)
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        form.addRow("Format:", self.format)
        env_row = QHBoxLayout()
        self.environment = QLineEdit()
        self.environment.setPlaceholderText("optional: a Postman environment export for {{variables}}")
        self.env_button = QPushButton("Browse…")
        env_row.addWidget(self.environment, 1)
        env_row.addWidget(self.env_button)
        form.addRow("Environment:", env_row)
        layout.addLayout(form)
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("importPreview")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # one plan line per row
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setPlaceholderText("The preview shows here: nothing is written until you press Import.")
        layout.addWidget(self.preview, 1)
        self.trust_box = QCheckBox("Let each profile's token go to the other origins its requests use")
        self.trust_box.setToolTip(
            "Adds them to the profile's allowed_origins: tick only for a collection you trust"
        )
        self.trust_box.hide()
        layout.addWidget(self.trust_box)
        self.assets_box = QCheckBox("Keep its static assets too (images, fonts, CSS, JS)")
        self.assets_box.setToolTip(
            "A HAR file's page assets are skipped unless ticked (workbench import --all)"
        )
        self.assets_box.hide()
        layout.addWidget(self.assets_box)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        layout.addWidget(self.buttons)

        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(PREVIEW_PAUSE_MS)
        self._pause.timeout.connect(self.refresh_preview)
        self.source.textChanged.connect(lambda _t: self._pause.start())
        self.environment.textChanged.connect(lambda _t: self._pause.start())
        self.format.currentIndexChanged.connect(lambda _i: self.refresh_preview())
        self.trust_box.toggled.connect(lambda _on: self.refresh_preview())
        self.assets_box.toggled.connect(lambda _on: self.refresh_preview())
        self.browse_button.clicked.connect(lambda: self._browse(self.source))
        self.env_button.clicked.connect(lambda: self._browse(self.environment))
        self.buttons.rejected.connect(self.reject)
        self.import_button.clicked.connect(self.do_import)

    def _browse(self, target: QLineEdit) -> None:
        # Window-modal and non-blocking (no exec): the answer arrives as a signal.
        chooser = QFileDialog(self, "Choose a file to import")
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.fileSelected.connect(target.setText)
        chooser.open()
        self.file_chooser = chooser

    def _inputs(self) -> tuple[str, str | None, str | None]:
        fmt = self.format.currentText()
        env = self.environment.text().strip() or None
        return self.source.text(), None if fmt == "detect" else fmt, env

    # -- preview ----------------------------------------------------------------------------------
    def refresh_preview(self) -> None:
        self._pause.stop()
        source, fmt, env = self._inputs()
        gen = self.generation.next()
        self.plan = None
        self.import_button.setEnabled(False)
        if not source.strip():
            self.preview.clear()
            self.status.setText("")
            return
        ctx = self.services.ctx
        if ctx is None:
            return
        self.status.setText("Reading…")
        trust = self.trust_box.isChecked()
        keep_all = self.assets_box.isChecked()

        def job() -> tuple[ImportPlan, ImportOutcome]:
            plan = _read(source, fmt, env, ctx.presets, keep_all)
            return plan, preview_import(ctx, plan, trust=trust)  # as do_import will apply it

        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda result: self.on_preview(gen, *result),
            on_failure=lambda exc: self.on_preview_failed(gen, exc),
        )

    def on_preview(self, gen: int, plan: ImportPlan, outcome: ImportOutcome) -> None:
        if not self.generation.is_current(gen):
            return

        self.plan = plan
        self.trust_box.setVisible(bool(outcome.withheld or outcome.risks))
        assets = any("static asset" in reason for _title, reason in plan.skipped)
        self.assets_box.setVisible(plan.format == "har" and (assets or self.assets_box.isChecked()))
        hint = "tick the box below to allow them"
        self.preview.setPlainText("\n".join(describe(plan, outcome, dry_run=True, allow_hint=hint)))
        usable = bool(plan.profiles or plan.requests)
        self.import_button.setEnabled(usable)
        self.status.setStyleSheet("")
        self.status.setText(
            "Nothing in it can be imported (see 'not mapped')." if not usable
            else f"Press Import to create {counted(len(plan.profiles), 'profile')}"
            + (f" ({len(outcome.pending)} pending more input)" if outcome.pending else "")
            + f" and save {counted(len(plan.requests), 'request')}."
        )  # fmt: skip

    def on_preview_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return

        self.preview.clear()
        self.status.setStyleSheet("color: #b00020")
        self.status.setText(user_message(exc))

    # -- import -----------------------------------------------------------------------------------
    def do_import(self) -> None:
        plan, ctx = self.plan, self.services.ctx
        if plan is None or ctx is None:
            return
        self.import_button.setEnabled(False)
        self.status.setText("Importing…")
        trust = not self.trust_box.isHidden() and self.trust_box.isChecked()

        def job() -> ImportOutcome:
            return import_collection(ctx, plan, trust=trust)

        def failed(exc: BaseException) -> None:
            self.on_preview_failed(self.generation.current, exc)
            self.import_button.setEnabled(True)

        self.services.runner.start(job, owner=self, on_success=self.on_imported, on_failure=failed)

    def on_imported(self, outcome: ImportOutcome) -> None:
        self.outcome = outcome
        self.imported.emit(outcome)
        self.accept()


def open_import(window: MainWindow) -> ImportDialog | None:
    """File ▸ Import…: open the dialog (non-blocking); reload and select the first new profile after."""
    if window.ctx is None:
        return None
    dialog = ImportDialog(window.services, window)

    def done(outcome: ImportOutcome) -> None:
        first = outcome.profiles[0] if outcome.profiles else None
        window.reload_profiles(select=first)
        pending = f"; {len(outcome.pending)} need more input" if outcome.pending else ""
        window.show_status(
            f"Imported {counted(len(outcome.profiles), 'profile')} and "
            f"{counted(outcome.requests, 'saved request')}{pending}"
        )
        if window.saved_requests_panel is not None:
            window.saved_requests_panel.reload()

    dialog.imported.connect(done)
    dialog.open()
    window.import_dialog = dialog
    return dialog
