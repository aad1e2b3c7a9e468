"""How a response body is shown: pretty JSON, text, an image or a hex dump, within budgets.

Pure functions over bytes (no Qt), run by a front end off its UI thread for anything but a
small body. The JSON pretty-printer works token by token (a regular expression per token),
so the thread running it never holds the interpreter for long: a 5 MB answer is formatted
while the window keeps painting. What is shown is cut at `DISPLAY_LIMIT` characters (the
whole body stays available to save).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# Formatted on the UI thread below this size (fast enough); above it, on a worker.
SMALL_BODY = 64 * 1024
# At most this many characters are shown; "Save to file" has the whole body.
DISPLAY_LIMIT = 1_000_000
# A binary body's hex view covers its first bytes only.
HEX_LIMIT = 64 * 1024
# How many tokens the pretty-printer reads between two `breathe()` calls.
BREATHE_EVERY = 256
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")

Kind = Literal["json", "text", "image", "binary", "empty"]

_TOKEN = re.compile(
    r"""\s*(?:
        ("(?:[^"\\]|\\.)*")                          # 1 string
      | ([{\[])                                      # 2 open
      | ([}\]])                                      # 3 close
      | (,)                                          # 4 comma
      | (:)                                          # 5 colon
      | (-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)  # 6 scalar
    )""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class FormattedBody:
    """Attributes:
    kind: "json", "text", "image", "binary" or "empty".
    text: what to show (pretty JSON, text, a hex dump), cut at the display limit.
    total_chars: the length of the whole formatted text (before the cut).
    note: one line on what is shown ("first 1.0 MB of 7.7 MB", "binary: hex of the first 64 KB").
    """

    kind: Kind
    text: str
    total_chars: int
    note: str = ""

    @property
    def truncated(self) -> bool:
        return len(self.text) < self.total_chars


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def kind_of(content: bytes, content_type: str = "") -> Kind:
    """What a body is, from its Content-Type and its first bytes."""
    if not content:
        return "empty"
    media = media_type(content_type)
    if media in IMAGE_TYPES:
        return "image"
    head = content[:4096]
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 4 KB edge
            return "binary"
    stripped = head.lstrip()
    if media.endswith("json") or media.endswith("+json") or stripped[:1] in (b"{", b"["):
        return "json"
    return "text"


def pretty_json_text(
    text: str, *, indent: int = 2, limit: int | None = None, breathe: Callable[[], None] | None = None
) -> str | None:
    """`text` re-indented when it is one JSON value, else None. Token by token: strings are
    kept exactly as written (escapes and all). With `limit`, stop once that many characters
    are written (the rest is not read: a cut answer is shown as far as it goes). `breathe` is
    called every `BREATHE_EVERY` tokens: a front end passes ``time.sleep(0)`` so that its UI
    thread gets the interpreter at once instead of waiting for the next forced switch."""
    out: list[str] = []
    written = 0
    count = 0
    depth = 0
    pos = 0
    end = len(text)
    pad = " " * indent
    after_open = False
    stack: list[str] = []
    while True:
        if limit is not None and written > limit:
            return "".join(out)
        count += 1
        if breathe is not None and count % BREATHE_EVERY == 0:
            breathe()
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos:].strip():
                return None
            break
        pos = match.end()
        string, opener, closer, comma, colon, scalar = match.groups()
        if opener:
            piece = opener
            stack.append(opener)
            depth += 1
            if after_open:
                piece = "\n" + pad * (depth - 1) + opener
            after_open = True
        elif closer:
            if not stack or (stack.pop() + closer) not in ("{}", "[]"):
                return None
            depth -= 1
            piece = closer if after_open else "\n" + pad * depth + closer
            after_open = False
        else:
            lead = "\n" + pad * depth if after_open else ""
            after_open = False
            if comma:
                piece = lead + ",\n" + pad * depth
            elif colon:
                piece = lead + ": "
            else:
                piece = lead + (string or scalar)
        out.append(piece)
        written += len(piece)
        if pos >= end:
            break
    if stack or not out:
        return None
    return "".join(out)


def hex_dump(content: bytes, limit: int = HEX_LIMIT) -> str:
    """Offset, 16 bytes in hex, and their printable characters, one line per 16 bytes."""
    lines = []
    for offset in range(0, min(len(content), limit), 16):
        chunk = content[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<47}  {shown}")
    return "\n".join(lines)


def size_text(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def format_body(
    content: bytes, content_type: str = "", *, raw: bool = False, breathe: Callable[[], None] | None = None
) -> FormattedBody:
    """What to show for a body: pretty JSON (unless `raw`), text, or a hex dump of a binary
    body; an image is left to the front end (its text is a note). Cut at `DISPLAY_LIMIT`."""
    kind = kind_of(content, content_type)
    if kind == "empty":
        return FormattedBody("empty", "", 0, "no body")
    if kind in ("image", "binary"):
        dump = hex_dump(content)
        shown = min(len(content), HEX_LIMIT)
        what = "image" if kind == "image" else "binary"
        note = f"{what}, {size_text(len(content))}: hex of the first {size_text(shown)}"
        return FormattedBody(kind, dump, len(dump), note)
    text = content.decode("utf-8", errors="replace")
    total = len(text)
    if kind == "json" and not raw:
        pretty = pretty_json_text(text, limit=DISPLAY_LIMIT, breathe=breathe)
        if pretty is not None:
            text = pretty
            total = max(total, len(pretty))
        else:
            kind = "text"
    note = ""
    if len(text) > DISPLAY_LIMIT or total > len(text):
        whole = size_text(len(content))
        note = f"showing the first {size_text(DISPLAY_LIMIT)} of a {whole} body: Save to file for all of it"
        text = text[:DISPLAY_LIMIT]
        total = max(total, DISPLAY_LIMIT + 1)
    return FormattedBody(kind, text, total, note)


__all__ = [
    "DISPLAY_LIMIT",
    "SMALL_BODY",
    "FormattedBody",
    "format_body",
    "hex_dump",
    "kind_of",
    "pretty_json_text",
    "size_text",
]
