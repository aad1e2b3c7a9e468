"""OAuth 2.0 protocol pieces for native apps: pure functions, no network, no Qt.

What lives here (each piece is used by `oauth_login`, the engine and the presets alike):

* `Endpoints`: an issuer's endpoints (from discovery, `oauth_discovery`, or the profile's
  vars), and the origins they name (the only places a profile's credentials may go
  besides its own origin).
* PKCE S256 (RFC 7636), `state` and `nonce` values, the authorization URL.
* Client authentication at the token endpoint (`client_auth` var):
  `client_secret_basic` (RFC 6749 §2.3.1: id and secret form-urlencoded *before* the
  Basic encoding), `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2 / OIDC Core
  §9: iss = sub = client_id, aud = token endpoint, fresh jti, exp ≤ 5 min, kid = RFC 7638
  thumbprint of the key) and `none` (a public client sends only `client_id`).
* `id_token` validation lives in `id_token_check` (re-exported here).
* Reading an RFC 6749 §5.2 error answer into one line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from workbench.core.errors import InputError, KeyFormatError, ProviderResponseError
from workbench.core.errors import LoginCancelled as LoginCancelled
from workbench.core.errors import OAuthError as OAuthError  # defined in the error tree
from workbench.core.jose import jws, keys
from workbench.core.net.origins import is_loopback_host, origin_of
from workbench.core.oauth.id_token_check import IdTokenCheck as IdTokenCheck
from workbench.core.oauth.id_token_check import validate_id_token as validate_id_token
from workbench.core.oauth.issuers import is_issuer_template, issuer_for_tenant, matches_issuer
from workbench.core.redact import redact

ClientAuth = Literal[
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "none",
]
CLIENT_AUTH_METHODS: tuple[ClientAuth, ...] = ClientAuth.__args__  # type: ignore[attr-defined]
# RFC 8705 §2: the client's TLS certificate authenticates it; the form carries only client_id.
MTLS_METHODS: tuple[ClientAuth, ...] = ("self_signed_tls_client_auth", "tls_client_auth")
# RFC 7523 does not fix a lifetime; OIDC providers commonly refuse assertions living longer than
# 5 minutes, and a short one limits what a captured assertion is worth.
ASSERTION_LIFETIME = 300
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 7636 §4.1: 43..128 characters; 32 random bytes give 43.
PKCE_VERIFIER_BYTES = 32

# Names of the vars that override discovery (and the discovery document's own names).
ENDPOINT_VARS = (
    "authorization_endpoint",
    "token_endpoint",
    "device_authorization_endpoint",
    "introspection_endpoint",
)
# The endpoints templates see as `oauth.<name>` (discovered, or the profile var that overrides it).
TEMPLATE_ENDPOINTS = (*ENDPOINT_VARS, "revocation_endpoint", "jwks_uri")


# --------------------------------------------------------------------------- endpoints

# The fields of `Endpoints` that are not URLs (what the issuer advertises, where it came from).
NOT_URLS = (
    "issuer",
    "source",
    "auth_signing_algs",
    "dpop_algs",
    "require_par",
    "require_jar",
    "jar_algs",
    "auth_methods",
    "mtls_aliases",
    "cert_bound",
)


@dataclass(frozen=True)
class Endpoints:
    """An issuer's endpoints. Empty strings are "not offered"."""

    issuer: str
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    device_authorization_endpoint: str = ""
    revocation_endpoint: str = ""
    jwks_uri: str = ""
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""
    pushed_authorization_request_endpoint: str = ""  # RFC 9126
    introspection_endpoint: str = ""  # RFC 7662 (named by RFC 8414 §2)
    # token_endpoint_auth_methods_supported (RFC 8414 §2), space-separated ("" when not stated).
    auth_methods: str = ""
    # token_endpoint_auth_signing_alg_values_supported, space-separated ("" when not stated).
    auth_signing_algs: str = ""
    # dpop_signing_alg_values_supported (RFC 9449 §5.1), space-separated ("" when not stated).
    dpop_algs: str = ""
    # "true" when the issuer says require_pushed_authorization_requests (RFC 9126 §5).
    require_par: str = ""
    # RFC 9101 §10.5 require_signed_request_object ("true") and request_object_signing_alg_values_supported.
    require_jar: str = ""
    jar_algs: str = ""
    # RFC 8705 §5 mtls_endpoint_aliases ("name=URL ..."), tls_client_certificate_bound_access_tokens.
    mtls_aliases: str = ""
    cert_bound: str = ""
    source: str = ""  # where they came from: the discovery URL, or "profile vars"

    def urls(self) -> dict[str, str]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in NOT_URLS and getattr(self, f.name)
        }

    def signing_algs(self) -> tuple[str, ...]:
        return tuple(self.auth_signing_algs.split())

    def origins(self) -> tuple[str, ...]:
        """Every origin these endpoints name (credentials may go to these, see docs/ARCHITECTURE.md)."""
        aliases = [pair.partition("=")[2] for pair in self.mtls_aliases.split()]
        found = [origin_of(url) for url in (*self.urls().values(), *aliases) if url]
        return tuple(dict.fromkeys(o for o in found if o))

    def to_json(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Endpoints:
        kwargs = {f.name: str(data.get(f.name) or "") for f in fields(cls)}
        return cls(**kwargs)

    def with_overrides(self, overrides: Mapping[str, str]) -> Endpoints:
        """The profile's vars win over what discovery said (empty vars do not)."""
        data = self.to_json()
        for name in ENDPOINT_VARS:
            value = (overrides.get(name) or "").strip()
            if value:
                data[name] = value
        return Endpoints.from_json(data)

    def require(self, name: str, *, profile: str) -> str:
        value: str = getattr(self, name)
        if not value:
            raise InputError(
                f"the issuer of profile '{profile}' names no {name.replace('_', ' ')}",
                hint=f"set it with `workbench profile set {profile} --set {name}=URL`",
                field=f"vars.{name}",
            )
        return value


def check_endpoint_url(url: str, what: str) -> str:
    """An endpoint must be https, or http on loopback (local test servers, the sandbox)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ProviderResponseError(f"the {what} is not an http(s) URL")
    if scheme == "http" and not is_loopback_host(parts.hostname):
        raise ProviderResponseError(f"the {what} uses plain http:// to a host that is not loopback")
    if parts.fragment:
        raise ProviderResponseError(f"the {what} has a fragment, which RFC 6749 §3.1 forbids")
    return url


# --------------------------------------------------------------------------- PKCE, state, nonce


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Pkce:
    verifier: str = field(repr=False)
    challenge: str
    method: str = "S256"


def new_pkce() -> Pkce:
    """RFC 7636 §4.1-4.2: a random verifier and its S256 challenge."""
    verifier = b64url(secrets.token_bytes(PKCE_VERIFIER_BYTES))
    return Pkce(verifier=verifier, challenge=pkce_challenge(verifier))


def pkce_challenge(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    return b64url(secrets.token_bytes(24))


def new_nonce() -> str:
    return b64url(secrets.token_bytes(24))


def authorization_url(
    endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    pkce: Pkce,
    scope: str = "",
    nonce: str = "",
    audience: str = "",
    resource: str = "",
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """The URL the browser opens (RFC 6749 §4.1.1 + RFC 7636 §4.3 + RFC 8707 §2). `extra`: the
    profile's and `--param`'s parameters (prompt, login_hint, ...), already checked
    (`authorization_params`)."""
    params: list[tuple[str, str]] = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("code_challenge", pkce.challenge),
        ("code_challenge_method", pkce.method),
    ]
    for name, value in (("scope", scope), ("nonce", nonce), ("audience", audience)):
        if value:
            params.append((name, value))
    for item in resource.split():
        params.append(("resource", item))
    params.extend(extra)
    parts = urlsplit(endpoint)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


# --------------------------------------------------------------------------- client authentication


def form_urlencode_credential(value: str) -> str:
    """RFC 6749 §2.3.1: the client id and secret are application/x-www-form-urlencoded before
    they go into HTTP Basic. `quote(safe="")` encodes every reserved character (`+`, `%`, `:`,
    `&`, `/`, `=`); a space becomes %20, which both form decoders (unquote_plus) and the many
    servers that use plain unquote read back as a space, where "+" would not survive the latter.
    """
    return quote(value, safe="")


def basic_authorization(client_id: str, client_secret: str) -> str:
    pair = f"{form_urlencode_credential(client_id)}:{form_urlencode_credential(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


# The default method for what the profile stores, best first: a key signs an assertion (nothing
# secret travels); a secret goes Basic (RFC 6749 §2.3.1: servers MUST support it), then in the body,
# then as an HS256 assertion.
_BY_KEY: tuple[ClientAuth, ...] = ("private_key_jwt",)
_BY_SECRET: tuple[ClientAuth, ...] = ("client_secret_basic", "client_secret_post", "client_secret_jwt")


def resolve_client_auth(
    value: str, *, has_secret: bool, has_key: bool, offered: Sequence[str] = (), has_cert: bool = False
) -> ClientAuth:
    """The `client_auth` var, or (empty) the best method for what is stored among those the issuer
    `offered` (its token_endpoint_auth_methods_supported; empty: not stated, anything goes).

    A method the issuer does not list is refused here, in one line naming what it offers, before
    any request. `none` is never refused: servers that take public clients often leave it out of
    the list (Keycloak, Auth0), and a public client has nothing else to send. A private_key the
    issuer cannot take for client authentication may still sign request objects (JAR): the client
    is then public. A stored client certificate (`has_cert`) authenticates by default only where
    the issuer lists an RFC 8705 method: whether it is self-signed or from a PKI is the issuer's
    registration, not something the certificate says."""
    text = (value or "").strip()
    listed = [m for m in offered if m]
    if not text:
        candidates = [*(_BY_KEY if has_key else ()), *(_BY_SECRET if has_secret else ())]
        for method in candidates:
            if not listed or method in listed:
                return method
        for method in MTLS_METHODS if has_cert else ():
            if method in listed:
                return method
        if has_secret:
            raise InputError(
                f"the issuer takes client authentication by {', '.join(listed)}; the profile's "
                "client_secret fits none of them; nothing was sent",
                hint="set client_auth to one it offers (`--set client_auth=…`) and store what it needs",
            )
        return "none"
    if text not in CLIENT_AUTH_METHODS:
        raise InputError(
            f"client_auth '{text}' is not one of {', '.join(CLIENT_AUTH_METHODS)}",
        )
    if listed and text != "none" and text not in listed:
        raise InputError(
            f"client_auth {text} is not offered by the issuer (it takes {', '.join(listed)}); "
            "nothing was sent",
            hint="set one it offers with `--set client_auth=…`, or leave client_auth empty for the best one",
        )
    return text


def assertion_alg(key: Any, supported: Sequence[str]) -> str:
    """The algorithm of a client assertion: the first one this key can sign that the issuer lists
    in `token_endpoint_auth_signing_alg_values_supported` (OIDC Discovery §3); the key's usual
    one when the issuer lists none. Refused here, in one line, when the key can sign none of them:
    the server would only say "client authentication failed"."""

    can = keys.algorithms_for_key(key)
    if not supported:
        return can[0]
    for alg in can:
        if alg in supported:
            return alg
    raise InputError(
        f"private_key_jwt: the issuer takes client assertions signed with {', '.join(supported)}; "
        f"the profile's private_key can only sign {', '.join(can)}",
        hint="make a key it takes (`workbench keygen --alg ES256 --profile NAME`), register its public JWK",
    )


def _private_key(private_key_pem: str) -> Any:
    try:
        return keys.load_private_key(private_key_pem)
    except KeyFormatError as exc:
        raise KeyFormatError(f"private_key_jwt: the stored private_key cannot be used ({exc})") from None


def client_assertion(
    *,
    client_id: str,
    audience: str,
    private_key_pem: str,
    now: float,
    lifetime: int = ASSERTION_LIFETIME,
    jti: str | None = None,
    supported_algs: Sequence[str] = (),
) -> str:
    """A signed JWT that authenticates the client (RFC 7523 §2.2, §3)."""

    key = _private_key(private_key_pem)
    alg = assertion_alg(key, supported_algs)
    kid = keys.jwk_thumbprint(keys.public_jwk(key, alg=alg))
    issued = int(now)
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": jti or str(uuid.uuid4()),
        "iat": issued,
        "nbf": issued,
        "exp": issued + min(int(lifetime), ASSERTION_LIFETIME),
    }
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(payload, separators=(",", ":")).encode())
    )
    return signing_input + "." + jws.jose_sign(alg, key, signing_input)


def secret_assertion(client_id: str, audience: str, client_secret: str, now: float | None) -> str:
    """client_secret_jwt (RFC 7523 §2.2, OIDC Core §9): an HS256 assertion keyed with the client
    secret; iss = sub = client_id, aud = the endpoint, a fresh jti, exp within 5 minutes."""
    import jwt

    issued = int(time.time() if now is None else now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": str(uuid.uuid4()),
        "iat": issued,
        "nbf": issued,
        "exp": issued + ASSERTION_LIFETIME,
    }
    return jwt.encode(claims, client_secret.encode("utf-8"), algorithm="HS256", headers={"typ": "JWT"})


@dataclass(frozen=True)
class ClientCredentials:
    """What authenticates the client. `client_secret` / `private_key` are values (never logged)."""

    client_id: str
    method: ClientAuth
    client_secret: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    # The issuer's token_endpoint_auth_signing_alg_values_supported (private_key_jwt).
    signing_algs: tuple[str, ...] = ()
    certificate: bool = False  # the profile presents a client certificate (mTLS)

    def check(self) -> None:
        """Refuse before any request what the issuer would refuse: a private_key_jwt key that
        can sign none of the algorithms the issuer takes."""
        if self.method == "private_key_jwt" and self.private_key:
            assertion_alg(_private_key(self.private_key), self.signing_algs)

    def apply(
        self, endpoint: str, *, now: float | None = None
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(headers, form fields) that authenticate a request to `endpoint`."""
        if not self.client_id:
            if self.method == "none":
                return [], []  # nothing to identify (a pasted refresh token some servers take alone)
            raise InputError(
                "the client_id is not set", hint="add it with --set client_id=…", field="vars.client_id"
            )
        headers: list[tuple[str, str]] = []
        form: list[tuple[str, str]] = []
        if self.method == "client_secret_basic":
            if not self.client_secret:
                raise InputError("client_auth client_secret_basic needs the secret client_secret")
            headers.append(("Authorization", basic_authorization(self.client_id, self.client_secret)))
        elif self.method == "client_secret_post":
            if not self.client_secret:
                raise InputError("client_auth client_secret_post needs the secret client_secret")
            form += [("client_id", self.client_id), ("client_secret", self.client_secret)]
        elif self.method == "client_secret_jwt":
            if not self.client_secret:
                raise InputError("client_auth client_secret_jwt needs the secret client_secret")
            form += [
                ("client_id", self.client_id),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", secret_assertion(self.client_id, endpoint, self.client_secret, now)),
            ]
        elif self.method == "private_key_jwt":
            if not self.private_key:
                raise InputError(
                    "client_auth private_key_jwt needs the secret private_key",
                    hint="create one with `workbench keygen --profile NAME` and register its public JWK",
                )
            assertion = client_assertion(
                client_id=self.client_id,
                audience=endpoint,
                private_key_pem=self.private_key,
                now=time.time() if now is None else now,
                supported_algs=self.signing_algs,
            )
            form += [
                ("client_id", self.client_id),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion),
            ]
        else:  # none (RFC 6749 §3.2.1), or mTLS (RFC 8705 §2): the TLS certificate authenticates
            if self.method in MTLS_METHODS and not self.certificate:
                raise InputError(
                    f"client_auth {self.method} needs a client certificate",
                    hint="give one with `workbench profile set NAME --client-cert FILE`",
                )
            form.append(("client_id", self.client_id))
        return headers, form

    def secret_values(self) -> tuple[str, ...]:
        return tuple(v for v in (self.client_secret, self.private_key) if v)


def client_credentials_from(
    vars_: Mapping[str, str],
    get_secret: Callable[[str], str | None],
    *,
    signing_algs: Sequence[str] = (),
    offered_methods: Sequence[str] = (),
) -> ClientCredentials:
    """Build the client's credentials from a profile's vars and a secret getter (vault).
    `signing_algs`: what the issuer takes for private_key_jwt (`Endpoints.signing_algs`);
    `offered_methods`: its token_endpoint_auth_methods_supported (`resolve_client_auth`)."""
    secret = get_secret("client_secret")
    key = get_secret("private_key")
    chosen = (vars_.get("client_auth") or "").strip()
    # The keychain is asked for a certificate only where one could authenticate the client.
    maybe_cert = chosen in MTLS_METHODS or (not chosen and any(m in offered_methods for m in MTLS_METHODS))
    cert = maybe_cert and bool(get_secret("client_cert"))
    method = resolve_client_auth(
        vars_.get("client_auth", ""),
        has_secret=bool(secret),
        has_key=bool(key),
        offered=offered_methods,
        has_cert=cert,
    )
    return ClientCredentials(
        client_id=(vars_.get("client_id") or "").strip(),
        method=method,
        client_secret=secret
        if method in ("client_secret_basic", "client_secret_post", "client_secret_jwt")
        else None,
        # The private key also signs request objects (JAR), whatever authenticates the client.
        private_key=key,
        signing_algs=tuple(signing_algs),
        certificate=method in MTLS_METHODS and cert,
    )


# --------------------------------------------------------------------------- answers


def error_line(document: Any, status: int, what: str) -> tuple[str, str | None]:
    """(one line, error code) from an RFC 6749 §5.2 error document (or whatever came back)."""

    code: str | None = None
    description: str | None = None
    if isinstance(document, Mapping):
        raw_code = document.get("error")
        raw_desc = document.get("error_description")
        code = raw_code if isinstance(raw_code, str) and raw_code else None
        description = raw_desc if isinstance(raw_desc, str) and raw_desc else None
    if code and description:
        detail = f"{code}: {description}"
    elif code:
        detail = code
    else:
        detail = f"HTTP {status}"
    detail = " ".join(redact(detail).split())[:300]
    return f"{what} failed ({detail})", code


def parse_json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


__all__ = [
    "ASSERTION_LIFETIME",
    "CLIENT_AUTH_METHODS",
    "DEVICE_CODE_GRANT",
    "ENDPOINT_VARS",
    "ClientAuth",
    "ClientCredentials",
    "Endpoints",
    "IdTokenCheck",
    "LoginCancelled",
    "OAuthError",
    "Pkce",
    "assertion_alg",
    "authorization_url",
    "basic_authorization",
    "check_endpoint_url",
    "client_assertion",
    "client_credentials_from",
    "error_line",
    "form_urlencode_credential",
    "is_issuer_template",
    "issuer_for_tenant",
    "matches_issuer",
    "new_nonce",
    "new_pkce",
    "new_state",
    "parse_json_body",
    "pkce_challenge",
    "resolve_client_auth",
    "validate_id_token",
]
