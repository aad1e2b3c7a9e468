"""Finding the JWT in a provider's answer: any string of a JSON document, or raw text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from workbench.core.errors import TokenFormatError
from workbench.core.jose.inspect.compact import _decode, looks_like_jwt, normalize_token

# A JWT in free text: two base64url segments that decode to JSON objects
# (so they start with "ey", "ew" or "e3": base64 of '{"' / '{ ' / '{\n' / '{}'), then a signature.
_JWT_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9_\-])e[yw3][A-Za-z0-9_\-]*={0,2}\.e[yw3][A-Za-z0-9_\-]*={0,2}\.[A-Za-z0-9_\-]*={0,2}"
)


def find_jwt(text: str) -> str | None:
    """The first JWT in a response body: any string in a JSON document, or anywhere in raw text.

    In JSON, a string under a key that mentions "access" (or is "token"/"jwt") wins
    over one under a "refresh" key, which loses to everything; otherwise document
    order decides. Every candidate is validated by decoding it.
    """
    if not isinstance(text, str) or not text:
        return None
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"'):
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError):
            document = None
        if document is not None:
            best: tuple[int, int, str] | None = None
            for order, (path, value) in enumerate(_json_strings(document)):
                token = _jwt_in_string(value)
                if token is None:
                    continue
                rank = _rank_path(path)
                if best is None or (rank, order) < best[:2]:
                    best = (rank, order, token)
                    if rank == 0:
                        break
            if best is not None:
                return best[2]
    return _jwt_in_string(text)


def _jwt_in_string(value: str) -> str | None:
    if looks_like_jwt(value):
        return normalize_token(value)
    for match in _JWT_IN_TEXT.finditer(value):
        candidate = match.group(0)
        try:
            _decode(candidate)
        except TokenFormatError:
            continue
        return candidate
    return None


def _json_strings(document: Any) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path, string) for every string in a JSON document, in document order, iteratively."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    seen = 0
    while stack:
        path, value = stack.pop()
        seen += 1
        if seen > 100_000:
            return
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            stack.extend(reversed([((*path, str(k)), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(path, v) for v in value]))


def _rank_path(path: tuple[str, ...]) -> int:
    names = [p.lower() for p in path]
    if any("refresh" in n for n in names):
        return 3
    last = names[-1] if names else ""
    if "access" in last or last in ("token", "jwt", "accesstoken", "bearer"):
        return 0
    if last in ("id_token", "idtoken"):
        return 1  # an OpenID identity token is a JWT too, but not the one to send
    return 2
