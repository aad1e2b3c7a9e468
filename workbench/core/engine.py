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
  before the new access token is handed to anyone; if that write fails the token
  is kept in memory, the error is surfaced, and the write is retried next call.
* **Cheap when warm.** With a fresh token in memory, `get_token` is a dict lookup
  and a clock read: no lock, no vault, no file.

Storage: token values in the vault (`access_token`, `refresh_token` under the
profile); non-secret metadata in `$WORKBENCH_HOME/state/<profile>.json`
(`engine_state`). Events (`subscribe`) are delivered on whichever thread caused
them; a failing subscriber never breaks the engine.

Signals (as events, `EngineEvent.kind`):
    changed    the stored token of a profile changed (any reason)
    minted     a new token was minted
    refreshed  a token was refreshed
    failed     obtaining or storing a token failed (message is user-facing, no values)
    expiring   a token was found inside its refresh-ahead window
    cleared    `forget` dropped a profile's tokens
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from workbench.core.clock import Clock
from workbench.core.engine_policy import RefreshAhead, RetryPolicy, parse_retry_after
from workbench.core.engine_state import ObtainedBy, StateStore, TokenState, profile_identity
from workbench.core.errors import (
    InputError,
    NetworkError,
    ProviderAuthError,
    ProviderError,
    VaultError,
    WorkbenchError,
    user_message,
)
from workbench.core.redact import fingerprint, redact
from workbench.core.singleflight import SingleFlight

if TYPE_CHECKING:
    import httpx

    from workbench.core.flows import TokenAnswer
    from workbench.core.history import History
    from workbench.core.jwtinspect import Inspection
    from workbench.core.profiles import Profile, ProfileStore
    from workbench.core.templating import TemplateRenderer
    from workbench.core.vault import Vault

log = logging.getLogger(__name__)

ACCESS_TOKEN = "access_token"  # noqa: S105 - a vault entry name, not a value
REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a vault entry name, not a value

DEFAULT_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0
# Longest we wait for another thread/process that holds a profile's lock. The holder is
# itself bounded by HTTP timeouts × attempts, so this only trips on a stuck process.
DEFAULT_LOCK_TIMEOUT = 60.0
# Profiles are re-read from disk at most this often on the warm path (edits show up quickly,
# but a burst of calls does not parse TOML per request).
PROFILE_CACHE_SECONDS = 2.0
# JWT times are whole seconds while stated lifetimes are added to a fractional "now":
# expiries this close count as equal when deciding which of two tokens is newer.
_SAME_SECOND = 2.0

Force = Literal["refresh", "mint"]
EventKind = Literal["changed", "minted", "refreshed", "failed", "expiring", "cleared"]


# --------------------------------------------------------------------------------------------
# Public value types


def _iso_z(t: float) -> str:
    return datetime.fromtimestamp(int(t), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TokenResult:
    profile: str
    access_token: str = field(repr=False)
    token_type: str
    expires_at: float | None
    issued_at: float | None
    lifetime: float | None
    obtained_by: ObtainedBy
    refresh_token_expires_at: float | None

    def expires_in(self, now: float) -> int | None:
        if self.expires_at is None:
            return None
        return max(0, int(self.expires_at - now))

    def to_json(self, now: float) -> dict[str, Any]:
        """The exact `workbench token --json` shape."""
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_at": None if self.expires_at is None else _iso_z(self.expires_at),
            "expires_in": self.expires_in(now),
            "obtained_by": self.obtained_by,
        }


@dataclass(frozen=True)
class CallResult:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(repr=False)
    body: bytes = field(repr=False)
    elapsed: float
    url: str = field(repr=False)  # query strings may carry secrets; reprs end up in logs
    method: str
    token_replaced: bool
    retried: bool

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class EngineEvent:
    kind: EventKind
    profile: str
    message: str = ""


class LockTimeoutError(WorkbenchError):
    """Another thread or process held a profile's token lock for too long."""


class TokenUnavailableError(WorkbenchError):
    """No valid token is stored and the preset has no way (left) to obtain one."""


# --------------------------------------------------------------------------------------------
# Internals


@dataclass(frozen=True)
class _Entry:
    """A token held in memory, with the server time from which it must be renewed."""

    access_token: str = field(repr=False)
    state: TokenState
    renew_at: float | None
    result: TokenResult  # prebuilt "cache" result: the warm path allocates nothing

    def fresh(self, now: float) -> bool:
        return self.renew_at is None or now < self.renew_at


@dataclass(frozen=True)
class _CallPlan:
    """What every request of a profile needs, worked out once per profile load (the warm path
    then never walks preset tables or builds timeout objects)."""

    header: str
    scheme: str
    response_token_header: str  # where a replacement token may arrive
    sliding: bool  # the preset names that header explicitly
    timeout_seconds: float
    verify_tls: bool
    timeout: Any  # httpx.Timeout, built on first use (httpx is imported lazily)

    @classmethod
    def for_profile(
        cls, profile: Profile, default_timeout: float, default_verify_tls: bool = True
    ) -> _CallPlan:
        token_section = profile.preset.section("token") or {}
        sliding = token_section.get("sliding_header")
        scheme = token_section.get("scheme")
        seconds = _setting_float(profile, "timeout") or default_timeout
        return cls(
            header=str(token_section.get("header") or "Authorization"),
            scheme=str(scheme) if scheme is not None else "Bearer",
            response_token_header=str(sliding) if sliding else "Authorization",
            sliding=bool(sliding),
            timeout_seconds=seconds,
            verify_tls=profile.settings.get("verify_tls", default_verify_tls) is not False,
            timeout=None,
        )


@dataclass(frozen=True)
class _Stored:
    access: str | None = field(repr=False)
    refresh: str | None = field(repr=False)
    state: TokenState


class _VaultSecrets:
    """`SecretSource` for templates: overrides first (tokens read under the lock), then the vault."""

    def __init__(self, vault: Vault, profile: str, overrides: Mapping[str, str | None]) -> None:
        self._vault = vault
        self._profile = profile
        self._values: dict[str, str | None] = dict(overrides)

    def get(self, name: str) -> str | None:
        if name not in self._values:
            self._values[name] = self._vault.load(self._profile, name)
        return self._values[name]

    def known_values(self) -> list[str]:
        return [v for v in self._values.values() if v]


def _jwt_times(token: str | None) -> tuple[float | None, float | None]:
    """(exp, iat) of a JWT, or (None, None) for anything we cannot read (opaque tokens)."""
    if not token or token.count(".") != 2:
        return None, None
    from workbench.core.jwtinspect import decode_unverified

    try:
        _header, payload = decode_unverified(token)
    except WorkbenchError:
        return None, None

    def num(key: str) -> float | None:
        value = payload.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    return num("exp"), num("iat")


def _profile_key(profile: Profile) -> str:
    return profile_identity(profile.preset_name, profile.base_url, profile.vars)


def _setting_float(profile: Profile, key: str) -> float | None:
    value = profile.settings.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class _HistoryWriter:
    """Appends history entries on a background thread, so a call never waits for the file.

    History is a convenience log; keeping its file lock and append off the request path
    is what makes a warm `call` cost what a bare HTTP request costs. `flush` waits until
    everything queued so far is written; `close` flushes and stops the thread.
    """

    _STOP = object()

    def __init__(self, history: Callable[[], History]) -> None:
        self._history = history
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._mu = threading.Lock()

    def put(self, entry: dict[str, Any]) -> None:
        if self._thread is None:
            with self._mu:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="workbench-history", daemon=True)
                    self._thread.start()
        self._queue.put(entry)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                self._history().record(**cast("dict[str, Any]", item))
            except Exception:  # history is a convenience; never let it take anything down
                log.exception("could not record history")

    def flush(self, timeout: float = 5.0) -> bool:
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        thread = self._thread
        if thread is None:
            return
        self._queue.put(self._STOP)
        thread.join(timeout)


def _is_refusal(exc: BaseException) -> bool:
    """The provider refused the credentials (OAuth says 400 invalid_grant; others 401/403)."""
    return isinstance(exc, ProviderAuthError) or (
        isinstance(exc, ProviderError) and exc.status in (400, 401, 403)
    )


def _generic_header_token(raw: str | None, current: str) -> str | None:
    if not raw:
        return None
    value = raw.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value or value == current:
        return None
    from workbench.core.jwtinspect import looks_like_jwt

    return value if looks_like_jwt(value) else None


# --------------------------------------------------------------------------------------------
# The engine


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
        from workbench.core import paths

        self.clock = clock
        self.policy = RefreshAhead(default_lead=default_lead)
        self.retry = retry or RetryPolicy()
        self._profiles = profiles
        self._vault = vault
        self._transport = transport
        self._lock_dir = lock_dir if lock_dir is not None else paths.locks_dir()
        self._states = StateStore(state_dir if state_dir is not None else paths.state_dir())
        self._timeout = timeout
        self._verify_tls = True
        self._lock_timeout = lock_timeout
        self._sleep = sleep
        self._history = history
        self._history_writer = _HistoryWriter(self._get_history)

        self._mu = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._profile_cache: dict[str, tuple[float, Profile, _CallPlan]] = {}
        self._last_date: tuple[str | None, int] | None = None
        self._timeouts: dict[float, Any] = {}
        self._thread_locks: dict[str, threading.Lock] = {}
        # Rotated refresh tokens the vault refused, with the access token obtained alongside;
        # both stay here (never handed out) until the refresh token is safely stored.
        self._pending: dict[str, tuple[str, str, TokenState]] = {}
        self._subscribers: list[Callable[[EngineEvent], None]] = []
        self._clients: dict[bool, httpx.Client] = {}
        self._renderer: TemplateRenderer | None = None
        wait = lock_timeout + timeout * (self.retry.attempts + 1) + 30.0
        self._flights: SingleFlight[TokenResult] = SingleFlight(wait_timeout=wait)
        self._closed = False

    # ---------------------------------------------------------------- events

    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        with self._mu:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._mu:
                try:
                    self._subscribers.remove(callback)
                except ValueError:
                    pass

        return unsubscribe

    def _emit(self, kind: EventKind, profile: str, message: str = "") -> None:
        event = EngineEvent(kind=kind, profile=profile, message=redact(message))
        with self._mu:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not break token handling
                log.exception("engine event subscriber failed on %s", kind)

    # ---------------------------------------------------------------- policy

    def refresh_lead(self, lifetime: float | None, profile: str | None = None) -> float:
        override = None
        if profile is not None:
            override = _setting_float(self._profile(profile), "refresh_lead")
        return self.policy.lead(lifetime, override)

    # ---------------------------------------------------------------- tokens

    def get_token(self, profile: str, *, force: Force | None = None) -> TokenResult:
        if force is None:
            entry = self._entries.get(profile)
            if entry is not None and entry.fresh(self.clock.now()) and profile not in self._pending:
                return entry.result
        elif force not in ("refresh", "mint"):
            raise InputError(f"unknown force mode {force!r} (use 'refresh' or 'mint')")
        return self._flights.do(
            (profile, force),
            lambda: self._obtain_serialized(profile, force, None),
            describe=f"the token request of profile '{profile}'",
        )

    def cached(self, profile: str) -> TokenResult | None:
        """What is stored now (no network, no lock wait); `obtained_by` says how it was obtained."""
        entry = self._entries.get(profile)
        if entry is not None:
            return replace(entry.result, obtained_by=entry.state.obtained_by)
        try:
            prof = self._profile(profile)
            stored = self._read_stored(prof)
        except WorkbenchError:
            return None
        if not stored.access:
            return None
        entry = self._remember(prof, stored.access, stored.state)
        return replace(entry.result, obtained_by=entry.state.obtained_by)

    def forget(self, profile: str) -> None:
        prof = self._profile(profile, reload=True)
        with self._profile_locks(profile):
            with self._mu:
                self._entries.pop(profile, None)
                self._pending.pop(profile, None)
            self._states.delete(profile)
            # For paste-in presets the pasted pair *is* the credential: keep it.
            inputs = self._pasted_names(prof)
            for name in (ACCESS_TOKEN, REFRESH_TOKEN):
                if name not in inputs:
                    self._vault.delete(profile, name)
        self._emit("cleared", profile)
        self._emit("changed", profile)

    # -------------------------------------------------- obtaining (slow path)

    def _obtain_serialized(self, name: str, force: Force | None, rejected: str | None) -> TokenResult:
        """Leader of a flight: take the profile's thread + file lock, then decide."""
        try:
            profile = self._profile(name, reload=True)
            with self._profile_locks(name):
                return self._obtain(profile, force, rejected)
        except WorkbenchError as exc:
            self._emit("failed", name, user_message(exc))
            raise

    @contextmanager
    def _profile_locks(self, name: str) -> Iterator[None]:
        with self._mu:
            tlock = self._thread_locks.setdefault(name, threading.Lock())
        if not tlock.acquire(timeout=self._lock_timeout):
            raise LockTimeoutError(
                f"another request for profile '{name}' has been obtaining a token for over "
                f"{self._lock_timeout:.0f} s; try again"
            )
        try:
            import filelock

            self._lock_dir.mkdir(parents=True, exist_ok=True)
            path = self._lock_dir / f"{name}.lock"
            flock = filelock.FileLock(str(path), timeout=self._lock_timeout, thread_local=False)
            try:
                flock.acquire()
            except IsADirectoryError:
                raise LockTimeoutError(
                    f"the token lock of profile '{name}' ({path}) is a folder, not a file; remove it"
                ) from None
            except filelock.Timeout:
                raise LockTimeoutError(
                    f"another workbench process has held the token lock of profile '{name}' for over "
                    f"{self._lock_timeout:.0f} s ({path}); try again, or delete that file if no "
                    "workbench is running"
                ) from None
            try:
                yield
            finally:
                flock.release()
        finally:
            tlock.release()

    def _obtain(self, profile: Profile, force: Force | None, rejected: str | None) -> TokenResult:
        name = profile.name
        flushed = self._flush_pending(profile)
        if flushed is not None and force is None:
            return flushed
        stored = self._read_stored(profile)
        now = self.clock.now()
        if force is None and stored.access and stored.access != rejected:
            entry = self._remember(profile, stored.access, stored.state)
            if entry.fresh(now):
                return entry.result
            if stored.state.expires_at is not None and now < stored.state.expires_at:
                self._emit(
                    "expiring", name, f"token of '{name}' expires at {_iso_z(stored.state.expires_at)}"
                )
        return self._renew(profile, stored, force, rejected)

    def _renew(
        self, profile: Profile, stored: _Stored, force: Force | None, rejected: str | None
    ) -> TokenResult:
        name = profile.name
        preset = profile.preset
        can_mint, can_refresh = preset.can_mint(), preset.can_refresh()
        now = self.clock.now()

        if force == "mint":
            if not can_mint:
                alt = f"; use `workbench token {name} --refresh`" if can_refresh else ""
                raise TokenUnavailableError(
                    f"profile '{name}' cannot mint: preset '{preset.name}' has no [mint] request{alt}"
                )
            return self._run_step(profile, stored, "mint")
        if force == "refresh" and can_mint and not (can_refresh and stored.refresh):
            # "A fresh token now" on a mint-only provider (token-of-trust: "mint again") or before
            # the first mint: minting is how this provider renews; `obtained_by` says "mint".
            return self._run_step(profile, stored, "mint")
        if force == "refresh":
            if not can_refresh:
                alt = f"; use `workbench token {name} --mint`" if can_mint else ""
                raise TokenUnavailableError(
                    f"profile '{name}' cannot refresh: preset '{preset.name}' has no [refresh] request{alt}"
                )
            if not stored.refresh:
                raise TokenUnavailableError(
                    f"profile '{name}' has no refresh token stored",
                    hint=self._paste_hint(profile)
                    if not can_mint
                    else f"mint one with `workbench token {name} --mint`",
                )
            return self._run_step(profile, stored, "refresh")

        still_valid = (
            stored.access is not None
            and stored.access != rejected
            and (stored.state.expires_at is None or now < stored.state.expires_at)
        )
        rt_expires = stored.state.refresh_token_expires_at
        refresh_expired = rt_expires is not None and now >= rt_expires
        try:
            if can_refresh and stored.refresh and not refresh_expired:
                try:
                    return self._run_step(profile, stored, "refresh")
                except ProviderError as exc:
                    if not _is_refusal(exc):
                        raise
                    if not can_mint:
                        exc.hint = self._paste_hint(profile)
                        raise
                    self._emit("failed", name, f"{user_message(exc)}; minting a new token instead")
                return self._run_step(profile, stored, "mint")
            if can_mint:
                return self._run_step(profile, stored, "mint")
        except (NetworkError, ProviderError) as exc:
            if still_valid and not _is_refusal(exc) and stored.access:
                # Refresh-ahead failed but the current token has not expired: keep serving it.
                self._emit("failed", name, f"{user_message(exc)}; still using the current token")
                return self._remember(profile, stored.access, stored.state, renew_now=True).result
            raise

        # No way to obtain a token.
        if stored.access and stored.access != rejected and stored.state.expires_at is None:
            return self._remember(profile, stored.access, stored.state).result
        if not stored.access:
            what = "has no access token stored"
        elif stored.access == rejected:
            what = "has an access token the provider refused"
        else:
            when = stored.state.expires_at
            what = (
                f"has an access token that expired at {_iso_z(when)}"
                if when is not None
                else "has no valid token"
            )
        if can_refresh and refresh_expired and rt_expires is not None:
            how = f"its refresh token expired at {_iso_z(rt_expires)}"
        elif can_refresh:
            how = "no refresh token to renew it"
        else:
            how = f"preset '{preset.name}' can neither mint nor refresh"
        raise TokenUnavailableError(f"profile '{name}' {what} and {how}", hint=self._paste_hint(profile))

    @staticmethod
    def _paste_hint(profile: Profile) -> str:
        secrets = (
            " ".join(f"--secret {i.name}=…" for i in profile.preset.inputs if i.kind == "secret")
            or "--secret access_token=…"
        )
        return (
            f"obtain a new token from the provider and store it with "
            f"`workbench profile add {profile.name} --preset {profile.preset_name} --base-url … {secrets}`"
        )

    def _run_step(self, profile: Profile, stored: _Stored, step: Literal["mint", "refresh"]) -> TokenResult:
        secrets = _VaultSecrets(
            self._vault, profile.name, {ACCESS_TOKEN: stored.access, REFRESH_TOKEN: stored.refresh}
        )
        if step == "refresh" and stored.refresh and self._rotates(profile):
            self._check_vault_writable(profile, stored.refresh)
        answer = self._token_request(profile, step, secrets)
        return self._store_answer(profile, stored, step, answer)

    @staticmethod
    def _rotates(profile: Profile) -> bool:
        return bool((profile.preset.section("token") or {}).get("rotates_refresh_token"))

    def _check_vault_writable(self, profile: Profile, refresh_token: str) -> None:
        """Before a refresh that rotates the refresh token, prove the keychain takes writes (by
        writing the current one back): once the provider has rotated it, a new refresh token we
        cannot store dies with this process and the old one is already refused."""
        if profile.name in self._pending:
            return  # a rotated token is already waiting in memory for the keychain; keep that path
        try:
            self._vault.store(profile.name, REFRESH_TOKEN, refresh_token)
        except VaultError as exc:
            raise VaultError(
                f"not refreshing '{profile.name}': the keychain refuses writes ({user_message(exc)}), and "
                "the provider would rotate the refresh token into one that could not be saved",
                hint="fix or unlock the keychain, then try again",
            ) from None

    def _token_request(
        self, profile: Profile, step: Literal["mint", "refresh"], secrets: _VaultSecrets
    ) -> TokenAnswer:
        from workbench.core import flows

        section = profile.preset.section(step) or {}
        skew_retry = bool(section.get("retry_on_clock_skew"))
        attempt = 0
        skew_retried = False
        label = f"{profile.preset.name} {step}"
        while True:
            attempt += 1
            spec = flows.build_request(profile, step, secrets=secrets, renderer=self._template_renderer())
            offset_before = self.clock.offset
            try:
                response = self._send(
                    profile, spec.method, spec.url, list(spec.headers), spec.content, None, label
                )
            except NetworkError as exc:
                if attempt < self.retry.attempts:
                    self._backoff(profile.name, attempt, None, user_message(exc))
                    continue
                raise type(exc)(f"{exc} (after {attempt} attempts)", hint=exc.hint) from None
            status = response.status_code
            if 200 <= status < 300:
                return flows.parse_token_response(
                    profile,
                    step,
                    status=status,
                    headers=response.headers,
                    body=response.content,
                    now=self.clock.now(),
                    secrets=secrets.known_values(),
                )
            if self.retry.is_retryable_status(status) and attempt < self.retry.attempts:
                retry_after = parse_retry_after(response.headers.get("retry-after"), now=self.clock.now())
                self._backoff(profile.name, attempt, retry_after, f"{label} answered {status}")
                continue
            if (
                skew_retry
                and not skew_retried
                and status in (400, 401)
                and self.clock.offset != offset_before
                and flows.is_clock_skew_answer(status, response.content)
            ):
                # The signed timestamp was off; the Date header has taught us the server's time.
                skew_retried = True
                attempt -= 1
                log.info("%s: clock offset now %+.0f s; retrying once", label, self.clock.offset)
                continue
            error = flows.provider_error(
                profile,
                status=status,
                headers=response.headers,
                body=response.content,
                step=step,
                secrets=secrets.known_values(),
            )
            if attempt > 1 and self.retry.is_retryable_status(status):
                error.args = (f"{error.args[0]} (after {attempt} attempts)",)
            raise error

    def _backoff(self, profile: str, attempt: int, retry_after: float | None, why: str) -> None:
        delay = self.retry.delay(attempt, retry_after)
        log.info("%s; retrying in %.2f s (attempt %d of %d)", why, delay, attempt + 1, self.retry.attempts)
        self._sleep(delay)

    def _store_answer(
        self, profile: Profile, stored: _Stored, step: Literal["mint", "refresh"], answer: TokenAnswer
    ) -> TokenResult:
        name = profile.name
        now = self.clock.now()
        jwt_exp, jwt_iat = _jwt_times(answer.access_token)
        expires_at = answer.expires_at if answer.expires_at is not None else jwt_exp
        issued_at = (
            answer.issued_at if answer.issued_at is not None else (jwt_iat if jwt_iat is not None else now)
        )
        lifetime = answer.lifetime
        if lifetime is None and expires_at is not None and issued_at is not None:
            lifetime = max(0.0, expires_at - issued_at)

        old = stored.state
        new_refresh = answer.refresh_token
        rotated = bool(new_refresh) and new_refresh != stored.refresh
        refresh_fp = old.refresh_fingerprint if stored.refresh else None
        refresh_exp = old.refresh_token_expires_at if stored.refresh else None
        if rotated and new_refresh:
            refresh_fp = fingerprint(new_refresh)
            refresh_exp = answer.refresh_token_expires_at
            if refresh_exp is None:
                refresh_exp = self._refresh_token_expiry(profile, new_refresh, now)
        state = TokenState(
            access_fingerprint=fingerprint(answer.access_token),
            expires_at=expires_at,
            issued_at=issued_at,
            lifetime=lifetime,
            token_type=answer.token_type or "Bearer",
            obtained_by=step,
            refresh_fingerprint=refresh_fp,
            refresh_token_expires_at=refresh_exp,
            updated_at=now,
        )
        if rotated and new_refresh:
            try:
                self._vault.store(name, REFRESH_TOKEN, new_refresh)
            except Exception as exc:
                with self._mu:
                    self._pending[name] = (new_refresh, answer.access_token, state)
                raise self._pending_error(name, exc) from None
        result = self._commit(profile, answer.access_token, state)
        self._emit("minted" if step == "mint" else "refreshed", name)
        return result

    def _refresh_token_expiry(self, profile: Profile, refresh_token: str, now: float) -> float | None:
        token_section = profile.preset.section("token") or {}
        lifetime = token_section.get("refresh_token_lifetime")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0:
            return now + float(lifetime)
        exp, _iat = _jwt_times(refresh_token)
        return exp

    @staticmethod
    def _pending_error(name: str, exc: BaseException) -> VaultError:
        return VaultError(
            f"could not save the new refresh token of profile '{name}' to the keychain "
            f"({user_message(exc)}); it is kept in memory and saving is retried on the next request"
        )

    def _flush_pending(self, profile: Profile) -> TokenResult | None:
        """Retry storing a rotated refresh token the vault refused earlier, then its access token."""
        name = profile.name
        with self._mu:
            pending = self._pending.get(name)
        if pending is None:
            return None
        refresh, access, state = pending
        try:
            self._vault.store(name, REFRESH_TOKEN, refresh)
        except Exception as exc:
            raise self._pending_error(name, exc) from None
        with self._mu:
            self._pending.pop(name, None)
        result = self._commit(profile, access, state)
        self._emit("minted" if state.obtained_by == "mint" else "refreshed", name)
        return result

    def _commit(self, profile: Profile, access: str, state: TokenState) -> TokenResult:
        """Store an access token (vault) and its metadata (state file), and remember it."""
        name = profile.name
        state = state.with_(profile_key=_profile_key(profile))
        try:
            self._vault.store(name, ACCESS_TOKEN, access)
        except Exception as exc:
            # Not fatal: the token works from memory; another process will obtain its own.
            self._emit(
                "failed",
                name,
                f"could not save the access token of '{name}' to the keychain "
                f"({user_message(exc)}); it is kept in memory only",
            )
        try:
            self._states.save(name, state)
        except OSError as exc:
            self._emit("failed", name, f"could not write token metadata of '{name}': {user_message(exc)}")
        entry = self._remember(profile, access, state)
        self._emit("changed", name)
        return replace(entry.result, obtained_by=state.obtained_by)

    def _remember(
        self, profile: Profile, access: str, state: TokenState, *, renew_now: bool = False
    ) -> _Entry:
        override = _setting_float(profile, "refresh_lead")
        renew_at = self.policy.renew_at(state.expires_at, state.lifetime, override)
        if renew_now:
            # Served while renewal is failing: do not pin it in the warm path, ask again next time.
            renew_at = self.clock.now()
        result = TokenResult(
            profile=profile.name,
            access_token=access,
            token_type=state.token_type,
            expires_at=state.expires_at,
            issued_at=state.issued_at,
            lifetime=state.lifetime,
            # A stored token is "cache", except one that slid in through a response header: no
            # provider call made it, so saying where it came from is more useful than "cache".
            obtained_by="response-header" if state.obtained_by == "response-header" else "cache",
            refresh_token_expires_at=state.refresh_token_expires_at,
        )
        entry = _Entry(access_token=access, state=state, renew_at=renew_at, result=result)
        with self._mu:
            self._entries[profile.name] = entry
        return entry

    @staticmethod
    def _pasted_names(profile: Profile) -> set[str]:
        """Secrets the user provides (a paste-in preset's token pair among them), not obtained ones."""
        return set(profile.secret_names) | {i.name for i in profile.preset.inputs if i.kind == "secret"}

    def _read_stored(self, profile: Profile) -> _Stored:
        """The tokens in the vault and what the state file says about them (checked by fingerprint)."""
        name = profile.name
        known = self._states.load(name)
        if known is not None and known.profile_key not in (None, _profile_key(profile)):
            known = None  # written for another profile of this name (other base URL, preset or settings)
        # The vault is keyed by profile name only. Without a state file saying this profile obtained
        # them, tokens the profile did not provide itself (a pasted pair is an input) were left by a
        # same-named profile of another WORKBENCH_HOME or an earlier one: never serve or send them.
        pasted = self._pasted_names(profile)
        trusted = known is not None
        access = self._vault.load(name, ACCESS_TOKEN) if trusted or ACCESS_TOKEN in pasted else None
        refresh = self._vault.load(name, REFRESH_TOKEN) if trusted or REFRESH_TOKEN in pasted else None
        state = known or TokenState()
        if access and state.access_fingerprint != fingerprint(access):
            # Pasted by the user, or written by a process that died before its metadata: read the JWT.
            exp, iat = _jwt_times(access)
            lifetime = exp - iat if exp is not None and iat is not None else None
            state = state.with_(
                access_fingerprint=fingerprint(access),
                expires_at=exp,
                issued_at=iat,
                lifetime=lifetime,
                token_type="Bearer",  # noqa: S106 - a token type, not a secret
                obtained_by="cache",
            )
        if refresh and state.refresh_fingerprint != fingerprint(refresh):
            exp, _iat = _jwt_times(refresh)
            state = state.with_(refresh_fingerprint=fingerprint(refresh), refresh_token_expires_at=exp)
        if not refresh and state.refresh_fingerprint is not None:
            state = state.with_(refresh_fingerprint=None, refresh_token_expires_at=None)
        return _Stored(access=access, refresh=refresh, state=state)

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
    ) -> CallResult:
        from workbench.core import flows

        prof, plan = self._profile_and_plan(profile)
        method = method.upper()
        url = flows.resolve_url(prof, url_or_path)
        send_headers: list[tuple[str, str]] = list((headers or {}).items())
        if json_body is not None:
            if content is not None:
                raise InputError("give either a JSON body or raw content, not both")
            content = json.dumps(json_body).encode()
            if not any(k.lower() == "content-type" for k, _ in send_headers):
                send_headers.append(("Content-Type", "application/json"))
        started = time.perf_counter()
        retried = False
        replaced = False
        try:
            token = self.get_token(profile)
            response = self._send_api(
                prof, plan, method, url, send_headers, content, timeout, token.access_token
            )
            if response.status_code == 401:
                token = self._renew_after_rejection(profile, token.access_token)
                retried = True
                response = self._send_api(
                    prof, plan, method, url, send_headers, content, timeout, token.access_token
                )
            if response.status_code < 400 and plan.response_token_header in response.headers:
                replaced = self._adopt_response_token(prof, plan, response.headers, token.access_token)
        except WorkbenchError as exc:
            self._record(profile, method, url, None, time.perf_counter() - started, user_message(exc))
            raise
        elapsed = time.perf_counter() - started
        self._record(profile, method, url, response.status_code, elapsed, None)
        return CallResult(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=list(response.headers.multi_items()),
            body=response.content,
            elapsed=elapsed,
            url=url,
            method=method,
            token_replaced=replaced,
            retried=retried,
        )

    def describe_failure(self, profile: str, result: CallResult) -> ProviderError:
        """A user-facing error for a non-2xx `CallResult` (status and the provider's own message)."""
        import httpx

        from workbench.core import flows

        return flows.provider_error(
            self._profile(profile),
            status=result.status,
            headers=httpx.Headers(result.headers),
            body=result.body,
            step="call",
        )

    def _renew_after_rejection(self, profile: str, rejected: str) -> TokenResult:
        """The API refused `rejected`: obtain a fresh token once (all callers that saw it share one)."""
        with self._mu:
            entry = self._entries.get(profile)
            if entry is not None and entry.access_token == rejected:
                del self._entries[profile]
        return self._flights.do(
            (profile, "rejected", fingerprint(rejected)),
            lambda: self._obtain_serialized(profile, None, rejected),
            describe=f"the token request of profile '{profile}'",
        )

    def _send_api(
        self,
        profile: Profile,
        plan: _CallPlan,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
        timeout: float | None,
        token: str,
    ) -> httpx.Response:
        from workbench.core.http import BearerAuth

        auth = BearerAuth(lambda: token, header=plan.header, scheme=plan.scheme)
        return self._send(
            profile, method, url, headers, content, timeout, f"{profile.name} call", auth=auth, plan=plan
        )

    def _adopt_response_token(
        self, profile: Profile, plan: _CallPlan, headers: httpx.Headers, current: str
    ) -> bool:
        """A token in the response's `Authorization` (sliding) header replaces the stored one.

        The preset's `[token] sliding_header` names the header; for other presets an
        `Authorization` response header counts too when it holds a JWT other than ours
        (DESIGN: "a token arriving in a response Authorization header replaces the stored one").
        """
        from workbench.core import flows

        if plan.sliding:
            candidate = flows.token_from_header(profile, headers, current=current)
        else:
            candidate = _generic_header_token(headers.get("authorization"), current)
        if not candidate or candidate == current:
            return False
        exp, iat = _jwt_times(candidate)
        name = profile.name
        with self._profile_locks(name):
            entry = self._entries.get(name)
            if entry is not None and entry.access_token == candidate:
                return False
            if (
                entry is not None
                and exp is not None
                and entry.state.expires_at is not None
                and exp + _SAME_SECOND < entry.state.expires_at
            ):
                return False  # an older token from a slower concurrent response: keep the newer one
            now = self.clock.now()
            base = entry.state if entry is not None else (self._states.load(name) or TokenState())
            state = base.with_(
                access_fingerprint=fingerprint(candidate),
                expires_at=exp,
                issued_at=iat if iat is not None else now,
                lifetime=(exp - iat) if exp is not None and iat is not None else None,
                token_type=base.token_type,
                obtained_by="response-header",
                updated_at=now,
            )
            self._commit(profile, candidate, state)
        return True

    def verify_remote(self, profile: str) -> dict[str, Any]:
        from workbench.core import flows

        prof = self._profile(profile)
        if not prof.preset.can_verify():
            raise ProviderError(
                f"preset '{prof.preset.name}' has no [verify] request, so profile '{profile}' cannot be "
                "checked with the provider (decode the token locally instead)"
            )
        token = self.get_token(profile)
        secrets = _VaultSecrets(self._vault, profile, {ACCESS_TOKEN: token.access_token})
        spec = flows.build_request(
            prof,
            "verify",
            secrets=secrets,
            renderer=self._template_renderer(),
            access_token=token.access_token,
        )
        label = f"{prof.preset.name} verify"
        response = self._send(prof, spec.method, spec.url, list(spec.headers), spec.content, None, label)
        if not 200 <= response.status_code < 300:
            raise flows.provider_error(
                prof,
                status=response.status_code,
                headers=response.headers,
                body=response.content,
                step="verify",
            )
        try:
            data = response.json()
        except ValueError:
            return {"status": response.status_code, "body": redact(response.text[:500])}
        return data if isinstance(data, dict) else {"status": response.status_code, "body": data}

    def provider_can_verify(self, profile: str) -> bool:
        """The preset has a [verify] request (token-of-trust's GET on the token path)."""
        return self._profile(profile).preset.can_verify()

    def can_verify_locally(self, profile: str) -> bool:
        """The preset names a key to check its tokens with: a JWKS URL or a shared HMAC secret."""
        return self._profile(profile).preset.can_verify_locally()

    def verify_local(self, profile: str) -> Inspection:
        """Decode the current token and check its signature the way the preset allows: the
        provider's JWKS (fetched, `[token].jwks_url`) or a secret from the vault (`verify_secret`).
        Without either the inspection has `signature_valid=None`."""
        from workbench.core import flows, jwtinspect

        prof, plan = self._profile_and_plan(profile)
        token = self.get_token(profile)
        token_section = prof.preset.section("token") or {}
        key: jwtinspect.VerificationKey | None = None
        if token_section.get("jwks_url"):
            secrets = _VaultSecrets(self._vault, profile, {ACCESS_TOKEN: token.access_token})
            url = self._template_renderer().render(
                str(token_section["jwks_url"]),
                flows.template_context(prof, secrets=secrets, access_token=token.access_token),
                field="token.jwks_url",
                where=f"{prof.preset.name} token",
            )
            key = jwtinspect.fetch_jwks(url, timeout=plan.timeout_seconds, verify_tls=plan.verify_tls)
        elif token_section.get("verify_secret"):
            secret_name = str(token_section["verify_secret"])
            secret = self._vault.load(profile, secret_name)
            if not secret:
                raise TokenUnavailableError(
                    f"profile '{profile}' has no '{secret_name}' stored to verify its tokens with"
                )
            key = jwtinspect.VerificationKey.from_secret(secret)
        return jwtinspect.inspect_token(token.access_token, key=key, now=self.clock.now())

    # ---------------------------------------------------------------- plumbing

    def _send(
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
        plan: _CallPlan | None = None,
    ) -> httpx.Response:
        import httpx

        if plan is None:
            plan = _CallPlan.for_profile(profile, self._timeout, self._verify_tls)
        seconds = timeout if timeout is not None else plan.timeout_seconds
        client = self._client(plan.verify_tls)
        try:
            response = client.request(
                method,
                url,
                headers=headers,
                content=content,
                timeout=self._timeout_for(seconds),
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            from workbench.core.http import network_error

            raise network_error(exc, url=url, what=redact(label), timeout=seconds) from None
        date = response.headers.get("date")
        stamp = (date, int(self.clock.local_time()))
        if stamp != self._last_date:
            # A Date header has one-second resolution: within one local second, parse each value once.
            self._last_date = stamp
            self.clock.learn_from_date_header(date)
        return response

    def _timeout_for(self, seconds: float) -> Any:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            import httpx

            timeout = httpx.Timeout(seconds, connect=min(DEFAULT_CONNECT_TIMEOUT, seconds))
            self._timeouts[seconds] = timeout
        return timeout

    def _client(self, verify_tls: bool) -> httpx.Client:
        client = self._clients.get(verify_tls)
        if client is None:
            from workbench.core.http import make_client

            with self._mu:
                client = self._clients.get(verify_tls)
                if client is None:
                    client = make_client(
                        timeout=self._timeout, verify_tls=verify_tls, transport=self._transport
                    )
                    self._clients[verify_tls] = client
        return client

    def _template_renderer(self) -> TemplateRenderer:
        if self._renderer is None:
            from workbench.core.templating import TemplateRenderer

            self._renderer = TemplateRenderer(clock=self.clock)
        return self._renderer

    def configure(
        self, *, default_lead: float | None = None, timeout: float | None = None, verify_tls: bool = True
    ) -> None:
        """Apply a front end's preferences (the GUI's settings dialog) to every profile that does
        not set its own: refresh lead (None: the smaller of 60 s and 10 % of the lifetime), request
        timeout and TLS verification. Cached plans and renewal times are recomputed on next use."""
        with self._mu:
            self.policy = replace(self.policy, default_lead=default_lead)
            if timeout is not None:
                self._timeout = timeout
            self._verify_tls = verify_tls
            self._profile_cache.clear()
            self._entries.clear()

    def _profile(self, name: str, *, reload: bool = False) -> Profile:
        return self._profile_and_plan(name, reload=reload)[0]

    def _profile_and_plan(self, name: str, *, reload: bool = False) -> tuple[Profile, _CallPlan]:
        now = time.monotonic()
        cached = self._profile_cache.get(name)
        if cached is not None and not reload and now - cached[0] < PROFILE_CACHE_SECONDS:
            return cached[1], cached[2]
        profile = self._profiles.get(name)
        plan = _CallPlan.for_profile(profile, self._timeout, self._verify_tls)
        with self._mu:
            self._profile_cache[name] = (now, profile, plan)
        return profile, plan

    def _record(
        self, profile: str, method: str, url: str, status: int | None, elapsed: float, error: str | None
    ) -> None:
        self._history_writer.put(
            {
                "profile": profile,
                "method": method,
                "url": redact(url),
                "status": status,
                "elapsed": elapsed,
                "error": error,
            }
        )

    def _get_history(self) -> History:
        if self._history is None:
            from workbench.core.history import History

            self._history = History()
        return self._history

    def flush_history(self, timeout: float = 5.0) -> bool:
        """Wait until every call so far is in the history file (it is written in the background)."""
        return self._history_writer.flush(timeout)

    def close(self) -> None:
        with self._mu:
            clients = list(self._clients.values())
            self._clients.clear()
            self._closed = True
        self._history_writer.close()
        for client in clients:
            client.close()


__all__ = [
    "CallResult",
    "EngineEvent",
    "LockTimeoutError",
    "TokenEngine",
    "TokenResult",
    "TokenUnavailableError",
]
