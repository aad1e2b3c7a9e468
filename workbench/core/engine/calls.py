"""Authenticated API calls: send with the profile's token, renew once on 401, adopt a token the
response hands back (sliding sessions), and record each call in the history (in the background).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from workbench.core.engine.renew import Renewal, renew_once
from workbench.core.engine.tokens import Tokens
from workbench.core.engine.types import CallResult
from workbench.core.engine.wire import CallPlan, Wire
from workbench.core.errors import InputError, ProviderError, WorkbenchError, user_message
from workbench.core.redact import redact

if TYPE_CHECKING:
    import httpx

    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.history import HistoryWriter


def _in_header(plan: CallPlan) -> Callable[[httpx.Request, str], httpx.Request]:
    """The preset's header and scheme (`[token] header`, `scheme`) carry the token."""

    def place(request: httpx.Request, access_token: str) -> httpx.Request:
        request.headers[plan.header] = f"{plan.scheme} {access_token}" if plan.scheme else access_token
        return request

    return place


def _any_401(status: int, body: Callable[[], bytes]) -> bool:
    return status == 401


def _generic_header_token(raw: str | None, current: str) -> str | None:
    if not raw:
        return None
    value = raw.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value or value == current:
        return None
    from workbench.core.jose.inspect import looks_like_jwt

    return value if looks_like_jwt(value) else None


class Calls:
    """Makes authenticated calls for the engine (thread-safe)."""

    def __init__(self, *, wire: Wire, tokens: Tokens, history: HistoryWriter) -> None:
        self._wire = wire
        self._tokens = tokens
        self._history = history

    def call(
        self,
        profile: str,
        method: str,
        url_or_path: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
        allow_origin: bool = False,
    ) -> CallResult:
        from workbench.core.engine import flows
        from workbench.core.net.client import CALL_MAX_BYTES
        from workbench.core.net.origins import check_origin

        prof, plan = self._wire.profile_and_plan(profile)
        method = method.upper()
        url = flows.resolve_url(prof, url_or_path)
        # Before a token is obtained: a refused URL costs no provider round trip.
        check_origin(prof, url, what="call", allow_other=allow_origin)
        limit = max_bytes if max_bytes is not None else CALL_MAX_BYTES
        send_headers: list[tuple[str, str]] = list((headers or {}).items())
        if json_body is not None:
            if content is not None:
                raise InputError("give either a JSON body or raw content, not both")
            content = json.dumps(json_body).encode()
            if not any(k.lower() == "content-type" for k, _ in send_headers):
                send_headers.append(("Content-Type", "application/json"))
        started = time.perf_counter()
        replaced = False
        try:
            how = Renewal(_in_header(plan), _any_401, limit, f"{prof.name} call")
            auth = renew_once(self._tokens, profile, self._tokens.get_token(profile), how)
            response = self._wire.send(
                prof,
                method,
                url,
                send_headers,
                content,
                timeout,
                f"{prof.name} call",
                auth=auth,
                plan=plan,
                max_bytes=limit,
                allow_other_origin=allow_origin,
                record=False,  # `call` records the call itself, once (retry included)
            )
            if response.status_code < 400 and plan.response_token_header in response.headers:
                replaced = self._adopt_response_token(prof, plan, response.headers, auth.token.access_token)
        except WorkbenchError as exc:
            self._record(profile, method, url, None, time.perf_counter() - started, user_message(exc))
            raise
        elapsed = time.perf_counter() - started
        self._record(profile, method, url, response.status_code, elapsed, None, size=len(response.content))
        return CallResult(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=list(response.headers.multi_items()),
            body=response.content,
            elapsed=elapsed,
            url=url,
            method=method,
            token_replaced=replaced,
            retried=auth.renewed,
        )

    def describe_failure(self, profile: str, result: CallResult) -> ProviderError:
        """A user-facing error for a non-2xx `CallResult` (status and the provider's own message)."""
        import httpx

        from workbench.core.engine import answers

        return answers.provider_error(
            self._wire.profile(profile),
            status=result.status,
            headers=httpx.Headers(result.headers),
            body=result.body,
            step="call",
            now=self._wire.clock.now(),
        )

    def _adopt_response_token(
        self, profile: Profile, plan: CallPlan, headers: httpx.Headers, current: str
    ) -> bool:
        """A token in the response's `Authorization` (sliding) header replaces the stored one.

        The preset's `[token] sliding_header` names the header; for other presets an
        `Authorization` response header counts too when it holds a JWT other than ours
        (../shared/DESIGN.md: "a token arriving in a response Authorization header replaces the
        stored one").
        """
        from workbench.core.engine import answers

        if plan.sliding:
            candidate = answers.token_from_header(profile, headers, current=current)
        else:
            candidate = _generic_header_token(headers.get("authorization"), current)
        if not candidate or candidate == current:
            return False
        return self._tokens.adopt(profile, candidate)

    def _record(
        self,
        profile: str,
        method: str,
        url: str,
        status: int | None,
        elapsed: float,
        error: str | None,
        *,
        size: int | None = None,
    ) -> None:
        self._history.put(
            {
                "profile": profile,
                "method": method,
                "url": redact(url),
                "status": status,
                "elapsed": elapsed,
                "error": error,
                "size": size,
            }
        )
