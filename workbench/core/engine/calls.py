"""Authenticated API calls: send with the profile's token, renew once on 401, adopt a token the
response hands back (sliding sessions), and record each call in the history (in the background).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from workbench.core.engine import answers, flows
from workbench.core.engine.renew import Place, Renewal, renew_once
from workbench.core.engine.tokens import Tokens
from workbench.core.engine.types import CallResult, TokenResult
from workbench.core.engine.wire import CallPlan, Wire
from workbench.core.errors import DpopError, InputError, ProviderError, WorkbenchError, user_message
from workbench.core.jose.dpop import TOKEN_TYPE, asks_for_nonce, is_dpop, nonce_refused_line
from workbench.core.net.client import CALL_MAX_BYTES, request_origin
from workbench.core.net.origins import check_origin, origin_of
from workbench.core.redact import redact

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import httpx

    from workbench.core.jose.dpop import DpopKey
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.history import HistoryWriter


def _placed(plan: CallPlan, dpop: _CallDpop | None) -> Place:
    """The token where the preset's `[token]` puts it: a header with its scheme (the default), a
    query parameter (`?key=…`, replacing any of that name) or a cookie. A DPoP token goes with the
    scheme `DPoP` and a fresh proof of that very token (`dpop`), never as a Bearer token."""

    def place(request: httpx.Request, token: TokenResult) -> httpx.Request:
        access_token = token.access_token
        scheme = plan.scheme
        if dpop is not None and is_dpop(token.token_type):
            # RFC 9449 §7.1: a DPoP token goes in the Authorization header, whatever the
            # profile's placement (a query parameter would carry it unbound).
            request.headers["DPoP"] = dpop.proof(request, access_token)
            request.headers["Authorization"] = f"{TOKEN_TYPE} {access_token}"
            return request
        request.headers.pop("DPoP", None)  # a Bearer token (adopted or pasted): no proof binds it
        if plan.placement == "query":
            request.url = request.url.copy_set_param(plan.header, access_token)
        elif plan.placement == "cookie":
            pair = f"{plan.header}={access_token}"
            existing = request.headers.get("Cookie")
            # On a resend the old token's pair is replaced, not appended to.
            kept = [p for p in (existing or "").split("; ") if p and not p.startswith(f"{plan.header}=")]
            request.headers["Cookie"] = "; ".join([*kept, pair])
        else:
            request.headers[plan.header] = f"{scheme} {access_token}" if scheme else access_token
        return request

    return place


class _CallDpop:
    """An API call's DPoP side (RFC 9449 §7, §9): each attempt's proof names the request, hashes
    the token it carries (`ath`) and takes the origin's newest nonce; every answer's `DPoP-Nonce`
    is learnt, and a `use_dpop_nonce` refusal sends the same token once more with it."""

    def __init__(self, key: DpopKey, wire: Wire, what: str) -> None:
        self._key = key
        self._wire = wire
        self._what = what

    def proof(self, request: httpx.Request, access_token: str) -> str:
        url = str(request.url)
        nonce = self._wire.nonces.get(origin_of(url))
        return self._key.proof(
            request.method, url, now=self._wire.clock.now(), access_token=access_token, nonce=nonce
        )

    def again(self, response: httpx.Response, resent: int) -> bool:
        self._wire.nonces.learn(origin_of(str(response.request.url)), response.headers)
        if "DPoP" not in response.request.headers or not asks_for_nonce(
            response.status_code, response.headers, b""
        ):
            return False
        if resent:
            raise ProviderError(
                nonce_refused_line(redact(self._what)),
                status=response.status_code,
                error_type="use_dpop_nonce",
            )
        return True


def _any_401(status: int, body: Callable[[], bytes]) -> bool:
    return status == 401


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
            first = self._tokens.get_token(profile)
            how = self._renewal(prof, plan, first, limit)
            auth = renew_once(self._tokens, profile, first, how)
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
                redirects="return",  # the user's own request: a 3xx is their data, shown, not followed
                record=False,  # `call` records the call itself, once (retry included)
            )
            token = auth.token
            if plan.sliding and response.status_code < 400 and plan.response_token_header in response.headers:
                replaced = self._adopt_response_token(prof, response, token.access_token)
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
            sent_secrets=tuple(dict.fromkeys((first.access_token, token.access_token))),
        )

    def describe_failure(self, profile: str, result: CallResult) -> ProviderError:
        """A user-facing error for a non-2xx `CallResult` (status and the provider's own message)."""
        import httpx

        return answers.provider_error(
            self._wire.profile(profile),
            status=result.status,
            headers=httpx.Headers(result.headers),
            body=result.body,
            step="call",
            secrets=result.sent_secrets,
            now=self._wire.clock.now(),
        )

    def _renewal(self, profile: Profile, plan: CallPlan, first: TokenResult, limit: int) -> Renewal:
        """How this call carries the profile's token and what answer refuses it; for a profile
        with a DPoP key, also its proofs and nonce resend."""
        what = f"{profile.name} call"
        key = self._tokens.dpop_key(profile)
        if is_dpop(first.token_type) and key is None:
            raise DpopError(
                f"the token of '{profile.name}' is DPoP-bound but the profile has no DPoP key to "
                "prove it; it is not sent as a Bearer token",
                hint=f"give it one with `workbench keygen --dpop --profile {profile.name}`, then "
                f"`workbench token {profile.name} --mint`",
            )
        dpop = _CallDpop(key, self._wire, what) if key is not None else None
        return Renewal(_placed(plan, dpop), _any_401, limit, what, again=dpop.again if dpop else None)

    def _adopt_response_token(self, profile: Profile, response: httpx.Response, current: str) -> bool:
        """A token in the response's sliding header replaces the stored one, but only

        * for a preset that declares the header (`[token] sliding_header`, seed 003), never a
          stray `Authorization` header on another preset's answer;
        * from the profile's own origin (not an allowed or `--allow-origin` one);
        * when it verifies with the preset's key (`Tokens.adopt`).
        """

        if request_origin(response.request.url) != origin_of(profile.base_url):
            log.warning("profile %s: a response-header token from another origin was ignored", profile.name)
            return False
        candidate = answers.token_from_header(profile, response.headers, current=current)
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
