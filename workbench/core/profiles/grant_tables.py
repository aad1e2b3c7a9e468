"""What a preset's extension-grant keys may hold (`[mint.assertion]`, `exchange`, input `choose_from`).

Kept beside `presets` (which calls `assertion_problem` while it validates a request table) so
the schema of the JWT bearer grant (RFC 7523 §2.1) reads in one place. A problem is returned as
(path below the table, message); `presets` turns it into its `Problem` with file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ASSERTION_KEYS = ("iss", "sub", "aud", "kid", "claims", "key", "lifetime", "field")
# What an input's `choose_from` may name: the profile editor offers them in a list.
INPUT_CHOICES = ("", "profiles")
MAX_ASSERTION_LIFETIME = 3600

Found = tuple[tuple[str | int, ...], str] | None


def assertion_problem(raw: Any, request: Mapping[str, Any]) -> Found:
    """The first problem of a request's `assertion` table, or None."""
    if not isinstance(raw, Mapping):
        return (), "must be a table of the assertion's claims (iss, sub, aud, kid, claims, key, lifetime)"
    if "form" not in request:
        return (), "a JWT bearer assertion travels in a `form` body; add one"
    for key, value in raw.items():
        if key not in ASSERTION_KEYS:
            return (key,), f"unknown key '{key}' (known: {', '.join(ASSERTION_KEYS)})"
        if key == "claims":
            if not isinstance(value, Mapping):
                return (key,), 'must be a table of claim templates (scope = "{{ vars.scope }}")'
            for claim, template in value.items():
                if not isinstance(template, str):
                    return (key, claim), "must be a text template"
        elif key == "lifetime":
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 < value <= MAX_ASSERTION_LIFETIME
            ):
                return (key,), f"must be whole seconds between 1 and {MAX_ASSERTION_LIFETIME}"
        elif not isinstance(value, str):
            return (key,), "must be a text template"
    return None


def choices_problem(value: Any) -> str | None:
    if value not in INPUT_CHOICES:
        return (
            f"'{value}' is not something to choose from (known: {', '.join(c for c in INPUT_CHOICES if c)})"
        )
    return None
