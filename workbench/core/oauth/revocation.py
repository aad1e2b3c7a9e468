"""Token revocation (RFC 7009) at the issuer's revocation endpoint: one request, one token."""

from __future__ import annotations

from workbench.core.oauth.discovery import OAuthTransport
from workbench.core.oauth.protocol import ClientCredentials, Endpoints, OAuthError, error_line


def revoke_token(
    http: OAuthTransport,
    endpoints: Endpoints,
    creds: ClientCredentials,
    token: str,
    hint: str,
    *,
    now: float,
) -> bool:
    """Revoke `token` (`hint`: "refresh_token" or "access_token", RFC 7009 §2.1). False when the
    issuer offers no revocation endpoint; raises when the server refuses or cannot be reached.
    RFC 7009 §2.2: 200 also answers a token that was already invalid."""
    if not endpoints.revocation_endpoint:
        return False
    headers, auth_fields = creds.apply(endpoints.revocation_endpoint, now=now)
    form = [("token", token), ("token_type_hint", hint), *auth_fields]
    answer = http.request(
        "POST", endpoints.revocation_endpoint, what="token revocation", headers=headers, form=form
    )
    if answer.status == 200:
        return True
    line, code = error_line(answer.json(), answer.status, "token revocation")
    raise OAuthError(line, status=answer.status, error_type=code)


__all__ = ["revoke_token"]
