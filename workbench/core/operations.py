"""User operations: one function per action the CLI and the GUI both offer.

In the manner of git-cola's ``cmds`` and Anki's ``CollectionOp``: a front end gathers
input, calls one function here (the GUI on its worker pool, never on the GUI thread)
and shows the typed result, which says what changed. Neither front end talks to the
vault or the profile store for these actions on its own, so they cannot drift apart.

Every operation validates everything first, writes second, and undoes its own vault
writes when a later step fails: a refused profile leaves nothing in the keychain.

=====================  ==============================================================
operation              result
=====================  ==============================================================
create_profile         ProfileSaved (created=True)
update_profile         ProfileSaved (what changed; whether old tokens still apply)
remove_profile         ProfileRemoved (every vault entry name it deleted)
import_profile         ProfileImported (the profile, what `--trust` accepted)
key_slot               KeySlot (where a profile keeps its signing key, which algorithms)
key_slot_status        KeySlotStatus (is a key stored there, does it fit)
attach_private_key     KeyAttached (algorithm, whether a key was replaced)
verify_token           Verification (valid or not, how, readable details)
inspect_token          Inspection (any pasted token, checked with the user's key)
render_request         RenderedRequest (method, URL, headers, body after templating)
=====================  ==============================================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError, KeyFormatError, ProfileError, WorkbenchError
from workbench.core.templating import VaultSecretSource

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.engine import TokenEngine
    from workbench.core.jwtinspect import Inspection, VerificationKey
    from workbench.core.presets import Preset
    from workbench.core.profiles import Profile
    from workbench.core.vault import Vault

PRIVATE_KEY_SECRET = "private_key"  # noqa: S105 - the vault entry's name, not a secret
MAX_SECRET_CHARS = 1024 * 1024


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ProfileSaved:
    """A profile was created or changed.

    Attributes:
        profile: the profile as written.
        created: a new profile (False: an existing one was updated).
        secrets_stored: vault entry names written by this operation.
        base_url_changed / vars_changed: what an update changed in the file.
        identity_changed: the tokens stored before were obtained for another base URL or
            other vars and no longer apply (a front end tells its engine to forget them).
        vault_warning: the vault's "no usable keychain" note, if secrets are in memory only.
    """

    profile: Profile
    created: bool
    secrets_stored: tuple[str, ...] = ()
    base_url_changed: bool = False
    vars_changed: bool = False
    identity_changed: bool = False
    vault_warning: str | None = None

    @property
    def name(self) -> str:
        return self.profile.name


@dataclass(frozen=True)
class ProfileRemoved:
    """A profile file is gone, with its vault entries (`secret_names`) and token state."""

    name: str
    secret_names: tuple[str, ...]
    # The OAuth refresh token was revoked at the issuer (RFC 7009) before the entries went.
    revoked: bool = False
    # Lines worth showing the user (a revocation that failed: the server may still honour the token).
    warnings: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class Verification:
    """The answer to "is this profile's token valid?".

    Attributes:
        valid: True / False, or None when the provider answered without saying.
        how: "signature checked locally" or "provider's check".
        summary: one line for a label ("✓ valid (signature checked locally)").
        details: (label, text) lines saying what was checked, readable as they are.
        token_fingerprint: which access token this verdict is about (`redact.fingerprint`);
            a front end shows the verdict only while that token is the current one.
    """

    profile: str
    valid: bool | None
    how: str
    summary: str
    details: tuple[tuple[str, str], ...]
    token_fingerprint: str


@dataclass(frozen=True)
class RenderedRequest:
    """An API request ready for `TokenEngine.call` (the engine adds the token)."""

    profile: str
    method: str
    target: str  # the path or URL as typed; the engine resolves it against the base URL
    url: str  # the resolved URL (for display)
    headers: tuple[tuple[str, str], ...]
    content: bytes | None = field(repr=False)
    templated: bool = False


# --------------------------------------------------------------------------- vault helpers


def _token_lock(ctx: AppContext, name: str) -> AbstractContextManager[None]:
    """The profile's token lock: through the engine if this process has one (its threads wait
    too), else the same file lock the engine of any other process takes."""
    engine = ctx.built_engine()
    if engine is not None:
        return engine.profile_lock(name)
    from workbench.core import paths
    from workbench.core.engine_wire import DEFAULT_LOCK_TIMEOUT
    from workbench.core.process_lock import profile_lock

    return profile_lock(paths.locks_dir(), name, timeout=DEFAULT_LOCK_TIMEOUT)


def _store_then(vault: Vault, profile: str, values: Mapping[str, str], then: Callable[[], None]) -> None:
    """Store `values`, then run `then`; if anything fails, put back what was stored before.

    Old values are read first so an update that fails restores them; a name that held
    nothing is deleted again. Rollback problems never hide the original error.
    """
    previous: dict[str, str | None] = {}
    for key in values:
        try:
            previous[key] = vault.load(profile, key)
        except WorkbenchError:  # a damaged entry is overwritten anyway; nothing worth restoring
            previous[key] = None
    written: list[str] = []
    try:
        for key, value in values.items():
            written.append(key)
            vault.store(profile, key, value)
        then()
    except BaseException:
        for key in reversed(written):
            try:
                old = previous[key]
                if old is None:
                    vault.delete(profile, key)
                else:
                    vault.store(profile, key, old)
            except WorkbenchError:
                pass
        raise


# --------------------------------------------------------------------------- input checks


def _inputs_list(preset: Preset) -> str:
    return ", ".join(spec.name for spec in preset.inputs) or "none"


def _check_secret_value(key: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"secret '{key}' is empty")
    if len(value) > MAX_SECRET_CHARS:
        raise InputError(f"secret '{key}' is larger than 1 MiB; that is not a secret")
    if "\x00" in value:
        raise InputError(f"secret '{key}' contains a NUL byte; that is not a secret")


def _check_inputs(preset: Preset, vars_: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    """Every name is one of the preset's inputs, of the right kind; every value is usable."""
    var_names = {spec.name for spec in preset.var_inputs}
    secret_names = {spec.name for spec in preset.secret_inputs}
    for key in vars_:
        if key in secret_names:
            raise InputError(f"'{key}' is a secret of {preset.name}: its value belongs in the keychain")
        if key not in var_names:
            raise InputError(f"{preset.name} has no input '{key}' (its inputs: {_inputs_list(preset)})")
    for key, value in secrets.items():
        if key in var_names:
            raise InputError(f"'{key}' is a plain setting of {preset.name}, not a secret")
        if key not in secret_names:
            raise InputError(f"{preset.name} has no input '{key}' (its inputs: {_inputs_list(preset)})")
        _check_secret_value(key, value)


def _check_refs(preset: Preset, refs: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    """Each reference names one of the preset's secrets, is well formed, and is not also given a value."""
    from workbench.core.secret_refs import parse_ref

    var_names = {spec.name for spec in preset.var_inputs}
    secret_names = {spec.name for spec in preset.secret_inputs}
    for key, ref in refs.items():
        if key in var_names:
            raise InputError(f"'{key}' is a plain setting of {preset.name}, not a secret")
        if key not in secret_names:
            raise InputError(f"{preset.name} has no input '{key}' (its inputs: {_inputs_list(preset)})")
        if key in secrets:
            raise InputError(f"secret '{key}' is given both a value and a reference; give one")
        parse_ref(ref, secret=key)


def _labels(preset: Preset, names: Iterable[str]) -> str:
    out = []
    for name in names:
        spec = preset.input(name)
        out.append(f"{spec.label} ({name})" if spec is not None and spec.label != name else name)
    return ", ".join(out)


# --------------------------------------------------------------------------- profiles


def create_profile(
    ctx: AppContext,
    name: str,
    *,
    preset: str,
    base_url: str,
    vars: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    override: Mapping[str, Any] | None = None,
    secret_refs: Mapping[str, str] | None = None,
) -> ProfileSaved:
    """Create a profile and store its secrets: validate all, store, write; undo on failure.

    `override` (deep-merged into the preset; `workbench import` uses it for an API key's header).
    `secret_refs`: secrets read at each use from `env:VAR` / `cmd:COMMAND`, never stored."""
    from workbench.core.profiles import validate_profile_name

    name = validate_profile_name(name)
    spec = ctx.presets.get(preset)
    given_vars = {k: v for k, v in (vars or {}).items()}
    given_secrets = dict(secrets or {})
    refs = dict(secret_refs or {})
    _check_inputs(spec, given_vars, given_secrets)
    _check_refs(spec, refs, given_secrets)
    if ctx.profiles.exists(name):
        raise _exists(name)
    missing = [
        s.name
        for s in spec.inputs
        if s.required
        and (
            (s.kind == "var" and not given_vars.get(s.name, "").strip() and s.default is None)
            or (s.kind == "secret" and s.name not in given_secrets and s.name not in refs)
        )
    ]
    if missing:
        raise InputError(f"{spec.name} needs {_labels(spec, missing)}")
    values = {s.name: s.default for s in spec.var_inputs if s.default is not None}
    values.update(given_vars)
    # Validate the whole file (base URL, names, settings) before the first secret is stored.
    profile = ctx.profiles.build(
        name,
        preset=spec.name,
        base_url=base_url,
        vars=values,
        secret_names=list(given_secrets),
        settings=settings,
        override=override,
        secret_refs=refs,
    )

    def write() -> None:
        if ctx.profiles.exists(name):  # created meanwhile (another process)
            raise _exists(name)
        ctx.profiles.save(profile)

    _store_then(ctx.vault, name, given_secrets, write)
    engine = ctx.built_engine()
    if engine is not None:
        engine.drop(name, removed=True)  # a same-named profile removed before must leave nothing behind
    return ProfileSaved(
        profile=profile,
        created=True,
        secrets_stored=tuple(given_secrets),
        vault_warning=ctx.vault.warning,
    )


def _exists(name: str) -> ProfileError:
    return ProfileError(
        f"a profile named '{name}' already exists",
        hint=f"remove it first with `workbench profile rm {name}`, or pick another name",
    )


def update_profile(
    ctx: AppContext,
    name: str,
    *,
    base_url: str | None = None,
    vars: Mapping[str, str] | None = None,
    unset_vars: Iterable[str] = (),
    secrets: Mapping[str, str] | None = None,
    settings: Mapping[str, Any | None] | None = None,
    secret_refs: Mapping[str, str] | None = None,
) -> ProfileSaved:
    """Change a profile in place: base URL, vars (set / unset), secrets, settings.

    The same checks as `create_profile`; a setting given as None is removed. Secrets
    not given keep their stored values. A secret given a reference (`secret_refs`) leaves
    the keychain (its stored value is deleted); a secret given a value loses its reference.
    """
    from workbench.core.engine_state import profile_identity

    existing = ctx.profiles.get(name)
    preset = existing.preset
    given_vars = dict(vars or {})
    given_secrets = dict(secrets or {})
    given_refs = dict(secret_refs or {})
    _check_inputs(preset, given_vars, given_secrets)
    _check_refs(preset, given_refs, given_secrets)
    unset = list(dict.fromkeys(unset_vars))
    for key in unset:
        if preset.input(key) is None or key in given_vars:
            raise InputError(
                f"cannot unset '{key}': "
                + ("it is also given a value" if key in given_vars else f"{preset.name} has no var '{key}'")
            )
    new_vars = {k: v for k, v in existing.vars.items() if k not in unset}
    new_vars.update(given_vars)
    new_settings: dict[str, Any] = dict(existing.settings)
    for key, value in (settings or {}).items():
        if value is None:
            new_settings.pop(key, None)
        else:
            new_settings[key] = value
    new_base = existing.base_url if base_url is None else base_url
    names = tuple(n for n in dict.fromkeys([*existing.secret_names, *given_secrets]) if n not in given_refs)
    refs = {k: v for k, v in existing.secret_refs.items() if k not in given_secrets}
    refs.update(given_refs)
    profile = ctx.profiles.build(
        name,
        preset=existing.preset_name,
        base_url=new_base,
        vars=new_vars,
        secret_names=names,
        settings=new_settings,
        override=existing.override,
        secret_refs=refs,
    )
    # Under the profile's token lock: a refresh in flight (here or in another process) would
    # otherwise store a rotated refresh token over the one being set, or the other way round.
    with _token_lock(ctx, name):
        _store_then(ctx.vault, name, given_secrets, lambda: ctx.profiles.save(profile))
        for key in given_refs:  # its value now comes from the reference: none stays in the keychain
            try:
                ctx.vault.delete(name, key)
            except WorkbenchError:
                pass
    before = profile_identity(existing.preset_name, existing.base_url, existing.vars)
    after = profile_identity(profile.preset_name, profile.base_url, profile.vars)
    engine = ctx.built_engine()
    if engine is not None:
        if before != after:
            engine.forget(name)  # tokens of the old base URL / vars: of no use, never sent elsewhere
        else:
            engine.drop(name)  # settings may change its renewal time: read it again
            engine.announce(name)
    return ProfileSaved(
        profile=profile,
        created=False,
        secrets_stored=tuple(given_secrets),
        base_url_changed=profile.base_url != existing.base_url,
        vars_changed=dict(profile.vars) != dict(existing.vars),
        identity_changed=before != after,
        vault_warning=ctx.vault.warning,
    )


@dataclass(frozen=True)
class ProfileImported:
    """A profile file was imported. `risks`: what it does that needed trust (empty: nothing)."""

    profile: Profile
    risks: tuple[str, ...] = ()


class UntrustedProfileError(ProfileError):
    """A profile file would send requests outside its base URL's origin or turn TLS off."""


def import_profile(ctx: AppContext, text: str, *, source: str, trust: bool = False) -> ProfileImported:
    """Import a profile file (no secret values in it). Unless `trust`, a file that would send
    requests outside its base URL's origin (an override path or URL, `allowed_origins`) or turn
    TLS verification off is refused, with what it would do
    (../shared/DESIGN.md, "Where credentials may go")."""
    from workbench.core.origins import import_risks
    from workbench.core.secret_refs import import_risks as reference_risks

    profile = ctx.profiles.parse_text(text, source=source)
    risks = (*import_risks(profile), *reference_risks(profile))
    if risks and not trust:
        raise UntrustedProfileError(
            f"not importing {source}: " + "; ".join(risks),
            hint="read the file; if you trust it, run `workbench profile import FILE --trust`",
        )
    imported = ctx.profiles.import_text(text, source=source)
    return ProfileImported(profile=imported, risks=risks)


def remove_profile(ctx: AppContext, name: str) -> ProfileRemoved:
    """Delete the profile file, every vault entry it may own, its token state and saved requests."""
    from workbench.core.profiles import validate_profile_name

    name = validate_profile_name(name)
    # OAuth logins: revoke the refresh token at the issuer first, where it offers revocation
    # (a failure is a warning: the local removal goes on).
    from workbench.core.oauth_login import forget_discovery, revoke_before_remove

    revoked, warning = revoke_before_remove(ctx, name)
    deleted = ctx.profiles.remove(name, vault=ctx.vault)
    forget_discovery(name)
    # Its saved requests go too: a later profile of the same name must not inherit them.
    from workbench.core.saved_requests import SavedRequestStore

    SavedRequestStore().remove_all(name)
    engine = ctx.built_engine()
    if engine is not None:
        engine.drop(name, removed=True)
    return ProfileRemoved(
        name=name, secret_names=deleted, revoked=revoked, warnings=(warning,) if warning else ()
    )


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


class NoKeySlotError(ProfileError):
    """The profile's preset signs nothing with a key of the user's."""


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
    from workbench.core import keys

    key = keys.load_private_key(pem)
    return keys.algorithms_for_key(key), f"this {keys.describe_key(key)}"


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
    from dataclasses import replace

    profile = ctx.profiles.get(name)
    slot = key_slot(profile)
    algorithms, text = _describe(pem)
    alg = check_algorithm(slot, algorithms, text)
    listed = slot.secret not in profile.secret_names
    replaced = ctx.vault.has(name, slot.secret)

    def write() -> None:
        if listed:
            ctx.profiles.save(replace(profile, secret_names=(*profile.secret_names, slot.secret)))

    _store_then(ctx.vault, name, {slot.secret: pem}, write)
    return KeyAttached(
        profile=name,
        secret=slot.secret,
        algorithm=alg,
        key=text.removeprefix("this "),
        replaced=replaced,
        listed=listed,
    )


# --------------------------------------------------------------------------- token facts


@dataclass(frozen=True)
class TokenFacts:
    """What a front end shows or builds about a profile's tokens, read from its preset once.

    Attributes:
        header / scheme: how the token is sent ("Authorization", "Bearer"; scheme may be "").
        can_mint / can_refresh / can_verify: the actions the provider offers (verify: a provider
            check or a key to check signatures with).
        refresh_token_lifetime: seconds the provider says a refresh token lives, when stated.
        rotates_refresh_token: every refresh hands out a new refresh token.
    """

    header: str
    scheme: str
    can_mint: bool
    can_refresh: bool
    can_verify: bool
    refresh_token_lifetime: float | None
    rotates_refresh_token: bool

    def header_value(self, token: str) -> str:
        return f"{self.scheme} {token}".strip() if self.scheme else token


def token_facts(profile: Profile) -> TokenFacts:
    preset = profile.preset
    spec = preset.token
    lifetime = spec.refresh_token_lifetime
    return TokenFacts(
        header=spec.header,
        scheme=spec.scheme,
        can_mint=preset.can_mint(),
        can_refresh=preset.can_refresh(),
        can_verify=preset.can_verify() or preset.can_verify_locally(),
        refresh_token_lifetime=float(lifetime) if lifetime else None,
        rotates_refresh_token=spec.rotates_refresh_token,
    )


# --------------------------------------------------------------------------- verify


def verify_token(engine: TokenEngine, name: str) -> Verification:
    """Check the current token: its signature with the preset's JWKS or shared secret, then the
    provider's own check when it has one. Network: run off the GUI thread."""
    from workbench.core.redact import fingerprint

    token = engine.get_token(name)
    stamp = fingerprint(token.access_token)
    details: list[tuple[str, str]] = []
    if engine.can_verify_locally(name):
        inspection = engine.verify_local(name)
        sig = inspection.signature_valid
        details.append(("Signature", "valid" if sig is True else "not checked" if sig is None else "INVALID"))
        if inspection.signature_error:
            details.append(("Why", inspection.signature_error))
        details.append(("Expired", "yes" if inspection.expired else "no"))
        for warning in inspection.warnings:
            details.append(("Warning", warning.message))
        valid = sig is True and not inspection.expired
        if not valid or not engine.provider_can_verify(name):
            how = "signature checked locally"
            return Verification(name, valid, how, _summary(valid, how), tuple(details), stamp)
    answer = engine.verify_remote(name)
    how = "provider's check"
    raw_valid = answer.get("valid")
    valid_remote = raw_valid if isinstance(raw_valid, bool) else None
    if details:
        how = "signature checked locally and provider's check"
    for key, value in answer.items():
        if key in ("how",):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        details.append((_label(key), text))
    return Verification(name, valid_remote, how, _summary(valid_remote, how), tuple(details), stamp)


def inspect_token(
    token: str,
    *,
    key: VerificationKey | None = None,
    key_kind: str = "none",
    key_text: str = "",
    now: float | None = None,
    timeout: float = 10.0,
    verify_tls: bool = True,
) -> Inspection:
    """Decode any token and check it with the key the user gave: the Inspector and `decode`.

    The key is given built (`key`, from the CLI's files and flags) or as the kind and text
    the Inspector's key box holds (`key_kind`, `key_text`; a JWKS URL is fetched here).
    Network: run off the GUI thread.
    """
    from workbench.core import jwtinspect

    if key is None:
        key = jwtinspect.key_for_kind(key_kind, key_text, timeout=timeout, verify_tls=verify_tls)
    return jwtinspect.inspect_token(token, key=key, now=now)


def _summary(valid: bool | None, how: str) -> str:
    mark = "✓ valid" if valid is True else "✗ not valid" if valid is False else "answered"
    return f"{mark} ({how})"


def _label(key: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


# --------------------------------------------------------------------------- requests


def guess_content_type(content: bytes) -> str:
    try:
        json.loads(content)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


def render_request(
    ctx: AppContext,
    profile: Profile,
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]] = (),
    body: str = "",
) -> RenderedRequest:
    """The request the user described, with its body rendered when it holds ``{{ }}`` / ``{% %}``
    (sandboxed Jinja2; `secrets.NAME` reads the vault, so run it off the GUI thread) and a
    Content-Type guessed when none is given."""
    from workbench.core.flows import resolve_url, template_context

    method = method.strip().upper() or "GET"
    target = target.strip()
    if not target:
        raise InputError("type a path (e.g. /api/echo) or a URL to send the request to")
    content: bytes | None = None
    templated = False
    if body.strip():
        text = body
        if "{{" in body or "{%" in body:
            from workbench.core.templating import TemplateRenderer, TemplateVars

            source = VaultSecretSource(ctx.vault, profile.name, refs=profile.secret_refs)
            context = template_context(profile, secrets=source)
            context["vars"] = TemplateVars(context["vars"], profile=profile.name)
            text = TemplateRenderer(clock=ctx.clock).render(body, context, field="body", where="request body")
            templated = True
        content = text.encode()
    out = list(headers)
    if content is not None and not any(k.lower() == "content-type" for k, _ in out):
        out.append(("Content-Type", guess_content_type(content)))
    return RenderedRequest(
        profile=profile.name,
        method=method,
        target=target,
        url=resolve_url(profile, target),
        headers=tuple(out),
        content=content,
        templated=templated,
    )


__all__ = [
    "KeyAttached",
    "KeySlot",
    "KeySlotStatus",
    "NoKeySlotError",
    "ProfileRemoved",
    "ProfileSaved",
    "RenderedRequest",
    "TokenFacts",
    "VaultSecretSource",
    "Verification",
    "attach_private_key",
    "check_key_generation",
    "create_profile",
    "key_slot",
    "key_slot_status",
    "remove_profile",
    "render_request",
    "token_facts",
    "update_profile",
    "verify_token",
]
