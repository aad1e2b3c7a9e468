"""The authorization request's shape: JAR (RFC 9101) and PAR (RFC 9126).

JAR: the parameters travel inside a request object, a JWT signed with the profile's
`private_key` (iss = client_id, aud = the issuer, a short exp, a fresh jti; `typ`
oauth-authz-req+jwt), when discovery says `require_signed_request_object` or the profile's var
`jar` is `always`; outside it only client_id, response_type and scope (OpenID Connect wants them).

PAR (RFC 9126): the authorization request's parameters go to the
issuer's PAR endpoint in a back-channel POST (with the client's authentication and, for a DPoP
profile, a proof), and the browser opens only `client_id` + the `request_uri` it answered.

Used when discovery says `require_pushed_authorization_requests`, or when the profile's var
`par` is `always`; a profile asking for PAR at an issuer with no PAR endpoint is one line before
any request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from workbench.core.errors import InputError, ProviderResponseError
from workbench.core.jose.keys import load_private_key, public_jwk
from workbench.core.oauth.protocol import Endpoints, OAuthError, assertion_alg, error_line
from workbench.core.oauth.sender import post_form

if TYPE_CHECKING:
    from workbench.core.oauth.discovery import OAuthTransport
    from workbench.core.oauth.protocol import ClientCredentials
    from workbench.core.oauth.sender import DpopLogin

PAR_CHOICES = ("auto", "always")
REQUEST_OBJECT_LIFETIME = 300
OUTSIDE_REQUEST_OBJECT = ("client_id", "response_type", "scope")


def wants_jar(vars_: Mapping[str, str], endpoints: Endpoints, creds: ClientCredentials, profile: str) -> bool:
    """Whether the login signs its authorization request; one line when it must but cannot."""
    wanted = (vars_.get("jar") or "auto").strip().lower()
    if wanted not in PAR_CHOICES:
        raise InputError(f"jar '{wanted}' is not one of {', '.join(PAR_CHOICES)}")
    if wanted == "auto" and endpoints.require_jar != "true":
        return False
    if not creds.private_key:
        why = (
            "the profile asks for JAR (jar = always)"
            if wanted == "always"
            else "the issuer requires signed request objects"
        )
        raise InputError(
            f"{why}, which are signed with the profile's private_key, and it has none; nothing was sent",
            hint=f"`workbench keygen --profile {profile}` and register its public JWK with the issuer",
        )
    return True


def sign_request(browser_url: str, creds: ClientCredentials, endpoints: Endpoints, *, now: float) -> str:
    """The authorization URL with its parameters moved into a signed request object (RFC 9101)."""
    import secrets

    import jwt

    assert creds.private_key is not None
    key = load_private_key(creds.private_key)
    alg = assertion_alg(key, endpoints.jar_algs.split())
    parts = urlsplit(browser_url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    claims: dict[str, object] = {}
    for name, value in params:
        previous = claims.get(name)
        if previous is None:
            claims[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            claims[name] = [previous, value]  # e.g. several RFC 8707 resources
    claims.update(
        iss=creds.client_id,
        aud=endpoints.issuer,
        iat=int(now),
        nbf=int(now),
        exp=int(now) + REQUEST_OBJECT_LIFETIME,
        jti=secrets.token_urlsafe(18),
    )
    headers = {"typ": "oauth-authz-req+jwt", "kid": public_jwk(key, alg=alg)["kid"]}
    request = jwt.encode(claims, key, algorithm=alg, headers=headers)
    outside = [(k, v) for k, v in params if k in OUTSIDE_REQUEST_OBJECT]
    query = urlencode([*outside, ("request", request)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def par_endpoint(vars_: Mapping[str, str], endpoints: Endpoints, profile: str) -> str | None:
    """The PAR endpoint to push to, or None for a plain authorization request."""
    wanted = (vars_.get("par") or "auto").strip().lower()
    if wanted not in PAR_CHOICES:
        raise InputError(f"par '{wanted}' is not one of {', '.join(PAR_CHOICES)}")
    if wanted == "auto" and endpoints.require_par != "true":
        return None
    endpoint = endpoints.pushed_authorization_request_endpoint
    if not endpoint:
        why = "the profile asks for PAR (par = always)" if wanted == "always" else "the issuer requires PAR"
        raise InputError(
            f"{why} but the issuer names no pushed_authorization_request_endpoint; nothing was sent",
            hint=f"`workbench profile set {profile} --set par=auto` to log in without PAR",
        )
    return endpoint


def push(
    http: OAuthTransport,
    endpoint: str,
    browser_url: str,
    creds: ClientCredentials,
    *,
    now: float,
    dpop: DpopLogin | None,
    what: str,
) -> str:
    """POST the parameters of `browser_url` to the PAR endpoint; the URL the browser opens instead."""
    parts = urlsplit(browser_url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    answer = post_form(http, endpoint, creds, params, now=now, what=what, dpop=dpop)
    document = answer.json()
    if answer.status not in (200, 201):
        line, code = error_line(document, answer.status, what)
        raise OAuthError(line, status=answer.status, error_type=code)
    request_uri = document.get("request_uri") if isinstance(document, Mapping) else None
    if not isinstance(request_uri, str) or not request_uri:
        raise ProviderResponseError(f"{what}: the answer has no request_uri")
    client_id = dict(params).get("client_id", "")
    query = urlencode([("client_id", client_id), ("request_uri", request_uri)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
