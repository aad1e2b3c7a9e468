"""What a template may allocate: sizes estimated from the arguments, refused before the call.

The sandbox (`workbench.core.request.templating`) checks every value a template builds against
`MAX_OUTPUT_CHARS`, but only once it exists: `'x'.ljust(1500000000)` or `'%1500000000d' % 1`
would have allocated 1.5 GB by then. The functions here look at the arguments of the few
operations whose result can be far larger than their input (padding widths and precisions,
separators multiplied by a count, replacements of the empty string) and raise `TemplateError`
when the result would pass the budget, before Python allocates it.

Covered: the `%` operator and the `format` filter (printf widths, precisions, `*`);
`str.format`/`format_map` fields (through `BoundedFormatter.format_field`, so nested
`{0:{1}}` specs are checked once resolved); the str methods `ljust`, `rjust`, `center`,
`zfill`, `expandtabs`, `replace`, `join`; the filters `center`, `indent`, `join`, `replace`,
`wordwrap`. Everything else grows at most linearly in its input and is caught by the
after-the-fact check and the streamed output count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.errors import TemplateError

MAX_OUTPUT_CHARS = 1_000_000
# A width or precision is a number of characters of the result: the output budget bounds it.
MAX_WIDTH = MAX_OUTPUT_CHARS

_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([a-zA-Z%])")
_DIGITS = re.compile(r"\d+")


def _refuse(what: str) -> TemplateError:
    return TemplateError(f"{what} would build more than the {MAX_OUTPUT_CHARS} characters a template may")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_width(value: Any, what: str) -> None:
    """A padding width (or precision) asked for: refused above `MAX_WIDTH`."""
    if _is_int(value) and value > MAX_WIDTH:
        raise _refuse(f"{what} of width {value}")


def check_size(estimate: int, what: str) -> None:
    if estimate > MAX_OUTPUT_CHARS:
        raise _refuse(what)


def check_format_spec(spec: str, what: str = "a format field") -> None:
    """A `str.format` spec (`>1500000000`, `.9999999f`): every number in it is a width, a
    precision or a one-digit fill; refuse a spec asking for more than the budget."""
    for digits in _DIGITS.findall(spec):
        if len(digits) > len(str(MAX_WIDTH)) or int(digits) > MAX_WIDTH:
            raise _refuse(f"{what} with the spec '{spec[:40]}'")


def check_printf(template: Any, values: Any, what: str = "'%' formatting") -> None:
    """`template % values`: refuse a width or precision above the budget, also one given by `*`."""
    if not isinstance(template, str):
        return
    star_values = values if isinstance(values, tuple) else (values,)
    for match in _PRINTF_SPEC.finditer(template):
        for part in (match.group(1), match.group(2)):
            if not part:
                continue
            if part == "*":
                if any(_is_int(v) and abs(v) > MAX_WIDTH for v in star_values):
                    raise _refuse(f"{what} with a '*' width")
            elif len(part) > len(str(MAX_WIDTH)) or int(part) > MAX_WIDTH:
                raise _refuse(f"{what} with the spec '{match.group(0)[:40]}'")


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else len(str(value))


def replace_size(text: str, old: Any, new: Any, count: Any = None) -> int:
    """An upper bound of `text.replace(old, new, count)`'s length."""
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    slots = len(text) + 1 if not old else len(text) // len(old)
    if _is_int(count) and count >= 0:
        slots = min(slots, count)
    return len(text) + slots * len(new)


def join_size(separator: Any, items: Any) -> int:
    """An upper bound of `separator.join(items)`'s length (items that are not a sized sequence: 0)."""
    if not isinstance(items, Sequence) or isinstance(items, str):
        return len(items) if isinstance(items, str) else 0
    sep = _length(separator) if separator is not None else 0
    return sep * max(len(items) - 1, 0) + sum(_length(item) for item in items)


def check_str_method(owner: str, name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Before `owner.<name>(*args, **kwargs)`: refuse a call whose result would pass the budget."""
    what = f"str.{name}"
    if name in ("ljust", "rjust", "center", "zfill"):
        check_width(args[0] if args else kwargs.get("width"), what)
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if _is_int(size):
            check_size(len(owner) + owner.count("\t") * max(size, 0), what)
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        check_size(replace_size(owner, args[0], args[1], count), what)
    elif name == "join" and args:
        check_size(join_size(owner, args[0]), what)


def check_filter(name: str, arguments: Mapping[str, Any]) -> None:
    """Before the filter `name` runs with its bound `arguments` (parameter name → value)."""
    what = f"the filter {name}"
    value = arguments.get("value", arguments.get("s"))
    if name == "center":
        check_width(arguments.get("width"), what)
    elif name == "indent":
        width = arguments.get("width", 4)
        lines = str(value).count("\n") + 1 if value is not None else 1
        per_line = width if _is_int(width) else len(width) if isinstance(width, str) else 0
        check_width(per_line, what)
        check_size(_length(value) + lines * max(per_line, 0) if value is not None else 0, what)
    elif name == "format":
        args = arguments.get("args") or ()
        kwargs = arguments.get("kwargs") or {}
        check_printf(value, tuple(args) if args else kwargs, what)
    elif name == "join":
        check_size(join_size(arguments.get("d", ""), value), what)
    elif name == "replace" and isinstance(value, str):
        old, new = arguments.get("old"), arguments.get("new")
        check_size(replace_size(value, old, new, arguments.get("count")), what)
    elif name == "wordwrap" and isinstance(value, str):
        width = arguments.get("width", 79)
        wrap = arguments.get("wrapstring")
        breaks = len(value) // max(width, 1) + 1 if _is_int(width) else len(value) + 1
        check_size(len(value) + breaks * (len(wrap) if isinstance(wrap, str) else 1), what)
