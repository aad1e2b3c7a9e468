"""The cold cache hit: a fresh stored token read without building the token engine.

`workbench token NAME` in a new process spends most of its time starting up; when the
stored token is still fresh, the engine's lock file, its refresh-token read, its HTTP
client and the engine's own imports are all work that changes nothing. `fresh_stored_token`
answers that case with the engine's own rule for a trusted stored token (the functions
`trusted_state`, `describes` and `renewal_time` of `engine.state`, which the engine's
`StoredTokens._read_stored` and `_remember` call too):

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
from workbench.core.engine.state import StateStore, describes, renewal_time, trusted_state
from workbench.core.engine.types import TokenResult, note_token_type
from workbench.core.errors import WorkbenchError
from workbench.core.storage import paths

if TYPE_CHECKING:
    from workbench.core.clock import Clock
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
        states = StateStore(paths.state_dir())
    state = trusted_state(states.load(profile.name), profile)
    if state is None or state.access_fingerprint is None:
        return None
    renew_at = renewal_time(state, profile, policy or RefreshAhead())
    if renew_at is not None and clock.now() >= renew_at:
        return None
    try:
        access = vault.load(profile.name, ACCESS_TOKEN)
    except WorkbenchError:
        return None  # the engine will say what is wrong with the keychain
    if not access or not describes(state, access):
        return None

    note_token_type(profile, state.token_type)
    return TokenResult.stored(profile.name, access, state)


def learn_stored_clock_offset(profile: Profile, *, clock: Clock, states: StateStore | None = None) -> None:
    """Start `clock` from the provider clock offset the profile's state file recorded.

    Only while the clock has learnt nothing itself (offset 0) and only from a state written
    for this profile; the first `Date` header the process sees replaces it.
    """
    if clock.offset:
        return
    if states is None:
        states = StateStore(paths.state_dir())
    state = trusted_state(states.load(profile.name), profile)
    if state is None or not state.clock_offset:
        return
    clock.set_offset(state.clock_offset)
