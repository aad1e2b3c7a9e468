"""What every panel is handed: the application context plus the GUI's own collaborators.

Passed in through constructors (no globals), so tests can build a panel with fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.gui.clipboard import SecureClipboard
from workbench.gui.fix_hints import gui_message
from workbench.gui.settings import Preferences, Settings
from workbench.gui.tasks import TaskRunner

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.gui.token_model import TokenModel

# The Request tab's request as typed: method, path or URL, headers, body.
RequestSpec = tuple[str, str, list[tuple[str, str]], str]


def _keep_banner(_message: str) -> None:
    """Default for Services.clear_error when no window banner exists (panel tests)."""


@dataclass
class Services:
    """Attributes:
    ctx: the AppContext (engine, profiles, presets, vault, clock); None until attached.
    runner: the worker pool bridge.
    clipboard: the secure clipboard.
    settings / prefs: stored preferences and their current values.
    tokens: every profile's token state, as the engine's events reported it; its `changed`
        signal is the one notification a view refreshes token state from.
    show_error: puts a user-facing message in the window's error banner.
    show_status: a transient status-bar message.
    clear_error: retires the banner if it still shows exactly this message (a panel's own
        error that a later success made obsolete); never hides someone else's message.
    current_request: the Request tab's request as typed (for "Copy curl"), once it exists;
        None while it is not the selected profile's own (`request_drafts`).
    selected_saved_request: the saved request selected beside the editor, once it exists.
    """

    runner: TaskRunner
    clipboard: SecureClipboard
    settings: Settings
    prefs: Preferences
    tokens: TokenModel
    show_error: Callable[[str], None]
    show_status: Callable[[str], None]
    ctx: AppContext | None = None
    clear_error: Callable[[str], None] = _keep_banner
    current_request: Callable[[], RequestSpec | None] | None = None
    selected_saved_request: Callable[[], str | None] | None = None

    def error_from(self, exc: BaseException) -> None:
        self.show_error(gui_message(exc))
