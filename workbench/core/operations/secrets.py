"""Writing a profile's secrets: under its token lock, rolled back on failure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING

from workbench.core.engine.wire import DEFAULT_LOCK_TIMEOUT
from workbench.core.errors import WorkbenchError
from workbench.core.storage import paths
from workbench.core.storage.process_lock import profile_lock

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.storage.vault import Vault


PRIVATE_KEY_SECRET = "private_key"  # noqa: S105 - the vault entry's name, not a secret
MAX_SECRET_CHARS = 1024 * 1024


# --------------------------------------------------------------------------- vault helpers


def token_lock(ctx: AppContext, name: str) -> AbstractContextManager[None]:
    """The profile's token lock: through the engine if this process has one (its threads wait
    too), else the same file lock the engine of any other process takes."""
    engine = ctx.built_engine()
    if engine is not None:
        return engine.profile_lock(name)

    return profile_lock(paths.locks_dir(), name, timeout=DEFAULT_LOCK_TIMEOUT)


def store_listed_secret(ctx: AppContext, name: str, secret: str, value: str) -> tuple[bool, bool]:
    """Store `value` as profile `name`'s secret `secret` and list the secret's name in the profile
    file when it is missing; a failure undoes the store. Under the profile's token lock, the file
    read again inside: racing attaches (4× `keygen --profile`) used to write parts of one
    generation over each other, and a stale copy of the file could drop the secret's name.

    Returns (replaced: the secret held a value before, listed: its name was added to the file).
    """
    with token_lock(ctx, name):
        profile = ctx.profiles.get(name)
        listed = secret not in profile.secret_names
        replaced = ctx.vault.has(name, secret)

        def write() -> None:
            if listed:
                ctx.profiles.save(replace(profile, secret_names=(*profile.secret_names, secret)))

        store_then(ctx.vault, name, {secret: value}, write)
    return replaced, listed


def store_then(vault: Vault, profile: str, values: Mapping[str, str], then: Callable[[], None]) -> None:
    """Store `values`, then run `then`; if anything fails, put back what was stored before.

    Call it under the profile's token lock (`token_lock`): the old values are read first, so
    an update that fails restores them and a name that held nothing is deleted again. The
    rollback undoes only this call's own writes: an entry that no longer holds the value
    written here (another writer's since) is left alone. Rollback problems never hide the
    original error.
    """
    previous: dict[str, str | None] = {}
    for key in values:
        try:
            previous[key] = vault.load(profile, key)
        except WorkbenchError:  # a damaged entry is overwritten anyway; nothing worth restoring
            previous[key] = None
    written: dict[str, str] = {}
    try:
        for key, value in values.items():
            written[key] = value
            vault.store(profile, key, value)
        then()
    except BaseException:
        for key, value in reversed(written.items()):
            try:
                if vault.load(profile, key) != value:
                    continue  # not ours (any more): a store that failed before its switch, or another writer
                old = previous[key]
                if old is None:
                    vault.delete(profile, key)
                else:
                    vault.store(profile, key, old)
            except WorkbenchError:
                pass
        raise
