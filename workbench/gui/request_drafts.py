"""Each profile's own request in the Request tab.

A request belongs to the profile it was written for: its path is joined to that profile's
base URL and it is sent with that profile's token. So switching profile never carries the
editor's request into another profile silently (where Send would send it with the new
profile's token, to the new profile's base URL): the editor shows the request last written
for the profile now selected, or a fresh one, and keeps the previous profile's for when it
is selected again. A user who means to try the same request with the other profile says so:
a note above the editor offers it ("Use it here").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton

if TYPE_CHECKING:
    from workbench.gui.request_view import RequestView

DEFAULT_METHOD = "GET"
DEFAULT_TARGET = "/api/echo"


@dataclass(frozen=True)
class Draft:
    """Everything the editor holds of one request."""

    method: str = DEFAULT_METHOD
    url: str = DEFAULT_TARGET
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    body_type: str = "json"
    form: tuple[tuple[str, str], ...] = ()
    file: str = ""


class RequestDrafts:
    """The Request view's requests, one per profile.

    Attributes:
        drafts: each profile's request, kept when another profile is selected.
        own: profiles whose editor holds a request the user wrote, opened or re-opened
            (the others show the fresh default).
        offered: (profile, its request) the note offers to use here, if shown.
        note: the frame above the editor that offers it.
    """

    def __init__(self, view: RequestView) -> None:
        self.view = view
        self.drafts: dict[str, Draft] = {}
        self.own: set[str] = set()
        self.offered: tuple[str, Draft] | None = None
        self._restoring = False
        self.note = QFrame()
        self.note.setObjectName("carriedRequestNote")
        self.note.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self.note)
        row.setContentsMargins(6, 2, 2, 2)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.use_button = QPushButton("Use it here")
        self.use_button.setToolTip(
            "Put that request in this profile's editor: it is then sent with this profile's token, "
            "its path joined to this profile's base URL"
        )
        self.dismiss_button = QToolButton()
        self.dismiss_button.setText("✕")
        self.dismiss_button.setToolTip("Keep this profile's own request")
        row.addWidget(self.note_label, 1)
        row.addWidget(self.use_button)
        row.addWidget(self.dismiss_button)
        self.note.hide()
        self.use_button.clicked.connect(self.use_offered)
        self.dismiss_button.clicked.connect(self.dismiss)

    # -- the editor's content ---------------------------------------------------------------------
    def capture(self) -> Draft:
        v = self.view
        return Draft(
            method=v.method.currentText(),
            url=v.url.text(),
            headers=tuple(v.headers.pairs()),
            body=v.body.toPlainText(),
            body_type=v.body_editor.body_type(),
            form=tuple(v.body_editor.form.pairs()),
            file=v.body_editor.file_line.text(),
        )

    def restore(self, draft: Draft) -> None:
        v = self.view
        self._restoring = True
        try:
            index = v.method.findText(draft.method)
            v.method.setCurrentIndex(index if index >= 0 else 0)
            v.url.setText(draft.url)
            v.headers.set_pairs(list(draft.headers))
            v.body_editor.form.set_pairs(list(draft.form))
            v.body_editor.file_line.setText(draft.file)
            v.body_editor.set_body_type(draft.body_type)
            v.body.setPlainText(draft.body)
            v.on_request_edited()  # the Sent headers follow (not an edit of the user's)
        finally:
            self._restoring = False

    @property
    def restoring(self) -> bool:
        return self._restoring

    def on_edited(self, profile: str | None) -> None:
        """The user changed (or opened, or re-opened) the request of `profile`."""
        if self._restoring or profile is None:
            return
        self.own.add(profile)
        self.hide_note()

    # -- switching profile ------------------------------------------------------------------------
    def switch(self, old: str | None, new: str | None) -> None:
        """Keep `old`'s request, show `new`'s (or a fresh one), and offer `old`'s when it differs."""
        if old is not None and old in self.own:
            self.drafts[old] = self.capture()
        self.hide_note()
        if new is None:
            return
        mine = self.drafts.get(new) if new in self.own else None
        self.restore(mine or Draft())
        theirs = self.drafts.get(old) if old is not None and old in self.own else None
        if theirs is not None and theirs != (mine or Draft()):
            self.offered = (old, theirs)  # type: ignore[assignment]  # old is set when theirs is
            shown = f"{theirs.method} {theirs.url}".strip()
            self.note_label.setText(
                f"The request written for '{old}' ({shown}) stays with that profile; "
                f"the editor shows the request of '{new}'."
            )
            self.note_label.setToolTip(shown)
            self.note.show()

    def use_offered(self) -> None:
        """Use it here: the previous profile's request becomes this profile's."""
        profile = self.view.profile
        if self.offered is None or profile is None:
            return
        _from, draft = self.offered
        self.restore(draft)
        self.own.add(profile.name)
        self.hide_note()

    def dismiss(self) -> None:
        self.hide_note()

    def hide_note(self) -> None:
        self.offered = None
        self.note.hide()

    def forget(self, profile: str) -> None:
        self.drafts.pop(profile, None)
        self.own.discard(profile)


__all__ = ["DEFAULT_METHOD", "DEFAULT_TARGET", "Draft", "RequestDrafts"]
