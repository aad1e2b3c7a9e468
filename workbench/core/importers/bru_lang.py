"""The Bru language, as Bruno writes it today (docs.usebruno.com, "Bru Lang"; bruno-lang's grammar).

A file is top-level blocks, each opened by `name {` (a dictionary or a text block) or `name [`
(a list) at column 0 and closed by `}` / `]` alone on a line. Dictionary blocks hold `key: value`
lines: a leading `~` disables one; a value `'''` opens a multi-line value closed by `'''` alone
on a line (indentation removed); a value `[` opens an array closed by `]` (or `[a, b]` on one
line); `@name` or `@name(args)` lines annotate the next entry (`@description('''…''')`,
`@number`, `@contentType(…)`), and annotations may trail a value (`@file(x) @contentType(y)`).
Text blocks (`body:*`, `script:*`, `tests`, `docs`, `example`) are raw text indented by two spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TEXT_BLOCK_PREFIXES = ("body", "script", "tests", "docs", "example")
DICT_BODY_BLOCKS = ("body:form-urlencoded", "body:multipart-form", "body:file")
_ANNOTATION = re.compile(r"@([A-Za-z_][\w-]*)(?:\(((?:'''.*?'''|[^()])*)\))?", re.DOTALL)
_TRAILING_ANNOTATIONS = re.compile(r"(?:\s*@[A-Za-z_][\w-]*(?:\((?:'''.*?'''|[^()])*\))?)+\s*$", re.DOTALL)


class BruSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class Entry:
    key: str
    value: str
    enabled: bool = True
    annotations: dict[str, str] = field(default_factory=dict)
    items: list[str] | None = None  # an array value


@dataclass
class BruFile:
    dicts: dict[str, list[Entry]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def value(self, block: str, key: str) -> str:
        for entry in self.dicts.get(block, []):
            if entry.key == key and entry.enabled:
                return entry.value
        return ""

    def pairs(self, block: str) -> list[tuple[str, str]]:
        return [(e.key, e.value) for e in self.dicts.get(block, []) if e.enabled]

    def entries(self, block: str) -> list[Entry]:
        return [e for e in self.dicts.get(block, []) if e.enabled]


def _dedent(lines: list[str]) -> str:
    body = [ln for ln in lines if ln.strip()]
    indent = min((len(ln) - len(ln.lstrip(" ")) for ln in body), default=0)
    return "\n".join(ln[indent:] if len(ln) >= indent else ln.lstrip(" ") for ln in lines).strip("\n")


def _unquote(text: str) -> str:
    if text.startswith("'''") and text.endswith("'''") and len(text) >= 6:
        return text[3:-3]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _annotations(text: str) -> dict[str, str]:
    return {m.group(1): _unquote((m.group(2) or "").strip()) for m in _ANNOTATION.finditer(text)}


def _split_key(raw: str) -> tuple[str, str, bool]:
    """`key: value` (a quoted key may hold ':'), `~key: value` disabled. No ':' → ValueError."""
    text = raw.strip()
    enabled = not text.startswith("~")
    text = text.lstrip("~").strip()
    if text[:1] in ("'", '"'):
        quote = text[0]
        end = text.find(quote, 1)
        if end > 0 and text[end + 1 :].lstrip().startswith(":"):
            return text[1:end], text[end + 1 :].lstrip()[1:].strip(), enabled
    key, sep, value = text.partition(":")
    if not sep:
        raise ValueError(text)
    return key.strip(), value.strip(), enabled


def parse(text: str) -> BruFile:
    out = BruFile()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        i += 1
        stripped = line.rstrip()
        if not stripped.strip() or stripped.lstrip().startswith(("#", "//")):
            continue
        if not (stripped.endswith("{") or stripped.endswith("[")) or line[0].isspace():
            raise BruSyntaxError(i, f"text outside any block ('{stripped.strip()[:40]}')")
        name = stripped[:-1].strip()
        opener = stripped[-1]
        if not name:
            raise BruSyntaxError(i, "a block with no name")
        closer = "}" if opener == "{" else "]"
        start = i
        if opener == "[":
            items: list[str] = []
            while i < n and lines[i].strip() != closer:
                items.extend(x.strip() for x in lines[i].split(","))
                i += 1
            if i >= n:
                raise BruSyntaxError(start, f"block '{name}' is never closed with '{closer}'")
            i += 1
            out.lists[name] = [x for x in items if x]
            continue
        kind = name.split(":", 1)[0]
        if kind in TEXT_BLOCK_PREFIXES and name not in DICT_BODY_BLOCKS:
            body: list[str] = []
            while i < n and lines[i].rstrip() != "}":
                body.append(lines[i])
                i += 1
            if i >= n:
                raise BruSyntaxError(start, f"block '{name}' is never closed with '}}'")
            i += 1
            out.texts[name] = "\n".join(b[2:] if b.startswith("  ") else b.lstrip() for b in body).strip("\n")
            continue
        entries: list[Entry] = []
        pending: dict[str, str] = {}
        while True:
            if i >= n:
                raise BruSyntaxError(start, f"block '{name}' is never closed with '}}'")
            raw = lines[i]
            i += 1
            if raw.rstrip() == "}" or (raw.strip() == "}" and not raw.startswith("    ")):
                break
            if not raw.strip():
                continue
            if not raw[0].isspace() and raw.rstrip().endswith(("{", "[")):
                raise BruSyntaxError(start, f"block '{name}' is never closed with '}}'")
            text = raw.strip()
            if text.startswith("@"):
                # An annotation line; `@description('''` may run over several lines.
                while text.count("'''") % 2 == 1 and i < n:
                    text += "\n" + lines[i]
                    i += 1
                pending.update(_annotations(text))
                continue
            try:
                key, value, enabled = _split_key(raw)
            except ValueError:
                raise BruSyntaxError(i, f"expected 'key: value' in block '{name}'") from None
            entry = Entry(key, value, enabled, dict(pending))
            pending = {}
            if value == "'''" or (value.startswith("'''") and value.count("'''") == 1):
                first = value[3:]
                chunk: list[str] = [first] if first.strip() else []
                begin = i
                while (
                    i < n and not lines[i].strip().startswith("'''") and not lines[i].rstrip().endswith("'''")
                ):
                    chunk.append(lines[i])
                    i += 1
                if i >= n:
                    raise BruSyntaxError(begin, f"multi-line value of '{key}' is never closed with '''")
                last = lines[i].strip()
                i += 1
                if last.startswith("'''"):
                    entry.annotations.update(_annotations(last[3:]))
                else:
                    chunk.append(lines[i - 1].rstrip()[:-3])
                entry.value = _dedent(chunk)
            elif value == "[" or (value.startswith("[") and not value.endswith("]")):
                items = [value[1:]] if value[1:].strip() else []
                while i < n and lines[i].strip() not in ("]", "],"):
                    items.append(lines[i])
                    i += 1
                i += 1
                entry.items = [_unquote(x.strip()) for part in items for x in part.split(",") if x.strip()]
                entry.value = ", ".join(entry.items)
            elif value.startswith("[") and value.endswith("]"):
                entry.items = [_unquote(x.strip()) for x in value[1:-1].split(",") if x.strip()]
                entry.value = ", ".join(entry.items)
            else:
                trailing = _TRAILING_ANNOTATIONS.search(value)
                if (trailing and trailing.start() > 0) or (trailing and value.startswith("@file(")):
                    entry.annotations.update(_annotations(trailing.group(0)))
                    entry.value = value[: trailing.start()].strip()
            entries.append(entry)
        out.dicts[name] = entries
    return out
