"""Profile operations: create, update, import and remove a profile with its secrets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError, ProfileError, WorkbenchError

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.presets import Preset
    from workbench.core.profiles.profile import Profile
from workbench.core.operations.secrets import MAX_SECRET_CHARS, store_then, token_lock


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
class RemovalPreview:
    """What removing a profile would delete: the vault entries that exist now, and whether an
    OAuth refresh token is revoked at the issuer first (where it offers revocation)."""

    name: str
    secret_names: tuple[str, ...]
    revokes: bool


def removal_preview(ctx: AppContext, name: str) -> RemovalPreview:
    """For "Remove profile?": only the secrets that are stored (reads the keychain: off the GUI
    thread)."""
    profile = ctx.profiles.get(name)
    stored = tuple(n for n in profile.all_secret_names if ctx.vault.has(name, n))
    revokes = profile.preset.data.get("oauth") is not None and "refresh_token" in stored
    return RemovalPreview(name=name, secret_names=stored, revokes=revokes)


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
    from workbench.core.profiles.secret_refs import parse_ref

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
    pending: bool = False,
) -> ProfileSaved:
    """Create a profile and store its secrets: validate all, store, write; undo on failure.

    `override` (deep-merged into the preset; `workbench import` uses it for an API key's header).
    `secret_refs`: secrets read at each use from `env:VAR` / `cmd:COMMAND`, never stored.
    `pending` (`workbench import`): required inputs, even the base URL, may be missing; the
    profile is created marked pending and names them until `profile set` completes it."""
    from workbench.core.profiles.profile import validate_profile_name

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
    if missing and not pending:
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
        pending=pending,
    )

    def write() -> None:
        if ctx.profiles.exists(name):  # created meanwhile (another process)
            raise _exists(name)
        ctx.profiles.save(profile)

    store_then(ctx.vault, name, given_secrets, write)
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
    from workbench.core.engine.state import profile_identity

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
        pending=existing.pending,  # cleared once every required input is there
    )
    # Under the profile's token lock: a refresh in flight (here or in another process) would
    # otherwise store a rotated refresh token over the one being set, or the other way round.
    with token_lock(ctx, name):
        store_then(ctx.vault, name, given_secrets, lambda: ctx.profiles.save(profile))
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
    from workbench.core.net.origins import import_risks
    from workbench.core.profiles.secret_refs import import_risks as reference_risks

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
    from workbench.core.profiles.profile import validate_profile_name

    name = validate_profile_name(name)
    # OAuth logins: revoke the refresh token at the issuer first, where it offers revocation
    # (a failure is a warning: the local removal goes on).
    from workbench.core.oauth.signout import forget_discovery, revoke_before_remove

    revoked, warning = revoke_before_remove(ctx, name)
    deleted = ctx.profiles.remove(name, vault=ctx.vault)
    forget_discovery(name)
    # Its saved requests go too: a later profile of the same name must not inherit them.
    from workbench.core.request.saved import SavedRequestError, SavedRequestStore, secret_entry

    store = SavedRequestStore()
    try:
        secret_vars = store.load(name).secret_vars
    except SavedRequestError:
        secret_vars = []
    for var in secret_vars:  # the saved requests' secret variables leave the keychain with them
        try:
            ctx.vault.delete(name, secret_entry(var))
        except WorkbenchError:
            pass
    store.remove_all(name)
    engine = ctx.built_engine()
    if engine is not None:
        engine.drop(name, removed=True)
    return ProfileRemoved(
        name=name, secret_names=deleted, revoked=revoked, warnings=(warning,) if warning else ()
    )
