"""Profile operations: create, update, import and remove a profile with its secrets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ClientCertError, InputError, ProfileExistsError, WorkbenchError
from workbench.core.errors import UntrustedProfileError as UntrustedProfileError
from workbench.core.jose.x509 import CLIENT_CERT_SECRET, load_client_certificate

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.presets import Preset
    from workbench.core.profiles.profile import Profile
from workbench.core.engine.exchange import check_chain, exchanges
from workbench.core.engine.state import profile_identity
from workbench.core.net.origins import import_risks
from workbench.core.oauth.signout import forget_discovery, revoke_before_remove
from workbench.core.operations.secrets import MAX_SECRET_CHARS, store_then, token_lock
from workbench.core.profiles.profile import validate_profile_name
from workbench.core.profiles.secret_refs import import_risks as reference_risks
from workbench.core.profiles.secret_refs import parse_ref
from workbench.core.request.saved import SavedRequestError, SavedRequestStore, secret_entry


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
    return ", ".join(spec.flag for spec in preset.inputs) or "none"


def _check_secret_value(key: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"secret '{key}' is empty", field=f"secrets.{key}")
    if len(value) > MAX_SECRET_CHARS:
        raise InputError(f"secret '{key}' is larger than 1 MiB; that is not a secret", field=f"secrets.{key}")
    if "\x00" in value:
        raise InputError(f"secret '{key}' contains a NUL byte; that is not a secret", field=f"secrets.{key}")
    if key == CLIENT_CERT_SECRET:  # mTLS: the certificate and its key, checked before anything is stored
        try:
            load_client_certificate(value.encode("utf-8"))
        except ClientCertError as exc:
            raise ClientCertError(str(exc), hint=exc.hint, field=f"secrets.{key}") from None


def _check_input_names(preset: Preset, vars_: Iterable[str], secrets: Iterable[str]) -> None:
    """Every name is one of the preset's inputs, of the kind it was given as."""
    var_names = {spec.name for spec in preset.var_inputs}
    secret_names = {spec.name for spec in preset.secret_inputs}
    for key in vars_:
        if key in secret_names:
            raise InputError(
                f"'{key}' is a secret of {preset.name}: pass it with --secret {key}=…", field=f"secrets.{key}"
            )
        if key not in var_names:
            raise InputError(
                f"{preset.name} has no input '{key}' (its inputs: {_inputs_list(preset)})",
                field=f"vars.{key}",
            )
    for key in secrets:
        if key in var_names:
            raise InputError(
                f"'{key}' is a plain setting of {preset.name}: pass it with --set {key}=…",
                field=f"vars.{key}",
            )
        if key not in secret_names:
            raise InputError(
                f"{preset.name} has no input '{key}' (its inputs: {_inputs_list(preset)})",
                field=f"secrets.{key}",
            )


def _check_choices(preset: Preset, vars_: Mapping[str, str]) -> None:
    """A var with `choices` in its preset takes one of them (`client_auth`: the methods core signs with)."""
    for key, value in vars_.items():
        spec = preset.input(key)
        if spec is not None and spec.choices and value not in spec.choices:
            shown = ", ".join(c or "(empty)" for c in spec.choices)
            raise InputError(f"{key} '{value[:60]}' is not one of {shown}", field=f"vars.{key}")


def _check_refs(preset: Preset, refs: Mapping[str, str], secrets: Iterable[str]) -> None:
    """Each reference names one of the preset's secrets, is well formed, and is not also given a value."""

    var_names = {spec.name for spec in preset.var_inputs}
    secret_names = {spec.name for spec in preset.secret_inputs}
    given = set(secrets)
    for key, ref in refs.items():
        field = f"secrets.{key}"
        if key in var_names:
            raise InputError(
                f"'{key}' is a plain setting of {preset.name}: pass it with --set {key}=…",
                field=f"vars.{key}",
            )
        if key not in secret_names:
            raise InputError(
                f"{preset.name} has no secret '{key}' (its inputs: {_inputs_list(preset)})", field=field
            )
        if key in given:
            raise InputError(f"secret '{key}' is given both --secret and --secret-ref; give one", field=field)
        try:
            parse_ref(ref, secret=key)
        except InputError as exc:
            exc.field = exc.field or field
            raise


def _check_complete(preset: Preset, vars_: Mapping[str, str], secrets: Iterable[str]) -> None:
    """Every required input is there: a var with a value (or a default), a secret stored or referenced."""
    have = set(secrets)
    missing = [
        spec
        for spec in preset.inputs
        if spec.required
        and (
            (spec.kind == "var" and not vars_.get(spec.name, "").strip() and spec.default is None)
            or (spec.kind == "secret" and spec.name not in have)
        )
    ]
    if missing:
        first = missing[0]
        raise InputError(
            f"{preset.name} needs " + " and ".join(spec.flag for spec in missing),
            field=f"{'vars' if first.kind == 'var' else 'secrets'}.{first.name}",
        )


# --------------------------------------------------------------------------- profiles


def check_new_profile(
    ctx: AppContext,
    name: str,
    *,
    preset: str,
    base_url: str,
    vars: Mapping[str, str] | None = None,
    secret_names: Iterable[str] = (),
    settings: Mapping[str, Any] | None = None,
    override: Mapping[str, Any] | None = None,
    secret_refs: Mapping[str, str] | None = None,
    pending: bool = False,
) -> Profile:
    """Validate-only `create_profile`: every check that needs no secret value (a front end calls
    it before asking for secrets). Returns the profile that would be written; writes nothing.

    `secret_names`: the secrets that will be given values. Errors carry the field they concern.
    `pending`: required inputs may be missing (see `create_profile`).
    """

    name = validate_profile_name(name)
    spec = ctx.presets.get(preset)
    given_vars = dict(vars or {})
    names = list(dict.fromkeys(secret_names))
    refs = dict(secret_refs or {})
    _check_input_names(spec, given_vars, names)
    _check_choices(spec, given_vars)
    _check_refs(spec, refs, names)
    if ctx.profiles.exists(name):
        raise ProfileExistsError(name)
    if not pending:
        _check_complete(spec, given_vars, [*names, *refs])
    values = {s.name: s.default for s in spec.var_inputs if s.default is not None}
    values.update(given_vars)
    built = ctx.profiles.build(
        name,
        preset=spec.name,
        base_url=base_url,
        vars=values,
        secret_names=names,
        settings=settings,
        override=override,
        secret_refs=refs,
        pending=pending,
    )
    _refuse_exchange_cycle(ctx, built)
    return built


def _refuse_exchange_cycle(ctx: AppContext, profile: Profile) -> None:
    """A token exchange whose subject (or actor) leads back to it can never obtain a token: refused
    when it is saved (a subject that does not exist yet is fine: it may be created next)."""
    if not exchanges(profile):
        return

    def lookup(name: str) -> Profile | None:
        if name == profile.name:
            return profile
        try:
            return ctx.profiles.get(name) if name in ctx.profiles.names() else None
        except WorkbenchError:
            return None  # a damaged file leads nowhere; the token request says what is wrong

    check_chain(profile.name, lookup, missing_ok=True)


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
    given_secrets = dict(secrets or {})
    # Validate the whole file (base URL, names, settings) before the first secret is stored.
    profile = check_new_profile(
        ctx,
        name,
        preset=preset,
        base_url=base_url,
        vars=vars,
        secret_names=list(given_secrets),
        settings=settings,
        override=override,
        secret_refs=secret_refs,
        pending=pending,
    )
    for key, value in given_secrets.items():
        _check_secret_value(key, value)
    name = profile.name
    # Under the name's token lock, looking again: of racing creators one writes, the others store
    # nothing (a loser's rollback used to delete the winner's secrets).
    with token_lock(ctx, name):
        if ctx.profiles.exists(name):
            raise ProfileExistsError(name)
        store_then(ctx.vault, name, given_secrets, lambda: ctx.profiles.save(profile))
    engine = ctx.built_engine()
    if engine is not None:
        engine.drop(name, removed=True)  # a same-named profile removed before must leave nothing behind
    return ProfileSaved(
        profile=profile,
        created=True,
        secrets_stored=tuple(given_secrets),
        vault_warning=ctx.vault.warning,
    )


def check_profile_update(
    ctx: AppContext,
    name: str,
    *,
    base_url: str | None = None,
    vars: Mapping[str, str] | None = None,
    unset_vars: Iterable[str] = (),
    secret_names: Iterable[str] = (),
    settings: Mapping[str, Any | None] | None = None,
    secret_refs: Mapping[str, str] | None = None,
    current: Profile | None = None,
) -> Profile:
    """Validate-only `update_profile` (no secret values needed): the profile as it would be written.

    `current`: the profile as the caller already read it (a form checking as the user types),
    so no file is read again."""
    change = _Change.of(base_url, vars, unset_vars, secret_names, settings, secret_refs)
    existing = current if current is not None and current.name == name else ctx.profiles.get(name)
    return _changed_profile(ctx, existing, change)


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
    Tokens obtained for the old base URL or vars are forgotten (`identity_changed`).
    """

    given_secrets = dict(secrets or {})
    change = _Change.of(base_url, vars, unset_vars, given_secrets, settings, secret_refs)
    # Read, change and write under the profile's token lock: a concurrent `profile set` of
    # another field would otherwise be overwritten by this one's stale copy of the file, and a
    # refresh in flight (here or in another process) would store a rotated refresh token over
    # the one being set, or the other way round.
    with token_lock(ctx, name):
        existing = ctx.profiles.get(name)
        profile = _changed_profile(ctx, existing, change)
        for key, value in given_secrets.items():
            _check_secret_value(key, value)
        store_then(ctx.vault, name, given_secrets, lambda: ctx.profiles.save(profile))
        for key in change.refs:  # its value now comes from the reference: none stays in the keychain
            try:
                ctx.vault.delete(name, key)
            except WorkbenchError:
                pass
    before = profile_identity(existing.preset_name, existing.base_url, existing.vars)
    after = profile_identity(profile.preset_name, profile.base_url, profile.vars)
    if before != after:
        # Tokens of the old base URL / vars are of no use and never sent elsewhere: forgotten
        # whether or not this process had built its engine yet.
        ctx.engine.forget(name)
    else:
        engine = ctx.built_engine()
        if engine is not None:
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
class _Change:
    """What an update was asked to change (settings given None are removed)."""

    base_url: str | None
    vars: dict[str, str]
    unset: tuple[str, ...]
    secrets: tuple[str, ...]  # names of the secrets given new values
    settings: dict[str, Any | None]
    refs: dict[str, str]

    @classmethod
    def of(
        cls,
        base_url: str | None,
        vars_: Mapping[str, str] | None,
        unset: Iterable[str],
        secrets: Iterable[str],
        settings: Mapping[str, Any | None] | None,
        refs: Mapping[str, str] | None,
    ) -> _Change:
        return cls(
            base_url=base_url,
            vars=dict(vars_ or {}),
            unset=tuple(dict.fromkeys(unset)),
            secrets=tuple(dict.fromkeys(secrets)),
            settings=dict(settings or {}),
            refs=dict(refs or {}),
        )


def _changed_profile(ctx: AppContext, existing: Profile, change: _Change) -> Profile:
    """`existing` with `change` applied, every input checked (nothing written)."""
    preset = existing.preset
    _check_input_names(preset, change.vars, change.secrets)
    _check_choices(preset, change.vars)
    _check_refs(preset, change.refs, change.secrets)
    for key in change.unset:
        if preset.input(key) is None or key in change.vars:
            raise InputError(
                f"cannot unset '{key}': "
                + ("it is also given a value" if key in change.vars else f"{preset.name} has no var '{key}'"),
                field=f"vars.{key}",
            )
    new_vars = {k: v for k, v in existing.vars.items() if k not in change.unset}
    new_vars.update(change.vars)
    for key, value in change.vars.items():
        spec = preset.input(key)
        if spec is not None and spec.required and spec.default is None and not value.strip():
            raise InputError(f"{preset.name} needs {spec.flag}: '{key}' cannot be empty", field=f"vars.{key}")
    new_settings: dict[str, Any] = dict(existing.settings)
    for key, setting in change.settings.items():
        if setting is None:
            new_settings.pop(key, None)
        else:
            new_settings[key] = setting
    names = dict.fromkeys([*existing.secret_names, *change.secrets])
    refs = {k: v for k, v in existing.secret_refs.items() if k not in change.secrets}
    refs.update(change.refs)
    changed = ctx.profiles.build(
        existing.name,
        preset=existing.preset_name,
        base_url=existing.base_url if change.base_url is None else change.base_url,
        vars=new_vars,
        secret_names=tuple(n for n in names if n not in change.refs),
        settings=new_settings,
        override=existing.override,
        secret_refs=refs,
        pending=existing.pending,  # cleared once every required input is there
    )
    _refuse_exchange_cycle(ctx, changed)
    return changed


@dataclass(frozen=True)
class ProfileImported:
    """A profile file was imported. `risks`: what it does that needed trust (empty: nothing)."""

    profile: Profile
    risks: tuple[str, ...] = ()


def import_profile(ctx: AppContext, text: str, *, source: str, trust: bool = False) -> ProfileImported:
    """Import a profile file (no secret values in it). Unless `trust`, a file that would send
    requests outside its base URL's origin (an override path or URL, `allowed_origins`) or turn
    TLS verification off is refused, with what it would do
    (docs/ARCHITECTURE.md, "Where credentials may go")."""

    profile = ctx.profiles.parse_text(text, source=source)
    risks = (*import_risks(profile), *reference_risks(profile))
    if risks and not trust:
        raise UntrustedProfileError(
            f"not importing {source}: " + "; ".join(risks),
            hint="read the file; if you trust it, run `workbench profile import FILE --trust`",
        )
    with token_lock(ctx, profile.name):  # two imports of one name: one writes, the other is refused
        imported = ctx.profiles.import_text(text, source=source)
    return ProfileImported(profile=imported, risks=risks)


def remove_profile(ctx: AppContext, name: str) -> ProfileRemoved:
    """Delete the profile file, every vault entry it may own, its token state and saved requests."""

    name = validate_profile_name(name)
    # OAuth logins: revoke the refresh token at the issuer first, where it offers revocation
    # (a failure is a warning: the local removal goes on).

    revoked, warning = revoke_before_remove(ctx, name)
    # Under the token lock: a refresh in flight in another process would otherwise store its
    # rotated tokens after the entries went, and they would outlive the profile.
    with token_lock(ctx, name):
        deleted = ctx.profiles.remove(name, vault=ctx.vault)
    forget_discovery(name)
    # Its saved requests go too: a later profile of the same name must not inherit them.

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
