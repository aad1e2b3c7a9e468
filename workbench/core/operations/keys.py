"""Key operations: where a profile keeps its signing key, checking and attaching one."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.errors import KeyFormatError, WorkbenchError
from workbench.core.errors import NoKeySlotError as NoKeySlotError  # defined in the error tree
from workbench.core.jose import jws, keys

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.presets import Preset
    from workbench.core.profiles.profile import Profile
from workbench.core.operations.secrets import PRIVATE_KEY_SECRET, store_listed_secret


@dataclass(frozen=True)
class KeySlot:
    """Where a profile keeps its private signing key.

    Attributes:
        profile / preset: the profile's name and its preset's name.
        secret: the vault entry name (``private_key``).
        algorithms: the JOSE algorithms the preset signs with that key (empty: any key
            the preset's flow accepts, e.g. OAuth ``private_key_jwt``).
    """

    profile: str
    preset: str
    secret: str
    algorithms: tuple[str, ...]

    def describe(self) -> str:
        return "/".join(self.algorithms) if self.algorithms else "any supported"


@dataclass(frozen=True)
class KeySlotStatus:
    """What is in a key slot now: nothing, a key that fits the preset, or one that does not."""

    slot: KeySlot
    stored: bool
    stored_key: str | None = None  # "EC P-256 key" etc.; None when nothing (readable) is stored
    stored_fits: bool = False

    @property
    def has_working_key(self) -> bool:
        return self.stored and self.stored_fits


@dataclass(frozen=True)
class KeyAttached:
    """A private key was stored in a profile's key slot."""

    profile: str
    secret: str
    algorithm: str
    key: str  # "EC P-256 key", for messages
    replaced: bool  # a value was stored there before
    listed: bool  # the secret name was added to the profile file


# --------------------------------------------------------------------------- keys

# `sign("ES256", secrets.private_key, …)` or `sign('RS256', secrets["private_key"], …)` in a template.
_SIGN_CALL = re.compile(
    r"""sign\(\s*["']([A-Za-z0-9]+)["']\s*,\s*secrets(?:\.([A-Za-z0-9_]+)|\[\s*["']([A-Za-z0-9_.-]+)["']\s*\])"""
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def signing_algorithms(preset: Preset) -> dict[str, tuple[str, ...]]:
    """Secret name → the JOSE algorithms the preset's templates sign with it (from `sign(…)`)."""
    found: dict[str, list[str]] = {}
    for text in _strings(preset.data):
        for match in _SIGN_CALL.finditer(text):
            secret = match.group(2) or match.group(3)
            found.setdefault(secret, [])
            if match.group(1) not in found[secret]:
                found[secret].append(match.group(1))
    return {k: tuple(v) for k, v in found.items()}


def key_slot(profile: Profile) -> KeySlot:
    """Where `profile` keeps its private key, or NoKeySlotError saying it takes none."""
    preset = profile.preset
    secret_inputs = {spec.name for spec in preset.secret_inputs}
    signing = {k: v for k, v in signing_algorithms(preset).items() if k in secret_inputs}
    if PRIVATE_KEY_SECRET in signing or PRIVATE_KEY_SECRET in secret_inputs:
        secret = PRIVATE_KEY_SECRET
    elif signing:
        secret = next(iter(signing))
    else:
        raise NoKeySlotError(
            f"profile '{profile.name}' (preset {profile.preset_name}) takes no {PRIVATE_KEY_SECRET} secret: "
            f"{preset.title} does not sign requests with a key of yours"
        )
    return KeySlot(
        profile=profile.name, preset=profile.preset_name, secret=secret, algorithms=signing.get(secret, ())
    )


def key_family(alg: str) -> tuple[str, ...]:
    """Every JOSE algorithm a key generated for `alg` signs with: an RSA key signs RS*/PS*,
    an EC or OKP key its one algorithm."""
    return keys.RSA_ALGORITHMS if alg in keys.RSA_ALGORITHMS else (alg,)


def takes_key(profile: Profile, algorithms: Iterable[str]) -> bool:
    """Whether `profile` has a key slot a key signing with one of `algorithms` fits (what
    `attach_private_key` would accept, read from the preset alone)."""
    try:
        slot = key_slot(profile)
    except NoKeySlotError:
        return False
    return not slot.algorithms or any(alg in slot.algorithms for alg in algorithms)


def profiles_taking_key(profiles: Iterable[Profile], alg: str) -> list[str]:
    """The names of the `profiles` a key generated for `alg` can be attached to, in order:
    an RSA key is not offered to an HS256 profile (no key slot) or to an ES256-only one."""
    family = key_family(alg)
    return [p.name for p in profiles if takes_key(p, family)]


def check_algorithm(slot: KeySlot, algorithms: Iterable[str], key_text: str) -> str:
    """The algorithm a key with `algorithms` will sign with in `slot`; InputError when none fits."""
    offered = tuple(algorithms)
    if not slot.algorithms:
        return offered[0]
    for alg in offered:
        if alg in slot.algorithms:
            return alg
    wanted = slot.describe()
    raise KeyFormatError(
        f"profile '{slot.profile}' (preset {slot.preset}) signs with {wanted}; {key_text} cannot "
        f"(it signs {'/'.join(offered)})",
        hint=f"generate a {slot.algorithms[0]} key for it",
    )


def _describe(pem: str) -> tuple[tuple[str, ...], str]:
    key = keys.load_private_key(pem)
    return keys.algorithms_for_key(key), f"this {jws.describe_key(key)}"


def key_slot_status(ctx: AppContext, name: str, new_pem: str | None = None) -> KeySlotStatus:
    """The profile's key slot and what is stored in it now (reads the vault: run off the GUI thread).

    With `new_pem`, first check that key fits the slot (KeyFormatError if not): a front end
    asks "replace the working key?" only about a key that could replace it."""
    slot = key_slot(ctx.profiles.get(name))
    if new_pem is not None:
        check_algorithm(slot, *_describe(new_pem))
    stored = ctx.vault.load(name, slot.secret)
    if not stored:
        return KeySlotStatus(slot=slot, stored=False)
    try:
        algorithms, text = _describe(stored)
        check_algorithm(slot, algorithms, text)
    except KeyFormatError:
        try:
            text = _describe(stored)[1]
        except WorkbenchError:
            text = None
        return KeySlotStatus(slot=slot, stored=True, stored_key=text, stored_fits=False)
    except WorkbenchError:
        return KeySlotStatus(slot=slot, stored=True)
    return KeySlotStatus(slot=slot, stored=True, stored_key=text, stored_fits=True)


def check_key_generation(ctx: AppContext, name: str, alg: str) -> KeySlot:
    """Before generating an `alg` key for profile `name`: it has a slot and signs with `alg`."""
    slot = key_slot(ctx.profiles.get(name))
    check_algorithm(slot, (alg,), f"an {alg} key")
    return slot


def attach_private_key(ctx: AppContext, name: str, pem: str) -> KeyAttached:
    """Store `pem` in the profile's key slot after checking it fits the preset's algorithm.

    The secret name is added to the profile file when missing; a failure undoes the store.
    """
    slot = key_slot(ctx.profiles.get(name))
    algorithms, text = _describe(pem)
    alg = check_algorithm(slot, algorithms, text)
    replaced, listed = store_listed_secret(ctx, name, slot.secret, pem)
    return KeyAttached(
        profile=name,
        secret=slot.secret,
        algorithm=alg,
        key=text.removeprefix("this "),
        replaced=replaced,
        listed=listed,
    )
