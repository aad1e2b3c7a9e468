"""Tokens: obtain (mint / refresh), renew ahead of expiry, store (vault + state file), serve warm.

The token half of the engine (`workbench.core.engine.token_engine.TokenEngine` is the one object callers
use; its docstring states the guarantees). Per profile: one flight at a time across threads
(`SingleFlight` + a thread lock) and processes (a file lock under `$WORKBENCH_HOME/locks`);
inside the lock the stored state is read again, so a token another process obtained
meanwhile is used as is. A rotated refresh token is written to the vault before the new
access token is handed to anyone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from workbench.core.engine import answers, flows
from workbench.core.engine.cancel import cancel_scope, pause, raise_if_cancelled
from workbench.core.engine.exchange import exchanges
from workbench.core.engine.policy import parse_retry_after, setting_float
from workbench.core.engine.signals import deferred_signals
from workbench.core.engine.state import TokenState, profile_key
from workbench.core.engine.stored import (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    SAME_SECOND,
    StoredPair,
    StoredTokens,
    paste_hint,
    refused_words,
)
from workbench.core.engine.types import (
    Force,
    LockTimeoutError,
    TokenResult,
    TokenUnavailableError,
    iso_z,
)
from workbench.core.errors import (
    CancelledError,
    InputError,
    NetworkError,
    NetworkTLSError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    VaultError,
    WorkbenchError,
    user_message,
)
from workbench.core.jose.claims import jwt_times, read_jwt
from workbench.core.oauth.login import is_interactive
from workbench.core.redact import fingerprint
from workbench.core.request.templating import VaultSecretSource
from workbench.core.storage.process_lock import profile_lock

if TYPE_CHECKING:
    from workbench.core.engine.answers import TokenAnswer
    from workbench.core.profiles.profile import Profile

log = logging.getLogger(__name__)


def _is_refusal(exc: BaseException) -> bool:
    """The provider refused the credentials (OAuth says 400 invalid_grant; others 401/403)."""
    return isinstance(exc, ProviderAuthError) or (
        isinstance(exc, ProviderError) and exc.status in (400, 401, 403)
    )


def _still_valid(stored: StoredPair, rejected: str | None, now: float) -> bool:
    """The stored access token may still be served: not refused, and not past its expiry."""
    return (
        stored.access is not None
        and stored.access != rejected
        and (stored.state.expires_at is None or now < stored.state.expires_at)
    )


def _refresh_token_expired(stored: StoredPair, now: float) -> bool:
    expires = stored.state.refresh_token_expires_at
    return expires is not None and now >= expires


class Tokens(StoredTokens):
    """Hands out valid access tokens per profile (thread-safe; the engine owns one)."""

    # ---------------------------------------------------------------- policy

    def refresh_lead(self, lifetime: float | None, profile: str | None = None) -> float:
        override = None
        if profile is not None:
            override = setting_float(self._wire.profile(profile), "refresh_lead")
        return self.config.policy.lead(lifetime, override)

    # ---------------------------------------------------------------- tokens

    def get_token(
        self, profile: str, *, force: Force | None = None, cancel: threading.Event | None = None
    ) -> TokenResult:
        if cancel is not None:
            with cancel_scope(cancel):
                return self.get_token(profile, force=force)
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
            return self._store_answer(prof, stored, "mint", answer, login=True)

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
        except CancelledError:
            raise  # the user's own choice: not a failure to report
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
            with profile_lock(self._lock_dir, name, timeout=self.config.lock_timeout):
                yield
        finally:
            tlock.release()

    def _obtain(self, profile: Profile, force: Force | None, rejected: str | None) -> TokenResult:
        name = profile.name
        if profile.pending and profile.missing_required():
            raise TokenUnavailableError(profile.pending_message(), hint=profile.pending_hint())
        if profile.preset.token.value:
            return self._static(profile, rejected)
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

    def _static(self, profile: Profile, rejected: str | None) -> TokenResult:
        """A credential the preset builds from the profile's inputs (`[token] value`: HTTP Basic, an
        API key): made at each use from the keychain or an env: reference, never stored."""

        secrets = VaultSecretSource(self._vault, profile.name, {}, refs=profile.secret_refs)
        context = flows.template_context(profile, secrets=secrets)
        spec = profile.preset.token
        token = self._wire.renderer().render(
            spec.value or "", context, field="token.value", where=f"profile '{profile.name}'",
            now=int(self.clock.now()),
        ).strip()  # fmt: skip
        secret = next((i.name for i in profile.preset.secret_inputs if i.required), "")
        fix = f"`workbench profile set {profile.name} --secret {secret}`" if secret else "the profile editor"
        if not token:
            raise TokenUnavailableError(f"profile '{profile.name}' has no credential stored", hint=fix)
        if token == rejected:
            raise TokenUnavailableError(
                f"profile '{profile.name}': the provider refused its credential", hint=f"check it with {fix}"
            )
        return TokenResult(
            profile=profile.name,
            access_token=token,
            token_type=spec.scheme or "",
            expires_at=None,
            issued_at=None,
            lifetime=None,
            obtained_by="cache",
            refresh_token_expires_at=None,
            decoded=None,
        )

    def _renew(
        self, profile: Profile, stored: StoredPair, force: Force | None, rejected: str | None
    ) -> TokenResult:
        """Obtain a new token: the one the user asked for (`force`), else the way renewal goes."""
        if force == "mint":
            return self._forced_mint(profile, stored)
        if force == "refresh":
            return self._forced_refresh(profile, stored)
        return self._renew_when_due(profile, stored, rejected)

    def _forced_mint(self, profile: Profile, stored: StoredPair) -> TokenResult:
        """`--mint`: mint, or say the preset cannot (and that it can refresh, if it can)."""
        if not profile.preset.can_mint():
            alt = f"; use `workbench token {profile.name} --refresh`" if profile.preset.can_refresh() else ""
            raise TokenUnavailableError(
                f"profile '{profile.name}' cannot mint: preset '{profile.preset.name}' has no [mint] "
                f"request{alt}"
            )
        return self._run_step(profile, stored, "mint")

    def _forced_refresh(self, profile: Profile, stored: StoredPair) -> TokenResult:
        """`--refresh`: "a fresh token now". A preset that mints and has nothing to refresh with
        mints (token-of-trust: "mint again"; `obtained_by` says "mint"); otherwise refresh, and a
        refused refresh token says how to recover."""
        name, preset = profile.name, profile.preset
        can_mint, can_refresh = preset.can_mint(), preset.can_refresh()
        if can_mint and not (can_refresh and stored.refresh):
            return self._run_step(profile, stored, "mint")
        if not can_refresh:
            alt = f"; use `workbench token {name} --mint`" if can_mint else ""
            raise TokenUnavailableError(
                f"profile '{name}' cannot refresh: preset '{preset.name}' has no [refresh] request{alt}"
            )
        if not stored.refresh and stored.state.refresh_refused_at is not None:
            raise TokenUnavailableError(
                f"profile '{name}': {refused_words(stored)}", hint=paste_hint(profile)
            )
        if not stored.refresh:
            raise TokenUnavailableError(
                f"profile '{name}' has no refresh token stored", hint=paste_hint(profile)
            )
        try:
            return self._run_step(profile, stored, "refresh")
        except ProviderError as exc:
            if _is_refusal(exc) and not exc.hint:
                # The refresh token is gone (rotated away, revoked, expired): say how to recover.
                exc.hint = (
                    paste_hint(profile)
                    if not can_mint
                    else f"mint a new token with `workbench token {name} --mint`"
                )
            raise

    def _renew_when_due(self, profile: Profile, stored: StoredPair, rejected: str | None) -> TokenResult:
        """The token is due (inside its window, expired, refused or missing): obtain a new one;
        when that fails for a reason other than refused credentials while the current token is
        still valid, keep serving it; with no way to obtain one, keep or explain what is stored."""
        now = self.clock.now()
        try:
            obtained = self._refresh_else_mint(profile, stored, now)
        except (NetworkError, ProviderError) as exc:
            if _still_valid(stored, rejected, now) and not _is_refusal(exc) and stored.access:
                # Refresh-ahead failed but the current token has not expired: keep serving it.
                self._events.emit(
                    "failed", profile.name, f"{user_message(exc)}; still using the current token"
                )
                return self._remember(profile, stored.access, stored.state, renew_now=True).result
            raise
        if obtained is not None:
            return obtained
        if stored.access and stored.access != rejected and stored.state.expires_at is None:
            return self._remember(profile, stored.access, stored.state).result  # no expiry: keep it
        raise self._unavailable(profile, stored, rejected, now)

    def _refresh_else_mint(self, profile: Profile, stored: StoredPair, now: float) -> TokenResult | None:
        """Refresh while a live refresh token is stored; if the provider refuses it, mint when the
        preset can. Mint when that is the preset's only way. None: the preset has no way now."""
        can_mint = profile.preset.can_mint()
        if profile.preset.can_refresh() and stored.refresh and not _refresh_token_expired(stored, now):
            try:
                return self._run_step(profile, stored, "refresh")
            except ProviderError as exc:
                if not _is_refusal(exc):
                    raise
                if not can_mint:
                    exc.hint = paste_hint(profile)
                    raise
                self._events.emit("failed", profile.name, f"{user_message(exc)}; minting a new token instead")
            return self._run_step(profile, stored, "mint")
        if can_mint:
            return self._run_step(profile, stored, "mint")
        return None

    def _unavailable(
        self, profile: Profile, stored: StoredPair, rejected: str | None, now: float
    ) -> TokenUnavailableError:
        """No token to serve and no way to obtain one: what is stored, and what would fix it."""
        name, preset = profile.name, profile.preset
        can_mint, can_refresh = preset.can_mint(), preset.can_refresh()
        if not stored.access:
            what = "has no access token stored"
        elif stored.access == rejected:
            what = "has an access token the provider refused"
        elif stored.state.expires_at is not None:
            what = f"has an access token that expired at {iso_z(stored.state.expires_at)}"
        else:
            what = "has no valid token"
        if not can_mint and not can_refresh:
            # A pasted token with no way to renew it (the `bearer` preset): the user pastes a new one.
            fix = "paste a new one" if stored.access else "paste one"
            lead = "expired, " if stored.access and stored.access != rejected else ""
            return TokenUnavailableError(
                f"profile '{name}' {what}: {lead}{fix}",
                hint=f"with `workbench profile set {name} --secret access_token` "
                "or in the app's profile editor",
            )
        rt_expires = stored.state.refresh_token_expires_at
        if can_refresh and not stored.refresh and stored.state.refresh_refused_at is not None:
            how = refused_words(stored)
        elif can_refresh and rt_expires is not None and _refresh_token_expired(stored, now):
            how = f"its refresh token expired at {iso_z(rt_expires)}"
        elif can_refresh:
            how = "no refresh token to renew it"
        else:
            how = f"preset '{preset.name}' can neither mint nor refresh"
        return TokenUnavailableError(f"profile '{name}' {what} and {how}", hint=paste_hint(profile))

    def _drop_dead_grant(self, profile: Profile, stored: StoredPair) -> None:
        """The server answered invalid_grant to a refresh token a login obtained: the grant is
        dead (RFC 6749 §5.2). Drop it (refresh token, its access token, the login's id_token) and
        note when, so it is never sent again and the next command says to log in."""
        name = profile.name
        for entry in (REFRESH_TOKEN, ACCESS_TOKEN, "id_token"):
            try:
                self._vault.delete(name, entry)
            except VaultError as exc:
                log.warning("could not delete the dead %s of '%s': %s", entry, name, user_message(exc))
        state = stored.state.with_(
            access_fingerprint=None,
            expires_at=None,
            refresh_fingerprint=None,
            refresh_token_expires_at=None,
            refresh_refused_at=self.clock.now(),
            profile_key=profile_key(profile),
        )
        try:
            self._states.save(name, state)
        except OSError as exc:
            log.warning("could not write token metadata of '%s': %s", name, user_message(exc))
        with self._mu:
            self._entries.pop(name, None)
        self._announce_none(name)

    def _run_step(
        self, profile: Profile, stored: StoredPair, step: Literal["mint", "refresh"]
    ) -> TokenResult:
        secrets = VaultSecretSource(
            self._vault,
            profile.name,
            {ACCESS_TOKEN: stored.access, REFRESH_TOKEN: stored.refresh},
            refs=profile.secret_refs,
        )
        if step == "refresh" and stored.refresh and self._dies_on_invalid_grant(profile):
            try:
                return self._run_step_unguarded(profile, stored, step, secrets)
            except ProviderError as exc:
                if exc.error_type == "invalid_grant":
                    self._drop_dead_grant(profile, stored)
                    exc.hint = exc.hint or paste_hint(profile)
                raise
        return self._run_step_unguarded(profile, stored, step, secrets)

    def _dies_on_invalid_grant(self, profile: Profile) -> bool:
        """A refresh token a login obtained (not one the user pasted) dies with invalid_grant."""

        return is_interactive(profile) and REFRESH_TOKEN not in self._pasted_names(profile)

    def _run_step_unguarded(
        self,
        profile: Profile,
        stored: StoredPair,
        step: Literal["mint", "refresh"],
        secrets: VaultSecretSource,
    ) -> TokenResult:
        if step == "refresh" and stored.refresh and self._rotates(profile):
            self._check_vault_writable(profile, stored.refresh)

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

    def _token_request(
        self, profile: Profile, step: Literal["mint", "refresh"], secrets: VaultSecretSource
    ) -> TokenAnswer:
        section = profile.preset.section(step) or {}
        skew_retry = bool(section.get("retry_on_clock_skew"))
        attempt = 0
        skew_retried = False
        label = f"{profile.preset.name} {step}"
        oauth = self._wire.oauth_endpoints(profile)
        dpop = self.dpop_key(profile)
        exchange = None
        if step == "mint" and exchanges(profile):
            exchange = self._exchange_fields(profile, lambda other: self.get_token(other).access_token)
        while True:
            raise_if_cancelled(label)  # Cancel: no attempt (and no retry) after it
            attempt += 1
            spec = flows.build_request(
                profile, step, secrets=secrets, renderer=self._wire.renderer(), oauth=oauth, exchange=exchange
            )
            offset_before = self.clock.offset
            known = (*secrets.known_values(), *spec.secret_values)  # + an exchange's subject token
            try:
                response = self._wire.send(
                    profile,
                    spec.method,
                    spec.url,
                    list(spec.headers),
                    spec.content,
                    None,
                    label,
                    secrets=known,
                    dpop=dpop,
                )
            except NetworkError as exc:
                if isinstance(exc, NetworkTLSError):
                    raise  # a certificate does not get better by asking again
                if attempt < self.config.retry.attempts:
                    self._backoff(profile.name, attempt, None, user_message(exc), label)
                    continue
                raise type(exc)(f"{exc} (after {attempt} attempts)", hint=exc.hint) from None
            status = response.status_code
            if 200 <= status < 300:
                try:
                    answer = answers.parse_token_response(
                        profile,
                        step,
                        status=status,
                        headers=response.headers,
                        body=response.content,
                        now=self.clock.now(),
                        secrets=known,
                    )
                except ProviderResponseError:
                    if step == "refresh" and profile.preset.token.rotates_refresh_token:
                        self._keep_rotated_refresh_token(profile, response.headers, response.content)
                    raise
                self._wire.refuse_unbound(profile, answer, dpop, oauth, label, status)
                return answer
            if self.config.retry.is_retryable_status(status) and attempt < self.config.retry.attempts:
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"),
                    now=self.clock.now(),
                    date=response.headers.get("date"),
                )
                self._backoff(profile.name, attempt, retry_after, f"{label} answered {status}", label)
                continue
            if (
                skew_retry
                and not skew_retried
                and status in (400, 401)
                and self.clock.offset != offset_before
                and answers.is_clock_skew_answer(status, response.content)
            ):
                # The signed timestamp was off; the Date header has taught us the server's time.
                skew_retried = True
                attempt -= 1
                log.info("%s: clock offset now %+.0f s; retrying once", label, self.clock.offset)
                continue
            error = answers.provider_error(
                profile,
                status=status,
                headers=response.headers,
                body=response.content,
                step=step,
                secrets=known,
                now=self.clock.now(),
            )
            if attempt > 1 and self.config.retry.is_retryable_status(status):
                error.args = (f"{error.args[0]} (after {attempt} attempts)",)
            raise error

    def _backoff(self, profile: str, attempt: int, retry_after: float | None, why: str, label: str) -> None:
        retry, note = self.config.retry, f"{why} (attempt {attempt} of {self.config.retry.attempts})"
        delay = retry.delay(attempt, retry_after)
        log.info("%s; retrying in %.2f s", note, delay)
        self._events.emit("retrying", profile, note, retry_at=self.clock.now() + delay)  # a view counts down
        pause(delay, self.config.sleep, label)

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

    def adopt(self, profile: Profile, candidate: str) -> bool:
        """Store a token that arrived in a response header in place of the current one, unless
        it is ours already, older than the one held (a slower concurrent response), or not
        signed with the preset's shared secret."""
        if not self.signed_with_shared_secret(profile, candidate):
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
                and exp + SAME_SECOND < entry.state.expires_at
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
