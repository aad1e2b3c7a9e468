"""Login operation: `workbench login` and the GUI's Login panel, over `oauth.login`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from workbench.core.oauth.login import DEFAULT_LOGIN_TIMEOUT, login

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.oauth.login import LoginOutcome, LoginPrompt, Opener


def log_in(
    ctx: AppContext,
    name: str,
    *,
    open_browser: bool = True,
    timeout: float = DEFAULT_LOGIN_TIMEOUT,
    cancel: threading.Event | None = None,
    on_prompt: Callable[[LoginPrompt], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    opener: Opener | None = None,
    params: Mapping[str, str] | None = None,
) -> LoginOutcome:
    """Run profile `name`'s interactive grant (authorization code with PKCE, or device code) and
    store what it yields, refresh token first. The outcome names the grant, the token, the
    granted scope and the id_token's claims. Network and waiting: run off the GUI thread;
    `cancel` stops the wait, `on_prompt` / `on_status` tell the user what to do and what happens;
    `params`: extra authorization parameters (`login --param`)."""

    return login(
        ctx,
        name,
        open_browser=open_browser,
        timeout=timeout,
        cancel=cancel,
        on_prompt=on_prompt,
        on_status=on_status,
        opener=opener,
        params=params,
    )
