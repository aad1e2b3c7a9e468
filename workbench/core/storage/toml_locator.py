"""Where in a TOML file a problem is: one-line parse errors and field paths mapped to lines.

`parse_toml` turns tomllib's error into ``presets/foo.toml line 12: not valid TOML: …``;
`located_message` points a validation problem at a field path (``mint.response.access_token``)
to the line that holds it (or its nearest enclosing key or table), for presets and profiles alike.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from workbench.core.redact import redact

FieldPath = tuple[str | int, ...]


def format_field(path: FieldPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f" #{part + 1}"
        else:
            out += ("." if out else "") + part
    return out or "(file)"


_TOML_ERROR_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_ERROR_EOF = re.compile(r"\s*\(at end of document\)\s*$")


def parse_toml(text: str, display: str, error: Callable[[str], Exception]) -> dict[str, Any]:
    """tomllib.loads with a one-line error naming the file and the line."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise error(f"{display}: not valid TOML: arrays or tables are nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_ERROR_POS.search(message)
        if match:
            detail = message[: match.start()]
            raise error(
                f"{display} line {match.group(1)}: not valid TOML: {detail} (column {match.group(2)})"
            ) from None
        detail = _TOML_ERROR_EOF.sub("", message)
        raise error(f"{display}: not valid TOML: {detail} (at the end of the file)") from None


def _split_key(text: str) -> list[str] | None:
    """Split a TOML dotted key (`a."b.c".d`) into parts; None when it is not a key."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            match = re.match(r"[A-Za-z0-9_-]+", text[i:])
            if not match:
                return None
            parts.append(match.group(0))
            i += match.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return parts or None


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY_RE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def find_line(text: str, path: FieldPath) -> int | None:
    """The line that best matches a field path: the key itself, else its nearest enclosing key or table.

    A deliberately simple scan (table headers, `key =` lines, multi-line strings skipped);
    good enough to point a person at the right place.
    """
    if not path:
        return None
    best_line: int | None = None
    best_len = 0
    current: tuple[str | int, ...] = ()
    array_counts: dict[tuple[str | int, ...], int] = {}
    in_multiline: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER_RE.match(line)
        if header and header.group(1) in ("[", "[[") and len(header.group(1)) == len(header.group(3)):
            parts = _split_key(header.group(2))
            if parts is None:
                continue
            if header.group(1) == "[[":
                base = _resolve_arrays(tuple(parts), array_counts, current)
                index = array_counts.get(base, -1) + 1
                array_counts[base] = index
                current = (*base, index)
            else:
                current = _resolve_arrays(tuple(parts), array_counts, current)
            candidate = current
        else:
            key = _KEY_RE.match(line)
            if not key:
                continue
            parts = _split_key(key.group(1))
            if parts is None:
                continue
            candidate = (*current, *parts)
            rest = line[key.end() :]
            for quote in ("'''", '"""'):
                if rest.count(quote) == 1:
                    in_multiline = quote
                    break
        common = _common_prefix(candidate, path)
        if common == len(candidate) and common > best_len:
            best_len, best_line = common, lineno
    return best_line


def _resolve_arrays(
    parts: tuple[str, ...], counts: Mapping[tuple[str | int, ...], int], current: tuple[str | int, ...]
) -> tuple[str | int, ...]:
    """Map `[inputs.sub]` under an array of tables to `("inputs", <last index>, "sub")`."""
    out: tuple[str | int, ...] = ()
    for part in parts:
        out = (*out, part)
        if out in counts and len(out) < len(parts):
            out = (*out, counts[out])
    return out


def _common_prefix(a: FieldPath, b: FieldPath) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def located_message(display: str, text: str | None, path: FieldPath, message: str) -> str:
    line = find_line(text, path) if text is not None else None
    where = f"{display} line {line}" if line else display
    # Field names and messages come from the file; a value pasted where a name belongs must not echo.
    return f"{where}: {redact(format_field(path))}: {redact(message)}"


__all__ = ["FieldPath", "find_line", "format_field", "located_message", "parse_toml"]
