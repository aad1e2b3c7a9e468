"""The FAPI toolbox of the sandbox's authorization servers: pushed authorization requests (RFC 9126),
signed request objects (JAR, RFC 9101) and token introspection (RFC 7662). Not an emulator itself:
`authorization_server` holds a `PushedAndSigned`; `oauth2` and `authorization_server` answer
introspection with `introspection_answer`.

- PAR: `POST {issuer}/par` takes the authorization request's parameters with the client's
  authentication and answers 201 `{"request_uri", "expires_in"}`; the request_uri is good for one
  authorization request only, within `PAR_LIFETIME` seconds, and only for the client that pushed it.
  An issuer with `require_par` refuses an authorization request that does not use one.
- JAR: a `request` parameter (at /par or /authorize) is a JWT signed with the key the client
  registered (`client_keys`): iss = client_id, aud = the issuer, a live exp; its claims replace the
  parameters. An issuer with `require_jar` refuses an authorization request without one.
- Introspection: `active` and what the server knows of an access or refresh token; a public client
  may ask about its own tokens only (as oidc-provider does), a confidential one about any.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from workbench.sandbox import tokens as jose
from workbench.sandbox.http import Reject, Request, Response, json_response

if TYPE_CHECKING:
    from workbench.sandbox.emulators.base import Provider, SessionStore

PAR_LIFETIME = 60  # RFC 9126 §2.2: short-lived; 5 to 600 s is what it suggests
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
JAR_ALGS = ("ES256", "ES384", "RS256", "PS256", "EdDSA")
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
_CLIENT_AUTH_FIELDS = ("client_secret", "client_assertion", "client_assertion_type")


class AuthorizationRefused(Exception):
    """An authorization request the server will not show a consent page for (the page says why)."""


@dataclass
class _Pushed:
    client_id: str
    params: dict[str, str]
    expires_at: float


class PushedRequests:
    """request_uri → the pushed parameters: single use, short-lived, bound to the pushing client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_uri: dict[str, _Pushed] = {}

    def push(self, client_id: str, params: dict[str, str], now: float) -> str:
        uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(24)
        with self._lock:
            self._by_uri = {k: v for k, v in self._by_uri.items() if v.expires_at > now}
            self._by_uri[uri] = _Pushed(client_id, dict(params), now + PAR_LIFETIME)
        return uri

    def take(self, uri: str, client_id: str, now: float) -> dict[str, str] | None:
        """The parameters, once: a used, expired or foreign request_uri is None."""
        with self._lock:
            pushed = self._by_uri.pop(uri, None)
        if pushed is None or pushed.expires_at <= now or pushed.client_id != client_id:
            return None
        return pushed.params


def verify_request_object(
    request_object: str, jwk: dict[str, Any] | None, *, issuer: str, client_id: str, now: float
) -> dict[str, str]:
    """The parameters inside a request object signed with the client's registered key (RFC 9101)."""
    import jwt

    if jwk is None:
        raise AuthorizationRefused(f"client {client_id} registered no key to sign request objects with")
    try:
        alg = jwt.get_unverified_header(request_object).get("alg")
        if alg not in JAR_ALGS:
            raise AuthorizationRefused("the request object is not signed with an asymmetric algorithm")
        key = jwt.PyJWK(jwk, algorithm=alg).key
        claims = jwt.decode(
            request_object,
            key,
            algorithms=[alg],
            audience=issuer,
            issuer=client_id,
            options={"require": ["exp", "iss", "aud"], "verify_exp": False, "verify_nbf": False},
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise AuthorizationRefused(f"the request object does not verify ({type(exc).__name__})") from None
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not isinstance(exp, int | float) or exp + 30 < now:  # the sandbox clock, not the local one
        raise AuthorizationRefused("the request object has expired")
    if isinstance(nbf, int | float) and nbf - 30 > now:
        raise AuthorizationRefused("the request object is not valid yet")
    if claims.get("client_id", client_id) != client_id:
        raise AuthorizationRefused("the request object names another client_id")
    reserved = ("iss", "aud", "exp", "iat", "nbf", "jti")
    return {
        k: v if isinstance(v, str) else " ".join(map(str, v)) for k, v in claims.items() if k not in reserved
    }


class _Server(Protocol):
    """What `PushedAndSigned` uses of its authorization server."""

    @property
    def issuer(self) -> str: ...

    def now(self) -> float: ...

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response: ...

    def _form(self, request: Request) -> dict[str, str]: ...

    def _authenticate_client(self, request: Request, form: dict[str, str]) -> str: ...


class PushedAndSigned:
    """The PAR endpoint and the request-object checks of one authorization server."""

    def __init__(self, server: _Server, *, require_par: bool = False, require_jar: bool = False) -> None:
        self.server = server
        self.require_par = require_par
        self.require_jar = require_jar
        self.pushed = PushedRequests()
        self.client_keys: dict[str, dict[str, Any]] = {}  # client_id → the public JWK it registered

    def metadata(self) -> dict[str, Any]:
        """What the discovery document says of PAR, JAR and introspection."""
        issuer = self.server.issuer
        metadata: dict[str, Any] = {
            "pushed_authorization_request_endpoint": f"{issuer}/par",
            "request_parameter_supported": True,
            "request_object_signing_alg_values_supported": list(JAR_ALGS),
            "introspection_endpoint": f"{issuer}/introspect",
        }
        if self.require_par:
            metadata["require_pushed_authorization_requests"] = True
        if self.require_jar:
            metadata["require_signed_request_object"] = True
        return metadata

    def _request_object(self, client_id: str, request_object: str) -> dict[str, str]:
        return verify_request_object(
            request_object,
            self.client_keys.get(client_id),
            issuer=self.server.issuer,
            client_id=client_id,
            now=self.server.now(),
        )

    def authorization_query(self, query: dict[str, str]) -> dict[str, str]:
        """The parameters an authorization request stands for: those it pushed (request_uri), those
        signed in its request object, or the query itself. AuthorizationRefused when not allowed."""
        client_id = query.get("client_id", "")
        if "request_uri" in query:
            params = self.pushed.take(query["request_uri"], client_id, self.server.now())
            if params is None:
                raise AuthorizationRefused("the request_uri is unknown, already used or expired")
            return params
        if self.require_par:
            raise AuthorizationRefused("this server requires pushed authorization requests (RFC 9126)")
        if "request" in query:
            return {**self._request_object(client_id, query["request"]), "client_id": client_id}
        if self.require_jar:
            raise AuthorizationRefused("this server requires signed request objects (RFC 9101)")
        return query

    def pushed_authorization_request(self, request: Request) -> Response:
        """`POST {issuer}/par` (RFC 9126 §2)."""
        form = self.server._form(request)
        client_id = self.server._authenticate_client(request, form)
        error = self.server.error
        params = {k: v for k, v in form.items() if k not in _CLIENT_AUTH_FIELDS}
        if "request_uri" in params:
            return error(400, "invalid_request", "request_uri must not be pushed (RFC 9126 §2.1)")
        if "request" in params:
            try:
                params = self._request_object(client_id, params["request"])
            except AuthorizationRefused as exc:
                return error(400, "invalid_request_object", str(exc))
        elif self.require_jar:
            return error(400, "invalid_request_object", "signed request objects are required")
        if params.get("client_id", client_id) != client_id:
            return error(400, "invalid_request", "client_id does not match the authenticated client")
        params["client_id"] = client_id
        uri = self.pushed.push(client_id, params, self.server.now())
        return json_response(201, {"request_uri": uri, "expires_in": PAR_LIFETIME}, _NO_STORE)


def introspection_answer(
    provider: Provider,
    token: str,
    sessions: SessionStore,
    *,
    caller: str | None,
    confidential: bool,
    revoked: Iterable[str] = (),
) -> dict[str, Any]:
    """RFC 7662 §2.2 for `token`, as `caller` may see it."""
    now = provider.now()
    try:
        claims: dict[str, Any] | None = provider.verify_access(token, now)
    except jose.TokenInvalid:  # expired ones too: inactive
        claims = None
    if (
        claims is not None
        and token not in set(revoked)
        and (confidential or claims.get("client_id") == caller)
    ):
        cnf = claims.get("cnf")
        answer: dict[str, Any] = {
            "active": True,
            "token_type": "DPoP" if isinstance(cnf, dict) and "jkt" in cnf else "Bearer",
        }
        for name in ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "cnf"):
            if name in claims:
                answer[name] = claims[name]
        if claims.get("gty") != "client_credentials":
            answer["username"] = "demo-user"
        return answer
    session = sessions.find(token, now=now)
    if session is not None and (confidential or session.data.get("client_id") == caller):
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": session.data.get("client_id"),
            "scope": session.data.get("scope"),
            "sub": session.subject,
            "exp": int(session.refresh_expires_at),
        }
    return {"active": False}


def introspection_form(request: Request, error: Any) -> dict[str, str]:
    """The form of an introspection request (`token` required)."""
    from urllib.parse import parse_qsl

    if request.media_type != "application/x-www-form-urlencoded":
        raise Reject(error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"))
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    if not form.get("token"):
        raise Reject(error(400, "invalid_request", "token is required"))
    return form


__all__ = [
    "PAR_LIFETIME",
    "AuthorizationRefused",
    "PushedAndSigned",
    "PushedRequests",
    "introspection_answer",
    "introspection_form",
    "verify_request_object",
]
