"""The Request tab: build an authenticated request for the selected profile and read the answer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import STATE_COLORS, ElidedLabel, monospace_font, pretty_json, text_box

if TYPE_CHECKING:
    from workbench.core.engine import CallResult
    from workbench.core.profiles import Profile

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

BODY_HELP = (
    "<b>Request body</b> — sent as typed. If it contains <code>{{ … }}</code> or <code>{% … %}</code> "
    "it is rendered first (Jinja2, sandboxed) with:<br>"
    "<code>now()</code> server-corrected Unix seconds · <code>uuid()</code> · "
    "<code>b64url(text)</code> · <code>sign(alg, key_pem, message)</code> JOSE signature<br>"
    "and <code>vars.NAME</code>, <code>secrets.NAME</code> (from the vault), <code>base_url</code>, "
    "<code>origin</code>, <code>profile</code>.<br>"
    'Example: <code>{"ts": {{ now() }}, "id": "{{ uuid() }}"}</code>'
)


class RequestView(QWidget):
    """Signals:
    inspect_requested(str): a JWT found in a response, to open in the Inspector.
    response_received(object): a CallResult shown in the response view.
    token_replaced(str): profile whose stored token changed because of this request.
    """

    inspect_requested = Signal(str)
    response_received = Signal(object)
    token_replaced = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.profile: Profile | None = None
        self.generation = Generation()
        self.last_result: CallResult | None = None
        self._found_jwt: str | None = None
        self._shown_error: str | None = None
        self._build()
        self.set_profile(None)
        services.extras["current_request"] = self.current_request

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        line = QHBoxLayout()
        self.method = QComboBox()
        self.method.addItems(list(METHODS))
        self.method.setEditable(False)
        # Elided: a long base URL or status line must not push the profiles sidebar aside.
        self.base_label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)
        self.base_label.setStyleSheet("color: gray")
        self.url = QLineEdit()
        self.url.setPlaceholderText(
            "/api/echo — a path relative to the profile's base URL, or an absolute URL"
        )
        self.url.setFont(monospace_font())
        self.url.setClearButtonEnabled(True)
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send the request (Ctrl+Enter)")
        self.send_button.setDefault(True)
        line.addWidget(self.method)
        line.addWidget(self.base_label, 1)
        line.addWidget(self.url, 2)
        line.addWidget(self.send_button)
        outer.addLayout(line)

        self.request_tabs = QTabWidget()
        self.headers = QTableWidget(0, 2)
        self.headers.setHorizontalHeaderLabels(["Header", "Value"])
        self.headers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.headers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.headers.setColumnWidth(0, 200)
        self.headers.verticalHeader().setVisible(False)
        self.headers.itemChanged.connect(self.on_header_edited)
        self.body = text_box(
            read_only=False, placeholder='{"hello": "world"}  — templates allowed, hover for help'
        )
        self.body.setToolTip(BODY_HELP)
        self.request_tabs.addTab(self.body, "Body")
        self.request_tabs.addTab(self.headers, "Headers")
        self.request_tabs.setToolTip("")

        response = QWidget()
        rl = QVBoxLayout(response)
        rl.setContentsMargins(0, 0, 0, 0)
        status_row = QHBoxLayout()
        self.status_label = QLabel("No response yet")
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.time_label = ElidedLabel()
        self.time_label.setStyleSheet("color: gray")
        self.inspect_button = QPushButton("Open JWT in Inspector")
        self.inspect_button.setEnabled(False)
        self.inspect_button.setToolTip("A JWT was found in the response")
        status_row.addWidget(self.status_label)
        status_row.addWidget(self.time_label, 1)
        status_row.addWidget(self.inspect_button)
        rl.addLayout(status_row)
        self.response_tabs = QTabWidget()
        self.response_body = text_box(read_only=True)
        self.response_headers = QTableWidget(0, 2)
        self.response_headers.setHorizontalHeaderLabels(["Header", "Value"])
        self.response_headers.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.response_headers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.response_headers.verticalHeader().setVisible(False)
        self.response_headers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.response_tabs.addTab(self.response_body, "Body")
        self.response_tabs.addTab(self.response_headers, "Headers")
        rl.addWidget(self.response_tabs, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.request_tabs)
        split.addWidget(response)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)

        self.send_button.clicked.connect(self.send)
        self.inspect_button.clicked.connect(self.on_inspect_clicked)
        self._ensure_blank_header_row()

    # -- headers table keeps one blank row to type into -------------------------------------------
    def _ensure_blank_header_row(self) -> None:
        rows = self.headers.rowCount()
        if rows == 0 or any(
            (self.headers.item(rows - 1, c) and self.headers.item(rows - 1, c).text().strip()) for c in (0, 1)
        ):
            self.headers.blockSignals(True)
            self.headers.insertRow(rows)
            self.headers.setItem(rows, 0, QTableWidgetItem(""))
            self.headers.setItem(rows, 1, QTableWidgetItem(""))
            self.headers.blockSignals(False)

    def on_header_edited(self, _item: QTableWidgetItem) -> None:
        self._ensure_blank_header_row()

    def set_headers(self, headers: list[tuple[str, str]]) -> None:
        self.headers.blockSignals(True)
        self.headers.setRowCount(0)
        for name, value in headers:
            row = self.headers.rowCount()
            self.headers.insertRow(row)
            self.headers.setItem(row, 0, QTableWidgetItem(name))
            self.headers.setItem(row, 1, QTableWidgetItem(value))
        self.headers.blockSignals(False)
        self._ensure_blank_header_row()

    def header_list(self) -> list[tuple[str, str]]:
        out = []
        for row in range(self.headers.rowCount()):
            k = self.headers.item(row, 0)
            v = self.headers.item(row, 1)
            name = k.text().strip() if k else ""
            if name:
                out.append((name, v.text() if v else ""))
        return out

    # -- profile ----------------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        if (profile.name if profile else None) != (self.profile.name if self.profile else None):
            self.generation.next()
            self._set_sending(False)
        self.profile = profile
        self.base_label.setText(profile.base_url if profile else "")
        if profile is not None:
            self.base_label.setToolTip(f"Paths are joined to this base URL:\n{profile.base_url}")
        self.send_button.setEnabled(profile is not None)
        if profile is not None and not self.url.text():
            self.url.setText("/api/echo")

    def current_request(self) -> tuple[str, str, list[tuple[str, str]], str]:
        return self.method.currentText(), self.url.text().strip(), self.header_list(), self.body.toPlainText()

    # -- sending ----------------------------------------------------------------------------------
    def send(self) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None or not self.send_button.isEnabled():
            return
        method, path, headers, body = self.current_request()
        if not path:
            self.services.show_error("Type a path (e.g. /api/echo) or a URL to send the request to.")
            return
        profile = self.profile
        timeout = self.services.prefs.request_timeout
        gen = self.generation.next()
        self._set_sending(True)
        engine = ctx.engine
        vault = ctx.vault
        clock = ctx.clock

        def job() -> Any:
            content: bytes | None = None
            if body.strip():
                text = body
                if "{{" in body or "{%" in body:
                    from workbench.core.templating import (
                        LazySecrets,
                        TemplateRenderer,
                        TemplateVars,
                        VaultSecretSource,
                    )

                    var_values = {
                        i.name: profile.var(i.name) for i in profile.preset.inputs if i.kind == "var"
                    }
                    context = {
                        "vars": TemplateVars(var_values | dict(profile.vars), profile=profile.name),
                        "base_url": profile.base_url,
                        "origin": profile.origin,
                        "profile": profile.name,
                        "secrets": LazySecrets(VaultSecretSource(vault, profile.name), profile=profile.name),
                    }
                    text = TemplateRenderer(clock=clock).render(
                        body, context, field="body", where="request body"
                    )
                content = text.encode()
            send_headers = dict(headers)
            if content is not None and not any(k.lower() == "content-type" for k in send_headers):
                send_headers["Content-Type"] = _guess_content_type(content)
            return engine.call(
                profile.name, method, path, headers=send_headers, content=content, timeout=timeout
            )

        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda result: self.on_send_succeeded(gen, profile.name, result),
            on_failure=lambda exc: self.on_send_failed(gen, exc),
        )

    def _set_sending(self, sending: bool) -> None:
        self.send_button.setEnabled(not sending and self.profile is not None)
        self.send_button.setText("Sending…" if sending else "Send")
        if sending:
            self.status_label.setText("Sending…")
            self.status_label.setStyleSheet("")
            self.time_label.setText("")

    def on_send_succeeded(self, gen: int, profile: str, result: CallResult) -> None:
        if not self.generation.is_current(gen):
            return
        self._set_sending(False)
        self._clear_own_error()
        self.show_response(result)
        if result.token_replaced:
            self.token_replaced.emit(profile)
        self.response_received.emit(result)

    def on_send_failed(self, gen: int, exc: BaseException) -> None:
        from workbench.core.errors import user_message

        if not self.generation.is_current(gen):
            return
        self._set_sending(False)
        message = user_message(exc)
        # Nothing of the previous response may linger: its headers or its JWT would mislead.
        self.last_result = None
        self._found_jwt = None
        self.inspect_button.setEnabled(False)
        self.response_headers.setRowCount(0)
        self.status_label.setText("Failed")
        self.status_label.setStyleSheet(f"color: {STATE_COLORS['error']}")
        self.response_body.setPlainText(message)
        self._shown_error = message
        self.services.show_error(message)

    def _clear_own_error(self) -> None:
        """A request that got an answer retires the banner this view raised for an earlier one."""
        if self._shown_error:
            self.services.clear_error(self._shown_error)
            self._shown_error = None

    def show_response(self, result: CallResult) -> None:
        self.last_result = result
        ok = 200 <= result.status < 300
        color = (
            STATE_COLORS["valid"]
            if ok
            else STATE_COLORS["expiring"]
            if result.status < 500
            else STATE_COLORS["error"]
        )
        self.status_label.setText(f"{result.status} {result.reason}".strip())
        self.status_label.setStyleSheet(f"color: {color}")
        notes = [f"{result.elapsed * 1000:.0f} ms", f"{len(result.body)} bytes"]
        if result.retried:
            notes.append("retried with a fresh token")
        if result.token_replaced:
            notes.append("token replaced from response header")
        self.time_label.setText(" · ".join(notes) + f" · {result.method} {result.url}")
        text = result.text()
        try:
            text = pretty_json(json.loads(text))
        except (ValueError, TypeError):
            pass
        self.response_body.setPlainText(text)
        self.response_headers.setRowCount(0)
        for name, value in result.headers:
            row = self.response_headers.rowCount()
            self.response_headers.insertRow(row)
            self.response_headers.setItem(row, 0, QTableWidgetItem(name))
            self.response_headers.setItem(row, 1, QTableWidgetItem(value))
        self._found_jwt = _find_jwt(result)
        self.inspect_button.setEnabled(self._found_jwt is not None)

    def on_inspect_clicked(self) -> None:
        if self._found_jwt:
            self.inspect_requested.emit(self._found_jwt)

    @property
    def found_jwt(self) -> str | None:
        return self._found_jwt


def _guess_content_type(content: bytes) -> str:
    try:
        json.loads(content)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


def _find_jwt(result: CallResult) -> str | None:
    from workbench.core.jwtinspect import find_jwt

    found = find_jwt(result.text())
    if found:
        return found
    for _name, value in result.headers:
        found = find_jwt(value)
        if found:
            return found
    return None
