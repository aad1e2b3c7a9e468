"""Pushed authorization requests (RFC 9126): the authorization request's parameters go to the
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
from workbench.core.oauth.protocol import Endpoints, OAuthError, error_line
from workbench.core.oauth.sender import post_form

if TYPE_CHECKING:
    from workbench.core.oauth.discovery import OAuthTransport
    from workbench.core.oauth.protocol import ClientCredentials
    from workbench.core.oauth.sender import DpopLogin

PAR_CHOICES = ("auto", "always")


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
