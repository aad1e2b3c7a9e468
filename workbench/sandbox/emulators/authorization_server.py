"""An OpenID Connect authorization server for the browser and device logins, offline.

Serves the `oauth2-authorization-code` and `oauth2-device-code` presets (`gui --demo` and the
CLI tests log in against it). Issuer = `{sandbox}/idp`. What it does, strictly:

- `GET /.well-known/openid-configuration` (and RFC 8414's `/.well-known/oauth-authorization-server`
  at the sandbox root is not needed: the OIDC document is found first).
- `GET /authorize`: checks client, `response_type=code`, a loopback `redirect_uri`
  (`http://127.0.0.1:{any port}/...`, RFC 8252 §7.3), PKCE S256 (required), and shows a consent
  page with **Approve** and **Deny**. `POST /authorize` takes the decision and redirects with
  `code` + `state` + `iss` (RFC 9207) or `error=access_denied`.
- `POST /device_authorization` (RFC 8628 §3.1-3.2) and the device page `GET/POST /device`
  (enter the user code, Approve or Deny).
- `POST /token`: `authorization_code` (PKCE verifier, redirect_uri, one use), `refresh_token`
  (opaque, rotating: the previous one is refused), device code polling
  (`authorization_pending`, `slow_down` when polled faster than `interval`, `access_denied`,
  `expired_token`).
- `POST /revoke` (RFC 7009: 200 for any token), `GET /jwks` (ES256 key of the id_tokens).
- `POST /par` (RFC 9126), request objects (RFC 9101) and `POST /introspect` (RFC 7662): see `fapi`.
  `FapiIssuer` (issuer `{sandbox}/fapi`) requires both PAR and signed request objects.
- Clients: `workbench-public` (public, `client_auth = none`) and `workbench-confidential`
  (client_secret_basic / client_secret_post with a random secret).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.base import DAY, Provider, SandboxState, Session, SessionStore
from workbench.sandbox.emulators.fapi import (
    AuthorizationRefused,
    PushedAndSigned,
    introspection_answer,
    introspection_form,
)
from workbench.sandbox.emulators.pages import DECISION_BUTTONS, page
from workbench.sandbox.http import Reject, Request, Response, json_response

FORM_TYPE = "application/x-www-form-urlencoded"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
# Letters that cannot be misread (RFC 8628 §6.1): no vowels, no look-alikes.
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


@dataclass
class _Pending:
    """An authorization request waiting for the user's decision on the consent page."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str
    challenge: str
    nonce: str
    created: float


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str
    nonce: str
    expires_at: float
    used: bool = False


@dataclass
class _Device:
    client_id: str
    scope: str
    user_code: str
    expires_at: float
    interval: float
    decision: str | None = None  # "approved" / "denied"
    last_poll: float | None = None
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class _RevocableSessions(SessionStore):
    def revoke(self, refresh_token: str) -> bool:
        with self._lock:
            return self._by_refresh.pop(refresh_token, None) is not None


@dataclass(frozen=True)
class _Client:
    secret: str | None


class AuthorizationServer(Provider):
    """OIDC authorization server with consent and device approval pages (see module docstring)."""

    key = "idp"
    presets: ClassVar[tuple[str, ...]] = ("oauth2-authorization-code", "oauth2-device-code")
    prefix = "/idp"
    default_lifetime = 900
    default_refresh_lifetime = 30 * DAY
    CODE_LIFETIME = 60
    DEVICE_LIFETIME = 600
    require_par = False
    require_jar = False

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.secret = secrets.token_bytes(32)
        self._signing_key = jose.generate_ec_key()
        self.jwk = jose.ec_public_jwk(self._signing_key.public_key())
        self.sessions = _RevocableSessions()
        self.public_client_id = "workbench-public"
        self.confidential_client_id = "workbench-confidential"
        self.confidential_secret = secrets.token_urlsafe(18) + "+%:&"
        self._clients = {
            self.public_client_id: _Client(None),
            self.confidential_client_id: _Client(self.confidential_secret),
        }
        self.device_interval = 5.0
        self.auto_approve = False  # tests: approve device codes without the page
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._codes: dict[str, _Code] = {}
        self._devices: dict[str, _Device] = {}
        self._user_codes: dict[str, str] = {}
        self.revoked: list[str] = []
        self.route("GET", "/.well-known/openid-configuration", "verify", self.discovery)
        self.route("GET", "/jwks", "verify", self.jwks)
        self.route("GET", "/authorize", "mint", self.authorize)
        self.route("POST", "/authorize", "mint", self.decide)
        self.route("POST", "/device_authorization", "mint", self.device_authorization)
        self.route("GET", "/device", "mint", self.device_page)
        self.route("POST", "/device", "mint", self.device_decide)
        self.route("POST", "/token", self._token_endpoint_name, self.token)
        self.route("POST", "/revoke", "verify", self.revoke)
        self.fapi = PushedAndSigned(self, require_par=self.require_par, require_jar=self.require_jar)
        self.route("POST", "/par", "mint", self.fapi.pushed_authorization_request)
        self.route("POST", "/introspect", "verify", self.introspect)

    # -- basics --

    @staticmethod
    def _token_endpoint_name(request: Request) -> str:
        fields = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        return "refresh" if fields.get("grant_type") == "refresh_token" else "mint"

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        return json_response(status, {"error": code, "error_description": message}, (*_NO_STORE, *headers))

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        return jose.decode_verified(token, now=now, hs256_secret=self.secret, issuer=self.issuer)

    def preset_of(self, claims: Any) -> str:
        return "oauth2-device-code" if claims.get("gty") == "device_code" else "oauth2-authorization-code"

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        demo = {"vars": {"client_id": self.public_client_id, "client_auth": "none"}, "secrets": {}}
        return {"oauth2-authorization-code": demo, "oauth2-device-code": dict(demo)}

    def discovery(self, request: Request) -> Response:
        issuer = self.issuer
        return json_response(
            200,
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "device_authorization_endpoint": f"{issuer}/device_authorization",
                "revocation_endpoint": f"{issuer}/revoke",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "none",
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "scopes_supported": ["openid", "profile", "offline_access", "read"],
                "authorization_response_iss_parameter_supported": True,
                **self.fapi.metadata(),
            },
        )

    def jwks(self, request: Request) -> Response:
        return json_response(200, {"keys": [self.jwk]})

    # -- helpers --

    def _form(self, request: Request) -> dict[str, str]:
        if request.media_type != FORM_TYPE:
            raise Reject(self.error(400, "invalid_request", f"Content-Type must be {FORM_TYPE}"))
        try:
            pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise Reject(self.error(400, "invalid_request", "request body is not a valid form")) from None
        form: dict[str, str] = {}
        for name, value in pairs:
            if name in form and name != "resource":
                raise Reject(
                    self.error(400, "invalid_request", f"parameter '{name}' is included more than once")
                )
            form[name] = value
        return form

    def _authenticate_client(self, request: Request, form: dict[str, str]) -> str:
        """The client id, after RFC 6749 §2.3 authentication (confidential) or identification (public)."""
        header = request.header("authorization")
        if header and header.lower().startswith("basic "):
            if "client_secret" in form:
                raise Reject(self.error(400, "invalid_request", "use only one client authentication method"))
            try:
                user, sep, password = (
                    base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                user, sep, password = "", "", ""
            client_id, secret = unquote_plus(user), unquote_plus(password)
            client = self._clients.get(client_id)
            if (
                not sep
                or client is None
                or client.secret is None
                or not hmac.compare_digest(client.secret.encode(), secret.encode())
            ):
                raise Reject(self.error(401, "invalid_client", "client authentication failed"))
            return client_id
        client_id = form.get("client_id", "")
        client = self._clients.get(client_id)
        if client is None:
            raise Reject(self.error(401, "invalid_client", "unknown client"))
        if client.secret is not None:
            given = form.get("client_secret", "")
            if not hmac.compare_digest(client.secret.encode(), given.encode()):
                raise Reject(self.error(401, "invalid_client", "client authentication failed"))
        return client_id

    @staticmethod
    def _loopback_redirect(uri: str) -> bool:
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1") and not parts.fragment

    def _tokens(
        self, client_id: str, scope: str, subject: str, grant: str, nonce: str = ""
    ) -> dict[str, Any]:
        access, iat, _exp = self.hs256_jwt(
            self.secret, subject, aud=self.base_url, client_id=client_id, scope=scope, gty=grant
        )
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "scope": scope,
        }
        # The demo hands out a refresh token whatever the scope (offline_access or not).
        session = self.sessions.open(
            subject,
            secrets.token_urlsafe(32),
            self.now() + int(self.refresh_lifetime or 0),
            client_id=client_id,
            scope=scope,
            grant=grant,
        )
        answer["refresh_token"] = session.refresh_token
        if "openid" in scope.split():
            claims = {
                "iss": self.issuer,
                "sub": subject,
                "aud": client_id,
                "iat": iat,
                "exp": iat + 600,
                "preferred_username": "demo-user",
            }
            if nonce:
                claims["nonce"] = nonce
            answer["id_token"] = jose.encode_es256(claims, self._signing_key, self.jwk["kid"])
        return answer

    # -- authorization code --

    def authorize(self, request: Request) -> Response:
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        if query.get("client_id", "") not in self._clients:
            return page("Unknown client", "<p>This application is not registered.</p>")
        try:
            query = self.fapi.authorization_query(query)  # a pushed request, a request object, or as is
        except AuthorizationRefused as exc:
            return page("Refused", f"<p>{html.escape(str(exc))}</p>")
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if not self._loopback_redirect(redirect_uri):
            return page("Bad redirect", "<p>redirect_uri must be http://127.0.0.1:PORT/… (RFC 8252).</p>")

        def fail(code: str, text: str) -> Response:
            target = (
                redirect_uri
                + "?"
                + urlencode(
                    {
                        "error": code,
                        "error_description": text,
                        "state": query.get("state", ""),
                        "iss": self.issuer,
                    }
                )
            )
            return Response(302, b"", None, [("Location", target)])

        if query.get("response_type") != "code":
            return fail("unsupported_response_type", "response_type must be code")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return fail("invalid_request", "PKCE with S256 is required")
        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self._pending[request_id] = _Pending(
                client_id,
                redirect_uri,
                query.get("state", ""),
                query.get("scope", "openid"),
                query["code_challenge"],
                query.get("nonce", ""),
                self.now(),
            )
        scope = html.escape(query.get("scope", "openid"))
        form = (
            f"<p><b>{html.escape(client_id)}</b> asks to sign in as <b>demo-user</b> with scope "
            f"<code>{scope}</code>.</p><form method='post' action='{self.prefix}/authorize'>"
            f"<input type='hidden' name='request_id' value='{request_id}'>"
            f"{DECISION_BUTTONS}</form>"
        )
        return page("Sandbox sign-in", form)

    def decide(self, request: Request) -> Response:
        form = self._form(request)
        with self._lock:
            pending = self._pending.pop(form.get("request_id", ""), None)
        if pending is None:
            return page("Expired", "<p>This sign-in request is unknown or already answered.</p>")
        params: dict[str, str] = {"state": pending.state, "iss": self.issuer}
        if form.get("decision") == "approve":
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Code(
                    pending.client_id,
                    pending.redirect_uri,
                    pending.scope,
                    pending.challenge,
                    pending.nonce,
                    self.now() + self.CODE_LIFETIME,
                )
            params["code"] = code
        else:
            params.update(error="access_denied", error_description="the user denied the request")
        return Response(302, b"", None, [("Location", pending.redirect_uri + "?" + urlencode(params))])

    # -- device code --

    def device_authorization(self, request: Request) -> Response:
        form = self._form(request)
        client_id = self._authenticate_client(request, form)
        device_code = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
        user_code = f"{user_code[:4]}-{user_code[4:]}"
        device = _Device(
            client_id,
            form.get("scope", "openid"),
            user_code,
            self.now() + self.DEVICE_LIFETIME,
            self.device_interval,
        )
        if self.auto_approve:
            device.decision = "approved"
        with self._lock:
            self._devices[device_code] = device
            self._user_codes[user_code] = device_code
        verify = f"{self.issuer}/device"
        return json_response(
            200,
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": verify,
                "verification_uri_complete": f"{verify}?user_code={user_code}",
                "expires_in": self.DEVICE_LIFETIME,
                "interval": int(self.device_interval),
            },
            _NO_STORE,
        )

    def device_page(self, request: Request) -> Response:
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        code = html.escape(query.get("user_code", ""))
        body = (
            "<p>Enter the code shown by Token Workbench.</p>"
            f"<form method='post' action='{self.prefix}/device'>"
            f"<p><input name='user_code' value='{code}' autocomplete='off'></p>"
            f"{DECISION_BUTTONS}</form>"
        )
        return page("Sandbox device sign-in", body)

    def device_decide(self, request: Request) -> Response:
        form = self._form(request)
        user_code = form.get("user_code", "").strip().upper().replace(" ", "")
        if len(user_code) == 8:
            user_code = f"{user_code[:4]}-{user_code[4:]}"
        approved = form.get("decision") == "approve"
        if not self.decide_device(user_code, approved=approved):
            return page("Unknown code", "<p>That code is unknown or has expired. Check it and try again.</p>")
        if approved:
            return page("Device approved", "<p>You can return to Token Workbench.</p>")
        return page("Request denied", "<p>The device was not signed in.</p>")

    def decide_device(self, user_code: str, *, approved: bool) -> bool:
        """Approve or deny a pending device login (the device page; tests call it directly)."""
        with self._lock:
            device_code = self._user_codes.get(user_code)
            device = self._devices.get(device_code or "")
            if device is None or device.done or device.expires_at <= self.now():
                return False
            device.decision = "approved" if approved else "denied"
        return True

    def play_user(self, url: str, *, approve: bool = True) -> bool:
        """Do what a user in a browser does with an authorization URL: open the consent page,
        press Approve (or Deny), follow the redirect to the app's loopback listener. For the
        self-test and tests; usable as `oauth_login.login(..., opener=...)`."""
        import re

        import httpx

        with httpx.Client(follow_redirects=False, timeout=10) as client:
            page = client.get(url)
            found = re.search(r"name='request_id' value='([^']+)'", page.text)
            if page.status_code != 200 or found is None:
                return False
            decision = "approve" if approve else "deny"
            answer = client.post(
                f"{self.base_url}/authorize", data={"request_id": found.group(1), "decision": decision}
            )
            target = answer.headers.get("location")
            if answer.status_code != 302 or not target:
                return False
            return client.get(target).status_code < 500

    # -- token endpoint --

    def token(self, request: Request) -> Response:
        form = self._form(request)
        grant = form.get("grant_type", "")
        client_id = self._authenticate_client(request, form)
        if grant == "authorization_code":
            return self._code_grant(form, client_id)
        if grant == "refresh_token":
            return self._refresh_grant(form, client_id)
        if grant == DEVICE_GRANT:
            return self._device_grant(form, client_id)
        return self.error(400, "unsupported_grant_type", f"grant_type '{grant}' is not supported")

    def _code_grant(self, form: dict[str, str], client_id: str) -> Response:
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is not None:
                reused = code.used
                code.used = True
        if code is None or reused or code.expires_at <= self.now():
            return self.error(400, "invalid_grant", "authorization code is invalid, expired or already used")
        if code.client_id != client_id:
            return self.error(400, "invalid_grant", "authorization code was issued to another client")
        if form.get("redirect_uri") != code.redirect_uri:
            return self.error(400, "invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not hmac.compare_digest(digest, code.challenge):
            return self.error(400, "invalid_grant", "PKCE verification failed (code_verifier does not match)")
        subject = f"user_{uuid.uuid4().hex[:10]}"
        return json_response(
            200, self._tokens(client_id, code.scope, subject, "authorization_code", code.nonce), _NO_STORE
        )

    def _refresh_grant(self, form: dict[str, str], client_id: str) -> Response:
        refresh_token = form.get("refresh_token", "")

        def check(session: Session) -> None:
            if session.data["client_id"] != client_id:
                raise Reject(self.error(400, "invalid_grant", "refresh token was issued to another client"))

        session = self.rotate_opaque(self.sessions, refresh_token, check=check)
        if session is None:
            return self.error(
                400, "invalid_grant", "refresh token is invalid, expired, revoked or already used"
            )
        scope = session.data["scope"]
        access = self.hs256_jwt(
            self.secret,
            session.subject,
            aud=self.base_url,
            client_id=client_id,
            scope=scope,
            gty=session.data.get("grant", "authorization_code"),
        )[0]
        return json_response(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.lifetime,
                "refresh_token": session.refresh_token,
                "scope": scope,
            },
            _NO_STORE,
        )

    def _device_grant(self, form: dict[str, str], client_id: str) -> Response:
        now = self.now()
        with self._lock:
            device = self._devices.get(form.get("device_code", ""))
            if device is None or device.client_id != client_id or device.done:
                return self.error(400, "invalid_grant", "device code is unknown or already used")
            if device.expires_at <= now:
                return self.error(400, "expired_token", "the device code has expired")
            # Half a second of grace: pollers that sleep exactly `interval` must not be punished.
            too_fast = device.last_poll is not None and now - device.last_poll < device.interval - 0.5
            device.last_poll = now
            if too_fast:
                device.interval += 5
                return self.error(400, "slow_down", "polling too fast")
            if device.decision is None:
                return self.error(400, "authorization_pending", "the user has not approved yet")
            device.done = True
            if device.decision == "denied":
                return self.error(400, "access_denied", "the user denied the request")
        subject = f"user_{uuid.uuid4().hex[:10]}"
        return json_response(200, self._tokens(client_id, device.scope, subject, "device_code"), _NO_STORE)

    # -- revocation, introspection --

    def introspect(self, request: Request) -> Response:
        """RFC 7662: a public client may ask about its own tokens, a confidential one about any."""
        form = introspection_form(request, self.error)
        caller = self._authenticate_client(request, form)
        answer = introspection_answer(
            self,
            form["token"],
            self.sessions,
            caller=caller,
            confidential=self._clients[caller].secret is not None,
            revoked=self.revoked,
        )
        return json_response(200, answer, _NO_STORE)

    def revoke(self, request: Request) -> Response:
        form = self._form(request)
        self._authenticate_client(request, form)
        token = form.get("token", "")
        if not token:
            return self.error(400, "invalid_request", "token is required")
        with self._lock:
            self.revoked.append(token)
        self.sessions.revoke(token)
        return Response(200, b"", None, list(_NO_STORE))


EMULATOR = AuthorizationServer

__all__ = ["EMULATOR", "AuthorizationServer"]
