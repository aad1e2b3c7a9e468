"""The probe table: send the token variants an API must refuse to one saved request, see which passed.

Opt-in twice over: nothing is sent until the user ticks "I may test this API" for the chosen
profile (the tick is forgotten when the profile changes) and presses Run; and the core
operation (`operations.probe_api`, the one `workbench probe` runs) sends only to the
profile's own origin. The run happens on the worker pool; a result for a profile or request
the user has since changed is dropped (generation counter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import user_message
from workbench.core.operations import KeyChoice, probe_api
from workbench.core.request.saved import SavedRequestStore
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, monospace_font, refill, text_box

if TYPE_CHECKING:
    from workbench.core.operations.probe import ProbeReport

COLUMNS = ("Variant", "Signed with", "HTTP", "Verdict")
ISSUER_KEY_KINDS = (
    ("No issuer key (claim variants keep the original signature)", "none"),
    ("Issuer HMAC secret", "secret"),
    ("Issuer private key (PEM / JWK)", "pem"),
)


def _saved_request_names(profile: str) -> list[str]:
    return [r.name for r in SavedRequestStore().list(profile)]


class ProbePanel(QWidget):
    """Signals:
    probed(object): a ProbeReport is shown.
    """

    probed = Signal(object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.generation = Generation()
        self.requests_generation = Generation()
        self.report: ProbeReport | None = None
        self._build()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        form = QGridLayout()
        self.profile_combo = QComboBox()
        self.request_combo = QComboBox()
        self.request_combo.setMinimumContentsLength(12)
        self.issuer_kind = QComboBox()
        for label, kind in ISSUER_KEY_KINDS:
            self.issuer_kind.addItem(label, kind)
        self.issuer_secret = QLineEdit()
        self.issuer_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.issuer_secret.setFont(monospace_font())
        self.issuer_secret.setPlaceholderText("the secret the API signs its tokens with (hidden)")
        self.issuer_pem = text_box(read_only=False, placeholder="-----BEGIN PRIVATE KEY-----…")
        self.issuer_pem.setFixedHeight(56)
        self.public_key = text_box(
            read_only=False, placeholder="the API's public key (PEM/JWK), for the HS256 confusion variant"
        )
        self.public_key.setFixedHeight(56)
        form.addWidget(QLabel("Profile"), 0, 0)
        form.addWidget(self.profile_combo, 0, 1)
        form.addWidget(QLabel("Saved request"), 0, 2)
        form.addWidget(self.request_combo, 0, 3)
        form.addWidget(QLabel("Issuer key"), 1, 0)
        form.addWidget(self.issuer_kind, 1, 1, 1, 3)
        form.addWidget(self.issuer_secret, 2, 1, 1, 3)
        form.addWidget(self.issuer_pem, 3, 1, 1, 3)
        form.addWidget(QLabel("Public key"), 4, 0)
        form.addWidget(self.public_key, 4, 1, 1, 3)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        outer.addLayout(form)
        self.consent = QCheckBox("I may test this API: send forged tokens to the profile's own origin")
        self.run_button = QPushButton("Run probes")
        self.run_button.setEnabled(False)
        outer.addWidget(self.consent)
        outer.addWidget(self.run_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        outer.addWidget(self.table, 1)
        self.summary = QLabel("Probes send the variants of the profile's valid token an API must refuse.")
        self.summary.setWordWrap(True)
        outer.addWidget(self.summary)

        self.profile_combo.currentIndexChanged.connect(self.on_profile_changed)
        self.request_combo.currentIndexChanged.connect(self.on_inputs_changed)
        self.issuer_kind.currentIndexChanged.connect(self.on_issuer_kind_changed)
        self.consent.toggled.connect(self.on_inputs_changed)
        self.run_button.clicked.connect(self.run)
        self.on_issuer_kind_changed()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh_profiles()

    def refresh_profiles(self) -> None:
        ctx = self.services.ctx
        if ctx is None:
            return
        refill(self.profile_combo, ctx.profiles.names(), self.profile_combo.currentText())
        self.on_profile_changed()

    def on_profile_changed(self, _index: int = 0) -> None:
        self.consent.setChecked(False)  # consent is for one profile's API, given again for another
        self.table.setRowCount(0)
        name = self.profile_combo.currentText()
        self.request_combo.clear()
        if not name:
            self.on_inputs_changed()
            return
        gen = self.requests_generation.next()
        self.services.runner.start(
            _saved_request_names,
            name,
            owner=self,
            on_success=lambda names: self.on_requests_listed(gen, names),
            on_failure=self.services.error_from,
        )

    def on_requests_listed(self, gen: int, names: list[str]) -> None:
        if not self.requests_generation.is_current(gen):
            return
        self.request_combo.clear()
        self.request_combo.addItems(names)
        if not names:
            self.summary.setText("This profile has no saved request: save one in the Request tab first.")
        self.on_inputs_changed()

    def on_issuer_kind_changed(self, _index: int = 0) -> None:
        kind = self.issuer_kind.currentData()
        self.issuer_secret.setVisible(kind == "secret")
        self.issuer_pem.setVisible(kind == "pem")

    def on_inputs_changed(self, *_args: Any) -> None:
        ready = bool(self.profile_combo.currentText() and self.request_combo.currentText())
        self.run_button.setEnabled(ready and self.consent.isChecked())

    def run(self) -> None:
        ctx = self.services.ctx
        if ctx is None or not self.consent.isChecked():
            return
        kind = self.issuer_kind.currentData()
        choice = None
        if kind == "secret" and self.issuer_secret.text():
            choice = KeyChoice(secret=self.issuer_secret.text().encode("utf-8"))
        elif kind == "pem" and self.issuer_pem.toPlainText().strip():
            choice = KeyChoice(text=self.issuer_pem.toPlainText(), source="the issuer key")
        public = self.public_key.toPlainText().strip() or None
        gen = self.generation.next()
        self.run_button.setEnabled(False)
        self.table.setRowCount(0)
        self.summary.setText("probing…")
        self.services.runner.start(
            probe_api,
            ctx,
            self.profile_combo.currentText(),
            self.request_combo.currentText(),
            issuer_key=choice,
            public_key_text=public,
            public_key_source="the public key",
            owner=self,
            on_success=lambda report: self.on_probed(gen, report),
            on_failure=lambda exc: self.on_probe_failed(gen, exc),
        )

    def on_probed(self, gen: int, report: ProbeReport) -> None:
        if not self.generation.is_current(gen):
            return
        self.report = report
        self.on_inputs_changed()
        self.table.setRowCount(len(report.results))
        bad = QBrush(QColor(STATE_COLORS["error"]))
        for row, result in enumerate(report.results):
            if result.status is None:
                verdict = f"skipped: {result.note}" if result.note else "skipped"
            elif result.accepted:
                verdict = "ACCEPTED: the API must refuse this"
            else:
                verdict = "refused"
            cells = (
                result.title,
                result.signed_with,
                "" if result.status is None else str(result.status),
                verdict,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if result.accepted:
                    item.setForeground(bad)
                self.table.setItem(row, column, item)
        accepted = report.accepted
        if accepted:
            self.summary.setText(
                f"✗ The API accepted {len(accepted)} token(s) it must refuse "
                f"({', '.join(r.code for r in accepted)}); valid token: HTTP {report.baseline_status}."
            )
            self.summary.setStyleSheet(f"color: {STATE_COLORS['error']}")
        else:
            self.summary.setText(f"✓ Every variant was refused; valid token: HTTP {report.baseline_status}.")
            self.summary.setStyleSheet(f"color: {STATE_COLORS['valid']}")
        self.probed.emit(report)

    def on_probe_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        self.on_inputs_changed()
        self.summary.setText(f"✗ {user_message(exc)}")
        self.summary.setStyleSheet(f"color: {STATE_COLORS['error']}")
