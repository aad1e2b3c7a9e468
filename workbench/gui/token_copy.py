"""The Token tab's Copy token / Copy header / Copy curl (a mixin of `TokenView`).

The text is built on the worker pool with a valid token (renewed first if needed), and only
that text comes back. During a slow Mint, Refresh or Verify the token on screen is copied
while it is valid (`token_buttons` says when). "Copy curl" targets the API, never where
tokens come from: core's `api_request` picks the request (the Request tab's, a saved one,
the API's origin) and the status line says which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.operations.dpop import request_proof
from workbench.core.operations.requests import api_request
from workbench.core.operations.requests import clipboard_text as build_clipboard_text

if TYPE_CHECKING:
    import threading

    from PySide6.QtWidgets import QPushButton

    from workbench.core.context import AppContext
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.engine.types import TokenResult
    from workbench.core.operations.requests import RequestSpec
    from workbench.core.profiles.profile import Profile
    from workbench.gui.services import Services
    from workbench.gui.token_view import Job

COPIED_WHAT = {"token": "access token", "header": "Authorization header", "curl": "curl command"}


def _build(
    ctx: AppContext,
    engine: TokenEngine,
    what: str,
    profile: Profile,
    token: TokenResult,
    typed: RequestSpec | None,
    saved: str | None,
) -> tuple[str, str]:
    """On the pool: (the text to copy, where a curl command's request came from). A curl
    command with a DPoP token carries a fresh proof for its request."""
    if what != "curl":
        return build_clipboard_text(what, profile, token.access_token, None, token_type=token.token_type), ""
    spec, where = api_request(ctx, profile, typed, saved)
    proof = request_proof(engine, profile, token, spec)
    text = build_clipboard_text(
        what, profile, token.access_token, spec, token_type=token.token_type, dpop_proof=proof
    )
    return text, where


class CopyActions:
    """What the copy buttons do; mixed into `TokenView`, whose parts it reads."""

    services: Services
    profile: Profile | None
    result: TokenResult | None
    copy_token_button: QPushButton
    copy_header_button: QPushButton
    copy_curl_button: QPushButton

    if TYPE_CHECKING:  # TokenView's own

        @property
        def _busy(self) -> str | None: ...
        def _start_job(self, name: str, action: str) -> Job: ...
        def _end_job(self, name: str, gen: int) -> bool: ...
        def on_token_failed(self, gen: int, name: str, exc: BaseException) -> None: ...

        token_obtained: Any

    # -- clipboard --------------------------------------------------------------------------------
    def copy_token(self) -> None:
        self._with_fresh_token("token")

    def copy_header(self) -> None:
        self._with_fresh_token("header")

    def copy_curl(self) -> None:
        self._with_fresh_token("curl")

    def _with_fresh_token(self, what: str) -> None:
        """Get a valid token on the pool (renewed first if needed) and build the text to copy
        there: only that text comes back. If renewing changed the token, the engine's event
        says so."""
        ctx = self.services.ctx
        if ctx is None or self.profile is None:
            return
        profile = self.profile
        getter = self.services.current_request
        typed = getter() if getter is not None else None
        saved_getter = self.services.selected_saved_request
        saved = saved_getter() if saved_getter is not None else None
        if self._busy is not None:
            self._copy_shown_token(what, typed, saved)
            return
        engine = ctx.engine
        job = self._start_job(profile.name, "copy")
        gen = job.gen

        def build(cancel: threading.Event) -> tuple[str, str]:
            token = engine.get_token(profile.name, cancel=cancel)
            return _build(ctx, engine, what, profile, token, typed, saved)

        job.task = self.services.runner.start(
            build,
            pass_cancel=True,
            owner=self,  # type: ignore[arg-type]  # a QWidget: mixed into TokenView
            on_success=lambda done: self.on_copy_ready(gen, profile.name, what, *done),
            on_failure=lambda exc: self.on_token_failed(gen, profile.name, exc),
        )

    def _copy_shown_token(self, what: str, typed: RequestSpec | None, saved: str | None) -> None:
        """During a slow Mint, Refresh or Verify: copy the token on screen while it is valid
        (the buttons say when: `button_states`), without waiting for the call under way."""
        button = {"token": self.copy_token_button, "header": self.copy_header_button}.get(
            what, self.copy_curl_button
        )
        if self.profile is None or self.result is None or not button.isEnabled():
            return
        profile, token, ctx = self.profile, self.result, self.services.ctx
        if ctx is None:
            return
        engine = ctx.engine

        def build() -> tuple[str, str]:
            return _build(ctx, engine, what, profile, token, typed, saved)

        self.services.runner.start(
            build,
            owner=self,  # type: ignore[arg-type]  # a QWidget: mixed into TokenView
            on_success=lambda done: self._to_clipboard(what, *done),
            on_failure=self.services.error_from,
        )

    def on_copy_ready(self, gen: int, name: str, what: str, text: str, where: str = "") -> None:
        self.token_obtained.emit(name)
        if not self._end_job(name, gen):
            return
        self._to_clipboard(what, text, where)

    def _to_clipboard(self, what: str, text: str, where: str) -> None:
        label = COPIED_WHAT.get(what, what)
        if what == "curl" and where:
            label = f"{label} for {where}"
        self.services.clipboard.copy_secret(text, label)
