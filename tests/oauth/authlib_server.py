"""An authorization server built on Authlib's server components, for testing `workbench login`.

Nothing here comes from Token Workbench: the grants (authorization code with PKCE, refresh
token with rotation, device code), client authentication (Basic with Authlib's own decoding,
post, none, private_key_jwt via `JWTBearerClientAssertion`) and revocation are Authlib's; this
file only stores things in dicts and speaks HTTP (stdlib server on loopback).

A consent page (GET /authorize) shows a form with Approve/Deny, like a real server; the
browser stand-in (`fake_browser.py`) posts it. The device verification page is `POST /device`
with `user_code` and `decision`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialDict

USER = {"id": "alice"}
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]


@dataclass
class Client(ClientMixin):
    client_id: str
    auth_method: str
    secret: str | None = None
    public_jwk: dict[str, Any] | None = None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)  # RFC 8252 §7.3: any port on the loopback IP literal
        return parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.path == "/callback"

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and client_secret == self.secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return True


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    used: bool = False

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token:
    client_id: str
    scope: str
    access_token: str
    refresh_token: str | None
    issued_at: float
    expires_in: int
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> dict[str, str]:
        return USER

    def get_client(self) -> None:
        return None


@dataclass
class Store:
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    devices: dict[str, DeviceCredentialDict] = field(default_factory=dict)
    grants_by_user_code: dict[str, tuple[dict[str, str], bool]] = field(default_factory=dict)
    device_polls: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # Scripted answers for the device flow: the Nth poll of a device code answers slow_down.
    slow_down_on_poll: set[int] = field(default_factory=set)
    jtis: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_refresh(self, value: str) -> Token | None:
        return next((t for t in self.tokens if t.refresh_token == value), None)

    def by_access(self, value: str) -> Token | None:
        return next((t for t in self.tokens if t.access_token == value), None)


class _Payload(OAuth2Payload):
    def __init__(self, data: dict[str, str]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return {k: [v] for k, v in self._data.items()}


class _Request(OAuth2Request):
    def __init__(
        self, method: str, uri: str, headers: dict[str, str], query: dict[str, str], form: dict[str, str]
    ):
        super().__init__(method=method, uri=uri, headers=headers)
        self._args, self._form = query, form
        self.payload = _Payload({**query, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.server.store.codes[code] = Code(
            code,
            request.client.client_id,
            request.payload.redirect_uri,
            request.scope or "",
            data.get("code_challenge"),
            data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        item = self.server.store.codes.get(code)
        if item and item.client_id == client.client_id and not item.used:
            return item
        return None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        authorization_code.used = True

    def authenticate_user(self, authorization_code: Code) -> dict[str, str]:
        return USER


class _RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh hands out a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = self.server.store.by_refresh(refresh_token)
        return token if token is not None and not token.revoked else None

    def authenticate_user(self, refresh_token: Token) -> dict[str, str]:
        return USER

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.revoked = True


class _DeviceGrant(DeviceCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
        store = self.server.store
        store.device_polls[device_code].append(time.monotonic())
        return store.devices.get(device_code)

    def query_user_grant(self, user_code: str) -> tuple[dict[str, str], bool] | None:
        return self.server.store.grants_by_user_code.get(user_code)

    def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
        polls = self.server.store.device_polls[credential["device_code"]]
        return len(polls) in self.server.store.slow_down_on_poll


class _DeviceEndpoint(DeviceAuthorizationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS
    INTERVAL = 1
    EXPIRES_IN = 600

    def get_verification_uri(self) -> str:
        return self.server.issuer + "/device"

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        record = DeviceCredentialDict(
            client_id=client_id, scope=scope, expires_at=int(time.time()) + int(data["expires_in"]), **data
        )
        self.server.store.devices[data["device_code"]] = record


class _Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        store = self.server.store
        if token_type_hint == "access_token":
            return store.by_access(token_string)
        return store.by_refresh(token_string) or store.by_access(token_string)

    def revoke_token(self, token: Token, request: Any) -> None:
        token.revoked = True


class _PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: TestAuthorizationServer) -> None:
        super().__init__(leeway=30)
        self._server = server

    def get_audiences(self) -> list[str]:
        return [self._server.issuer + "/token", self._server.issuer + "/revoke"]

    def resolve_client_public_key(self, client: Client) -> Any:
        from joserfc.jwk import import_key

        return import_key(client.public_jwk or {})

    def validate_jti(self, claims: Any, jti: str) -> bool:
        with self._server.store.lock:
            if jti in self._server.store.jtis:
                return False
            self._server.store.jtis.add(jti)
            return True


class TestAuthorizationServer(AuthorizationServer):
    """Authlib's server, with storage in `self.store` and an HTTP face (`start()` / `stop()`)."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        super().__init__(scopes_supported=None)
        self.store = Store()
        self.issuer = ""
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **kw: generate_token(40),
                refresh_token_generator=lambda **kw: generate_token(48),
            ),
        )
        self.register_grant(_CodeGrant, [CodeChallenge(required=True)])
        self.register_grant(_RefreshGrant)
        self.register_grant(_DeviceGrant)
        self.register_endpoint(_DeviceEndpoint)
        self.register_endpoint(_Revocation)
        self.register_client_auth_method("private_key_jwt", _PrivateKeyJWT(self))
        self._http: ThreadingHTTPServer | None = None

    # -- Authlib's hooks --

    def query_client(self, client_id: str) -> Client | None:
        return self.store.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        self.store.tokens.append(
            Token(
                request.client.client_id,
                token.get("scope", ""),
                token["access_token"],
                token.get("refresh_token"),
                time.time(),
                int(token.get("expires_in", 3600)),
            )
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request  # the HTTP handler builds the OAuth2Request itself

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    # -- set-up --

    def add_client(self, client: Client) -> Client:
        self.store.clients[client.client_id] = client
        return client

    def approve_device(self, user_code: str, approved: bool = True) -> None:
        self.store.grants_by_user_code[user_code] = (USER, approved)

    def start(self) -> TestAuthorizationServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.oauth = self  # type: ignore[attr-defined]
        self._http = server
        self.issuer = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "device_authorization_endpoint": self.issuer + "/device_authorization",
            "revocation_endpoint": self.issuer + "/revoke",
            "response_types_supported": ["code"],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
        }


_CONSENT = """<!doctype html><html><body><h1>Authorize {client}?</h1>
<form method="post" action="/authorize">{hidden}
<button name="decision" value="approve">Approve</button>
<button name="decision" value="deny">Deny</button></form></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        return dict(parse_qsl(body, keep_blank_values=True))

    def _request(self, form: dict[str, str]) -> _Request:
        oauth: TestAuthorizationServer = self.server.oauth
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k: v for k, v in self.headers.items()}
        request = _Request(self.command, oauth.issuer + self.path, headers, query, form)
        oauth.store.requests.append((self.command, parts.path, headers, {**query, **form}))
        return request

    def _reply(self, status: int, body: Any, headers: list[tuple[str, str]]) -> None:
        if isinstance(body, dict):
            data = json.dumps(body).encode()
            headers = [*headers, ("Content-Type", "application/json")]
        else:
            data = (body or "").encode()
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        oauth: TestAuthorizationServer = self.server.oauth
        path = urlsplit(self.path).path
        if path != "/authorize":
            oauth.store.requests.append(("GET", path, dict(self.headers.items()), {}))
        if path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
            if path.endswith("openid-configuration"):  # an OAuth-only server: RFC 8414 only
                self._reply(404, {"error": "not_found"}, [])
                return
            self._reply(200, oauth.metadata(), [])
            return
        if path == "/authorize":
            request = self._request({})
            try:
                oauth.get_consent_grant(request=request, end_user=USER)
            except Exception as exc:  # an invalid request: Authlib's own error, shown like a server
                self._reply(400, {"error": getattr(exc, "error", "invalid_request")}, [])
                return
            hidden = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in request.args.items())
            page = _CONSENT.format(client=request.args.get("client_id"), hidden=hidden)
            self._reply(200, page, [("Content-Type", "text/html")])
            return
        self._reply(404, {"error": "not_found"}, [])

    def do_POST(self) -> None:
        oauth: TestAuthorizationServer = self.server.oauth
        path = urlsplit(self.path).path
        form = self._read_form()
        if path == "/authorize":
            decision = form.pop("decision", "deny")
            request = _Request("GET", oauth.issuer + "/authorize?" + urlencode(form), {}, form, {})
            grant = oauth.get_consent_grant(request=request, end_user=USER)
            self._reply(
                *oauth.create_authorization_response(
                    request=request, grant_user=USER if decision == "approve" else None, grant=grant
                )
            )
            return
        if path == "/token":
            self._reply(*oauth.create_token_response(self._request(form)))
            return
        if path == "/device_authorization":
            self._reply(*oauth.create_endpoint_response("device_authorization", self._request(form)))
            return
        if path == "/revoke":
            self._reply(*oauth.create_endpoint_response("revocation", self._request(form)))
            return
        if path == "/device":
            oauth.approve_device(form.get("user_code", ""), form.get("decision") == "approve")
            self._reply(200, "<p>done</p>", [("Content-Type", "text/html")])
            return
        self._reply(404, {"error": "not_found"}, [])
