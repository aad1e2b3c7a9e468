"""A small TOML writer (the standard library only reads TOML).

Profiles need only strings, numbers, booleans, arrays and (nested) tables, so this covers
them; keys keep their order, so files diff cleanly, and multi-line strings become literal
blocks when they round-trip. `ProfileStore.save` re-parses what it writes as a check.

Why not `tomli-w` (checked with tomli-w 1.2): it writes no comments at all, so the one
comment our files carry (the saved-requests header) is placed by us either way, and it
writes the files people read and edit worse. A multi-line template becomes a basic
triple-double-quoted string with every double quote and backslash escaped (each quote of a
JSON body gets a backslash before it, each backslash of a regex is doubled) where this
writes a literal triple-single-quoted block that reads as the request body; and an array of
tables (a profile's saved requests) becomes one inline array instead of `[[requests]]`
sections. Neither buys a feature we lack, and it
would be one more dependency to lock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+\Z")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _basic_string(key)


def _basic_string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _string(value: str) -> str:
    # Multi-line templates read far better as literal blocks; use one only when it round-trips.
    if (
        "\n" in value
        and "'''" not in value
        and not value.endswith("'")
        and all(ch in "\n\t" or (0x20 <= ord(ch) != 0x7F) for ch in value)
    ):
        return "'''\n" + value + "'''"
    return _basic_string(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _inline(value: Any) -> str:
    # Inside arrays and inline tables every string must stay on one line.
    if isinstance(value, str):
        return _basic_string(value)
    return _scalar(value)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, Mapping) for v in value)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Serialise nested mappings of str/int/float/bool/arrays to TOML, keeping key order."""
    lines: list[str] = []
    _write_table(lines, data, ())
    return "\n".join(lines).strip("\n") + "\n"


def _write_table(lines: list[str], table: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
    subtables = []
    for key, value in table.items():
        if isinstance(value, Mapping) or _is_table_array(value):
            subtables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in subtables:
        path = (*prefix, key)
        dotted = ".".join(_key(p) for p in path)
        if isinstance(value, Mapping):
            has_scalars = any(not (isinstance(v, Mapping) or _is_table_array(v)) for v in value.values())
            if has_scalars or not value:
                lines.extend(["", f"[{dotted}]"])
            _write_table(lines, value, path)
        else:
            for item in value:
                lines.extend(["", f"[[{dotted}]]"])
                _write_table(lines, item, path)


__all__ = ["dumps_toml"]
