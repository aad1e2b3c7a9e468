"""Tokens: obtain (mint / refresh), renew ahead of expiry, store (vault + state file), serve warm.

The token half of the engine (`workbench.core.engine.TokenEngine` is the one object callers
use; its docstring states the guarantees). Per profile: one flight at a time across threads
(`SingleFlight` + a thread lock) and processes (a file lock under `$WORKBENCH_HOME/locks`);
inside the lock the stored state is read again, so a token another process obtained
meanwhile is used as is. A rotated refresh token is written to the vault before the new
access token is handed to anyone.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from workbench.core.engine_policy import parse_retry_after
from workbench.core.engine_state import StateStore, TokenState, profile_identity
from workbench.core.engine_types import (
    Events,
    Force,
    LockTimeoutError,
    TokenResult,
    TokenUnavailableError,
    iso_z,
)
from workbench.core.engine_wire import EngineConfig, Wire, setting_float
from workbench.core.errors import (
    InputError,
    NetworkError,
    NetworkTLSError,
    ProviderAuthError,
    ProviderError,
    VaultDamagedError,
    VaultError,
    WorkbenchError,
    user_message,
)
from workbench.core.jwtclaims import JwtClaims, jwt_times, read_jwt
from workbench.core.redact import fingerprint
from workbench.core.singleflight import SingleFlight
from workbench.core.templating import VaultSecretSource

if TYPE_CHECKING:
    from workbench.core.clock import Clock
    from workbench.core.flows import TokenAnswer
    from workbench.core.profiles import Profile
    from workbench.core.vault import Vault

log = logging.getLogger(__name__)

ACCESS_TOKEN = "access_token"  # noqa: S105 - a vault entry name, not a value
REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a vault entry name, not a value

# JWT times are whole seconds while stated lifetimes are added to a fractional "now":
# expiries this close count as equal when deciding which of two tokens is newer.
_SAME_SECOND = 2.0


@dataclass(frozen=True)
class _Entry:
    """A token held in memory, with the server time from which it must be renewed."""

    access_token: str = field(repr=False)
    state: TokenState
    renew_at: float | None
    result: TokenResult  # prebuilt "cache" result: the warm path allocates nothing
    planned_renewal: float | None = None  # renew_at as the policy sets it (renew_at may be "now")
    seq: int = 0  # order of what the engine held for this profile (see EngineEvent.seq)

    def fresh(self, now: float) -> bool:
        return self.renew_at is None or now < self.renew_at


@dataclass(frozen=True)
class _Stored:
    access: str | None = field(repr=False)
    refresh: str | None = field(repr=False)
    state: TokenState


def _profile_key(profile: Profile) -> str:
    return profile_identity(profile.preset_name, profile.base_url, profile.vars)


def _is_refusal(exc: BaseException) -> bool:
    """The provider refused the credentials (OAuth says 400 invalid_grant; others 401/403)."""
    return isinstance(exc, ProviderAuthError) or (
        isinstance(exc, ProviderError) and exc.status in (400, 401, 403)
    )


class Tokens:
    """Hands out valid access tokens per profile (thread-safe; the engine owns one)."""

    def __init__(
        self,
        *,
        wire: Wire,
        vault: Vault,
        clock: Clock,
        config: EngineConfig,
        events: Events,
        lock_dir: Path,
        state_dir: Path,
    ) -> None:
        self.clock = clock
        self.config = config
        self._wire = wire
        self._vault = vault
        self._events = events
        self._lock_dir = lock_dir
        self._states = StateStore(state_dir)
        self._mu = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._seq = itertools.count(1)
        self._thread_locks: dict[str, threading.Lock] = {}
        # Rotated refresh tokens the vault refused, with the access token obtained alongside;
        # both stay here (never handed out) until the refresh token is safely stored.
        self._pending: dict[str, tuple[str, str, TokenState]] = {}
        wait = config.lock_timeout + config.timeout * (config.retry.attempts + 1) + 30.0
        self._flights: SingleFlight[TokenResult] = SingleFlight(wait_timeout=wait)

    def forget_entries(self) -> None:
        """Drop every token held in memory (settings changed): renewal times are recomputed."""
        with self._mu:
            self._entries.clear()

    # ---------------------------------------------------------------- policy

    def refresh_lead(self, lifetime: float | None, profile: str | None = None) -> float:
        override = None
        if profile is not None:
            override = setting_float(self._wire.profile(profile), "refresh_lead")
        return self.config.policy.lead(lifetime, override)

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
            prof = self._wire.profile(profile)
            stored = self._read_stored(prof)
        except WorkbenchError:
            return None
        if not stored.access:
            return None
        entry = self._remember(prof, stored.access, stored.state)
        return replace(entry.result, obtained_by=entry.state.obtained_by)

    def store_login(self, profile: str, answer: TokenAnswer) -> TokenResult:
        """Store the tokens an interactive login (`oauth_login.login`) obtained the way a mint's
        are stored: the refresh token to the vault first, under the profile's locks."""
        prof = self._wire.profile(profile, reload=True)
        with self.profile_locks(profile):
            with self._mu:
                self._pending.pop(profile, None)
            stored = self._read_stored(prof)
            return self._store_answer(prof, stored, "mint", answer)

    def forget(self, profile: str) -> None:
        prof = self._wire.profile(profile, reload=True)
        with self.profile_locks(profile):
            with self._mu:
                self._entries.pop(profile, None)
                self._pending.pop(profile, None)
            self._states.delete(profile)
            # For paste-in presets the pasted pair *is* the credential: keep it.
            inputs = self._pasted_names(prof)
            for name in (ACCESS_TOKEN, REFRESH_TOKEN):
                if name not in inputs:
                    self._vault.delete(profile, name)
        self._events.emit("cleared", profile)
        self._announce_none(profile)

    # -------------------------------------------------- obtaining (slow path)

    def _obtain_serialized(self, name: str, force: Force | None, rejected: str | None) -> TokenResult:
        """Leader of a flight: take the profile's thread + file lock, then decide."""
        try:
            profile = self._wire.profile(name, reload=True)
            with self.profile_locks(name):
                return self._obtain(profile, force, rejected)
        except WorkbenchError as exc:
            self._events.emit("failed", name, user_message(exc))
            raise

    @contextmanager
    def profile_locks(self, name: str) -> Iterator[None]:
        with self._mu:
            tlock = self._thread_locks.setdefault(name, threading.Lock())
        if not tlock.acquire(timeout=self.config.lock_timeout):
            raise LockTimeoutError(
                f"another request for profile '{name}' has been obtaining a token for over "
                f"{self.config.lock_timeout:.0f} s; try again"
            )
        try:
            from workbench.core.process_lock import profile_lock

            with profile_lock(self._lock_dir, name, timeout=self.config.lock_timeout):
                yield
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
                self._events.emit(
                    "expiring", name, f"token of '{name}' expires at {iso_z(stored.state.expires_at)}"
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
            try:
                return self._run_step(profile, stored, "refresh")
            except ProviderError as exc:
                if _is_refusal(exc) and not exc.hint:
                    # The refresh token is gone (rotated away, revoked, expired): say how to recover.
                    exc.hint = (
                        self._paste_hint(profile)
                        if not can_mint
                        else (f"mint a new token with `workbench token {name} --mint`")
                    )
                raise

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
                    self._events.emit("failed", name, f"{user_message(exc)}; minting a new token instead")
                return self._run_step(profile, stored, "mint")
            if can_mint:
                return self._run_step(profile, stored, "mint")
        except (NetworkError, ProviderError) as exc:
            if still_valid and not _is_refusal(exc) and stored.access:
                # Refresh-ahead failed but the current token has not expired: keep serving it.
                self._events.emit("failed", name, f"{user_message(exc)}; still using the current token")
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
                f"has an access token that expired at {iso_z(when)}"
                if when is not None
                else "has no valid token"
            )
        if not can_mint and not can_refresh:
            # A pasted token with no way to renew it (the `bearer` preset): the user pastes a new one.
            fix = "paste a new one" if stored.access else "paste one"
            lead = "expired, " if stored.access and stored.access != rejected else ""
            raise TokenUnavailableError(
                f"profile '{name}' {what}: {lead}{fix}",
                hint=f"with `workbench profile set {name} --secret access_token` "
                "or in the app's profile editor",
            )
        if can_refresh and refresh_expired and rt_expires is not None:
            how = f"its refresh token expired at {iso_z(rt_expires)}"
        elif can_refresh:
            how = "no refresh token to renew it"
        else:
            how = f"preset '{preset.name}' can neither mint nor refresh"
        raise TokenUnavailableError(f"profile '{name}' {what} and {how}", hint=self._paste_hint(profile))

    @staticmethod
    def _paste_hint(profile: Profile) -> str:
        if profile.preset.section("oauth") is not None:
            return f"run `workbench login {profile.name}`"
        tokens = [
            i.name
            for i in profile.preset.inputs
            if i.kind == "secret" and i.name in (ACCESS_TOKEN, REFRESH_TOKEN)
        ] or [ACCESS_TOKEN]
        flags = " ".join(f"--secret {name}" for name in tokens)
        return (
            f"obtain a new token from the provider and store it with "
            f"`workbench profile set {profile.name} {flags}` (each value is asked for without echo)"
        )

    def _run_step(self, profile: Profile, stored: _Stored, step: Literal["mint", "refresh"]) -> TokenResult:
        secrets = VaultSecretSource(
            self._vault,
            profile.name,
            {ACCESS_TOKEN: stored.access, REFRESH_TOKEN: stored.refresh},
            refs=profile.secret_refs,
        )
        if step == "refresh" and stored.refresh and self._rotates(profile):
            self._check_vault_writable(profile, stored.refresh)
            from workbench.core.signals import deferred_signals

            # From the moment the request may reach the provider until its new refresh token is
            # in the keychain, Ctrl-C / SIGTERM wait: the old token is dead once it has rotated.
            name = profile.name
            with deferred_signals(
                notice=f"waiting for the refresh of '{name}' to be answered and its new refresh token "
                "saved (the old one may already be dead); press Ctrl-C again to quit now",
                forced=f"interrupted during the refresh of '{name}': if its next token fails, give it a "
                f"refresh token again with `workbench profile set {name} --secret refresh_token`",
            ):
                answer = self._token_request(profile, step, secrets)
                return self._store_answer(profile, stored, step, answer)
        answer = self._token_request(profile, step, secrets)
        return self._store_answer(profile, stored, step, answer)

    @staticmethod
    def _rotates(profile: Profile) -> bool:
        return profile.preset.token.rotates_refresh_token

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
        self, profile: Profile, step: Literal["mint", "refresh"], secrets: VaultSecretSource
    ) -> TokenAnswer:
        from workbench.core import flows

        section = profile.preset.section(step) or {}
        skew_retry = bool(section.get("retry_on_clock_skew"))
        attempt = 0
        skew_retried = False
        label = f"{profile.preset.name} {step}"
        oauth = self._wire.oauth_endpoints(profile)
        while True:
            attempt += 1
            spec = flows.build_request(
                profile, step, secrets=secrets, renderer=self._wire.renderer(), oauth=oauth
            )
            offset_before = self.clock.offset
            try:
                response = self._wire.send(
                    profile, spec.method, spec.url, list(spec.headers), spec.content, None, label
                )
            except NetworkError as exc:
                if isinstance(exc, NetworkTLSError):
                    raise  # a certificate does not get better by asking again
                if attempt < self.config.retry.attempts:
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
            if self.config.retry.is_retryable_status(status) and attempt < self.config.retry.attempts:
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"),
                    now=self.clock.now(),
                    date=response.headers.get("date"),
                )
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
                now=self.clock.now(),
            )
            if attempt > 1 and self.config.retry.is_retryable_status(status):
                error.args = (f"{error.args[0]} (after {attempt} attempts)",)
            raise error

    def _backoff(self, profile: str, attempt: int, retry_after: float | None, why: str) -> None:
        retry = self.config.retry
        delay = retry.delay(attempt, retry_after)
        log.info("%s; retrying in %.2f s (attempt %d of %d)", why, delay, attempt + 1, retry.attempts)
        self.config.sleep(delay)

    def _store_answer(
        self, profile: Profile, stored: _Stored, step: Literal["mint", "refresh"], answer: TokenAnswer
    ) -> TokenResult:
        name = profile.name
        now = self.clock.now()
        jwt = answer.jwt if answer.jwt is not None else read_jwt(answer.access_token)
        jwt_exp, jwt_iat = jwt_times(jwt)
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
        result = self._commit(profile, answer.access_token, state, jwt=jwt)
        self._events.emit("minted" if step == "mint" else "refreshed", name)
        return result

    def _refresh_token_expiry(self, profile: Profile, refresh_token: str, now: float) -> float | None:
        lifetime = profile.preset.token.refresh_token_lifetime
        if lifetime is not None:
            return now + lifetime
        exp, _iat = jwt_times(refresh_token)
        return exp

    def _pending_error(self, name: str, exc: BaseException) -> VaultError:
        # Never "kept": a CLI run ends right after this, and the provider has already retired the
        # old refresh token. (A long-running process still retries the save from memory.)
        return VaultError(
            f"the new refresh token of profile '{name}' could not be saved to the keychain "
            f"({user_message(exc)}), and the provider no longer accepts the old one",
            hint=f"get a new one from the provider and store it with {self._recovery_command(name)}",
        )

    def _recovery_command(self, name: str) -> str:
        """`workbench profile set NAME --secret ...` for the tokens the user can paste (prompted)."""
        try:
            pasted = self._pasted_names(self._wire.profile(name))
        except WorkbenchError:
            pasted = set()
        names = [n for n in (ACCESS_TOKEN, REFRESH_TOKEN) if n in pasted] or [REFRESH_TOKEN]
        return f"`workbench profile set {name} " + " ".join(f"--secret {n}" for n in names) + "`"

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
        self._events.emit("minted" if state.obtained_by == "mint" else "refreshed", name)
        return result

    def _commit(
        self, profile: Profile, access: str, state: TokenState, *, jwt: JwtClaims | None = None
    ) -> TokenResult:
        """Store an access token (vault) and its metadata (state file), and remember it."""
        name = profile.name
        state = state.with_(profile_key=_profile_key(profile), clock_offset=self.clock.offset or None)
        try:
            self._vault.store(name, ACCESS_TOKEN, access)
        except Exception as exc:
            # Not fatal: the token works from memory; another process will obtain its own.
            self._events.emit(
                "failed",
                name,
                f"could not save the access token of '{name}' to the keychain "
                f"({user_message(exc)}); it is kept in memory only",
            )
        try:
            self._states.save(name, state)
        except OSError as exc:
            self._events.emit(
                "failed", name, f"could not write token metadata of '{name}': {user_message(exc)}"
            )
        entry = self._remember(profile, access, state, announce=False, jwt=jwt)
        result = replace(entry.result, obtained_by=state.obtained_by)
        self._events.emit("changed", name, result=result, renew_at=entry.planned_renewal, seq=entry.seq)
        return result

    def _remember(
        self,
        profile: Profile,
        access: str,
        state: TokenState,
        *,
        renew_now: bool = False,
        announce: bool = True,
        jwt: JwtClaims | None = None,
    ) -> _Entry:
        """Hold a token in memory. With `announce`, a token other than the one held before is
        published as a "changed" event (another process obtained it, or it was read at start).
        `jwt` is the token already read (from the provider's answer), if it was."""
        override = setting_float(profile, "refresh_lead")
        planned = self.config.policy.renew_at(state.expires_at, state.lifetime, override)
        renew_at = planned
        if renew_now:
            # Served while renewal is failing: do not pin it in the warm path, ask again next time.
            renew_at = self.clock.now()
        result = TokenResult.stored(profile.name, access, state)
        if jwt is not None:
            result = replace(result, decoded=jwt)
        with self._mu:
            entry = _Entry(
                access_token=access,
                state=state,
                renew_at=renew_at,
                result=result,
                planned_renewal=planned,
                seq=next(self._seq),
            )
            previous = self._entries.get(profile.name)
            self._entries[profile.name] = entry
        if announce and (previous is None or previous.access_token != access):
            self._announce(entry)
        return entry

    def _announce(self, entry: _Entry) -> None:
        result = replace(entry.result, obtained_by=entry.state.obtained_by)
        self._events.emit(
            "changed", result.profile, result=result, renew_at=entry.planned_renewal, seq=entry.seq
        )

    def _announce_none(self, profile: str) -> None:
        with self._mu:
            seq = next(self._seq)
        self._events.emit("changed", profile, seq=seq)

    def announce(self, profile: str) -> None:
        """Publish what `profile` holds now as a "changed" event (no network; reads the vault
        and the state file when nothing is in memory yet). A front end calls it, off its UI
        thread, for each profile it shows: from then on events keep it current."""
        entry = self._entries.get(profile)
        if entry is None:
            try:
                prof = self._wire.profile(profile)
                stored = self._read_stored(prof)
            except WorkbenchError as exc:
                self._events.emit("failed", profile, user_message(exc))
                return
            with self._mu:
                # A token obtained while we read the vault is newer than what we read: keep it.
                entry = self._entries.get(profile)
            if entry is None:
                if not stored.access:
                    self._announce_none(profile)
                    return
                entry = self._remember(prof, stored.access, stored.state, announce=False)
        self._announce(entry)

    def drop(self, profile: str, *, removed: bool = False) -> None:
        """Let go of what is held in memory for `profile` (its file or settings changed, or with
        `removed` it is gone, rotated refresh tokens still waiting for the vault too) and say so:
        a "changed" event with no token. Nothing stored is touched."""
        with self._mu:
            self._entries.pop(profile, None)
            if removed:
                self._pending.pop(profile, None)
        self._wire.forget_profiles()
        self._announce_none(profile)

    @staticmethod
    def _pasted_names(profile: Profile) -> set[str]:
        """Secrets the user provides (a paste-in preset's token pair among them), not obtained ones."""
        return set(profile.secret_names) | {i.name for i in profile.preset.inputs if i.kind == "secret"}

    def _load_access(self, name: str) -> str | None:
        """The stored access token; a damaged one is a cache miss, never an error (it is only a
        cache: the provider gives a new one)."""
        try:
            return self._vault.load(name, ACCESS_TOKEN)
        except VaultDamagedError:
            log.warning("the cached access token of '%s' is damaged; obtaining a new one", name)
            return None

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
        access = self._load_access(name) if trusted or ACCESS_TOKEN in pasted else None
        refresh = self._vault.load(name, REFRESH_TOKEN) if trusted or REFRESH_TOKEN in pasted else None
        state = known or TokenState()
        if access and state.access_fingerprint != fingerprint(access):
            # Pasted by the user, or written by a process that died before its metadata: read the JWT.
            exp, iat = jwt_times(access)
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
            exp, _iat = jwt_times(refresh)
            state = state.with_(refresh_fingerprint=fingerprint(refresh), refresh_token_expires_at=exp)
        if not refresh and state.refresh_fingerprint is not None:
            state = state.with_(refresh_fingerprint=None, refresh_token_expires_at=None)
        return _Stored(access=access, refresh=refresh, state=state)

    # ------------------------------------------- the API refused or replaced a token

    def renew_after_rejection(self, profile: str, rejected: str) -> TokenResult:
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

    def _signed_with_shared_secret(self, profile: Profile, token: str) -> bool:
        """True unless the preset signs its tokens with a shared secret (`[token] verify_secret`,
        seed 003's HS256 with the client secret) and `token` does not verify with it: a foreign
        or forged header token must never become the stored one. Without the secret at hand
        there is nothing to check against, and the header is taken as before."""
        secret_name = profile.preset.token.verify_secret
        if not secret_name:
            return True
        from workbench.core import jwtinspect
        from workbench.core.secret_refs import load_input

        try:
            secret = load_input(self._vault, profile, secret_name)
        except WorkbenchError:
            return True
        if not secret:
            return True
        key = jwtinspect.VerificationKey.from_secret(secret)
        try:
            return jwtinspect.inspect_token(token, key=key, now=self.clock.now()).signature_valid is True
        except WorkbenchError:
            return False

    def adopt(self, profile: Profile, candidate: str) -> bool:
        """Store a token that arrived in a response header in place of the current one, unless
        it is ours already, older than the one held (a slower concurrent response), or not
        signed with the preset's shared secret."""
        if not self._signed_with_shared_secret(profile, candidate):
            log.warning(
                "profile %s: a response-header token did not verify; kept the stored one", profile.name
            )
            return False
        jwt = read_jwt(candidate)
        exp, iat = jwt_times(jwt)
        name = profile.name
        with self.profile_locks(name):
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
            self._commit(profile, candidate, state, jwt=jwt)
        return True
