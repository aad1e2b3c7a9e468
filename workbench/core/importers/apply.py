"""Store an `ImportPlan`: validate everything first, write second, roll back on failure.

Per profile: its secrets to the vault, its file, then its saved requests. A name that
is already taken gets a `-2`, `-3` … suffix (reported), so an import never overwrites
a profile. If anything fails part-way, every profile, keychain entry and request file
this import created is removed again and the error is raised: nothing half-imported
stays behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core.errors import WorkbenchError
from workbench.core.importers.common import unique
from workbench.core.importers.model import ImportPlan, ProfilePlan
from workbench.core.saved_requests import SavedRequest, SavedRequestFile, SavedRequestStore, check_no_secrets

if TYPE_CHECKING:
    from workbench.core.profiles import Profile, ProfileStore
    from workbench.core.vault import Vault

# (store, vault, name, preset, base_url, vars, secrets, settings, override) → the saved profile
CreateProfile = Callable[..., "Profile"]


@dataclass
class ImportOutcome:
    profiles: list[str] = field(default_factory=list)
    requests: int = 0
    renamed: dict[str, str] = field(default_factory=dict)  # planned name → name used


def _settings_for(plan: ProfilePlan, store: ProfileStore, requests_origins: set[str]) -> dict[str, Any]:
    """`allowed_origins` for requests at another origin than the base URL (when profiles know the key)."""
    from workbench.core import profiles as profiles_module

    others = sorted(o for o in requests_origins if o and o != _origin(plan.base_url))
    if others and "allowed_origins" in getattr(profiles_module, "SETTINGS_KEYS", ()):
        return {"allowed_origins": others}
    return {}


def _origin(url: str) -> str:
    from workbench.core.importers.common import origin_of

    return origin_of(url) or ""


def _default_create(
    store: ProfileStore,
    vault: Vault,
    name: str,
    *,
    preset: str,
    base_url: str,
    vars: dict[str, str],
    secrets: dict[str, str],
    settings: dict[str, Any],
    override: dict[str, Any],
) -> Profile:
    profile = store.build(
        name,
        preset=preset,
        base_url=base_url,
        vars=vars,
        secret_names=list(secrets),
        settings=settings or None,
        override=override or None,
    )
    stored: list[str] = []
    try:
        for key, value in secrets.items():
            vault.store(name, key, value)
            stored.append(key)
        store.save(profile)
    except BaseException:
        with contextlib.suppress(WorkbenchError):
            vault.delete_profile(name, stored)
        raise
    return profile


def apply_plan(
    plan: ImportPlan,
    *,
    profiles: ProfileStore,
    vault: Vault,
    requests: SavedRequestStore | None = None,
    create_profile: CreateProfile | None = None,
) -> ImportOutcome:
    requests = requests or SavedRequestStore()
    create = create_profile or _default_create
    outcome = ImportOutcome()

    # 1. Names: never overwrite an existing profile.
    taken = set(profiles.names())
    for p in plan.profiles:
        new = unique(p.name, taken)
        if new != p.name:
            outcome.renamed[p.name] = new
    by_profile: dict[str, list[SavedRequest]] = {}
    origins: dict[str, set[str]] = {}
    for r in plan.requests:
        saved = SavedRequest(
            name=r.name,
            method=r.method,
            url=r.url,
            title=r.title,
            headers=tuple(r.headers),
            body=r.body,
            body_type=r.body_type,
            form=tuple(r.form),
        )
        check_no_secrets(saved, f"request '{r.title or r.name}'")
        by_profile.setdefault(r.profile, []).append(saved)
        origins.setdefault(r.profile, set()).add(_origin(r.url))

    # 2. Validate every profile before the first write.
    built = []
    for p in plan.profiles:
        name = outcome.renamed.get(p.name, p.name)
        settings = _settings_for(p, profiles, origins.get(p.name, set()))
        profiles.build(
            name,
            preset=p.preset,
            base_url=p.base_url,
            vars=p.vars,
            secret_names=list(p.secrets),
            settings=settings or None,
            override=p.override or None,
        )
        built.append((p, name, settings))

    # 3. Write, undoing everything on failure.
    created: list[tuple[str, list[str]]] = []
    previous_files: dict[str, str | None] = {}  # a leftover requests file of that name is restored on failure
    try:
        for p, name, settings in built:
            create(
                profiles,
                vault,
                name,
                preset=p.preset,
                base_url=p.base_url,
                vars=dict(p.vars),
                secrets=dict(p.secrets),
                settings=settings,
                override=dict(p.override),
            )
            created.append((name, list(p.secrets)))
            saved_list = by_profile.get(p.name, [])
            variables = plan.variables.get(p.name, {})
            if saved_list or variables:
                path = requests.path_for(name)
                previous_files[name] = path.read_text(encoding="utf-8") if path.is_file() else None
                existing = requests.load(name)
                file = SavedRequestFile(name, {**existing.vars, **variables}, dict(existing.requests))
                names = set(file.requests)
                for saved in saved_list:
                    final = unique(saved.name, names)
                    file.requests[final] = (
                        saved
                        if final == saved.name
                        else SavedRequest(
                            name=final,
                            method=saved.method,
                            url=saved.url,
                            title=saved.title,
                            headers=saved.headers,
                            body=saved.body,
                            body_type=saved.body_type,
                            form=saved.form,
                        )
                    )
                requests.write(file)
                outcome.requests += len(saved_list)
            outcome.profiles.append(name)
    except BaseException:
        for name, secret_names in reversed(created):
            with contextlib.suppress(Exception):
                old = previous_files.get(name)
                if old is None:
                    requests.remove_all(name)
                else:
                    requests.path_for(name).write_text(old, encoding="utf-8")
            with contextlib.suppress(Exception):
                profiles.remove(name, vault=vault)
            with contextlib.suppress(Exception):
                vault.delete_profile(name, secret_names)
        raise
    return outcome


__all__ = ["ImportOutcome", "apply_plan"]
