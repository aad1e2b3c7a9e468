"""The profile editor's form as data: what is wrong with it, field by field, in the form's own
words, and the core calls that save it (on the pool).

The checks are core's: the name and base URL rules (`validate_profile_name`,
`validate_base_url`) field by field, so every problem shows at once; then, when each field
passes on its own, the validate-only operation the Save runs (`check_new_profile` /
`check_profile_update`), whose error names its field (allowed origins, a var's choices, ...).
The checks read no disk and no vault: they run on the GUI thread as the user types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.core import operations
from workbench.core.errors import ProfileError, WorkbenchError, user_message
from workbench.core.operations.profiles import check_new_profile, check_profile_update
from workbench.core.profiles.profile import validate_base_url, validate_profile_name

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.presets import Preset
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault

MAX_TIMEOUT_SECONDS = 600
_ORIGIN_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class FormValues:
    """The form as typed (trimmed), for one round of checks.

    Attributes:
        secrets_given: secrets with a typed value (to be stored).
        secrets_present: secrets that have a value somewhere (typed, stored, referenced, or
            still being looked up): a required one missing from here is a problem.
    """

    name: str
    preset: Preset
    base_url: str
    timeout: str
    origins: str
    vars: Mapping[str, str]
    secrets_given: tuple[str, ...] = ()
    secrets_present: frozenset[str] = frozenset()
    existing: Profile | None = None
    taken_names: frozenset[str] = field(default_factory=frozenset)
    token: Mapping[str, str | None] = field(default_factory=dict)  # token_placement/_scheme/_parameter

    def timeout_seconds(self) -> float | None:
        return float(self.timeout) if self.timeout else None

    def origin_list(self) -> list[str]:
        return [o for o in _ORIGIN_SEPARATORS.split(self.origins) if o]

    def settings(self) -> dict[str, Any]:
        """The [settings] the form sets; None removes one (an update), absent is not set (a new one)."""
        origins = self.origin_list()
        if self.existing is None:
            out: dict[str, Any] = {k: v for k, v in self.token.items() if v is not None}
            if self.timeout:
                out["timeout"] = self.timeout_seconds()
            if origins:
                out["allowed_origins"] = origins
            return out
        return {**self.token, "timeout": self.timeout_seconds(), "allowed_origins": origins or None}

    def unset_vars(self) -> list[str]:
        return [k for k in (self.existing.vars if self.existing else {}) if k not in self.vars]


def form_problems(ctx: AppContext, form: FormValues) -> dict[str, str]:
    """Every problem of the form, by row key ("name", "base_url", "var:NAME", ...)."""
    found: dict[str, str] = {}
    if form.existing is None:
        if not form.name:
            found["name"] = "Give the profile a name."
        else:
            try:
                validate_profile_name(form.name)
            except ProfileError as exc:  # its text names the rule
                found["name"] = sentence(str(exc).replace(f"profile name '{form.name}' ", "The name "))
            else:
                if form.name in form.taken_names:
                    found["name"] = f"A profile named '{form.name}' already exists: pick another name."
    if not form.base_url:
        found["base_url"] = f"Enter the base URL, e.g. {form.preset.base_url_example}"
    else:
        try:
            validate_base_url(form.base_url)
        except ValueError as exc:
            found["base_url"] = sentence(f"The base URL {exc}")
    if form.timeout:
        try:
            seconds = float(form.timeout)
        except ValueError:
            found["timeout"] = "The timeout is a number of seconds, like 30."
        else:
            if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
                found["timeout"] = f"The timeout must be more than 0 and at most {MAX_TIMEOUT_SECONDS} s."
    for spec in form.preset.inputs:
        if not spec.required:
            continue
        if spec.kind == "var" and spec.name not in form.vars:
            found[f"var:{spec.name}"] = f"{spec.label} is required."
        elif spec.kind == "secret" and spec.name not in form.secrets_present:
            found[f"secret:{spec.name}"] = f"{spec.label} is required (nothing is stored yet)."
    if not found:
        problem = core_problem(ctx, form)
        if problem is not None:
            found[problem[0]] = problem[1]
    return found


def core_problem(ctx: AppContext, form: FormValues) -> tuple[str, str] | None:
    """The validate-only operation Save runs: its first problem as (row key, sentence), or None."""
    try:
        if form.existing is None:
            check_new_profile(
                ctx,
                form.name,
                preset=form.preset.name,
                base_url=form.base_url,
                vars=form.vars,
                secret_names=form.secrets_given,
                settings=form.settings(),
            )
        else:
            check_profile_update(
                ctx,
                form.existing.name,
                base_url=form.base_url,
                vars=form.vars,
                unset_vars=form.unset_vars(),
                secret_names=form.secrets_given,
                settings=form.settings(),
                current=form.existing,
            )
    except WorkbenchError as exc:
        return row_of(exc.field) or "base_url", field_message(exc)
    return None


def field_message(exc: BaseException) -> str:
    """An error's words for the row of its field: without the file's key in front, in the form's words."""
    text = user_message(exc)
    name = getattr(exc, "field", "")
    if name and text.startswith(f"{name}: "):
        text = text[len(name) + 2 :]
    return sentence(user_words(text))


def summary(found: Mapping[str, str], titles: Mapping[str, str]) -> str | None:
    """All problems in one sentence for the banner, or None when the form can be saved."""
    if not found:
        return None
    if len(found) == 1:
        return next(iter(found.values()))
    names = ", ".join(titles.get(k, k) for k in found)
    return f"Fix {len(found)} fields ({names}): each says what is wrong under it."


def save_profile(ctx: AppContext, form: FormValues, secrets: dict[str, str]) -> str:
    """Create or update the profile with its secrets through the core operations. Runs on the pool.

    The form's [settings] (timeout, allowed origins) go with it; on an update a setting the form
    leaves empty is removed (`FormValues.settings`)."""

    if form.existing is None:
        created = operations.create_profile(
            ctx,
            form.name,
            preset=form.preset.name,
            base_url=form.base_url,
            vars=dict(form.vars),
            secrets=secrets,
            settings=form.settings() or None,
        )
        return created.name
    updated = operations.update_profile(
        ctx,
        form.existing.name,
        base_url=form.base_url,
        vars=dict(form.vars),
        unset_vars=form.unset_vars(),
        secrets=secrets,
        settings=form.settings(),
    )
    return updated.name


def vault_status(vault: Vault, profile: str | None, names: list[str]) -> tuple[dict[str, bool], bool]:
    """Which of `names` the vault holds for `profile`, and whether an OS keychain keeps them
    (False: none is usable, values live in memory for this run). Runs on the pool."""
    stored = {n: vault.has(profile, n) for n in names} if profile is not None else {}
    vault.persistent  # noqa: B018 - picks the backend: a failing one switches to memory now
    return stored, not vault.fell_back


# Internal names a core message may carry, and the words the form uses for them.
_FORM_WORDS = (
    ("base_url", "Base URL"),
    ("secret_names", "secrets"),
    ("settings.timeout", "Timeout"),
    ("settings.allowed_origins", "Allowed origins"),
    ("settings.token_placement", "Token goes"),
    ("settings.token_scheme", "Header scheme"),
    ("settings.token_parameter", "Query parameter"),
)


def user_words(message: str) -> str:
    for internal, shown in _FORM_WORDS:
        message = message.replace(f"{internal}:", f"{shown}:").replace(internal, shown)
    return message


def row_of(name: str) -> str | None:
    """The form row of an error's `field` (core errors name the input they concern)."""
    head, _, rest = name.partition(".")
    if name in ("name", "base_url"):
        return name
    if name == "settings.timeout":
        return "timeout"
    if name.startswith("settings.allowed_origins"):
        return "allowed_origins"
    if name in ("settings.token_placement", "settings.token_scheme", "settings.token_parameter"):
        return rest
    if head == "vars" and rest:
        return f"var:{rest}"
    if head in ("secrets", "secret_refs") and rest:
        return f"secret:{rest}"
    return None


def sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
