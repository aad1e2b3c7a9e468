"""Store an `ImportPlan`: validate everything first, write second, roll back on failure.

Profiles are created through `operations.create_profile` (the one "create a profile
with its secrets" the CLI and the GUI share): secrets to the vault, then the file.
Saved requests are written beside them. A name already taken gets a `-2`, `-3` …
suffix (reported), so an import never overwrites a profile.

A profile the source does not give every required input for (an OpenAPI document
holds no secrets; a collection variable may be empty; a token is a placeholder) is
created *pending*: its file says so and names what it needs (`profile list`/`show`),
`request list`, `snippet` and saved requests work on it, `token`/`call` say in one line
which inputs are missing, and `workbench profile set` completes it. `pending` carries
that `profile set` line.

A profile whose saved requests go to other origins gets them as `[settings] allowed_origins`
(its token may then be sent there) only with `trust=True` (`workbench import --trust`, or the
GUI import dialog's "Let each profile's token go to…" box). Without it the profile and its
requests are imported all the same, the origins are left out (`call` refuses them with one
line) and `withheld` says which, so a hostile collection cannot route a token elsewhere.

If anything fails part-way, every profile, keychain entry and request file this import
created is removed again (a request file that was there before is put back) and the
error is raised: nothing half-imported stays behind.
"""

from __future__ import annotations

import contextlib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core import operations
from workbench.core.importers.common import origin_of, unique
from workbench.core.importers.model import ImportPlan, ProfilePlan, RequestPlan
from workbench.core.request.saved import (
    SavedRequest,
    SavedRequestFile,
    SavedRequestStore,
    check_no_secrets,
    secret_entry,
)

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.operations import ProfileSaved

CreateProfile = Callable[..., "ProfileSaved"]
_Step = tuple[ProfilePlan, str, dict[str, Any], bool]  # plan, name used, settings, complete


@dataclass
class ImportOutcome:
    profiles: list[str] = field(default_factory=list)
    requests: int = 0
    renamed: dict[str, str] = field(default_factory=dict)  # planned name → name used
    pending: dict[str, str] = field(default_factory=dict)  # pending profile → the line that completes it
    vault_warning: str | None = None
    risks: list[str] = field(default_factory=list)  # accepted with trust=True
    withheld: dict[str, list[str]] = field(default_factory=dict)  # profile → origins not allowed


def settings_for(plan: ProfilePlan, request_origins: set[str]) -> dict[str, Any]:
    """`allowed_origins`: the origins of the profile's saved requests other than its base URL's
    (an OAuth profile's base URL is its token endpoint; its API lives elsewhere)."""
    own = origin_of(plan.base_url)
    others = sorted(o for o in request_origins if o and o != own)
    return {"allowed_origins": others} if others else {}


_LEADING_VAR = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def request_origins(plan: ImportPlan, request: RequestPlan) -> set[str]:
    """Where a saved request goes: its URL's origin, or for `{{ baseUrl }}/…` the origins that
    variable has in the profile's [vars] and in each environment (`--env NAME`)."""
    found = origin_of(request.url)
    if found:
        return {found}
    match = _LEADING_VAR.match(request.url)
    if not match:
        return {""}
    sets = [plan.variables.get(request.profile, {}), *plan.environments.get(request.profile, {}).values()]
    return {origin_of(values.get(match.group(1), "")) or "" for values in sets} or {""}


def _apply_trust(outcome: ImportOutcome, steps: list[_Step], trust: bool) -> list[_Step]:
    """With `trust`, the steps as planned and `outcome.risks` saying what was accepted: profiles
    whose token would also go to other origins (docs/ARCHITECTURE.md, "Where credentials
    may go"). Without, those origins taken out of the steps and listed in `outcome.withheld`."""
    decided = []
    for p, name, settings, complete in steps:
        origins = settings.get("allowed_origins")
        if origins and trust:
            outcome.risks.append(
                f"profile '{name}' would send its token to "
                + ", ".join(origins)
                + " (where its saved requests go)"
            )
        elif origins:
            outcome.withheld[name] = list(origins)
            settings = {k: v for k, v in settings.items() if k != "allowed_origins"}
        decided.append((p, name, settings, complete))
    return decided


def set_command(name: str, missing: list[tuple[str, str]]) -> str:
    """The `workbench profile set` line that completes a pending profile (never with a secret value)."""
    command = "workbench profile set " + shlex.quote(name)
    for kind, what in missing:
        if kind == "base_url":
            command += " --base-url URL"
        elif kind == "secret":
            command += f" --secret {what}"
        else:
            command += f" --set {what}=…"
    return command


def missing_inputs(ctx: AppContext, plan: ProfilePlan) -> list[tuple[str, str]]:
    """Required inputs the plan has no value for: (kind, name), kind "base_url" | "var" | "secret"."""
    preset = ctx.presets.get(plan.preset)
    missing: list[tuple[str, str]] = [] if plan.base_url else [("base_url", "base_url")]
    for spec in preset.inputs:
        if not spec.required:
            continue
        if spec.kind == "var" and not plan.vars.get(spec.name, "").strip() and spec.default is None:
            missing.append((spec.kind, spec.name))
        if spec.kind == "secret" and spec.name not in plan.secrets and spec.name not in plan.secret_refs:
            missing.append((spec.kind, spec.name))
    return missing


def _prepare(
    plan: ImportPlan, ctx: AppContext
) -> tuple[ImportOutcome, list[_Step], dict[str, list[SavedRequest]]]:
    outcome = ImportOutcome()

    # 1. Names: never overwrite an existing profile (nor a saved-requests file of a pending one).
    taken = set(ctx.profiles.names())
    for p in plan.profiles:
        new = unique(p.name, taken)
        if new != p.name:
            outcome.renamed[p.name] = new
    by_profile: dict[str, list[SavedRequest]] = {}
    origins: dict[str, set[str]] = {}
    for r in plan.requests:
        saved = SavedRequest(
            name=r.name, method=r.method, url=r.url, title=r.title, headers=tuple(r.headers),
            body=r.body, body_type=r.body_type, form=tuple(r.form), folder=r.folder,
        )  # fmt: skip
        check_no_secrets(saved, f"request '{r.title or r.name}'")
        by_profile.setdefault(r.profile, []).append(saved)
        origins.setdefault(r.profile, set()).update(request_origins(plan, r))

    # 2. Validate every profile before the first write.
    steps: list[_Step] = []
    for p in plan.profiles:
        name = outcome.renamed.get(p.name, p.name)
        settings = settings_for(p, origins.get(p.name, set()))
        missing = missing_inputs(ctx, p)
        if missing:
            outcome.pending[name] = set_command(name, missing)
        ctx.profiles.build(
            name, preset=p.preset, base_url=p.base_url, vars=p.vars, secret_names=list(p.secrets),
            settings=settings or None, override=p.override or None, secret_refs=p.secret_refs or None,
            pending=bool(missing),
        )  # fmt: skip
        steps.append((p, name, settings, not missing))
    return outcome, steps, by_profile


def preview(plan: ImportPlan, ctx: AppContext, *, trust: bool = False) -> ImportOutcome:
    """What `apply_plan` would name things, leave pending and allow, checked the same way;
    writes nothing."""
    outcome, steps, _requests = _prepare(plan, ctx)
    outcome.requests = len(plan.requests)
    _apply_trust(outcome, steps, trust)
    return outcome


def apply_plan(
    plan: ImportPlan,
    ctx: AppContext,
    *,
    requests: SavedRequestStore | None = None,
    create_profile: CreateProfile | None = None,
    trust: bool = False,
) -> ImportOutcome:
    requests = requests or SavedRequestStore()
    create = create_profile or operations.create_profile
    outcome, steps, by_profile = _prepare(plan, ctx)
    steps = _apply_trust(outcome, steps, trust)

    # 3. Write, undoing everything on failure.
    created: list[str] = []
    stored_vars: list[tuple[str, str]] = []  # (profile, keychain entry) of secret variables
    previous_files: dict[str, str | None] = {}
    try:
        for p, name, settings, complete in steps:
            result = create(
                ctx, name, preset=p.preset, base_url=p.base_url, vars=dict(p.vars),
                secrets=dict(p.secrets), settings=settings or None, override=dict(p.override) or None,
                secret_refs=dict(p.secret_refs) or None, pending=not complete,
            )  # fmt: skip
            created.append(name)
            outcome.profiles.append(name)
            outcome.vault_warning = outcome.vault_warning or result.vault_warning
            saved_list = by_profile.get(p.name, [])
            variables = plan.variables.get(p.name, {})
            envs = plan.environments.get(p.name, {})
            secret_vars = plan.secret_variables.get(p.name, {})
            for key, value in secret_vars.items():  # to the keychain; the file names them only
                ctx.vault.store(name, secret_entry(key), value)
                stored_vars.append((name, secret_entry(key)))
            if saved_list or variables or envs or secret_vars:
                path = requests.path_for(name)
                previous_files[name] = path.read_text(encoding="utf-8") if path.is_file() else None
                existing = requests.load(name)
                merged_envs = {k: dict(v) for k, v in existing.envs.items()}
                for env, values in envs.items():
                    merged_envs.setdefault(env, {}).update(values)
                file = SavedRequestFile(
                    name,
                    {**existing.vars, **variables},
                    dict(existing.requests),
                    merged_envs,
                    sorted({*existing.secret_vars, *secret_vars}),
                )
                names = set(file.requests)
                for saved in saved_list:
                    final = unique(saved.name, names)
                    file.requests[final] = saved if final == saved.name else _renamed(saved, final)
                requests.write(file)
                outcome.requests += len(saved_list)
    except BaseException:
        for profile_name, entry in stored_vars:
            with contextlib.suppress(Exception):
                ctx.vault.delete(profile_name, entry)
        for name in reversed(created):
            with contextlib.suppress(Exception):
                operations.remove_profile(ctx, name)
        for name, old in previous_files.items():
            with contextlib.suppress(Exception):
                if old is None:
                    requests.remove_all(name)
                else:
                    requests.path_for(name).write_text(old, encoding="utf-8")
        raise
    return outcome


def describe(
    plan: ImportPlan,
    outcome: ImportOutcome,
    *,
    dry_run: bool,
    allow_hint: str = "import with --trust to allow them",
) -> list[str]:
    """The plan as lines for a terminal (names of secrets, never their values). `allow_hint`
    says how to let a token go to the origins withheld (the GUI has a checkbox instead)."""
    lines = [
        f"{plan.format} from {plan.source}: "
        f"{len(plan.profiles)} profile(s), {len(plan.requests)} saved request(s)"
    ]
    for p in plan.profiles:
        name = outcome.renamed.get(p.name, p.name)
        note = f" (named '{name}': '{p.name}' exists)" if name != p.name else ""
        lines.append(f"profile {name}{note}  preset {p.preset}  {p.base_url}  [{p.source}]")
        if p.vars:
            lines.append("  vars: " + ", ".join(f"{k}={v!r}" for k, v in sorted(p.vars.items())))
        if p.override:
            lines.append(f"  override: {p.override}")
        mine = [r for r in plan.requests if r.profile == p.name]
        reached = set().union(*(request_origins(plan, r) for r in mine)) if mine else set()
        allowed = settings_for(p, reached).get("allowed_origins")
        if name in outcome.withheld:
            lines.append(
                "  its token will NOT go to: "
                + ", ".join(outcome.withheld[name])
                + " (its saved requests there are refused; "
                + (f"{allow_hint})" if dry_run else "see the note below)")
            )
        elif allowed:
            lines.append(
                "  its token may also go to: " + ", ".join(allowed) + " ([settings] allowed_origins)"
            )
        if p.secrets:
            lines.append("  to the keychain: " + ", ".join(sorted(p.secrets)))
        if p.secret_refs:
            lines.append(
                "  read at each use: " + ", ".join(f"{k} from {v}" for k, v in sorted(p.secret_refs.items()))
            )
        pending = outcome.pending.get(name)
        if pending:
            lines.append(f"  pending: it needs more input; complete it with: {pending}")
        envs = plan.environments.get(p.name, {})
        if envs:
            lines.append("  environments (--env NAME): " + ", ".join(envs))
        secret_vars = plan.secret_variables.get(p.name, {})
        if secret_vars:
            lines.append("  secret variables to the keychain: " + ", ".join(sorted(secret_vars)))
        folder = None
        for r in mine:
            if r.folder != folder and r.folder:
                lines.append(f"  folder {r.folder}")
            folder = r.folder
            shown = f"  ({r.title})" if r.title and r.title != r.name else ""
            lines.append(f"  request {r.name:<28} {r.method:<7} {r.url}{shown}")
        for key, value in sorted(plan.variables.get(p.name, {}).items()):
            lines.append(f"  request var {key} = {value!r}")
    if plan.unmapped or plan.skipped:
        lines.append("not mapped:")
        lines.extend(f"  - {item}" for item in plan.unmapped)
        lines.extend(_skipped_lines(plan.skipped))
    return lines


def _skipped_lines(skipped: list[tuple[str, str]]) -> list[str]:
    """Requests not saved, with their reason; more than three with one reason are counted."""
    by_reason: dict[str, list[str]] = {}
    for title, reason in skipped:
        by_reason.setdefault(reason, []).append(title)
    lines = []
    for reason, titles in by_reason.items():
        if len(titles) > 3:
            lines.append(f"  - {len(titles)} requests not saved: {reason} (e.g. '{titles[0]}')")
        else:
            lines.extend(f"  - request '{t}' not saved: {reason}" for t in titles)
    return lines


def _renamed(saved: SavedRequest, name: str) -> SavedRequest:
    from dataclasses import replace

    return replace(saved, name=name)


__all__ = [
    "ImportOutcome",
    "apply_plan",
    "describe",
    "missing_inputs",
    "preview",
    "set_command",
    "settings_for",
]
