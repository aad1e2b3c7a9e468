"""The token engine: one object, shared by every thread, that hands out valid access tokens.

What it guarantees, per profile:

* **Single flight.** N callers that need a token while a mint/refresh is under way
  wait for it and get its token (or its error); they never start their own.
  Across processes a file lock (`$WORKBENCH_HOME/locks/<profile>.lock`) does the
  same: inside the lock the stored state is read again, and a token another
  process obtained meanwhile is used as is ("cache").
* **Refresh ahead.** A token is renewed once it is within its lead of expiry
  (`engine_policy.RefreshAhead`). Refresh when the preset can; if the provider
  refuses the refresh token and the preset can mint, mint.
* **Bounded retries.** 429/5xx/timeouts/connection errors at the token endpoint
  are retried a few times with jittered backoff (`engine_policy.RetryPolicy`);
  400/401/403 never, except once for a signed challenge rejected for its
  timestamp after the clock offset was learnt from the `Date` header.
* **Rotation is durable first.** A rotated refresh token is written to the vault
  before the new access token is handed to anyone. SIGINT/SIGTERM arriving between
  the refresh request and that write wait until it is done (`signals.deferred_signals`).
  If the write fails, the error says the new refresh token could not be saved and
  names `workbench profile set` to recover; a long-running process (the GUI) also
  keeps it in memory and retries the write on its next call.
* **Bounded requests.** Every provider request has one overall deadline (the
  profile's timeout) and a byte budget (`http.send_bounded`), and goes only to the
  profile's allowed origins (`origins.check_origin`). TLS failures are not retried.
* **Cheap when warm.** With a fresh token in memory, `get_token` is a dict lookup
  and a clock read: no lock, no vault, no file.

Layout: this module is the facade; the parts are `engine_tokens` (obtain / renew / commit),
`engine_calls` (authenticated calls), `engine_verify` (provider and local verification),
`engine_wire` (settings, profile cache, HTTP), `engine_types` (results, events, errors);
the history writer lives in `history`.

Storage: token values in the vault (`access_token`, `refresh_token` under the
profile); non-secret metadata in `$WORKBENCH_HOME/state/<profile>.json`
(`engine_state`). Events (`subscribe`) are delivered on whichever thread caused
them; a failing subscriber never breaks the engine.

Signals (as events, `EngineEvent.kind`):
    changed    the token a profile holds changed (any reason, or `announce`); carries the
               new `TokenResult` (None: none) and when it will be renewed
    minted     a new token was minted
    refreshed  a token was refreshed
    failed     obtaining or storing a token failed (message is user-facing, no values)
    expiring   a token was found inside its refresh-ahead window
    cleared    `forget` dropped a profile's tokens
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.engine.calls import Calls
from workbench.core.engine.policy import RefreshAhead, RetryPolicy
from workbench.core.engine.stored import ACCESS_TOKEN, REFRESH_TOKEN
from workbench.core.engine.tokens import Tokens
from workbench.core.engine.types import (
    CallResult,
    EngineEvent,
    EventKind,
    Events,
    Force,
    LockTimeoutError,
    TokenResult,
    TokenUnavailableError,
)
from workbench.core.engine.verify import Verifier
from workbench.core.engine.wire import DEFAULT_LOCK_TIMEOUT, EngineConfig, Wire
from workbench.core.errors import ProviderError
from workbench.core.jose.client_tls import vault_tls
from workbench.core.jose.dpop import NonceBook
from workbench.core.net.client import DEFAULT_TIMEOUT
from workbench.core.net.origins import origin_of
from workbench.core.storage import paths
from workbench.core.storage.history import History, HistoryWriter

if TYPE_CHECKING:
    import httpx

    from workbench.core.clock import Clock
    from workbench.core.engine.answers import TokenAnswer
    from workbench.core.engine.state import TokenState
    from workbench.core.jose.dpop import DpopKey
    from workbench.core.jose.inspect import Inspection
    from workbench.core.jose.x509 import ClientCertificate
    from workbench.core.profiles.store import ProfileStore
    from workbench.core.storage.vault import Vault


class TokenEngine:
    """Hands out valid access tokens and makes authenticated calls. Thread-safe; share one instance.

    Attributes:
        clock: the server-aware clock every expiry and signed timestamp uses.
        policy: the `RefreshAhead` policy in force.
        retry: the `RetryPolicy` for token-endpoint requests.
    """

    def __init__(
        self,
        *,
        profiles: ProfileStore,
        vault: Vault,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
        lock_dir: Path | None = None,
        default_lead: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        state_dir: Path | None = None,
        history: History | None = None,
        retry: RetryPolicy | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self._config = EngineConfig(
            policy=RefreshAhead(default_lead=default_lead),
            retry=retry or RetryPolicy(),
            timeout=timeout,
            lock_timeout=lock_timeout,
            sleep=sleep,
        )
        self._history = history
        self._events = Events()
        self._wire = Wire(profiles=profiles, clock=clock, config=self._config, transport=transport)
        self._wire.tls = vault_tls(vault)  # client certificates (mTLS) from the keychain
        self._tokens = Tokens(
            wire=self._wire,
            vault=vault,
            clock=clock,
            config=self._config,
            events=self._events,
            lock_dir=lock_dir if lock_dir is not None else paths.locks_dir(),
            state_dir=state_dir if state_dir is not None else paths.state_dir(),
        )

        # DPoP nonces outlive the process: `workbench dpop-proof` proves with what `call` learnt.
        self._wire.nonces = NonceBook(
            (state_dir if state_dir is not None else paths.state_dir()) / "dpop-nonces.json"
        )
        self._history_writer = HistoryWriter(self._get_history)
        self._wire.recorder = self._history_writer.put  # token, verify and discovery requests
        self._calls = Calls(wire=self._wire, tokens=self._tokens, history=self._history_writer)
        self._verifier = Verifier(wire=self._wire, tokens=self._tokens, vault=vault)

    # ---------------------------------------------------------------- settings

    @property
    def policy(self) -> RefreshAhead:
        return self._config.policy

    @policy.setter
    def policy(self, value: RefreshAhead) -> None:
        self._config.policy = value

    @property
    def retry(self) -> RetryPolicy:
        return self._config.retry

    @retry.setter
    def retry(self, value: RetryPolicy) -> None:
        self._config.retry = value

    def configure(
        self, *, default_lead: float | None = None, timeout: float | None = None, verify_tls: bool = True
    ) -> None:
        """Apply a front end's preferences (the GUI's settings dialog) to every profile that does
        not set its own: refresh lead (None: the smaller of 60 s and 10 % of the lifetime), request
        timeout and TLS verification. Cached plans and renewal times are recomputed on next use."""
        self._config.policy = replace(self._config.policy, default_lead=default_lead)
        if timeout is not None:
            self._config.timeout = timeout
        self._config.verify_tls = verify_tls
        self._wire.forget_profiles()
        self._tokens.forget_entries()

    def refresh_lead(self, lifetime: float | None, profile: str | None = None) -> float:
        return self._tokens.refresh_lead(lifetime, profile)

    # ---------------------------------------------------------------- events

    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        return self._events.subscribe(callback)

    # ---------------------------------------------------------------- tokens

    def get_token(
        self, profile: str, *, force: Force | None = None, cancel: threading.Event | None = None
    ) -> TokenResult:
        """A valid token for `profile` (renewed if needed; `force` "mint"/"refresh"). With
        `cancel`, setting that event stops the request's retries (`engine.cancel`)."""
        return self._tokens.get_token(profile, force=force, cancel=cancel)

    def cached(self, profile: str) -> TokenResult | None:
        """What is stored now (no network, no lock wait); `obtained_by` says how it was obtained."""
        return self._tokens.cached(profile)

    def profile_lock(self, profile: str) -> AbstractContextManager[None]:
        """Hold `profile`'s token lock (this process's threads and other processes wait):
        for replacing the secrets a token is obtained with while no refresh can rotate them."""
        return self._tokens.profile_locks(profile)

    def forget(self, profile: str) -> None:
        """Delete the tokens the engine obtained for `profile` (vault and state); a pasted pair stays."""
        self._tokens.forget(profile)

    def announce(self, profile: str) -> None:
        """Publish what `profile` holds now as a "changed" event (no network). Events are how a
        front end learns token state: call this once per profile shown, then listen."""
        self._tokens.announce(profile)

    def drop(self, profile: str, *, removed: bool = False) -> None:
        """Forget what is held in memory for `profile` (its file changed or, with `removed`, is
        gone) and publish that it holds nothing now; the vault is not touched."""
        self._tokens.drop(profile, removed=removed)

    def token_state(self, profile: str) -> TokenState | None:
        """What is known about `profile`'s stored tokens (expiry, granted scope, a refresh token
        the server refused), from the state file: no network, no keychain."""
        return self._tokens.state_of(profile)

    def held_refresh_token(self, profile: str) -> str | None:
        """The refresh token `profile` holds now (vault, checked against the state file)."""
        return self._tokens.held_refresh_token(profile)

    def store_login(self, profile: str, answer: TokenAnswer) -> TokenResult:
        """Keep what `workbench login` obtained (refresh token first); see `oauth_login.login`."""
        return self._tokens.store_login(profile, answer)

    # ---------------------------------------------------------------- calls

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
        """An authenticated request. The answer is read up to `max_bytes` (default
        `http.CALL_MAX_BYTES`); a URL outside the profile's allowed origins is refused
        (`origins.OriginError`) unless `allow_origin`."""
        return self._calls.call(
            profile,
            method,
            url_or_path,
            headers=headers,
            json_body=json_body,
            content=content,
            timeout=timeout,
            max_bytes=max_bytes,
            allow_origin=allow_origin,
        )

    def dpop_key(self, profile: str) -> DpopKey | None:
        """The profile's DPoP key (None: the profile does not use DPoP; DpopError: it does, but
        the keychain holds no usable key)."""
        return self._tokens.dpop_key(self._wire.profile(profile))

    def client_certificate(self, profile: str) -> ClientCertificate | None:
        """The profile's client certificate (None: it presents none; ClientCertError: it lists
        one the keychain does not hold)."""
        tls = self._wire.tls
        return tls.certificate(self._wire.profile(profile)) if tls is not None else None

    def dpop_nonce(self, url: str) -> str | None:
        """The newest DPoP-Nonce the origin of `url` gave this engine."""

        return self._wire.nonces.get(origin_of(url))

    def describe_failure(self, profile: str, result: CallResult) -> ProviderError:
        """A user-facing error for a non-2xx `CallResult` (status and the provider's own message)."""
        return self._calls.describe_failure(profile, result)

    # ---------------------------------------------------------------- verify

    def verify_remote(self, profile: str) -> dict[str, Any]:
        return self._verifier.verify_remote(profile)

    def provider_can_verify(self, profile: str) -> bool:
        """The preset has a [verify] request (token-of-trust's GET on the token path)."""
        return self._verifier.provider_can_verify(profile)

    def can_verify_locally(self, profile: str) -> bool:
        """The preset names a key to check its tokens with: a JWKS URL or a shared HMAC secret."""
        return self._verifier.can_verify_locally(profile)

    def verify_local(self, profile: str) -> Inspection:
        """Decode the current token and check its signature the way the preset allows."""
        return self._verifier.verify_local(profile)

    # ---------------------------------------------------------------- history and shutdown

    def _get_history(self) -> History:
        if self._history is None:
            self._history = History()
        return self._history

    def flush_history(self, timeout: float = 5.0) -> bool:
        """Wait until every call so far is in the history file (it is written in the background)."""
        return self._history_writer.flush(timeout)

    def close(self) -> None:
        self._history_writer.close()
        self._wire.close()


__all__ = [
    "ACCESS_TOKEN",
    "REFRESH_TOKEN",
    "CallResult",
    "EngineEvent",
    "EventKind",
    "Force",
    "LockTimeoutError",
    "TokenEngine",
    "TokenResult",
    "TokenUnavailableError",
]
