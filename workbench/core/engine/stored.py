"""What the engine keeps of each profile's tokens: in memory, in the vault and in the state file.

The storing half of `Tokens` (`workbench.core.engine.tokens`): the in-memory entries and
their renewal times, committing an answer (a rotated refresh token reaches the vault before
the access token is handed to anyone), refresh tokens the vault refused, reading what is
stored, and announcing changes as engine events.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.engine import answers
from workbench.core.engine.exchange import exchange_fields
from workbench.core.engine.singleflight import SingleFlight
from workbench.core.engine.state import (
    StateStore,
    TokenState,
    describes,
    profile_key,
    renewal_time,
    trusted_state,
)
from workbench.core.engine.types import (
    Events,
    TokenResult,
    iso_z,
    note_token_type,
)
from workbench.core.engine.wire import EngineConfig, Wire
from workbench.core.errors import (
    VaultDamagedError,
    VaultError,
    WorkbenchError,
    user_message,
)
from workbench.core.jose import inspect as jwtinspect
from workbench.core.jose.claims import JwtClaims, jwt_times, read_jwt
from workbench.core.jose.dpop import DpopKey
from workbench.core.oauth.sender import dpop_pem
from workbench.core.profiles.secret_refs import load_input
from workbench.core.redact import fingerprint

if TYPE_CHECKING:
    from workbench.core.clock import Clock
    from workbench.core.engine.answers import TokenAnswer
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault

log = logging.getLogger(__name__)

ACCESS_TOKEN = "access_token"  # noqa: S105 - a vault entry name, not a value


REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a vault entry name, not a value
ID_TOKEN = "id_token"  # noqa: S105 - a vault entry name, not a value


# JWT times are whole seconds while stated lifetimes are added to a fractional "now":
# expiries this close count as equal when deciding which of two tokens is newer.
SAME_SECOND = 2.0


@dataclass(frozen=True)
class HeldToken:
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
class StoredPair:
    access: str | None = field(repr=False)
    refresh: str | None = field(repr=False)
    state: TokenState


def paste_hint(profile: Profile) -> str:
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


def refused_words(stored: StoredPair) -> str:
    when = stored.state.refresh_refused_at
    return (
        f"the server refused its refresh token at {iso_z(when or 0)} (revoked or expired); "
        "it is not sent again"
    )


class StoredTokens:
    """Per-profile token storage shared by the engine's threads (the base of `Tokens`)."""

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
        self._entries: dict[str, HeldToken] = {}
        self._seq = itertools.count(1)
        self._thread_locks: dict[str, threading.Lock] = {}
        self._dpop_keys: dict[str, tuple[str, DpopKey]] = {}
        # Rotated refresh tokens the vault refused, with the access token obtained alongside;
        # both stay here (never handed out) until the refresh token is safely stored.
        self._pending: dict[str, tuple[str, str, TokenState]] = {}
        wait = config.lock_timeout + config.timeout * (config.retry.attempts + 1) + 30.0
        self._flights: SingleFlight[TokenResult] = SingleFlight(wait_timeout=wait)

    def forget_entries(self) -> None:
        """Drop every token held in memory (settings changed): renewal times are recomputed."""
        with self._mu:
            self._entries.clear()

    def dpop_key(self, profile: Profile) -> DpopKey | None:
        """The profile's DPoP key (`sender.dpop_pem`: None without DPoP, one line when it is
        missing), loaded once per key."""
        pem = dpop_pem(self._vault, profile)
        if pem is None:
            return None
        digest = hashlib.sha256(pem.encode()).hexdigest()
        with self._mu:
            cached = self._dpop_keys.get(profile.name)
        if cached is not None and cached[0] == digest:
            return cached[1]
        key = DpopKey.from_pem(pem)
        with self._mu:
            self._dpop_keys[profile.name] = (digest, key)
        return key

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

    def _store_answer(
        self,
        profile: Profile,
        stored: StoredPair,
        step: Literal["mint", "refresh"],
        answer: TokenAnswer,
        *,
        login: bool = False,
    ) -> TokenResult:
        """Store what a mint or refresh answered. `login`: the answer of a new login, which
        replaces the whole grant (a refresh token of an earlier login is not kept)."""
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
        keeps_old = bool(stored.refresh) and not login
        refresh_fp = old.refresh_fingerprint if keeps_old else None
        refresh_exp = old.refresh_token_expires_at if keeps_old else None
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
            # RFC 6749 §5.1: no `scope` in the answer means what was asked for (a login sets it);
            # §6: a refresh without `scope` keeps the original grant.
            granted_scope=answer.scope
            if answer.scope is not None
            else (None if login else old.granted_scope),
            issued_token_type=answer.issued_token_type,
        )
        if login and not new_refresh and stored.refresh:
            self._vault.delete(name, REFRESH_TOKEN)
        if rotated and new_refresh:
            try:
                self._vault.store(name, REFRESH_TOKEN, new_refresh)
            except Exception as exc:
                with self._mu:
                    self._pending[name] = (new_refresh, answer.access_token, state)
                raise self._pending_error(name, exc) from None
        result = self._commit(profile, answer.access_token, state, jwt=jwt)
        if step == "refresh" and answer.id_token:
            self._keep_refreshed_id_token(profile, answer.id_token)
        self._events.emit("minted" if step == "mint" else "refreshed", name)
        return result

    def _keep_refreshed_id_token(self, profile: Profile, id_token: str) -> None:
        """OIDC Core §12.2: an id_token that came with a refresh replaces the login's once it is
        checked; one that fails is dropped (never kept unchecked) and the failure announced."""
        name = profile.name
        try:
            previous = self._vault.load(name, ID_TOKEN)
            self._wire.check_refreshed_id_token(
                self._vault, profile, id_token, previous, now=self.clock.now()
            )
            self._vault.store(name, ID_TOKEN, id_token)
        except WorkbenchError as exc:
            try:
                self._vault.delete(name, ID_TOKEN)
            except WorkbenchError:
                pass
            self._events.emit(
                "failed", name, f"the id_token of the refresh of '{name}' was not kept: {user_message(exc)}"
            )

    def _keep_rotated_refresh_token(self, profile: Profile, headers: Any, body: bytes) -> None:
        """The provider rotated the refresh token but the rest of its answer is refused: store the
        new refresh token anyway (the old one is dead), so the next refresh can still work."""

        rotated = answers.refresh_token_in(profile, "refresh", headers, body)
        if rotated:
            try:
                self._vault.store(profile.name, REFRESH_TOKEN, rotated)
            except VaultError as exc:
                log.warning("could not keep the rotated refresh token of '%s': %s", profile.name, exc)

    def _exchange_fields(self, profile: Profile, token_of: Callable[[str], str]) -> dict[str, str]:
        """What a token exchange sends (RFC 8693): the subject and actor profiles' tokens, each
        obtained through the engine (`token_of`: fresh), after the chain of profiles is checked."""
        return exchange_fields(
            profile,
            profile_of=self._wire.profile_if_any,
            token_of=token_of,
            id_token_of=lambda name: self._vault.load(name, ID_TOKEN),
        )

    def held_refresh_token(self, name: str) -> str | None:
        """The refresh token `name` holds, as the engine would send it (one a same-named profile of
        another home left in the keychain is not this profile's)."""
        return self._read_stored(self._wire.profile(name, reload=True)).refresh

    def state_of(self, name: str) -> TokenState | None:
        """What the state file says about `name`'s tokens (no network, no keychain)."""
        return self._states.load(name)

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
        state = state.with_(profile_key=profile_key(profile), clock_offset=self.clock.offset or None)
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
    ) -> HeldToken:
        """Hold a token in memory. With `announce`, a token other than the one held before is
        published as a "changed" event (another process obtained it, or it was read at start).
        `jwt` is the token already read (from the provider's answer), if it was."""
        planned = renewal_time(state, profile, self.config.policy)
        renew_at = planned
        if renew_now:
            # Served while renewal is failing: do not pin it in the warm path, ask again next time.
            renew_at = self.clock.now()
        result = TokenResult.stored(profile.name, access, state)
        note_token_type(profile, state.token_type)
        if jwt is not None:
            result = replace(result, decoded=jwt)
        with self._mu:
            entry = HeldToken(
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

    def _announce(self, entry: HeldToken) -> None:
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

    def _read_stored(self, profile: Profile) -> StoredPair:
        """The tokens in the vault and what the state file says about them (checked by fingerprint)."""
        name = profile.name
        known = trusted_state(self._states.load(name), profile)
        # The vault is keyed by profile name only. Without a state file saying this profile obtained
        # them, tokens the profile did not provide itself (a pasted pair is an input) were left by a
        # same-named profile of another WORKBENCH_HOME or an earlier one: never serve or send them.
        pasted = self._pasted_names(profile)
        trusted = known is not None
        if ACCESS_TOKEN in profile.secret_refs:
            # A pasted token read at each use (`env:VAR` from an imported curl's $VAR): never stored.

            access = load_input(self._vault, profile, ACCESS_TOKEN)
        else:
            access = self._load_access(name) if trusted or ACCESS_TOKEN in pasted else None
        refresh = self._vault.load(name, REFRESH_TOKEN) if trusted or REFRESH_TOKEN in pasted else None
        state = known or TokenState()
        if access and not describes(state, access):
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
        return StoredPair(access=access, refresh=refresh, state=state)

    def signed_with_shared_secret(self, profile: Profile, token: str) -> bool:
        """True only when `token` verifies with the preset's key: the shared secret its tokens are
        signed with (`[token] verify_secret`, seed 003's HS256 with the client secret). A foreign
        or forged header token must never become the stored one; without a key to check it
        against (none declared, none stored) it is not taken."""
        secret_name = profile.preset.token.verify_secret
        if not secret_name:
            return False

        try:
            secret = load_input(self._vault, profile, secret_name)
        except WorkbenchError:
            return False
        if not secret:
            return False
        key = jwtinspect.VerificationKey.from_secret(secret)
        try:
            return jwtinspect.inspect_token(token, key=key, now=self.clock.now()).signature_valid is True
        except WorkbenchError:
            return False
