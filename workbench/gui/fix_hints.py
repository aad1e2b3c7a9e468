"""Errors whose fix is a profile setting, in the GUI's words.

Core errors name the input they concern (`field`: "vars.client_id", "settings.allowed_origins",
...) and carry the CLI's way to fix it (`profile set NAME --set client_id=…`, `--allow-origin`).
In the desktop app the same fix is a field of the profile editor: the message keeps the
error's own sentence and says which field of "Edit profile…" to fill in instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.errors import user_message

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile

EDIT = "Edit profile…"
# Editor fields that are not preset inputs, by the error field that names them.
_SETTINGS = {
    "base_url": "Base URL",
    "settings.timeout": "Timeout",
    "settings.allowed_origins": "Allowed origins",
}


def editor_hint(field: str, profile: Profile | None = None) -> str | None:
    """Where the profile editor sets `field`, as a hint; None when the editor has no such field."""
    if field in _SETTINGS:
        name = _SETTINGS[field]
        if field == "settings.allowed_origins":
            return f"add the origin under {EDIT} ▸ {name}"
        return f"set it in {EDIT} ▸ {name}"
    head, _, name = field.partition(".")
    if head != "vars" or not name:
        return None
    if profile is None:
        return f"set {name} in {EDIT}"
    spec = profile.preset.input(name)
    if spec is None or spec.kind != "var":
        # Not a setting this profile's preset has: no field sets it (a typo in a template?).
        fields = ", ".join(i.label for i in profile.preset.var_inputs) or "none"
        return f"'{name}' is not one of this profile's settings ({EDIT} lists them: {fields})"
    return f"set it in {EDIT} ▸ {spec.label}"


def gui_hint(exc: BaseException, profile: Profile | None = None) -> bool | str:
    """The hint `user_message` shows for `exc` in the GUI: the profile editor's field where one
    fixes it, else the error's own (True)."""
    return editor_hint(getattr(exc, "field", "") or "", profile) or True


def gui_message(exc: BaseException, profile: Profile | None = None) -> str:
    """`user_message(exc)`, with the profile editor's field as the fix where one applies."""
    return user_message(exc, hint=gui_hint(exc, profile))


__all__ = ["editor_hint", "gui_hint", "gui_message"]
