"""Copy-as-code: the same request as a command line the user can paste into a shell.

Every argument is quoted with `shlex.quote`, so values with spaces, quotes,
`$`, backticks or newlines reach curl exactly as they are and nothing in them
runs. The caller decides what goes in: the GUI offers a redacted variant
(`RequestSpec.redacted`-style values) and a real one behind an explicit action.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

# Headers curl adds on its own or that describe the body it computes itself.
_CURL_MANAGED = frozenset({"content-length", "host"})


def curl_command(
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | str | None = None,
    *,
    multiline: bool = False,
) -> str:
    """`curl -X METHOD URL -H 'K: V' ... --data-raw BODY`, shell-quoted.

    Binary bodies that are not UTF-8 cannot be written on a command line; they are
    decoded with replacement characters (the command then says so in a comment).
    `multiline` puts each option on its own line with `\\` continuations.
    """
    parts: list[str] = ["curl", "-X", shlex.quote(method.upper()), shlex.quote(url)]
    for name, value in headers:
        if name.lower() in _CURL_MANAGED:
            continue
        parts.extend(["-H", shlex.quote(f"{name}: {value}")])
    lossy = False
    if body is not None and body != b"" and body != "":
        if isinstance(body, bytes):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = body.decode("utf-8", errors="replace")
                lossy = True
        else:
            text = body
        parts.extend(["--data-raw", shlex.quote(text)])
    if multiline:
        # Pair each option with its argument: "curl -X POST URL \\\n  -H '...' \\\n  --data-raw '...'"
        lines = [" ".join(parts[:4])]
        rest = parts[4:]
        for i in range(0, len(rest), 2):
            lines.append("  " + " ".join(rest[i : i + 2]))
        command = " \\\n".join(lines)
    else:
        command = " ".join(parts)
    if lossy:
        command += "  # body was not UTF-8; non-text bytes were replaced"
    return command


__all__ = ["curl_command"]
