"""A strict rotating OAuth 2.0 token endpoint with long tokens, for crash tests.

POST /oauth/token with `grant_type=refresh_token&refresh_token=…` answers a new access
token and a new refresh token, both `token_length` characters (over 1000: the vault stores
them in parts), and retires the refresh token it was given: only the newest one of a
session works, like providers that detect reuse. `issue()` hands out a fresh pair (what a
user gets from the provider's login page to recover). `delay` holds each answer back (so
a test can signal the client while the provider has rotated but not yet answered);
`on_request` is called when a refresh arrives, before the answer.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class RotatingProvider:
    def __init__(self, *, token_length: int = 1500, delay: float = 0.0) -> None:
        self.token_length = token_length
        self.delay = delay
        self.on_request: Callable[[], None] | None = None
        self._valid: set[str] = set()
        self._mu = threading.Lock()
        self.refreshes = 0
        self.rotations = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                status, body = provider._answer(form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _token(self, kind: str) -> str:
        head = f"{kind}-{secrets.token_hex(8)}-"
        return head + secrets.token_urlsafe(self.token_length)[: self.token_length - len(head)]

    def issue(self) -> tuple[str, str]:
        """A fresh (access, refresh) pair, as the provider's login would hand out."""
        access, refresh = self._token("at"), self._token("rt")
        with self._mu:
            self._valid.add(refresh)
        return access, refresh

    def is_valid(self, refresh_token: str) -> bool:
        with self._mu:
            return refresh_token in self._valid

    def _answer(self, form: dict[str, list[str]]) -> tuple[int, dict[str, object]]:
        if form.get("grant_type") != ["refresh_token"]:
            return 400, {"error": "unsupported_grant_type"}
        given = (form.get("refresh_token") or [""])[0]
        with self._mu:
            self.refreshes += 1
            if given not in self._valid:
                return 400, {"error": "invalid_grant", "error_description": "the refresh token is not valid"}
            self._valid.discard(given)  # rotated: the old one is dead from this moment
            access, refresh = self._token("at"), self._token("rt")
            self._valid.add(refresh)
            self.rotations += 1
        if self.on_request is not None:
            self.on_request()
        if self.delay:
            time.sleep(self.delay)
        return 200, {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 3600,
            "token_type": "Bearer",
        }

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RotatingProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
