"""The GUI's token state: one :class:`TokenModel`, one notification.

In the manner of Anki's ``operation_did_execute``: everything that changes a profile's token
state goes through this model, and its one signal, :attr:`TokenModel.changed`, carries the
names whose state changed; every view (the sidebar, the Token tab, the error banner, the
Cancel action) refreshes from it, never from a job's callback. The state itself and the
decisions ("what is this profile's state", "what does auto-refresh renew now") are core's
(:mod:`workbench.core.engine.schedule`); this module feeds them:

* engine events (the one route a token reaches the GUI), through the window's
  ``EngineEventBridge``;
* what the views report: a token request under way or failed, auto-refresh on or off;
* the clock, once a second (:meth:`TokenModel.run_auto_refresh`): renewals that are due run
  as the ``obtain_token`` operation on the worker pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from workbench.core.engine.schedule import (
    AutoRenewal,
    ProfileState,
    ProfileTokens,
    RetryNote,
    TokenBoard,
    auto_renewal,
    error_text,
    failure,
    profile_state,
)
from workbench.core.operations import obtain_token

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from workbench.core.context import AppContext
    from workbench.core.engine.types import EngineEvent, TokenResult
    from workbench.core.operations import TokenObtained
    from workbench.core.profiles.profile import Profile
    from workbench.gui.settings import Settings
    from workbench.gui.tasks import TaskRunner

# Status-bar wording for how a token was obtained: a sentence, not "token mint".
OBTAINED_BY_TEXT = {
    "mint": "new token minted",
    "refresh": "token refreshed",
    "cache": "the stored token is still valid",
    "response-header": "token replaced from a response header",
}


def _say_nothing(_message: str) -> None:
    """Default for TokenModel.show_status (no status bar)."""


class TokenModel(QObject):
    """Signals:
    changed(object): a frozenset of the profile names whose token state changed.

    Attributes:
        board: the core state (one ``ProfileTokens`` per listed profile).
        ctx: the application context (clock, engine); None until the window attaches one.
        running: auto-refresh runs (the window is ready).
    """

    changed = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        settings: Settings,
        *,
        show_status: Callable[[str], None] = _say_nothing,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.show_status = show_status
        self.board = TokenBoard(settings.auto_refresh_profiles())
        self.ctx: AppContext | None = None
        self.running = False

    # -- reading ----------------------------------------------------------------------------------
    def now(self) -> float:
        return self.ctx.clock.now() if self.ctx is not None else 0.0

    def of(self, name: str | None) -> ProfileTokens:
        return self.board.get(name) if name else ProfileTokens()

    def known(self, name: str) -> bool:
        """Whether an engine event has said what `name` holds."""
        return self.board.get(name).known

    def result(self, name: str | None) -> TokenResult | None:
        """The token `name` holds, as the engine's last event said (None: none)."""
        return self.of(name).result

    def renew_at(self, name: str) -> float | None:
        return self.board.get(name).renew_at

    def error(self, name: str | None) -> str | None:
        """The profile's error as it reads now: a time it names counts down."""
        return error_text(self.of(name), self.now())

    def auto_renewal(self, name: str | None) -> AutoRenewal:
        """Where auto-refresh stands for `name` now (core's decision)."""
        return auto_renewal(self.of(name), self.now())

    def backoff(self, name: str | None) -> RetryNote | None:
        """A token request of `name` waiting in back-off now (None: none is)."""
        note = self.of(name).backoff
        return note if note is not None and note.left(self.now()) > 0 else None

    def status(self, name: str) -> ProfileState:
        return profile_state(self.board.get(name), self.now())

    def state(self, name: str) -> str:
        return self.status(name).state

    # -- inputs: each ends in one notification ----------------------------------------------------
    def _notify(self, names: frozenset[str]) -> None:
        if names:
            self.changed.emit(names)

    def on_engine_event(self, event: EngineEvent) -> None:
        self._notify(self.board.on_event(event))

    def set_profiles(self, profiles: Iterable[Profile]) -> None:
        self._notify(self.board.set_profiles(profiles))

    def forget(self, name: str) -> None:
        self._notify(self.board.forget(name))

    def set_busy(self, name: str, busy: bool) -> None:
        self._notify(self.board.set_busy(name, busy))

    def set_error(self, name: str, message: str | None, retry: RetryNote | None = None) -> None:
        self._notify(self.board.set_error(name, message, retry))

    def failed(self, name: str, exc: BaseException, *, hint: bool | str = True) -> None:
        """A token request for `name` failed: no longer busy, `exc` is its error (a rate
        limit's "retry in N s" counts down; `hint` as `user_message` takes it)."""
        message, retry = failure(exc, self.now(), hint=hint)
        self._notify(self.board.set_busy(name, False) | self.board.set_error(name, message, retry))

    def set_auto_refresh(self, name: str, enabled: bool) -> None:
        self.settings.set_auto_refresh(name, enabled)
        self.show_status(f"{name}: auto-refresh {'on' if enabled else 'off'}")
        self._notify(self.board.set_auto_refresh(name, enabled))
        self.run_auto_refresh()

    # -- background renewal -----------------------------------------------------------------------
    def run_auto_refresh(self) -> None:
        """Renew, on the pool, every auto-refresh profile whose renewal time has come."""
        if self.ctx is None or not self.running:
            return

        for name in self.board.due(self.now()):
            self._notify(self.board.renewal_started(name))
            self.runner.start(
                obtain_token,
                self.ctx.engine,
                name,
                owner=self,
                on_success=self.on_renewed,
                on_failure=self._renewal_failure(name),
            )

    def _renewal_failure(self, name: str) -> Callable[[BaseException], None]:
        return lambda exc: self.on_renewal_failed(name, exc)

    def on_renewed(self, done: TokenObtained) -> None:
        # "cache": the token was due but the engine kept the current one (renewing it failed).
        renewed = done.obtained_by != "cache"
        self._notify(self.board.renewal_succeeded(done.profile, self.now(), renewed=renewed))
        how = OBTAINED_BY_TEXT.get(done.obtained_by, done.obtained_by)
        self.show_status(f"{done.profile}: {how} (auto-refresh)")

    def on_renewal_failed(self, name: str, exc: BaseException) -> None:
        """Auto-refresh waits before trying again (longer if the provider said so); the error
        counts down to that try."""
        now = self.now()
        message, retry = failure(exc, now)
        after = retry.left(now) if retry is not None else None
        self._notify(self.board.renewal_failed(name, message, now, after))


__all__ = ["OBTAINED_BY_TEXT", "TokenModel"]
