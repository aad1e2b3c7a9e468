"""The Request tab: build an authenticated request for the selected profile and read the answer.

What is sent is shown, not hidden: the "Sent headers" table lists the effective headers,
including the Authorization header the engine adds (the token masked, with Reveal), and
the query string has its own editor kept in step with the URL. Switching profiles clears
the previous profile's response.

Hooks for other panels (a saved-requests list, say): `add_side_panel(widget)` puts a
widget beside the editor, `load_request(...)` fills the editor, `current_request()` reads
it, and `request_edited` says it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.errors import InputError
from workbench.core.jose.inspect import find_jwt
from workbench.core.operations import render_request
from workbench.gui.fix_hints import gui_message
from workbench.gui.key_value_table import KeyValueTable, join_query, split_query
from workbench.gui.request_body import BodyEditor
from workbench.gui.request_drafts import RequestDrafts
from workbench.gui.response_body import ResponseBodyView
from workbench.gui.sent_headers import sent_header_rows
from workbench.gui.services import Services
from workbench.gui.tasks import Generation
from workbench.gui.widgets import (
    STATE_COLORS,
    ElidedLabel,
    bold_label,
    monospace_font,
)

if TYPE_CHECKING:
    from workbench.core.engine.token_engine import CallResult
    from workbench.core.operations import RenderedRequest
    from workbench.core.profiles.profile import Profile

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Below this width the side panel starts hidden: the editor needs the room (800x500 window).
SIDE_PANEL_MIN_VIEW_WIDTH = 760
SENT_NOTES = ("What goes out, the Authorization header included.", "What goes out; the token in the query.")
NO_JWT_TIP = "Enabled when a response holds a JWT (in its body or headers)"

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
    request_edited(): the method, URL, params, headers or body changed.
    sending_changed(bool): a request started (True) or its answer or error arrived (False).
    """

    inspect_requested = Signal(str)
    response_received = Signal(object)
    request_edited = Signal()
    sending_changed = Signal(bool)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.profile: Profile | None = None
        self.generation = Generation()
        self.last_result: CallResult | None = None
        self._sending = False
        self._found_jwt: str | None = None
        self._shown_error: str | None = None
        self._syncing = False
        self.side_panel: QWidget | None = None
        self.side_toggle: QToolButton | None = None
        self._side_chosen = False
        self._build()
        self.drafts = RequestDrafts(self)  # each profile's own request (switching carries none)
        self._editor_layout.insertWidget(0, self.drafts.note)
        self.set_profile(None)
        services.current_request = self.own_request
        services.tokens.changed.connect(self.on_tokens_changed)

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)  # the tab's margins around the editor and any side panel alike
        # A horizontal splitter with the editor only; `add_side_panel` adds beside it.
        self.side_split = QSplitter(Qt.Orientation.Horizontal)
        self.side_split.setChildrenCollapsible(False)
        editor = QWidget()
        self.side_split.addWidget(editor)
        outer.addWidget(self.side_split)
        main = QVBoxLayout(editor)
        main.setContentsMargins(0, 0, 0, 0)
        self._editor_layout = main

        line = QHBoxLayout()
        self.url_row = line
        self.method = QComboBox()
        self.method.addItems(list(METHODS))
        self.method.setEditable(False)
        self.url = QLineEdit()
        self.url.setPlaceholderText("/api/echo — a path relative to the base URL, or an absolute URL")
        self.url.setFont(monospace_font())
        self.url.setClearButtonEnabled(True)
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send the request (Ctrl+Enter)")
        self.send_button.setDefault(True)
        line.addWidget(self.method)
        line.addWidget(self.url, 1)
        line.addWidget(self.send_button)
        main.addLayout(line)
        # Its own line, elided by whole path segments: never cut mid-word, full URL on hover.
        base_row = QHBoxLayout()
        base_title = QLabel("Base URL")
        base_title.setStyleSheet("color: gray")
        self.base_label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle, url=True)
        self.base_label.setStyleSheet("color: gray")
        self.base_label.setFont(monospace_font())
        base_row.addWidget(base_title)
        base_row.addWidget(self.base_label, 1)
        main.addLayout(base_row)

        self.request_tabs = QTabWidget()
        self.params = KeyValueTable("Parameter", "Value")
        self.headers = KeyValueTable("Header", "Value")

        self.body_editor = BodyEditor(BODY_HELP)
        self.body = self.body_editor.text
        sent = QWidget()
        sl = QVBoxLayout(sent)
        sl.setContentsMargins(0, 0, 0, 0)
        sent_top = QHBoxLayout()
        self.sent_note = QLabel(SENT_NOTES[0])
        self.sent_note.setStyleSheet("color: gray")
        self.sent_note.setWordWrap(True)
        self.reveal_token = QCheckBox("Reveal token")
        self.reveal_token.setToolTip("Show the access token in the Authorization header")
        sent_top.addWidget(self.sent_note, 1)
        sent_top.addWidget(self.reveal_token)
        sl.addLayout(sent_top)
        self.sent_headers = QTableWidget(0, 2)
        self.sent_headers.setHorizontalHeaderLabels(["Header", "Value"])
        self.sent_headers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.sent_headers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.sent_headers.verticalHeader().setVisible(False)
        self.sent_headers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sent_headers.setWordWrap(False)
        sl.addWidget(self.sent_headers, 1)
        self.request_tabs.addTab(self.body_editor, "Body")
        self.request_tabs.addTab(self.params, "Params")
        self.request_tabs.addTab(self.headers, "Headers")
        self.request_tabs.addTab(sent, "Sent headers")

        response = QWidget()
        rl = QVBoxLayout(response)
        rl.setContentsMargins(0, 0, 0, 0)
        status_row = QHBoxLayout()
        self.status_label = bold_label("No response yet")
        self.time_label = ElidedLabel()
        self.time_label.setStyleSheet("color: gray")
        self.inspect_button = QPushButton("Open JWT in Inspector")
        self.inspect_button.setEnabled(False)
        self.inspect_button.setToolTip(NO_JWT_TIP)
        status_row.addWidget(self.status_label)
        status_row.addWidget(self.time_label, 1)
        status_row.addWidget(self.inspect_button)
        rl.addLayout(status_row)
        self.response_tabs = QTabWidget()

        self.response_view = ResponseBodyView(self.services)
        self.response_view.shown.connect(self.on_body_shown)
        self.response_body = self.response_view.text
        self.response_headers = QTableWidget(0, 2)
        self.response_headers.setHorizontalHeaderLabels(["Header", "Value"])
        self.response_headers.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.response_headers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.response_headers.verticalHeader().setVisible(False)
        self.response_headers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.response_tabs.addTab(self.response_view, "Body")
        self.response_tabs.addTab(self.response_headers, "Headers")
        rl.addWidget(self.response_tabs, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.request_tabs)
        split.addWidget(response)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        main.addWidget(split, 1)

        # The sent-headers preview follows every edit, coalesced.
        self._preview = QTimer(self)
        self._preview.setSingleShot(True)
        self._preview.setInterval(150)
        self._preview.timeout.connect(self.update_sent_headers)

        self.send_button.clicked.connect(self.send)
        self.inspect_button.clicked.connect(self.on_inspect_clicked)
        self.url.textChanged.connect(self.on_url_changed)
        self.params.edited.connect(self.on_params_edited)
        self.headers.edited.connect(self.on_request_edited)
        self.body_editor.edited.connect(self.on_request_edited)
        self.method.currentTextChanged.connect(self.on_request_edited)
        self.reveal_token.toggled.connect(self.update_sent_headers)
        # The token may have been minted or refreshed meanwhile: look again when shown.
        self.request_tabs.currentChanged.connect(self.update_sent_headers)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.update_sent_headers()

    def add_side_panel(self, widget: QWidget, *, width: int = 220, title: str = "Saved") -> None:
        """Put `widget` (a list of saved requests, say) at the left of the request editor.

        A toggle button at the start of the URL row shows or hides it. In a narrow tab
        (a small window) it starts hidden, so the editor keeps room for the URL and tabs,
        until the user shows it.
        """
        self.side_split.insertWidget(0, widget)
        self.side_split.setStretchFactor(0, 0)
        self.side_split.setStretchFactor(1, 1)
        self.side_split.setSizes([width, max(self.side_split.width() - width, width)])
        self.side_panel = widget
        self.side_toggle = QToolButton()
        self.side_toggle.setText(title)
        self.side_toggle.setCheckable(True)
        self.side_toggle.setChecked(True)
        self.side_toggle.setToolTip(f"Show or hide the {title.lower()} list")
        self.side_toggle.toggled.connect(self.on_side_toggled)
        self.side_toggle.clicked.connect(self.on_side_clicked)
        self.url_row.insertWidget(0, self.side_toggle)
        self._fit_side_panel()

    def on_side_toggled(self, shown: bool) -> None:
        if self.side_panel is not None:
            self.side_panel.setVisible(shown)

    def show_side_panel(self) -> None:
        """Show the side panel (a shortcut acting on it, say), as if the user had chosen to."""
        if self.side_toggle is not None:
            self._side_chosen = True
            self.side_toggle.setChecked(True)

    def on_side_clicked(self) -> None:
        self._side_chosen = True  # the user's choice wins over the automatic one

    def _fit_side_panel(self) -> None:
        if self.side_panel is None or self.side_toggle is None or self._side_chosen or self.width() <= 0:
            return
        wide = self.width() >= SIDE_PANEL_MIN_VIEW_WIDTH
        if self.side_toggle.isChecked() != wide:
            self.side_toggle.setChecked(wide)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_side_panel()

    # -- request fields ---------------------------------------------------------------------------
    def set_headers(self, headers: list[tuple[str, str]]) -> None:
        self.headers.set_pairs(headers)
        self.on_request_edited()

    def header_list(self) -> list[tuple[str, str]]:
        return self.headers.pairs()

    def load_request(self, method: str, target: str, headers: list[tuple[str, str]], body: str) -> None:
        """Fill the editor (from a saved request, say)."""
        index = self.method.findText(method.upper())
        self.method.setCurrentIndex(index if index >= 0 else 0)
        self.url.setText(target)
        self.set_headers(headers)
        self.body_editor.set_text(body)

    def current_request(self) -> tuple[str, str, list[tuple[str, str]], str]:
        return self.method.currentText(), self.url.text().strip(), self.header_list(), self.body.toPlainText()

    def own_request(self) -> tuple[str, str, list[tuple[str, str]], str] | None:
        """The editor's request when the user wrote or opened it for the selected profile (None:
        the editor shows the fresh default)."""
        if self.profile is None or self.profile.name not in self.drafts.own:
            return None
        return self.current_request()

    def on_url_changed(self, text: str) -> None:
        if not self._syncing:
            self._syncing = True
            try:
                self.params.set_pairs(split_query(text)[1])
            finally:
                self._syncing = False
        self.on_request_edited()

    def on_params_edited(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.url.setText(join_query(self.url.text(), self.params.pairs()))
        finally:
            self._syncing = False

    def on_request_edited(self, *_args: Any) -> None:
        drafts = getattr(self, "drafts", None)  # None while the editor is being built
        if drafts is not None:
            drafts.on_edited(self.profile.name if self.profile is not None else None)
        self._preview.start()
        self.request_edited.emit()

    def update_sent_headers(self) -> None:
        """The effective headers: the user's, the Content-Type a body gets, and the auth header."""

        _method, _target, headers, body = self.current_request()
        held = self.services.tokens.result(self.profile.name) if self.profile is not None else None
        rows, in_query = sent_header_rows(
            headers,
            self.body_editor.body_type(),
            body,
            profile=self.profile,
            held=held,  # from the engine's events
            reveal=self.reveal_token.isChecked(),
            timeout=self.services.prefs.request_timeout,
        )
        self.sent_note.setText(SENT_NOTES[in_query])
        self.sent_headers.setRowCount(0)
        for name, value, note in rows:
            row = self.sent_headers.rowCount()
            self.sent_headers.insertRow(row)
            name_item = QTableWidgetItem(name)
            value_item = QTableWidgetItem(value)
            if note:
                name_item.setToolTip(note)
                value_item.setToolTip(note)
            self.sent_headers.setItem(row, 0, name_item)
            self.sent_headers.setItem(row, 1, value_item)
        self.request_tabs.setTabText(3, f"Sent headers ({len(rows)})")

    def on_tokens_changed(self, names: frozenset[str]) -> None:
        """The one notification: the Sent headers show the token the profile holds now."""
        if self.profile is not None and self.profile.name in names:
            self.update_sent_headers()

    # -- profile ----------------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        old = self.profile.name if self.profile else None
        switched = (profile.name if profile else None) != old
        if switched:
            self.generation.next()
            self._set_sending(False)
            self.reveal_token.setChecked(False)
            self.clear_response()
        self.profile = profile
        if switched:
            self.drafts.switch(old, profile.name if profile else None)
        self.base_label.setText(profile.base_url if profile else "")
        if profile is not None:
            self.base_label.setToolTip(f"Paths are joined to this base URL:\n{profile.base_url}")
        self.send_button.setEnabled(profile is not None)
        self.update_sent_headers()

    def clear_response(self) -> None:
        """Forget the shown response: it belonged to another profile (or request)."""
        self.last_result = None
        self._found_jwt = None
        self.inspect_button.setEnabled(False)
        self.inspect_button.setToolTip(NO_JWT_TIP)
        self.status_label.setText("No response yet")
        self.status_label.setStyleSheet("")
        self.time_label.setText("")
        self.response_view.clear()
        self.response_headers.setRowCount(0)
        self._clear_own_error()

    # -- sending ----------------------------------------------------------------------------------
    def send(self) -> None:
        ctx = self.services.ctx
        if ctx is None or self.profile is None or not self.send_button.isEnabled():
            return
        path = self.current_request()[1]
        if not path:
            self.services.show_error("Type a path (e.g. /api/echo) or a URL to send the request to.")
            return
        profile = self.profile
        # The profile's own timeout wins over the app's default.
        timeout = None if "timeout" in profile.settings else self.services.prefs.request_timeout
        gen = self.generation.next()
        self._set_sending(True)
        render = self.rendering_job()

        def job() -> Any:
            request = render()
            return ctx.engine.call(
                profile.name,
                request.method,
                request.target,
                headers=dict(request.headers),
                content=request.content,
                timeout=timeout,
            )

        self.start_send(job, gen, profile.name)

    def rendering_job(self) -> Callable[[], RenderedRequest]:
        """A job (for the pool: templates may read the vault) rendering the editor's request as
        it is sent: body by its type, Content-Type, templates filled. Send and "Copy as" use it."""
        ctx, profile = self.services.ctx, self.profile
        method, path, headers, body = self.current_request()
        body_type = self.body_editor.body_type()
        form = self.body_editor.form.pairs()
        file = self.body_editor.file_line.text()

        def render() -> RenderedRequest:

            if ctx is None or profile is None:
                raise InputError("select a profile first")
            return render_request(
                ctx,
                profile,
                method=method,
                target=path,
                headers=headers,
                body=body,
                body_type=body_type,
                form=form,
                file=file,
            )

        return render

    def start_send(self, job: Callable[[], Any], gen: int, profile: str) -> None:
        """Run `job` (an engine call) off the GUI thread; its answer or error fills this view."""
        self._set_sending(True)
        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda result: self.on_send_succeeded(gen, profile, result),
            on_failure=lambda exc: self.on_send_failed(gen, exc),
        )

    @property
    def sending(self) -> bool:
        return self._sending

    def _set_sending(self, sending: bool) -> None:
        changed, self._sending = sending != self._sending, sending
        self.send_button.setEnabled(not sending and self.profile is not None)
        self.send_button.setText("Sending…" if sending else "Send")
        if sending:
            self.status_label.setText("Sending…")
            self.status_label.setStyleSheet("")
            self.time_label.setText("")
        if changed:
            self.sending_changed.emit(sending)

    def on_send_succeeded(self, gen: int, profile: str, result: CallResult) -> None:
        if not self.generation.is_current(gen):
            return
        self._set_sending(False)
        self._clear_own_error()
        self.show_response(result)
        self.response_received.emit(result)

    def on_send_failed(self, gen: int, exc: BaseException) -> None:
        if not self.generation.is_current(gen):
            return
        self._set_sending(False)
        message = gui_message(exc, self.profile)  # a setting to fix: its field in the profile editor
        # Nothing of the previous response may linger: its headers or its JWT would mislead.
        self.clear_response()
        self.status_label.setText("Failed")
        self.status_label.setStyleSheet(f"color: {STATE_COLORS['error']}")
        self.response_view.show_text(message)
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
        self.response_headers.setRowCount(0)
        for name, value in result.headers:
            row = self.response_headers.rowCount()
            self.response_headers.insertRow(row)
            self.response_headers.setItem(row, 0, QTableWidgetItem(name))
            self.response_headers.setItem(row, 1, QTableWidgetItem(value))
        self._found_jwt = _find_jwt_in_headers(result)
        self._show_jwt()
        # Pretty-printing (off the GUI thread for a large body) ends in `on_body_shown`.
        self.response_view.show_result(result)

    def on_body_shown(self, _formatted: object, jwt: str | None) -> None:
        if jwt and self.last_result is not None:
            self._found_jwt = jwt
            self._show_jwt()

    def _show_jwt(self) -> None:
        self.inspect_button.setEnabled(self._found_jwt is not None)
        self.inspect_button.setToolTip(
            "Open the JWT found in this response in the Inspector" if self._found_jwt else NO_JWT_TIP
        )

    def on_inspect_clicked(self) -> None:
        if self._found_jwt:
            self.inspect_requested.emit(self._found_jwt)


def _find_jwt_in_headers(result: CallResult) -> str | None:
    """A JWT in the response's headers (the body's is found with its formatting, off the GUI
    thread when it is large; a JWT in the body wins)."""

    for _name, value in result.headers:
        found = find_jwt(value)
        if found:
            return found
    return None
