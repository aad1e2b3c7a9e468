"""Frozen preset data and back: read-only copies of TOML tables (MappingProxyType, tuples),
plain copies to edit, and the merge of a profile's `[override]` over its preset."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy of frozen preset data (MappingProxyType → dict, tuple → list)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (lists included) in `override` replaces the base one."""
    result: dict[str, Any] = {k: thaw(v) for k, v in base.items()}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = thaw(value)
    return result
