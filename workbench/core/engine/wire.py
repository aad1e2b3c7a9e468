"""The engine's plumbing: its settings, the profile cache with each profile's call plan, and HTTP.

`Wire` is shared by the token, call and verify parts of the engine. It reads profiles (at
most every `PROFILE_CACHE_SECONDS` on the warm path), keeps one pooled `httpx.Client` per TLS
setting, and lets every response's `Date` header teach the clock the server's time.
httpx is imported on first use, so importing the engine stays cheap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.engine.policy import RefreshAhead, RetryPolicy, setting_float
from workbench.core.errors import (
    ProfileError,
    ProviderError,
    ProviderResponseError,
    WorkbenchError,
    user_message,
)
from workbench.core.jose.dpop import NonceBook, asks_for_nonce, binding_problem, nonce_refused_line
from workbench.core.jose.x509 import cert_binding_problem
from workbench.core.net.client import DEFAULT_CONNECT_TIMEOUT, PROVIDER_MAX_BYTES, make_client, send_bounded
from workbench.core.net.origins import check_origin, origin_of
from workbench.core.oauth.discovery import OAuthTransport
from workbench.core.oauth.id_tokens import check_refreshed_id_token
from workbench.core.oauth.login import origin_check_for, profile_endpoints
from workbench.core.oauth.mtls import bound_required, endpoints_for
from workbench.core.redact import redact
from workbench.core.request.templating import TemplateRenderer

if TYPE_CHECKING:
    import httpx

    from workbench.core.clock import Clock
    from workbench.core.engine.answers import TokenAnswer
    from workbench.core.jose.client_tls import ProfileTls
    from workbench.core.jose.dpop import DpopKey
    from workbench.core.profiles.profile import Profile
    from workbench.core.profiles.store import ProfileStore
    from workbench.core.storage.vault import Vault

# Longest we wait for another thread/process that holds a profile's lock. The holder is
# itself bounded by HTTP timeouts × attempts, so this only trips on a stuck process.
DEFAULT_LOCK_TIMEOUT = 60.0
# Profiles are re-read from disk at most this often on the warm path (edits show up quickly,
# but a burst of calls does not parse TOML per request).
PROFILE_CACHE_SECONDS = 2.0


@dataclass
class EngineConfig:
    """The engine's settings; one mutable instance shared by its parts (`configure` changes it)."""

    policy: RefreshAhead
    retry: RetryPolicy
    timeout: float
    lock_timeout: float
    sleep: Callable[[float], None]
    verify_tls: bool = True


@dataclass(frozen=True)
class CallPlan:
    """What every request of a profile needs, worked out once per profile load (the warm path
    then never walks preset tables)."""

    header: str
    scheme: str
    placement: str  # header | query | cookie (the api-key preset)
    response_token_header: str  # where a replacement token may arrive
    sliding: bool  # the preset names that header explicitly
    timeout_seconds: float
    verify_tls: bool

    @classmethod
    def for_profile(
        cls, profile: Profile, default_timeout: float, default_verify_tls: bool = True
    ) -> CallPlan:
        spec = profile.token_spec
        seconds = setting_float(profile, "timeout") or default_timeout
        return cls(
            header=spec.header,
            scheme=spec.scheme,
            placement=spec.placement,
            response_token_header=spec.sliding_header or "Authorization",
            sliding=spec.sliding_header is not None,
            timeout_seconds=seconds,
            verify_tls=profile.settings.get("verify_tls", default_verify_tls) is not False,
        )


class Wire:
    """Profiles in, HTTP out (thread-safe)."""

    def __init__(
        self,
        *,
        profiles: ProfileStore,
        clock: Clock,
        config: EngineConfig,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.clock = clock
        self.config = config
        self.transport = transport
        self._profiles = profiles
        self._mu = threading.Lock()
        self._profile_cache: dict[str, tuple[float, Profile, CallPlan]] = {}
        self._last_date: tuple[str | None, int] | None = None
        self._timeouts: dict[float, Any] = {}
        self._clients: dict[Any, httpx.Client] = {}
        # A profile's client certificate and trust anchors (set by the engine: reads the vault).
        self.tls: ProfileTls | None = None
        self._renderer: TemplateRenderer | None = None
        # The newest DPoP-Nonce of each origin (authorization and resource servers alike).
        self.nonces = NonceBook()
        # Where each sent request is reported for the history (set by the engine): a dict of
        # profile, method, url, status, elapsed, error, size.
        self.recorder: Callable[[dict[str, Any]], None] | None = None

    # ---------------------------------------------------------------- profiles

    def profile(self, name: str, *, reload: bool = False) -> Profile:
        return self.profile_and_plan(name, reload=reload)[0]

    def profile_and_plan(self, name: str, *, reload: bool = False) -> tuple[Profile, CallPlan]:
        now = time.monotonic()
        cached = self._profile_cache.get(name)
        if cached is not None and not reload and now - cached[0] < PROFILE_CACHE_SECONDS:
            return cached[1], cached[2]
        profile = self._profiles.get(name)
        plan = CallPlan.for_profile(profile, self.config.timeout, self.config.verify_tls)
        with self._mu:
            self._profile_cache[name] = (now, profile, plan)
        return profile, plan

    def profile_if_any(self, name: str) -> Profile | None:
        """The profile (read again), or None when there is none of that name; a broken file raises."""
        try:
            if not self._profiles.path_for(name).is_file():
                return None
        except ProfileError:
            return None  # not even a valid name: no such profile
        return self.profile(name, reload=True)

    def plan_for(self, profile: Profile) -> CallPlan:
        return CallPlan.for_profile(profile, self.config.timeout, self.config.verify_tls)

    def forget_profiles(self) -> None:
        """Drop cached profiles and plans (settings changed); they are re-read on next use."""
        with self._mu:
            self._profile_cache.clear()

    def renderer(self) -> TemplateRenderer:
        if self._renderer is None:
            self._renderer = TemplateRenderer(clock=self.clock)
        return self._renderer

    # ---------------------------------------------------------------- HTTP

    def send(
        self,
        profile: Profile,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
        timeout: float | None,
        label: str,
        *,
        auth: httpx.Auth | None = None,
        plan: CallPlan | None = None,
        max_bytes: int | None = None,
        allow_other_origin: bool = False,
        record: bool = True,
        redirects: Literal["refuse", "return"] = "refuse",
        dpop: DpopKey | None = None,
        secrets: Iterable[str] = (),
    ) -> httpx.Response:
        """Send one request of `profile` and read its answer, within the profile's timeout (one
        overall deadline: connect, send and the whole answer) and `max_bytes` (default: the 1 MiB
        a provider answer gets). Credentials go only to the profile's allowed origins
        (`origins.check_origin`, applied to the request as built, when it is sent) unless
        `allow_other_origin`. A redirect is never followed (`redirects`: see `send_bounded`).

        With `dpop` (a token request of a DPoP profile), each attempt carries a fresh DPoP proof
        with the origin's newest nonce; an answer asking for a nonce is sent again once with it.
        (An API call's proof, which hashes its token, is placed by its `RenewOnce` auth instead.)"""
        origin = origin_of(url) if dpop is not None else ""
        for attempt in (1, 2):
            sent = headers
            if dpop is not None:
                proof = dpop.proof(method, url, now=self.clock.now(), nonce=self.nonces.get(origin))
                sent = [*headers, ("DPoP", proof)]
            response = self._send_once(
                profile,
                method,
                url,
                sent,
                content,
                timeout,
                label,
                auth=auth,
                plan=plan,
                max_bytes=max_bytes,
                allow_other_origin=allow_other_origin,
                record=record,
                redirects=redirects,
                secrets=secrets,
            )
            if dpop is None:
                return response
            self.nonces.learn(origin, response.headers)
            if not asks_for_nonce(response.status_code, response.headers, response.content):
                return response
            if attempt == 2 or "dpop-nonce" not in response.headers:
                break
        raise ProviderError(
            nonce_refused_line(redact(label)), status=response.status_code, error_type="use_dpop_nonce"
        )

    def _send_once(
        self,
        profile: Profile,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
        timeout: float | None,
        label: str,
        *,
        auth: httpx.Auth | None,
        plan: CallPlan | None,
        max_bytes: int | None,
        allow_other_origin: bool,
        record: bool,
        redirects: Literal["refuse", "return"],
        secrets: Iterable[str],
    ) -> httpx.Response:
        if plan is None:
            plan = self.plan_for(profile)
        what = redact(label)

        def origin_check(origin: str) -> None:
            check_origin(profile, origin, what=what, allow_other=allow_other_origin)

        seconds = timeout if timeout is not None else plan.timeout_seconds
        started = time.perf_counter()
        try:
            response = send_bounded(
                self.client_for(profile, plan),
                method,
                url,
                headers=headers,
                content=content,
                timeout=seconds,
                timeouts=self._timeout_for(seconds),
                max_bytes=max_bytes if max_bytes is not None else PROVIDER_MAX_BYTES,
                what=what,
                auth=auth,
                origin_check=origin_check,
                redirects=redirects,
            )
        except WorkbenchError as exc:
            if record:
                self._report(profile, method, url, None, started, user_message(exc), None, secrets)
            raise
        if record:
            self._report(
                profile, method, url, response.status_code, started, None, len(response.content), secrets
            )
        date = response.headers.get("date")
        stamp = (date, int(self.clock.local_time()))
        if stamp != self._last_date:
            # A Date header has one-second resolution: within one local second, parse each value once.
            self._last_date = stamp
            self.clock.learn_from_date_header(date)
        return response

    def _report(
        self,
        profile: Profile,
        method: str,
        url: str,
        status: int | None,
        started: float,
        error: str | None,
        size: int | None,
        secrets: Iterable[str] = (),
    ) -> None:
        """A token, verify or discovery request for the history (API calls are reported by `calls`).
        `secrets`: the values its templates rendered, scrubbed by the history wherever they appear."""
        if self.recorder is None:
            return
        entry = {
            "secrets": tuple(secrets),
            "profile": profile.name,
            "method": method.upper(),
            "url": redact(url),
            "status": status,
            "elapsed": time.perf_counter() - started,
            "error": error,
            "size": size,
        }
        self.recorder(entry)

    def oauth_endpoints(self, profile: Profile) -> dict[str, str] | None:
        """The issuer's endpoints of a preset with `[oauth]` (`{{ oauth.token_endpoint }}`): the
        profile's vars over its cached, else freshly fetched, discovery document; else None."""
        if profile.preset.section("oauth") is None:
            return None

        plan = self.plan_for(profile)
        http = OAuthTransport(
            timeout=plan.timeout_seconds,
            client=self.client_for(profile, plan),
            origin_check=origin_check_for(profile),
        )
        endpoints = profile_endpoints(profile, http)
        endpoints = endpoints_for(endpoints, profile)  # RFC 8705 §5: the aliases that take certificates
        found = {"issuer": endpoints.issuer, **endpoints.urls()}
        for advertised in ("auth_signing_algs", "auth_methods", "cert_bound"):
            if getattr(endpoints, advertised):
                found[advertised] = getattr(endpoints, advertised)
        return found

    def refuse_unbound(
        self,
        profile: Profile,
        answer: TokenAnswer,
        dpop: DpopKey | None,
        oauth: Mapping[str, str] | None,
        label: str,
        status: int,
    ) -> None:
        """A token answered to a request with a DPoP proof must be bound to that key (`cnf.jkt`);
        one answered over mutual TLS must not be bound to another certificate, and must carry
        `cnf.x5t#S256` when the profile asks for bound tokens (RFC 8705 §3). Refused before storing."""
        claims = answer.jwt.claims if answer.jwt else None
        if dpop is not None:
            problem = binding_problem(answer.token_type, claims, dpop.jkt, label)
            if problem is not None:
                raise ProviderResponseError(problem, status=status, error_type="dpop_binding")
        cert = self.tls.certificate(profile) if self.tls is not None else None
        if cert is not None:
            required = bound_required(profile.vars, (oauth or {}).get("cert_bound", ""))
            problem = cert_binding_problem(claims, cert.thumbprint, label, required=required)
            if problem is not None:
                raise ProviderResponseError(problem, status=status, error_type="mtls_binding")

    def check_refreshed_id_token(
        self, vault: Vault, profile: Profile, id_token: str, previous: str | None, *, now: float
    ) -> None:
        """Check an id_token a refresh returned against the issuer's keys (OIDC Core §12.2)."""

        plan = self.plan_for(profile)
        http = OAuthTransport(timeout=plan.timeout_seconds, client=self.client_for(profile, plan))
        endpoints = profile_endpoints(profile, http)
        check_refreshed_id_token(vault, profile, http, endpoints, id_token, previous, now=now)

    def _timeout_for(self, seconds: float) -> Any:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            import httpx

            timeout = httpx.Timeout(seconds, connect=min(DEFAULT_CONNECT_TIMEOUT, seconds))
            self._timeouts[seconds] = timeout
        return timeout

    def client_for(self, profile: Profile, plan: CallPlan) -> httpx.Client:
        """The pooled client of `profile`'s requests: the shared one of its TLS setting, or one of
        its own when it presents a client certificate or trusts its own CA file (RFC 8705)."""
        key = self.tls.client_key(profile) if self.tls is not None else None
        if key is None or self.tls is None:
            return self._client(plan.verify_tls)
        full = (*key, plan.verify_tls)
        client = self._clients.get(full)
        if client is None:
            context = self.tls.context(profile, verify=plan.verify_tls)
            with self._mu:
                client = self._clients.get(full)
                if client is None:
                    client = make_client(
                        timeout=self.config.timeout, transport=self.transport, ssl_context=context
                    )
                    self._clients[full] = client
        return client

    def _client(self, verify_tls: bool) -> httpx.Client:
        client = self._clients.get(verify_tls)
        if client is None:
            with self._mu:
                client = self._clients.get(verify_tls)
                if client is None:
                    client = make_client(
                        timeout=self.config.timeout, verify_tls=verify_tls, transport=self.transport
                    )
                    self._clients[verify_tls] = client
        return client

    def close(self) -> None:
        with self._mu:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
