"""A hostile provider as small as a test needs: a raw-socket HTTP/1.1 server on loopback.

Each test gives it routes: `provider.route("/path", handler)` where the handler takes the
`Seen` request and returns a `Reply` (status, headers, body, and optionally a drip interval:
the head and body are then sent one byte at a time). Unknown paths answer 404 `{}`.
Every request is recorded in `provider.seen` (method, path, query, headers, body), so a
test can prove what reached it and what did not. A raw socket lets the reply be anything
a polite framework would refuse to send: stacked `Content-Encoding`, a drip, a redirect.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.faults.hostile import read_request


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def target(self) -> str:
        return self.path


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b"{}"
    drip: float = 0.0  # seconds between bytes; 0 sends at once

    @classmethod
    def json(cls, document: object, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
        return cls(
            status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(document).encode()
        )

    @classmethod
    def redirect(cls, to: str, status: int = 302) -> Reply:
        return cls(status, [("Location", to)], b"")


Handler = Callable[[Seen], Reply]


class Provider:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._routes: dict[str, Handler] = {}
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, path: str, handler: Handler | Reply) -> None:
        self._routes[path] = handler if callable(handler) else (lambda _seen, r=handler: r)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def close(self) -> None:
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Provider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle_safely, args=(conn,), daemon=True).start()

    def _handle_safely(self, conn: socket.socket) -> None:
        try:
            self._handle(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _handle(self, conn: socket.socket) -> None:
        request = read_request(conn)
        if request is None:
            return
        method, target, headers, body = request
        parts = urlsplit(target)
        seen = Seen(method, parts.path, parse_qs(parts.query, keep_blank_values=True), headers, body)
        self.seen.append(seen)
        handler = self._routes.get(parts.path)
        reply = handler(seen) if handler is not None else Reply(404, [], b"{}")
        out = f"HTTP/1.1 {reply.status} X\r\n"
        names = {k.lower() for k, _ in reply.headers}
        for name, value in reply.headers:
            out += f"{name}: {value}\r\n"
        if "content-length" not in names and "transfer-encoding" not in names:
            out += f"Content-Length: {len(reply.body)}\r\n"
        out += "Connection: close\r\n\r\n"
        payload = out.encode("latin-1") + reply.body
        if not reply.drip:
            conn.sendall(payload)
            return
        for i in range(len(payload)):
            if self._stop.is_set():
                return
            conn.sendall(payload[i : i + 1])
            time.sleep(reply.drip)
