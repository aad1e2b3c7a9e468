""" "Send with the profile's token; if the answer says the token was refused, obtain a new one
once and send again": the one `httpx.Auth` that authenticated calls (`calls`) and provider
verification (`verify`) both send through.

It follows httpx's own pattern (docs, "Authentication" → custom flows): an `auth_flow`
generator yields the request, looks at the answer, and may yield it once more; the token work
is done under an `RLock`. What differs between its two users is passed in:

* `place(request, token)`: the request that carries this token (calls: the preset's header
  and scheme on the same request, with a fresh DPoP proof for a DPoP token; verify: the
  `[verify]` request rendered again, since its template may put the token anywhere);
* `refused(status, body)`: whether the answer means "this token is no good" (calls: any 401;
  verify: a 401 with one of the preset's `expired_markers`). `body()` reads the answer within
  the request's byte budget, only when asked;
* `again(response, resent)` (optional): whether the answer asks for the same token once more
  (a DPoP `use_dpop_nonce`: RFC 9449 §9), seeing every answer; it raises when it asks again
  after `resent` resends. That resend does not renew the token.

The renewal itself is `Tokens.renew_after_rejection` (single flight: every caller that saw the
same refused token shares one new token). It runs with the call's deadline paused
(`client.paused_deadline`): a token request has its own deadline and retries.

Importing this module does not import httpx (`workbench token` answered from the cache never
pays for it): the class is built on first use by `renew_once_class()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.net.client import paused_deadline, read_answer

if TYPE_CHECKING:
    import httpx

    from workbench.core.engine.tokens import Tokens
    from workbench.core.engine.types import TokenResult

    class RenewOnce(httpx.Auth):  # the real class is built by renew_once_class() on first use
        """Attributes:
        token: the token the last request was sent with.
        renewed: a refused token was replaced and the request sent again.
        """

        token: TokenResult
        renewed: bool


Place = Callable[["httpx.Request", "TokenResult"], "httpx.Request"]
Refused = Callable[[int, Callable[[], bytes]], bool]
Again = Callable[["httpx.Response", int], bool]


@dataclass(frozen=True)
class Renewal:
    """How one kind of request carries a profile's token, and what answer refuses it."""

    place: Place  # the request that carries this access token
    refused: Refused  # (status, read the body) -> the token was refused
    max_bytes: int  # the answer's byte budget (a refused one is read within it too)
    what: str  # names the request in messages ("<profile> call")
    again: Again | None = None  # (answer, resends so far) -> send the same token once more


def renew_once(tokens: Tokens, profile: str, token: TokenResult, how: Renewal) -> RenewOnce:
    """A `RenewOnce` auth for one request of `profile`, starting with `token` (one per request:
    `token` and `renewed` say afterwards what was sent)."""
    cls: Any = renew_once_class()
    auth: RenewOnce = cls(tokens, profile, token, how)
    return auth


_class: type | None = None


def renew_once_class() -> type:
    global _class
    if _class is not None:
        return _class
    import httpx

    class RenewOnce(httpx.Auth):
        requires_request_body = False
        requires_response_body = False  # read by `refused` only when it needs it, within budget

        def __init__(self, tokens: Tokens, profile: str, token: TokenResult, how: Renewal) -> None:
            self._tokens = tokens
            self._profile = profile
            self._how = how
            self._lock = threading.RLock()
            self.token = token
            self.renewed = False

        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
            how = self._how
            with self._lock:
                sent_with = self.token
            resent = 0
            while True:
                response = yield how.place(request, sent_with)

                def body(response: httpx.Response = response) -> bytes:
                    return read_answer(response, how.max_bytes, url=str(response.url), what=how.what)

                if how.again is not None and how.again(response, resent):
                    body()  # httpx reads an answer before sending again: within its budget
                    resent += 1
                    continue
                if self.renewed or not how.refused(response.status_code, body):
                    return
                # httpx reads a refused answer before sending again: read it here, within its budget.
                body()
                with self._lock:
                    if self.token is sent_with:
                        with paused_deadline():
                            self.token = self._tokens.renew_after_rejection(
                                self._profile, sent_with.access_token
                            )
                        self.renewed = True
                    sent_with = self.token
                resent = 0

    RenewOnce.__module__ = __name__
    RenewOnce.__qualname__ = "RenewOnce"
    _class = RenewOnce
    return RenewOnce
