"""The request/response values the emulators speak, independent of the HTTP server underneath."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # the full request path, without the query string
    query: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    subpath: str = ""  # the part of `path` after the provider's prefix (set by the router)
    client_cert: bytes | None = None  # DER of the TLS client certificate (the TLS listener only)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-cased ("" when absent)."""
        value = self.header("content-type") or ""
        return value.split(";", 1)[0].strip().lower()


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, obj: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, json.dumps(obj, separators=(",", ":")).encode(), JSON_TYPE, list(headers))


class Reject(Exception):
    """Raised inside a handler to answer at once with `response` (a provider-style error)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class Drop:
    """Sentinel outcome: close the connection without answering."""


DROP = Drop()
