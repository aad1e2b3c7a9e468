"""The loopback redirect listener of a native-app login (RFC 8252 §7.3).

It listens on `127.0.0.1` (an IP literal: `localhost` may resolve to `::1` while we listen on
IPv4, the msal / google-auth-oauthlib bug), on an ephemeral port unless the profile fixes one,
and answers exactly one `/callback`: `state` checked in constant time. A request with a wrong
or missing `state` is answered 400 and otherwise ignored: any local process can reach the port,
and one stray GET must not end the login (it keeps waiting for the right answer until its
timeout, whose message counts the refused requests). The page the browser is shown matches the
login's outcome: a redirect that carries a code is answered only when the login has finished
with it (`finish`: code exchanged, id_token checked, tokens stored, or the reason it failed),
and a refused one before `wait` returns, so the process never exits before the browser has its
page. It never hangs the caller:

* a port in use is one clear error at once (not a hang);
* `wait` returns at the deadline (`--timeout`), on `cancel` (the GUI's Cancel) and lets
  Ctrl-C through; the socket is closed in every case (`close`, or the `with` block);
* connections that send nothing (browser pre-connects) time out after a few seconds on
  their own thread instead of blocking the listener.
"""

from __future__ import annotations

import errno
import hmac
import html
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from workbench.core.errors import InputError, WorkbenchError
from workbench.core.errors import LoginTimedOut as LoginTimedOut  # defined in the error tree
from workbench.core.oauth.protocol import LoginCancelled, OAuthError

CALLBACK_PATH = "/callback"
LOOPBACK_HOST = "127.0.0.1"
# A connection that sends no request within this long is dropped (browser pre-connects).
IDLE_CONNECTION_SECONDS = 5.0
POLL_SECONDS = 0.1
# How long the browser's request waits for the login to finish with its code (exchange, checks,
# storing), and how long `finish` waits for that page to be written.
OUTCOME_WAIT_SECONDS = 120.0
ANSWER_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class CallbackResult:
    code: str = field(repr=False)
    # Everything else the server put on the redirect (iss, session_state, …), values kept as sent.
    params: dict[str, str] = field(default_factory=dict, repr=False)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Token Workbench: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;color:#222}}
h1{{font-size:1.4em}} .bad{{color:#a00}}</style></head>
<body><h1 class="{cls}">{title}</h1><p>{message}</p>
<p>You can close this tab and return to Token Workbench.</p></body></html>
"""


def page(title: str, message: str, *, ok: bool) -> bytes:
    return _PAGE.format(
        title=html.escape(title), message=html.escape(message), cls="ok" if ok else "bad"
    ).encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: LoopbackReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a browser that went away (tab closed while waiting): no traceback on stderr


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = IDLE_CONNECTION_SECONDS
    server_version = "TokenWorkbench"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return  # the query string holds the authorization code: never log it

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.receiver.path:
            self._send(404, page("Not found", "This address only receives the login's answer.", ok=False))
            return
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items() if v}
        receiver = self.server.receiver
        status, body, holds_code = receiver._accept(query)
        if holds_code:
            status, body = receiver._outcome_page()  # waits for `finish`
        try:
            self._send(status, body)
        finally:
            receiver._delivered(holds_code)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class LoopbackReceiver:
    """Listens for the authorization server's redirect. Use as a context manager.

    Attributes:
        redirect_uri: `http://127.0.0.1:{port}/callback`, to put in the authorization request.
    """

    def __init__(self, *, state: str, port: int = 0, path: str = CALLBACK_PATH) -> None:
        self.path = path
        self._state = state
        self._done = threading.Event()
        self._answered = threading.Event()  # the browser has its page (or could not be answered)
        self._outcome = threading.Event()  # `finish` said how the login ended
        self._outcome_status, self._outcome_body = 500, b""
        self._code_seen = False
        self._lock = threading.Lock()
        self._result: CallbackResult | None = None
        self._error: WorkbenchError | None = None
        self._refused = 0  # requests with a wrong or missing state (not this login's answer)
        try:
            self._server = _Server((LOOPBACK_HOST, port), _Handler, bind_and_activate=True)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                why = "is in use by another program" if exc.errno == errno.EADDRINUSE else "is not allowed"
                raise InputError(
                    f"cannot receive the login's redirect: port {port} on {LOOPBACK_HOST} {why}",
                    hint="close what uses it, or clear the profile's redirect_port (any free port is used)",
                ) from None
            raise InputError(
                f"cannot listen on {LOOPBACK_HOST}:{port} for the login's redirect ({exc.strerror})"
            ) from None
        self._server.receiver = self
        self.port: int = self._server.server_address[1]
        self.redirect_uri = f"http://{LOOPBACK_HOST}:{self.port}{path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name="oauth-loopback",
            daemon=True,
        )
        self._thread.start()

    @property
    def state(self) -> str:
        """The `state` this listener accepts (it goes into the authorization URL)."""
        return self._state

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finish(self, ok: bool, message: str) -> None:
        """Say how the login ended; the browser waiting on the redirect gets that page. Waits
        (briefly) until the page is written, so the process may exit right after."""
        if self._outcome.is_set():
            return
        if ok:
            self._outcome_status, self._outcome_body = 200, page("Signed in", message, ok=True)
        else:
            self._outcome_status, self._outcome_body = 400, page("Login failed", message, ok=False)
        self._outcome.set()
        if self._code_seen:
            self._answered.wait(ANSWER_WAIT_SECONDS)

    def _outcome_page(self) -> tuple[int, bytes]:
        if not self._outcome.wait(OUTCOME_WAIT_SECONDS):
            return 504, page(
                "Login still running", "Return to Token Workbench to see how it ended.", ok=False
            )
        return self._outcome_status, self._outcome_body

    def _delivered(self, holds_code: bool) -> None:
        if holds_code:
            self._answered.set()
        elif self._error is not None:
            self._done.set()  # a refused login: the caller learns of it once the page is out

    def close(self) -> None:
        """Stop listening and free the port (idempotent). A browser still waiting for its page
        is told the login was abandoned."""
        if self._code_seen and not self._outcome.is_set():
            self.finish(False, "The login was abandoned before it finished; nothing was stored.")
        server = self.__dict__.pop("_server", None)
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._thread.join(timeout=2.0)

    # Called on the listener's threads.
    def _accept(self, query: dict[str, str]) -> tuple[int, bytes, bool]:
        """(status, page, holds_code): with holds_code the page is the login's outcome, later."""
        with self._lock:
            if self._done.is_set() or self._error is not None or self._code_seen:  # one answer only
                return (
                    409,
                    page("Already finished", "This login has already received its answer.", ok=False),
                    False,
                )
            state = query.get("state", "")
            if not hmac.compare_digest(state.encode(), self._state.encode()):
                # Not this login's answer (a forged or stale redirect, or any local process):
                # refuse it and keep waiting for the real one.
                self._refused += 1
                why = "The answer did not belong to this login (state mismatch)."
                return 400, page("Login failed", why, ok=False), False
            if "error" in query:
                code = " ".join(query.get("error", "").split())[:80] or "error"
                description = " ".join(query.get("error_description", "").split())[:200]
                detail = f"{code}: {description}" if description else code
                text = (
                    "login refused: the user denied access"
                    if code == "access_denied"
                    else "login refused by the authorization server"
                )
                self._error = OAuthError(f"{text} ({detail})", error_type=code, provider_message=description)
                return (
                    200,
                    page("Login refused", f"The authorization server answered: {detail}.", ok=False),
                    False,
                )
            code_value = query.get("code", "")
            if not code_value:
                self._error = OAuthError("login failed: the redirect carried neither a code nor an error")
                return 400, page("Login failed", "The answer carried no authorization code.", ok=False), False
            params = {k: v for k, v in query.items() if k not in ("code", "state")}
            self._result = CallbackResult(code=code_value, params=params)
            self._code_seen = True
            self._done.set()
            return 200, b"", True

    def wait(
        self, *, timeout: float, cancel: threading.Event | None = None, limit: float | None = None
    ) -> CallbackResult:
        """Block until the redirect arrives, `timeout` s pass, or `cancel` is set. `limit` is the
        login's whole timeout, for the message."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                refused = (
                    f" ({self._refused} request(s) with a wrong or missing state were refused)"
                    if self._refused
                    else ""
                )
                raise LoginTimedOut(
                    f"no answer from the browser within {limit or timeout:g} s{refused}; "
                    "the login was abandoned",
                    hint="run the login again, with a larger --timeout if you need longer",
                )
            if cancel is not None and cancel.is_set():
                raise LoginCancelled("login cancelled")
            if self._done.wait(min(POLL_SECONDS * 2, remaining)):
                break
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


__all__ = ["CALLBACK_PATH", "LOOPBACK_HOST", "CallbackResult", "LoginTimedOut", "LoopbackReceiver", "page"]
