"""The cold cache hit: a fresh stored token read without building the token engine.

`workbench token NAME` in a new process spends most of its time starting up; when the
stored token is still fresh, the engine's lock file, its refresh-token read, its HTTP
client and the engine's own imports are all work that changes nothing. `fresh_stored_token`
answers that case with exactly the engine's rule for a trusted stored token
(`TokenEngine._read_stored` + `_remember`):

* the state file was written for this profile (`profile_key` matches, or predates keys),
* the vault's access token is the one the state describes (fingerprint), and
* it is outside its refresh-ahead window (`RefreshAhead`, with the profile's `refresh_lead`).

Anything else (no state, another profile's state, a pasted token the engine must read,
a token inside its window, an unreadable vault) returns None and the caller asks the
engine, which locks, re-reads and decides. Nothing here writes: a stale answer is
impossible because the engine only ever replaces a token by writing the vault first and
the state second, and a state that does not describe the vault's token is not trusted.
`tests/unit/test_token_cache.py` checks this function against the engine case by case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.engine.policy import RefreshAhead
from workbench.core.engine.state import StateStore, profile_identity
from workbench.core.errors import WorkbenchError
from workbench.core.redact import fingerprint

if TYPE_CHECKING:
    from workbench.core.clock import Clock
    from workbench.core.engine.types import TokenResult
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault

ACCESS_TOKEN = "access_token"  # noqa: S105 - a vault entry name, not a value


def fresh_stored_token(
    profile: Profile,
    *,
    vault: Vault,
    clock: Clock,
    states: StateStore | None = None,
    policy: RefreshAhead | None = None,
) -> TokenResult | None:
    """The profile's stored access token if the engine would serve it as is right now, else None."""
    if states is None:
        from workbench.core.storage import paths

        states = StateStore(paths.state_dir())
    state = states.load(profile.name)
    if state is None or state.access_fingerprint is None:
        return None
    if state.profile_key not in (None, profile_identity(profile.preset_name, profile.base_url, profile.vars)):
        return None
    override = _setting_float(profile.settings.get("refresh_lead"))
    renew_at = (policy or RefreshAhead()).renew_at(state.expires_at, state.lifetime, override)
    if renew_at is not None and clock.now() >= renew_at:
        return None
    try:
        access = vault.load(profile.name, ACCESS_TOKEN)
    except WorkbenchError:
        return None  # the engine will say what is wrong with the keychain
    if not access or fingerprint(access) != state.access_fingerprint:
        return None
    from workbench.core.engine.types import TokenResult, note_token_type

    note_token_type(profile.name, state.token_type)
    return TokenResult.stored(profile.name, access, state)


def learn_stored_clock_offset(profile: Profile, *, clock: Clock, states: StateStore | None = None) -> None:
    """Start `clock` from the provider clock offset the profile's state file recorded.

    Only while the clock has learnt nothing itself (offset 0) and only from a state written
    for this profile; the first `Date` header the process sees replaces it.
    """
    if clock.offset:
        return
    if states is None:
        from workbench.core.storage import paths

        states = StateStore(paths.state_dir())
    state = states.load(profile.name)
    if state is None or not state.clock_offset:
        return
    if state.profile_key not in (None, profile_identity(profile.preset_name, profile.base_url, profile.vars)):
        return
    clock.set_offset(state.clock_offset)


def _setting_float(value: object) -> float | None:
    # The same reading as the engine's `setting_float`: numbers and numeric strings, never booleans.
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
