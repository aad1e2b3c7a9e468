"""Reading a compact-serialised JOSE object: a JWS (three segments) or a JWE (five).

Nothing here trusts or verifies anything; every malformed input raises `TokenFormatError`
with one sentence that says what is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import TokenFormatError
from workbench.core.jose import keys as _keys

MAX_TOKEN_BYTES = 64 * 1024
# Real JWTs nest a few levels at most. The cap keeps printing and walking the
# claims far away from Python's recursion limit.
MAX_JSON_DEPTH = 64

_JWS_SEGMENTS = ("header", "payload", "signature")
_JWE_SEGMENTS = ("header", "encrypted key", "initialization vector", "ciphertext", "authentication tag")
_B64URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_B64URL_TEXT = re.compile(r"[A-Za-z0-9_-]*")
_BEARER_PREFIX = re.compile(r"^(?:authorization\s*:\s*)?bearer\s+", re.IGNORECASE)
_JWE_PREFIX = "this is an encrypted JWT (JWE, 5 segments), but "


@dataclass(frozen=True)
class CompactToken:
    """A JWS or JWE split and decoded as far as it can be without a key.

    Attributes:
        kind: "JWS" or "JWE"
        parts: the dot-separated segments, as given
        header: the (protected) header, a JSON object
        payload: a JWS's payload bytes (not yet interpreted); None for a JWE
    """

    kind: str
    parts: tuple[str, ...] = field(repr=False)
    header: dict[str, Any]
    payload: bytes | None = field(repr=False)

    @property
    def signing_input(self) -> bytes:
        return f"{self.parts[0]}.{self.parts[1]}".encode("ascii")

    @property
    def signature(self) -> bytes:
        return _keys.b64url_decode(self.parts[2])


def normalize_token(text: str) -> str:
    """What the user pasted, minus the wrapping: whitespace, ``Bearer ``, surrounding quotes."""
    text = text.strip()
    text = _BEARER_PREFIX.sub("", text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    # A JWT never contains whitespace; a token pasted from a wrapped terminal does.
    return "".join(text.split())


def _split(token: str) -> list[str]:
    if not isinstance(token, str):
        raise TokenFormatError("the token must be text")
    if not token:
        raise TokenFormatError("the token is empty")
    size = len(token.encode("utf-8", "surrogatepass"))
    if size > MAX_TOKEN_BYTES:
        raise TokenFormatError(f"the token is {size} bytes; the limit is {MAX_TOKEN_BYTES} (64 KiB)")
    parts = token.split(".")
    if len(parts) in (3, 5):
        return parts
    if len(parts) == 1:
        raise TokenFormatError(
            "not a JWT: expected header.payload.signature (3 dot-separated segments), found no dots"
        )
    raise TokenFormatError(
        f"not a JWT: expected 3 dot-separated segments (header.payload.signature), found {len(parts)}"
    )


def _b64url_segment(segment: str, name: str) -> bytes:
    stripped = segment.rstrip("=")
    if len(segment) - len(stripped) > 2:
        raise TokenFormatError(f"the {name} segment is not valid base64url (too much '=' padding)")
    if not _B64URL_TEXT.fullmatch(stripped):
        index, char = next((i, c) for i, c in enumerate(stripped) if c not in _B64URL_CHARS)
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        raise TokenFormatError(
            f"the {name} segment is not valid base64url (character {shown} at position {index + 1})"
        )
    if len(stripped) % 4 == 1:
        raise TokenFormatError(f"the {name} segment is not valid base64url (its length is impossible)")
    return _keys.b64url_decode(stripped)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_object(raw: bytes, name: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenFormatError(f"the {name} does not decode to UTF-8 text, so it is not JSON") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise TokenFormatError(f"the {name} JSON is nested too deeply to be a JWT") from None
    except json.JSONDecodeError as exc:
        raise TokenFormatError(
            f"the {name} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except ValueError as exc:  # NaN/Infinity, integers beyond Python's digit limit
        reason = str(exc) if "not valid JSON" in str(exc) else "a number in it is too large"
        raise TokenFormatError(f"the {name} is not valid JSON ({reason})") from None
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
            type(value), "null"
        )
        raise TokenFormatError(f"the {name} is {kind}, not a JSON object")
    if _depth(value) > MAX_JSON_DEPTH:
        raise TokenFormatError(f"the {name} JSON is nested too deeply to be a JWT (limit {MAX_JSON_DEPTH})")
    return value


def _depth(value: Any) -> int:
    """Nesting depth, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_compact(token: str) -> CompactToken:
    """Split and decode a JWS or JWE without interpreting a JWS payload. Raises TokenFormatError."""
    parts = _split(token)
    if len(parts) == 5:
        try:
            decoded = [_b64url_segment(part, name) for part, name in zip(parts, _JWE_SEGMENTS, strict=True)]
            header = _json_object(decoded[0], "header")
        except TokenFormatError as exc:
            raise TokenFormatError(_JWE_PREFIX + str(exc)) from None
        return CompactToken("JWE", tuple(parts), header, None)
    header = _json_object(_b64url_segment(parts[0], "header"), "header")
    payload = _b64url_segment(parts[1], "payload")
    _b64url_segment(parts[2], "signature")
    return CompactToken("JWS", tuple(parts), header, payload)


def payload_object(raw: bytes) -> dict[str, Any]:
    """A JWS payload as a JSON claims object. Raises TokenFormatError saying why it is not one."""
    return _json_object(raw, "payload")


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any], CompactToken]:
    """A JWT in the strict sense: a JWS whose payload is a JSON object."""
    compact = parse_compact(token)
    if compact.payload is None:
        raise TokenFormatError(
            "this is an encrypted JWT (JWE, 5 segments); only its recipient's private key can open it"
        )
    return compact.header, payload_object(compact.payload), compact


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWS-compact JWT, without checking anything. Raises TokenFormatError.

    Strict: the payload must be a JSON object (a JWT's claims set); `inspect_token` is the
    lenient reader that also shows text payloads and JWE headers.
    """
    header, payload, _ = _decode(normalize_token(token) if isinstance(token, str) else token)
    return header, payload


def looks_like_jwt(text: str) -> bool:
    """True when `text` (after trimming, ``Bearer `` removed) is a decodable JWT."""
    if not isinstance(text, str):
        return False
    candidate = normalize_token(text)
    if candidate.count(".") != 2 or not candidate.startswith(("ey", "ew", "e3")):
        return False
    try:
        _decode(candidate)
    except TokenFormatError:
        return False
    return True
