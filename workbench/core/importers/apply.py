"""Store an `ImportPlan`: validate everything first, write second, roll back on failure.

Profiles are created through `operations.create_profile` (the one "create a profile
with its secrets" the CLI and the GUI share): secrets to the vault, then the file.
Saved requests are written beside them. A name already taken gets a `-2`, `-3` …
suffix (reported), so an import never overwrites a profile.

A profile the source does not give every required input for (an OpenAPI document
holds no secrets; a collection variable may be empty) is not created: its saved
requests are written all the same and `pending` carries the exact `workbench profile
add` command that completes it.

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
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core.importers.common import origin_of, unique
from workbench.core.importers.model import ImportPlan, ProfilePlan
from workbench.core.request.saved import SavedRequest, SavedRequestFile, SavedRequestStore, check_no_secrets

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
    pending: dict[str, str] = field(default_factory=dict)  # profile not created → command that creates it
    vault_warning: str | None = None
    risks: list[str] = field(default_factory=list)  # accepted with trust=True
    withheld: dict[str, list[str]] = field(default_factory=dict)  # profile → origins not allowed


def settings_for(plan: ProfilePlan, request_origins: set[str]) -> dict[str, Any]:
    """`allowed_origins`: the origins of the profile's saved requests other than its base URL's
    (an OAuth profile's base URL is its token endpoint; its API lives elsewhere)."""
    own = origin_of(plan.base_url)
    others = sorted(o for o in request_origins if o and o != own)
    return {"allowed_origins": others} if others else {}


def _apply_trust(outcome: ImportOutcome, steps: list[_Step], trust: bool) -> list[_Step]:
    """With `trust`, the steps as planned and `outcome.risks` saying what was accepted: profiles
    whose token would also go to other origins (../shared/DESIGN.md, "Where credentials may
    go"). Without, those origins taken out of the steps and listed in `outcome.withheld`."""
    decided = []
    for p, name, settings, complete in steps:
        origins = settings.get("allowed_origins") if complete else None
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


def add_command(
    name: str, plan: ProfilePlan, settings: dict[str, Any], missing: list[tuple[str, str]]
) -> str:
    """The `workbench profile add` line that creates a pending profile (never with a secret value)."""
    parts = ["workbench", "profile", "add", name, "--preset", plan.preset, "--base-url", plan.base_url]
    for key, value in sorted(plan.vars.items()):
        if value:
            parts += ["--set", f"{key}={value}"]
    command = " ".join(shlex.quote(p) for p in parts)
    for kind, what in missing:
        command += f" --secret {what}" if kind == "secret" else f" --set {what}=…"
    extra = []
    if settings:
        extra.append("allowed_origins = " + ", ".join(settings["allowed_origins"]))
    if plan.override:
        extra.append(f"override {plan.override}")
    return command + (f"  (then add to its file: {'; '.join(extra)})" if extra else "")


def missing_inputs(ctx: AppContext, plan: ProfilePlan) -> list[tuple[str, str]]:
    """Required preset inputs the plan has no value for: (kind, name)."""
    preset = ctx.presets.get(plan.preset)
    missing: list[tuple[str, str]] = []
    for spec in preset.inputs:
        if not spec.required:
            continue
        if spec.kind == "var" and not plan.vars.get(spec.name, "").strip() and spec.default is None:
            missing.append((spec.kind, spec.name))
        if spec.kind == "secret" and spec.name not in plan.secrets:
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
            body=r.body, body_type=r.body_type, form=tuple(r.form),
        )  # fmt: skip
        check_no_secrets(saved, f"request '{r.title or r.name}'")
        by_profile.setdefault(r.profile, []).append(saved)
        origins.setdefault(r.profile, set()).add(origin_of(r.url) or "")

    # 2. Validate every profile before the first write.
    steps: list[_Step] = []
    for p in plan.profiles:
        name = outcome.renamed.get(p.name, p.name)
        settings = settings_for(p, origins.get(p.name, set()))
        missing = missing_inputs(ctx, p)
        if missing:
            outcome.pending[name] = add_command(name, p, settings, missing)
        else:
            ctx.profiles.build(
                name, preset=p.preset, base_url=p.base_url, vars=p.vars, secret_names=list(p.secrets),
                settings=settings or None, override=p.override or None,
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
    from workbench.core import operations

    requests = requests or SavedRequestStore()
    create = create_profile or operations.create_profile
    outcome, steps, by_profile = _prepare(plan, ctx)
    steps = _apply_trust(outcome, steps, trust)

    # 3. Write, undoing everything on failure.
    created: list[str] = []
    previous_files: dict[str, str | None] = {}
    try:
        for p, name, settings, complete in steps:
            if complete:
                result = create(
                    ctx, name, preset=p.preset, base_url=p.base_url, vars=dict(p.vars),
                    secrets=dict(p.secrets), settings=settings or None, override=dict(p.override) or None,
                )  # fmt: skip
                created.append(name)
                outcome.profiles.append(name)
                outcome.vault_warning = outcome.vault_warning or result.vault_warning
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
                    file.requests[final] = saved if final == saved.name else _renamed(saved, final)
                requests.write(file)
                outcome.requests += len(saved_list)
    except BaseException:
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
    would = "would be " if dry_run else ""
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
        allowed = settings_for(p, {origin_of(r.url) or "" for r in mine}).get("allowed_origins")
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
        pending = outcome.pending.get(name)
        if pending:
            lines.append(f"  not created: it needs more input; create it with: {pending}")
            if p.secrets:
                lines.append(
                    "  (its " + ", ".join(sorted(p.secrets)) + f" from the source {would}not stored)"
                )
        else:
            if p.secrets:
                lines.append("  to the keychain: " + ", ".join(sorted(p.secrets)))
            if p.needs:
                lines.append(f"  still to give: `workbench profile set {name} " + " ".join(p.needs) + "`")
        for r in mine:
            lines.append(f"  request {r.name:<28} {r.method:<7} {r.url}")
        for key, value in sorted(plan.variables.get(p.name, {}).items()):
            lines.append(f"  request var {key} = {value!r}")
    if plan.unmapped:
        lines.append("not mapped:")
        lines.extend(f"  - {item}" for item in plan.unmapped)
    return lines


def _renamed(saved: SavedRequest, name: str) -> SavedRequest:
    from dataclasses import replace

    return replace(saved, name=name)


__all__ = [
    "ImportOutcome",
    "add_command",
    "apply_plan",
    "describe",
    "missing_inputs",
    "preview",
    "settings_for",
]
