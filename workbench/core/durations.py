"""The one way a length of time is written for people: "45 s", "14 min", "1 h 30 min", "2 d", "13 y".

Rounded to whole seconds first (839.6 s is "14 min", not "13 min"), then floored to its largest
unit (seconds below a minute, minutes below an hour, hours below a day, days below two years,
then years). `parts=2` adds the next smaller unit when it is not zero ("1 h 30 min"): the
Token view's lifetimes; the decoder's one-unit form reads better in prose ("in 14 min").
"""

from __future__ import annotations

_YEAR = 365.25 * 86400
_UNITS: tuple[tuple[str, float], ...] = (
    ("y", _YEAR),
    ("d", 86400.0),
    ("h", 3600.0),
    ("min", 60.0),
    ("s", 1.0),
)


def humanize_duration(seconds: float, *, parts: int = 1) -> str:
    """`seconds` (its size; the sign is the caller's to word) in at most `parts` units."""
    s = float(round(abs(seconds)))
    if s < 60:
        first = 4
    elif s < 3600:
        first = 3
    elif s < 86400:
        first = 2
    elif s < 2 * _YEAR:
        first = 1
    else:
        first = 0
    out: list[str] = []
    rest = s
    for name, size in _UNITS[first : first + max(1, parts)]:
        amount = int(rest // size)
        rest -= amount * size
        if amount or not out:
            out.append(f"{amount} {name}")
    return " ".join(out)


__all__ = ["humanize_duration"]
