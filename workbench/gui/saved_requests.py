"""The saved-requests list beside the Request editor, and "Copy as…" snippets.

A list of the selected profile's saved requests (`$WORKBENCH_HOME/requests/NAME.toml`,
the same files `workbench request list|save|rm` use) with Save, Rename, Delete and
"Copy as ▾" (curl, HTTPie, Python, fetch: the token by reference only), and Send, which
sends the saved request as `workbench call NAME --request SAVED` does (its `{{ }}`
templates filled from the file's `[vars]` and the profile) and shows the answer in the
Request tab. Keyboard: Up/Down move, Enter opens the request in the editor, Shift+Enter
sends it, F2 renames, Delete removes, Ctrl+S saves the editor's request under the name
typed above the list.

Every read and write runs on the worker pool (the GUI thread never touches files);
results carry a generation number and stale ones are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.importers.common import slug
from workbench.core.request.codegen import snippet, snippet_request
from workbench.core.request.saved import (
    SavedRequest,
    SavedRequestStore,
    check_no_secrets,
    render_saved,
    typed_name,
    validate_request,
)
from workbench.gui.confirm import ask
from workbench.gui.tasks import Generation
from workbench.gui.widgets import bold_label

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile
    from workbench.gui.main_window import MainWindow
    from workbench.gui.services import Services

LANG_TITLES = (
    ("curl", "curl"),
    ("httpie", "HTTPie"),
    ("python", "Python (httpx)"),
    ("fetch", "JavaScript (fetch)"),
)
NAME_ROLE = Qt.ItemDataRole.UserRole


def editor_fields(saved: SavedRequest) -> tuple[str, str, list[tuple[str, str]], str]:
    """(method, target, headers, body) for the Request editor."""
    from urllib.parse import urlencode

    headers = list(saved.headers)
    body = saved.body or ""
    if saved.body_type in ("form", "multipart"):
        body = urlencode(list(saved.form))
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    return saved.method, saved.url, headers, body


def from_editor(
    name: str, method: str, target: str, headers: list[tuple[str, str]], body: str
) -> SavedRequest:
    """The editor's request as a saved request (a body that looks like JSON is saved as `json`)."""

    body_type: str | None = None
    if body.strip():
        stripped = body.strip()
        looks_json = stripped.startswith(("{", "[")) and ("{{" in stripped or _is_json(stripped))
        body_type = "json" if looks_json else "text"
    return SavedRequest(
        name=name,
        method=method.upper(),
        url=target,
        headers=tuple(headers),
        body=body if body_type else None,
        body_type=body_type,
    )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


class SavedRequestsPanel(QWidget):
    """Signals:
    opened(str, str, object, str): method, target, headers, body of the request to edit.
    send_requested(str): the name of a saved request to send as it is saved.
    """

    opened = Signal(str, str, object, str)
    send_requested = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.profile: Profile | None = None
        self.generation = Generation()
        self._sending = False
        self.requests: dict[str, SavedRequest] = {}
        self._typed_names: dict[str, str] = {}  # each profile's name field, kept while another is shown
        self.envs: list[str] = []  # the profile's named variable sets (imported environments)
        self.current_request: Any = None  # () -> (method, target, headers, body); set by install()
        self.last_snippet: str | None = None
        self.question: Any = (
            None  # the last "delete?" question (for tests)  # the last "Copy as" text (for tests)
        )
        self.rendering_job: Any = None  # () -> a job rendering the request as sent; set by install()
        self.reveal: Callable[[], None] | None = None  # shows this panel (set by install())
        self._build()
        self.set_profile(None)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        title = bold_label("Saved requests")
        layout.addWidget(title)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("name, e.g. Get user")
        self.name_edit.setClearButtonEnabled(True)
        layout.addWidget(self.name_edit)
        self.list = QListWidget()
        self.list.setObjectName("savedRequests")
        self.list.setAccessibleName("Saved requests list")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setAlternatingRowColors(True)
        layout.addWidget(self.list, 1)
        self.env_combo = QComboBox()
        self.env_combo.setObjectName("savedRequestsEnv")
        self.env_combo.setToolTip("The environment (named variable set) Send fills the templates from")
        self.env_combo.hide()
        layout.addWidget(self.env_combo)
        self.empty_label = QLabel("No saved requests.\nType a name and press Save (Ctrl+S).")
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: gray")
        layout.addWidget(self.empty_label)
        # Two short rows of buttons: the panel stays narrow beside the editor in a small window.
        row = QHBoxLayout()
        row2 = QHBoxLayout()
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Save the request in the editor under the name above (Ctrl+S)")
        self.rename_button = QPushButton("Rename")
        self.rename_button.setToolTip("Rename the selected request (F2)")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected request (Delete)")
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send the selected request as saved, templates filled (Shift+Enter)")
        row.addWidget(self.send_button)
        row.addWidget(self.save_button)
        row2.addWidget(self.rename_button)
        row2.addWidget(self.delete_button)
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy as…")
        self.copy_button.setToolTip("The editor's request as code; the token by reference, never inline")
        self.copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.copy_menu = QMenu(self.copy_button)
        self.copy_actions: dict[str, QAction] = {}
        for lang, label in LANG_TITLES:
            action = self.copy_menu.addAction(label)
            action.setData(lang)
            self.copy_actions[lang] = action
        self.copy_menu.triggered.connect(self.on_copy_triggered)
        self.copy_button.setMenu(self.copy_menu)
        layout.addLayout(row)
        layout.addLayout(row2)
        layout.addWidget(self.copy_button)

        self.save_button.clicked.connect(self.save_current)
        self.rename_button.clicked.connect(self.start_rename)
        self.delete_button.clicked.connect(self.delete_selected)
        self.name_edit.returnPressed.connect(self.save_current)
        self.list.itemActivated.connect(self.on_item_activated)
        self.list.currentItemChanged.connect(self.on_current_changed)
        self.list.itemChanged.connect(self.on_item_changed)
        self.send_button.clicked.connect(self.send_selected)
        for keys, slot, what in (
            ("Delete", self.delete_selected, "Delete the selected saved request (asks first)"),
            ("F2", self.start_rename, "Rename the selected saved request"),
            ("Return", self.open_selected, "Open the selected saved request in the editor"),
            ("Enter", self.open_selected, "Open the selected saved request in the editor"),
            ("Shift+Return", self.send_selected, "Send the selected saved request as saved"),
            ("Shift+Enter", self.send_selected, "Send the selected saved request as saved"),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.setWhatsThis(what)
            shortcut.activated.connect(slot)
        # Ctrl+S is the Request view's (`install`): it saves with this panel shown or hidden.

    # -- profile and loading ----------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        old = self.profile.name if self.profile is not None else None
        if (profile.name if profile is not None else None) != old:
            # The name to save under belongs to the profile's own request (request_drafts).
            if old is not None:
                self._typed_names[old] = self.name_edit.text()
            self.name_edit.setText(self._typed_names.get(profile.name, "") if profile is not None else "")
        self.profile = profile
        for widget in (self.save_button, self.name_edit, self.copy_button):
            widget.setEnabled(profile is not None)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        gen = self.generation.next()
        profile = self.profile
        if profile is None:
            self.show_requests(gen, [], None)
            return

        def job() -> tuple[list[SavedRequest], list[str]]:
            file = SavedRequestStore().load(profile.name)
            return list(file.requests.values()), list(file.envs)

        self.services.runner.start(
            job,
            owner=self,
            on_success=lambda found: self.show_requests(gen, found[0], select, found[1]),
            on_failure=self.services.error_from,
        )

    def show_requests(
        self, gen: int, found: list[SavedRequest], select: str | None, envs: list[str] | None = None
    ) -> None:
        """The saved requests grouped under the folder they came from, each with its display name."""
        if not self.generation.is_current(gen):
            return
        self.requests = {r.name: r for r in found}
        self.list.blockSignals(True)
        self.list.clear()
        folder = ""
        first: QListWidgetItem | None = None
        for saved in sorted(found, key=lambda r: r.folder):
            if saved.folder != folder:
                folder = saved.folder
                header = QListWidgetItem(f"▸ {folder}")
                header.setFlags(Qt.ItemFlag.NoItemFlags)  # a folder: not selectable
                self.list.addItem(header)
            indent = "  " if folder else ""
            item = QListWidgetItem(f"{indent}{saved.method:<6} {saved.title or saved.name}")
            item.setData(NAME_ROLE, saved.name)
            item.setToolTip(f"{saved.name}\n{saved.method} {saved.url}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)
            first = first or item
            if saved.name == select:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentItem() is None and first is not None:
            self.list.setCurrentItem(first)
        self.envs = list(envs or [])
        current = self.env_combo.currentText()
        self.env_combo.clear()
        self.env_combo.addItems(self.envs)
        if current in self.envs:
            self.env_combo.setCurrentText(current)
        self.env_combo.setVisible(bool(self.envs))
        self.empty_label.setVisible(not found)
        self.on_current_changed(self.list.currentItem(), None)

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None or item.data(NAME_ROLE) is None else str(item.data(NAME_ROLE))

    def env(self) -> str | None:
        """The environment chosen for Send (None: the saved requests have none)."""
        return self.env_combo.currentText() or None if self.envs else None

    def on_current_changed(self, current: QListWidgetItem | None, _previous: Any) -> None:
        self.rename_button.setEnabled(current is not None)
        self.delete_button.setEnabled(current is not None)
        self._update_send_button()

    def set_sending(self, sending: bool) -> None:
        """The Request view is sending (this panel's Send or its own): one request at a time."""
        self._sending = sending
        self._update_send_button()

    def _update_send_button(self) -> None:
        selected = self.list.currentItem() is not None
        self.send_button.setEnabled(selected and not self._sending)
        self.send_button.setToolTip(
            "Wait for the request being sent"
            if self._sending
            else "Send the selected request as saved, templates filled (Shift+Enter)"
        )

    # -- open / save / rename / delete ------------------------------------------------------------
    def open_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.data(NAME_ROLE) is not None:
            saved = self.requests.get(str(item.data(NAME_ROLE)))
            if saved is not None:
                self._open(saved)

    def _open(self, saved: SavedRequest) -> None:
        self.name_edit.setText(saved.title or saved.name)
        method, target, headers, body = editor_fields(saved)
        self.opened.emit(method, target, headers, body)

    def on_item_activated(self, item: QListWidgetItem) -> None:
        saved = self.requests.get(str(item.data(NAME_ROLE)))
        if saved is None:
            return
        # The list takes Enter itself (activation), so Shift+Enter is told apart here.
        if QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.send_requested.emit(saved.name)
            return
        self._open(saved)

    def save_from_shortcut(self) -> None:
        """Ctrl+S: show the list (the saved request appears there), then save."""
        if self.reveal is not None:
            self.reveal()
        self.save_current()

    def save_current(self) -> None:
        if self.profile is None or self.current_request is None:
            return
        method, target, headers, body = self.current_request()
        typed = self.name_edit.text().strip() or self._default_name(method, target)
        try:
            name, title = typed_name(typed, self.requests)
            request = from_editor(name, method, target, headers, body)

            validate_request(request.name, request.method, request.url, request.headers)
            check_no_secrets(request, f"saved request '{typed}'")
        except Exception as exc:  # a bad name or a credential in a header: one banner line
            self.services.error_from(exc)
            return
        profile = self.profile.name

        def job() -> tuple[bool, SavedRequest]:
            store = SavedRequestStore()
            old = store.load(profile).requests.get(name)
            # Saving again keeps where it came from: its folder, and its title unless one was typed.
            kept = replace(
                request,
                title=title or (old.title if old is not None else ""),
                folder=old.folder if old is not None else "",
            )
            return store.save(profile, kept), kept

        def done(answer: tuple[bool, SavedRequest]) -> None:
            replaced, saved = answer
            shown = saved.title or saved.name
            self.name_edit.setText(shown)
            also = f" (as {saved.name})" if saved.title else ""
            verb = "Replaced saved request" if replaced else "Saved request"
            self.services.show_status(f"{verb} '{shown}'{also}")
            self.reload(select=saved.name)

        self.services.runner.start(job, owner=self, on_success=done, on_failure=self.services.error_from)

    @staticmethod
    def _default_name(method: str, target: str) -> str:
        path = target.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return slug(f"{method}-{path}", "request")

    def start_rename(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        saved = self.requests.get(str(item.data(NAME_ROLE)))
        self.list.blockSignals(True)
        item.setText(saved.title or saved.name if saved is not None else str(item.data(NAME_ROLE)))
        self.list.blockSignals(False)
        self.list.editItem(item)

    def on_item_changed(self, item: QListWidgetItem) -> None:
        old = str(item.data(NAME_ROLE))
        saved = self.requests.get(old)
        was = (saved.title or saved.name) if saved is not None else old
        typed = " ".join(item.text().split())
        if self.profile is None or not typed or typed == was or item.text().endswith(f" {was}"):
            self.reload(select=old)
            return
        try:
            new, title = typed_name(typed)
        except Exception as exc:
            self.services.error_from(exc)
            self.reload(select=old)
            return
        profile = self.profile.name

        def job() -> None:
            SavedRequestStore().rename(profile, old, new, title=title)

        def done(_r: object) -> None:
            # The name to save under follows the rename: Ctrl+S must not bring the old one back.
            if self.name_edit.text().strip() in (old, was):
                self.name_edit.setText(title or new)
            self.services.show_status(f"Renamed saved request '{was}' to '{title or new}'")
            self.reload(select=new)

        def failed(exc: BaseException) -> None:
            self.services.error_from(exc)
            self.reload(select=old)

        self.services.runner.start(job, owner=self, on_success=done, on_failure=failed)

    def delete_selected(self) -> None:
        """Delete (key or menu): asks first; `question` holds the question (for tests)."""
        name = self.selected_name()
        if self.profile is None or name is None:
            return

        profile = self.profile.name
        self.question = ask(
            self,
            title="Delete saved request",
            text=f"Delete the saved request '{name}' of {profile}?",
            detail="It is removed from the profile's saved requests. This cannot be undone.",
            confirm="Delete",
            on_confirm=lambda: self._delete_now(profile, name),
        )

    def _delete_now(self, profile: str, name: str) -> None:
        row = self.list.currentRow()

        def job() -> None:
            SavedRequestStore().remove(profile, name)

        def done(_r: object) -> None:
            self.services.show_status(f"Deleted saved request '{name}'")
            names = [n for n in self.requests if n != name]
            self.reload(select=names[min(row, len(names) - 1)] if names else None)

        self.services.runner.start(job, owner=self, on_success=done, on_failure=self.services.error_from)

    def send_selected(self) -> None:
        name = self.selected_name()
        if name is not None and not self._sending:
            self.send_requested.emit(name)

    # -- copy as ----------------------------------------------------------------------------------
    def on_copy_triggered(self, action: QAction) -> None:
        self.copy_as(str(action.data()))

    def copy_as(self, lang: str) -> None:
        """The editor's request as `lang` code, as it is sent (templates filled, the body's
        Content-Type), on the clipboard; the token by reference only. A body that read a
        secret makes the snippet secret too: it is copied as such (and cleared)."""
        if self.profile is None or self.rendering_job is None:
            return

        profile = self.profile
        render = self.rendering_job()
        body_text = self.current_request()[3] if self.current_request is not None else ""
        holds_secret = "secrets." in body_text

        def job() -> str:
            rendered = render()
            request = snippet_request(
                profile, rendered.method, rendered.target, list(rendered.headers), rendered.content
            )
            return snippet(request, lang)

        def done(text: str) -> None:
            what = f"{dict(LANG_TITLES)[lang]} snippet"
            if holds_secret:
                self.services.clipboard.copy_secret(text, what)
            else:
                self.services.clipboard.copy_plain(text, what)
            self.last_snippet = text

        self.services.runner.start(job, owner=self, on_success=done, on_failure=self.services.error_from)


def install(window: MainWindow) -> SavedRequestsPanel:
    """Put the panel beside the Request editor of `window` and follow its profile selection."""
    panel = SavedRequestsPanel(window.services)
    view = window.request_view
    panel.current_request = view.current_request
    panel.rendering_job = view.rendering_job
    panel.opened.connect(lambda m, t, h, b: view.load_request(m, t, list(h), b))
    view.add_side_panel(panel)
    # Ctrl+S anywhere in the Request tab, the list shown or hidden: it shows the list (where the
    # saved request appears) and saves.
    save = QShortcut(QKeySequence("Ctrl+S"), view)
    save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    save.setWhatsThis("Save the request under the name typed in Saved requests (the list is shown)")
    save.activated.connect(panel.save_from_shortcut)
    panel.reveal = view.show_side_panel

    def send(saved_name: str) -> None:
        ctx, profile = window.services.ctx, window.selected_profile()
        if ctx is None or profile is None:
            return
        timeout = None if "timeout" in profile.settings else window.services.prefs.request_timeout
        env = panel.env()
        gen = view.generation.next()
        window.tabs.setCurrentWidget(view)

        def job() -> Any:
            rendered = render_saved(ctx, profile.name, saved_name, env=env)
            return ctx.engine.call(
                profile.name,
                rendered.method,
                rendered.target,
                headers=rendered.headers,
                content=rendered.content,
                timeout=timeout,
            )

        view.start_send(job, gen, profile.name)

    panel.send_requested.connect(send)
    view.sending_changed.connect(panel.set_sending)
    window.sidebar.currentItemChanged.connect(lambda *_: panel.set_profile(window.selected_profile()))
    window.profiles_reloaded.connect(lambda *_: panel.set_profile(window.selected_profile()))
    panel.set_profile(window.selected_profile())
    window.services.selected_saved_request = panel.selected_name
    window.saved_requests_panel = panel
    return panel
