"""A request body by its type, as Postman users know them: what bytes go out and with which
Content-Type. One function for every front end (the GUI's body-type selector, saved requests).

Types: "none" (no body), "json" (checked to be JSON once rendered), "form"
(application/x-www-form-urlencoded from name/value pairs), "multipart" (multipart/form-data
from name/value pairs; a value ``@/path/to/file`` attaches that file), "raw" (text/plain, as
typed) and "binary" (a file's bytes, application/octet-stream). A Content-Type the user typed
wins, except for multipart, whose boundary must match the body.
"""

from __future__ import annotations

import json
import mimetypes
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from workbench.core.errors import InputError

BODY_TYPES = ("none", "json", "form", "multipart", "raw", "binary")
BODY_TYPE_TITLES = {
    "none": "none",
    "json": "JSON",
    "form": "form-urlencoded",
    "multipart": "multipart",
    "raw": "raw text",
    "binary": "binary file",
}
CONTENT_TYPES = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "raw": "text/plain; charset=utf-8",
    "binary": "application/octet-stream",
}
# A binary body or a multipart file is read whole: keep it to what an API request carries.
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Body:
    """What goes out: `content` (None: no body) and the Content-Type it needs (None: none)."""

    content: bytes | None
    content_type: str | None


def content_type_for(body_type: str) -> str | None:
    """The Content-Type a body of this type is sent with (multipart: its boundary is added
    when the body is built)."""
    if body_type == "multipart":
        return "multipart/form-data"
    return CONTENT_TYPES.get(body_type)


def build_body(
    body_type: str,
    *,
    text: str = "",
    pairs: Sequence[tuple[str, str]] = (),
    file: str = "",
    boundary: str | None = None,
) -> Body:
    """The bytes and Content-Type of a body of `body_type` (text already rendered). Bad input
    is one clear line (`InputError`)."""
    if body_type not in BODY_TYPES:
        raise InputError(f"unknown body type '{body_type}' (one of: {', '.join(BODY_TYPES)})")
    if body_type == "none":
        return Body(None, None)
    if body_type == "json":
        if not text.strip():
            return Body(None, None)
        try:
            json.loads(text)
        except ValueError as exc:
            raise InputError(
                f"the JSON body is not valid JSON ({exc.args[0] if exc.args else exc})",
                hint="fix it, or pick the body type 'raw text' to send it as typed",
            ) from None
        return Body(text.encode("utf-8"), CONTENT_TYPES["json"])
    if body_type == "raw":
        return Body(text.encode("utf-8"), CONTENT_TYPES["raw"]) if text else Body(None, None)
    if body_type == "form":
        return Body(urlencode(list(pairs)).encode("ascii"), CONTENT_TYPES["form"])
    if body_type == "multipart":
        mark = boundary or uuid.uuid4().hex
        return Body(_multipart(pairs, mark), f"multipart/form-data; boundary={mark}")
    if not file.strip():
        raise InputError("choose the file to send as the binary body")
    return Body(_read_file(file.strip()), CONTENT_TYPES["binary"])


def _read_file(path: str) -> bytes:
    target = Path(path).expanduser()
    try:
        size = target.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{target} is {size} bytes; a request body is limited to {MAX_FILE_BYTES} bytes")
        return target.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {target}: {exc.strerror or exc.__class__.__name__}") from None


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def _multipart(pairs: Sequence[tuple[str, str]], boundary: str) -> bytes:
    out: list[bytes] = []
    for name, value in pairs:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"'
        if value.startswith("@") and len(value) > 1:
            path = Path(value[1:]).expanduser()
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            out.append(
                f'{head}; filename="{_quote(path.name)}"\r\nContent-Type: {kind}\r\n\r\n'.encode()
                + _read_file(str(path))
                + b"\r\n"
            )
        else:
            out.append(f"{head}\r\n\r\n{value}\r\n".encode())
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


__all__ = ["BODY_TYPES", "BODY_TYPE_TITLES", "Body", "build_body", "content_type_for"]
