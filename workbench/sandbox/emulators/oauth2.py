"""OAuth 2.0 (RFC 6749): a token endpoint with client_credentials and (rotating) refresh_token grants.

Errors: RFC 6749 §5.2 ``{"error", "error_description"}``; RFC 6750 ``WWW-Authenticate`` on the API.

Token exchange (RFC 8693): an authenticated client exchanges an access token this server issued
(`subject_token`, type access_token or jwt) for a new one of the same subject, with an `act`
claim naming the actor when an `actor_token` comes along; the answer says `issued_token_type`.

DPoP (RFC 9449): a token request with a `DPoP` proof gets a DPoP token (`token_type` DPoP,
`cnf.jkt` in the JWT) and a refresh token bound to the same key; the client `workbench-dpop`
must send one. Proofs need the server's nonce (`use_dpop_nonce` + `DPoP-Nonce`, on the token
endpoint and the API alike). The API takes a DPoP token only as `Authorization: DPoP` with a
proof whose `ath` matches it, never as a Bearer token.

Mutual TLS (RFC 8705), on the sandbox's TLS listener: the client `workbench-mtls` authenticates
with its self-signed certificate (`self_signed_tls_client_auth`: the certificate the connection
presented must be the registered one; the form carries only `client_id`). A token requested over
a connection that presented a certificate is bound to it (`cnf.x5t#S256`), and the API takes a
bound token only over a connection presenting that same certificate. `drop_cnf` (tests) makes
the token endpoint leave the binding out.

Introspection (RFC 7662) at `/oauth/introspect` (`fapi.introspection_answer`): client
authentication only, no DPoP proof; the demo profiles name it in their `introspection_endpoint`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from workbench.sandbox import tokens as jose
from workbench.sandbox.dpop_check import DpopChecker, ProofRefused
from workbench.sandbox.emulators.base import (
    DAY,
    Provider,
    SandboxState,
    Session,
    SessionStore,
    new_opaque_token,
)
from workbench.sandbox.emulators.fapi import introspection_answer, introspection_form
from workbench.sandbox.http import Reject, Request, Response, json_response
from workbench.sandbox.tls import self_signed, x5t_s256

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a grant type
TOKEN_TYPE = "urn:ietf:params:oauth:token-type:"  # noqa: S105 - a URN prefix


@dataclass(frozen=True)
class _Client:
    secret: str | None  # None: a public client
    scopes: frozenset[str]
    dpop: bool = False  # its tokens must be DPoP-bound
    x5t: str | None = None  # mTLS: the thumbprint of its registered self-signed certificate


class OAuth2(Provider):
    """Token endpoint with client_credentials and (rotating) refresh_token grants."""

    key = "oauth2"
    presets = ("oauth2-client-credentials", "oauth2-refresh-token", "oauth2-token-exchange")
    prefix = "/oauth2"
    default_lifetime = 3600
    default_refresh_lifetime = 30 * DAY
    TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a password
    INTROSPECTION_PATH = "/oauth/introspect"
    FORM_TYPE = "application/x-www-form-urlencoded"
    _NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.secret = secrets.token_bytes(32)
        self.sessions = SessionStore()
        self.demo_client_id = "workbench-demo"
        self.demo_client_secret = secrets.token_urlsafe(24)
        self.public_client_id = "workbench-public"
        self.dpop_client_id = "workbench-dpop"
        self.dpop_client_secret = secrets.token_urlsafe(24)
        self._clients = {
            self.demo_client_id: _Client(self.demo_client_secret, frozenset({"read", "write"})),
            self.public_client_id: _Client(None, frozenset({"read"})),
            self.dpop_client_id: _Client(self.dpop_client_secret, frozenset({"read"}), dpop=True),
        }
        self.dpop = DpopChecker(require_nonce=True)
        self.mtls_client_id = "workbench-mtls"
        self.mtls_cert_pem, self.mtls_key_pem, x5t = self_signed_client()
        self._clients[self.mtls_client_id] = _Client(None, frozenset({"read"}), x5t=x5t)
        self.drop_cnf = False  # tests: a server that drops the certificate binding
        self.bind_to: str | None = None  # tests: a server that binds tokens to another certificate
        self.route("POST", self.TOKEN_PATH, self._grant_endpoint, self.token)
        self.route("POST", self.INTROSPECTION_PATH, "verify", self.introspect)

    @staticmethod
    def _grant_endpoint(request: Request) -> str:
        fields = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        return "refresh" if fields.get("grant_type") == "refresh_token" else "mint"

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        return json_response(
            status, {"error": code, "error_description": message}, (*self._NO_STORE, *headers)
        )

    def unauthorized(self, message: str, *, expired: bool) -> Response:
        # RFC 6750 §3.1: no error code when the request carried no token at all.
        challenge = 'Bearer realm="sandbox"'
        if not message.startswith("missing"):
            description = message.replace('"', "'")
            challenge += f', error="invalid_token", error_description="{description}"'
        return json_response(
            401, {"error": "invalid_token", "error_description": message}, [("WWW-Authenticate", challenge)]
        )

    def preset_of(self, claims: Mapping[str, Any]) -> str:
        if claims.get("gty") == "token_exchange":
            return "oauth2-token-exchange"
        return "oauth2-refresh-token" if claims.get("gty") == "refresh_token" else "oauth2-client-credentials"

    def _access(
        self,
        subject: str,
        client_id: str,
        scope: str,
        grant: str,
        lifetime: int | None = None,
        *,
        jkt: str | None = None,
        x5t: str | None = None,
        act: Mapping[str, str] | None = None,
    ) -> str:
        bound: dict[str, Any] = {"cnf": {"jkt": jkt}} if jkt else {"cnf": {"x5t#S256": x5t}} if x5t else {}
        if act:
            bound["act"] = dict(act)
        return self.hs256_jwt(
            self.secret,
            subject,
            lifetime=lifetime,
            aud=self.base_url,
            client_id=client_id,
            scope=scope,
            gty=grant,
            **bound,
        )[0]

    def authenticate(self, request: Request) -> dict[str, Any]:
        """The API: a DPoP token only as `Authorization: DPoP` with a proof of its key (RFC 9449 §7)."""
        value = (request.header("authorization") or "").strip()
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "dpop":
            claims = super().authenticate(request)
            found = claims.get("cnf")
            bound: dict[str, Any] = found if isinstance(found, dict) else {}
            if "jkt" in bound:
                raise Reject(
                    self._dpop_unauthorized("invalid_token", "a DPoP-bound token sent as a Bearer token")
                )
            presented = x5t_s256(request.client_cert) if request.client_cert else None
            if "x5t#S256" in bound and bound["x5t#S256"] != presented:
                raise Reject(
                    self.unauthorized("certificate-bound token without its certificate", expired=False)
                )
            return claims
        token = token.strip()
        try:
            claims = self.verify_access(token, self.now())
        except jose.TokenExpired:
            raise Reject(self._dpop_unauthorized("invalid_token", "token has expired")) from None
        except jose.TokenInvalid as exc:
            raise Reject(self._dpop_unauthorized("invalid_token", str(exc))) from None
        cnf = claims.get("cnf")
        if not isinstance(cnf, dict) or "jkt" not in cnf:
            raise Reject(self._dpop_unauthorized("invalid_token", "not a DPoP-bound token"))
        url = self.state.url + request.path
        try:
            jkt = self.dpop.check(
                request.header("dpop"), method=request.method, url=url, now=self.now(), access_token=token
            )
        except ProofRefused as exc:
            raise Reject(self._dpop_unauthorized(exc.code, str(exc))) from None
        if jkt != cnf["jkt"]:
            raise Reject(self._dpop_unauthorized("invalid_token", "the DPoP proof is made with another key"))
        return claims

    def _dpop_unauthorized(self, code: str, message: str) -> Response:
        description = message.replace('"', "'")
        return json_response(
            401,
            {"error": code, "error_description": message},
            [
                (
                    "WWW-Authenticate",
                    f'DPoP algs="ES256 ES384 RS256 PS256 EdDSA", error="{code}", '
                    f'error_description="{description}"',
                ),
                ("DPoP-Nonce", self.dpop.nonce),
            ],
        )

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        return jose.decode_verified(token, now=now, hs256_secret=self.secret, issuer=self.issuer)

    def _client_auth(self, request: Request, form: dict[str, str]) -> tuple[str | None, bool]:
        """(client_id, authenticated). Raises Reject for bad credentials or two methods at once."""
        header = request.header("authorization")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                raise Reject(
                    self.error(
                        401,
                        "invalid_client",
                        "unsupported client authentication scheme",
                        headers=(("WWW-Authenticate", 'Basic realm="sandbox"'),),
                    )
                )
            if "client_secret" in form:
                raise Reject(
                    self.error(
                        400,
                        "invalid_request",
                        "use only one client authentication method (Basic or client_secret)",
                    )
                )
            try:
                user, sep, password = (
                    base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
                )
            except (binascii.Error, UnicodeDecodeError):
                user, sep, password = "", "", ""
            client_id, secret = unquote_plus(user), unquote_plus(password)  # RFC 6749 §2.3.1 form-encoding
            if not sep or ("client_id" in form and form["client_id"] != client_id):
                raise Reject(
                    self.error(
                        401,
                        "invalid_client",
                        "client authentication failed",
                        headers=(("WWW-Authenticate", 'Basic realm="sandbox"'),),
                    )
                )
            self._check_secret(client_id, secret, basic=True)
            return client_id, True
        if "client_secret" in form:
            client_id = form.get("client_id", "")
            self._check_secret(client_id, form["client_secret"], basic=False)
            return client_id, True
        client = self._clients.get(form.get("client_id", ""))
        if client is not None and client.x5t is not None:  # RFC 8705 §2.2 self_signed_tls_client_auth
            if request.client_cert is None or x5t_s256(request.client_cert) != client.x5t:
                raise Reject(
                    self.error(401, "invalid_client", "client certificate missing or not registered")
                )
            return form["client_id"], True
        return (form.get("client_id") or None), False

    def _check_secret(self, client_id: str, secret: str, *, basic: bool) -> None:
        client = self._clients.get(client_id)
        if (
            client is None
            or client.secret is None
            or not hmac.compare_digest(client.secret.encode(), secret.encode())
        ):
            headers = (("WWW-Authenticate", 'Basic realm="sandbox"'),) if basic else ()
            raise Reject(self.error(401, "invalid_client", "client authentication failed", headers=headers))

    def _scope(self, requested: str | None, allowed: frozenset[str]) -> str:
        if not requested:
            return " ".join(sorted(allowed))
        wanted = set(requested.split())
        if not wanted <= allowed:
            extra = " ".join(sorted(wanted - allowed))
            raise Reject(self.error(400, "invalid_scope", f"scope not allowed for this client: {extra}"))
        return " ".join(sorted(wanted))

    def token(self, request: Request) -> Response:
        if request.media_type != self.FORM_TYPE:
            return self.error(400, "invalid_request", f"Content-Type must be {self.FORM_TYPE}")
        try:
            pairs = parse_qsl(
                request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(request.body)
            )
        except (UnicodeDecodeError, ValueError):
            return self.error(400, "invalid_request", "request body is not a valid form")
        form: dict[str, str] = {}
        for name, value in pairs:
            if name in form:
                return self.error(400, "invalid_request", f"parameter '{name}' is included more than once")
            form[name] = value
        grant = form.get("grant_type")
        if not grant:
            return self.error(400, "invalid_request", "grant_type is required")
        client_id, authenticated = self._client_auth(request, form)
        jkt: str | None = None
        client = self._clients.get(client_id or "")
        if request.header("dpop") is not None or (client is not None and client.dpop):
            try:
                jkt = self.dpop.check(
                    request.header("dpop"),
                    method=request.method,
                    url=self.state.url + request.path,
                    now=self.now(),
                )
            except ProofRefused as exc:
                return self.error(400, exc.code, str(exc), headers=(("DPoP-Nonce", self.dpop.nonce),))
        if grant == "client_credentials":
            if request.client_cert is not None and jkt is None and not self.drop_cnf:
                x5t = self.bind_to or x5t_s256(request.client_cert)
                return self._client_credentials(form, client_id, authenticated, x5t=x5t)
            return self._client_credentials(form, client_id, authenticated, jkt)
        if grant == "refresh_token":
            return self._refresh(form, client_id, authenticated, jkt)
        if grant == TOKEN_EXCHANGE:
            return self._exchange(form, client_id, authenticated)
        return self.error(400, "unsupported_grant_type", f"grant_type '{grant}' is not supported")

    def introspect(self, request: Request) -> Response:
        """RFC 7662 (no DPoP proof: client authentication only). A public client may ask about its
        own tokens, an authenticated one about any."""
        form = introspection_form(request, self.error)
        client_id, authenticated = self._client_auth(request, form)
        if client_id not in self._clients:
            return self.error(401, "invalid_client", "client authentication is required")
        answer = introspection_answer(
            self, form["token"], self.sessions, caller=client_id, confidential=authenticated
        )
        return json_response(200, answer, self._NO_STORE)

    def _client_credentials(
        self,
        form: dict[str, str],
        client_id: str | None,
        authenticated: bool,
        jkt: str | None = None,
        *,
        x5t: str | None = None,
    ) -> Response:
        if not authenticated or client_id is None:
            return self.error(
                401, "invalid_client", "client authentication is required for client_credentials"
            )
        scope = self._scope(form.get("scope"), self._clients[client_id].scopes)
        access = self._access(client_id, client_id, scope, "client_credentials", jkt=jkt, x5t=x5t)
        return json_response(
            200,
            {
                "access_token": access,
                "token_type": "DPoP" if jkt else "Bearer",
                "expires_in": self.lifetime,
                "scope": scope,
            },
            self._NO_STORE,
        )

    def _exchange(self, form: dict[str, str], client_id: str | None, authenticated: bool) -> Response:
        """RFC 8693 §2: the subject token must be one this server issued and still honours."""
        if not authenticated or client_id is None:
            return self.error(401, "invalid_client", "client authentication is required for token exchange")
        found: dict[str, dict[str, Any]] = {}
        for role in ("subject", "actor"):
            token, kind = form.get(f"{role}_token", ""), form.get(f"{role}_token_type", "")
            if not token:
                if role == "subject":
                    return self.error(400, "invalid_request", "subject_token is required")
                continue
            if kind not in (TOKEN_TYPE + "access_token", TOKEN_TYPE + "jwt"):
                return self.error(400, "invalid_request", f"{role}_token_type '{kind}' is not supported")
            try:
                found[role] = self.verify_access(token, self.now())
            except (jose.TokenExpired, jose.TokenInvalid):
                return self.error(400, "invalid_grant", f"{role}_token is invalid or expired")
        requested = form.get("requested_token_type") or TOKEN_TYPE + "access_token"
        if requested not in (TOKEN_TYPE + "access_token", TOKEN_TYPE + "jwt"):
            return self.error(400, "invalid_request", f"requested_token_type '{requested}' is not supported")
        scope = self._scope(form.get("scope"), self._clients[client_id].scopes)
        actor = found.get("actor")
        access = self._access(
            str(found["subject"]["sub"]), client_id, scope, "token_exchange",
            act={"sub": str(actor["sub"])} if actor else None,
        )  # fmt: skip
        return json_response(
            200,
            {
                "access_token": access,
                "issued_token_type": requested,
                "token_type": "Bearer",
                "expires_in": self.lifetime,
                "scope": scope,
            },
            self._NO_STORE,
        )

    def _refresh(
        self, form: dict[str, str], client_id: str | None, authenticated: bool, jkt: str | None = None
    ) -> Response:
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            return self.error(400, "invalid_request", "refresh_token is required")
        if client_id is not None and client_id not in self._clients:
            return self.error(401, "invalid_client", "unknown client")

        def check(session: Session) -> None:
            owner = session.data["client_id"]
            if client_id is not None and client_id != owner:
                raise Reject(self.error(400, "invalid_grant", "refresh token was issued to another client"))
            if self._clients[owner].secret is not None and not authenticated:
                raise Reject(self.error(401, "invalid_client", "client authentication is required"))
            bound = session.data.get("jkt")
            if bound is not None and bound != jkt:
                raise Reject(
                    self.error(400, "invalid_grant", "the refresh token is bound to another DPoP key")
                )
            if bound is None and jkt is not None:
                session.data["jkt"] = jkt
            requested = form.get("scope")
            if requested:
                session.data["scope"] = self._scope(requested, frozenset(session.data["scope"].split()))

        session = self.rotate_opaque(self.sessions, refresh_token, check=check)
        if session is None:
            return self.error(
                400, "invalid_grant", "refresh token is invalid, expired, revoked or already used"
            )
        scope = session.data["scope"]
        access = self._access(session.subject, session.data["client_id"], scope, "refresh_token", jkt=jkt)
        return json_response(
            200,
            {
                "access_token": access,
                "token_type": "DPoP" if jkt else "Bearer",
                "expires_in": self.lifetime,
                "refresh_token": session.refresh_token,
                "scope": scope,
            },
            self._NO_STORE,
        )

    def issue_pair(
        self, preset: str, *, lifetime: int | None = None, client_id: str | None = None
    ) -> tuple[str, str]:
        client_id = client_id or self.demo_client_id
        scope = " ".join(sorted(self._clients[client_id].scopes))
        session = self.sessions.open(
            f"user_{uuid.uuid4().hex[:10]}",
            new_opaque_token(),
            self.now() + int(self.refresh_lifetime or 0),
            client_id=client_id,
            scope=scope,
        )
        return self._access(
            session.subject, client_id, scope, "refresh_token", lifetime
        ), session.refresh_token

    def issue_token(self, preset: str, *, lifetime: int | None = None) -> str:
        if preset == "oauth2-refresh-token":
            return self.issue_pair(preset, lifetime=lifetime)[0]
        scope = " ".join(sorted(self._clients[self.demo_client_id].scopes))
        return self._access(self.demo_client_id, self.demo_client_id, scope, "client_credentials", lifetime)

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        _access, refresh = self.issue_pair("oauth2-refresh-token")
        return {
            "oauth2-client-credentials": {
                "vars": {"client_id": self.demo_client_id, "introspection_endpoint": self.INTROSPECTION_PATH},
                "secrets": {"client_secret": self.demo_client_secret},
            },
            "oauth2-refresh-token": {
                "vars": {"client_id": self.demo_client_id, "introspection_endpoint": self.INTROSPECTION_PATH},
                "secrets": {"refresh_token": refresh, "client_secret": self.demo_client_secret},
            },
            # On behalf of the demo user: the refresh-token profile's token is the subject.
            "oauth2-token-exchange": {
                "vars": {"client_id": self.demo_client_id, "subject_profile": "oauth2-refresh-token"},
                "secrets": {"client_secret": self.demo_client_secret},
            },
        }

    def demo_extra_profiles(self) -> dict[str, dict[str, Any]]:
        """name → {"preset", "vars", "secrets"}: the demo's DPoP profile (client credentials, a DPoP key)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            .decode("ascii")
        )
        return {
            "oauth2-dpop": {
                "preset": "oauth2-client-credentials",
                "vars": {"client_id": self.dpop_client_id, "introspection_endpoint": self.INTROSPECTION_PATH},
                "secrets": {"client_secret": self.dpop_client_secret, "dpop_key": pem},
            },
            "oauth2-mtls": {  # on the TLS listener, whose certificate the profile trusts (tls_ca_file)
                "preset": "oauth2-client-credentials",
                "tls": True,
                "vars": {
                    "client_id": self.mtls_client_id,
                    "client_auth": "self_signed_tls_client_auth",
                    "mtls_bound_tokens": "always",
                },
                "secrets": {"client_cert": self.mtls_cert_pem + self.mtls_key_pem},
            },
        }

    def client_certificates(self) -> list[str]:
        """The client certificates the TLS listener accepts for this emulator's clients."""
        return [self.mtls_cert_pem]


def self_signed_client() -> tuple[str, str, str]:
    """(certificate PEM, key PEM, x5t#S256) of the demo's mTLS client."""
    import ssl

    cert_pem, key_pem = self_signed("workbench-mtls")
    return cert_pem, key_pem, x5t_s256(ssl.PEM_cert_to_DER_cert(cert_pem))


EMULATOR = OAuth2
