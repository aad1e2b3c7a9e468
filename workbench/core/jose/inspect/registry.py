"""What the registered JWT claims and JOSE header parameters mean, in a few words each.

Names from the IANA "JSON Web Token Claims" and "JSON Web Signature and Encryption Header
Parameters" registries (RFC 7519 §4.1, RFC 7515 §4.1, RFC 7516 §4.1, OpenID Connect Core
§2 and §5.1, RFC 8693 §4, RFC 7800 §3, RFC 9068 §2.2). :func:`describe_claim` and
:func:`describe_header` give ``(short name, one-sentence description)``; a front end shows
the short name in a column and the sentence as its tooltip.
"""

from __future__ import annotations

from collections.abc import Mapping

CLAIMS: Mapping[str, tuple[str, str]] = {
    "iss": ("issuer", "Who issued the token (RFC 7519 §4.1.1); check it is the issuer you trust."),
    "sub": ("subject", "Whom the token is about: the user or client it was issued for (RFC 7519 §4.1.2)."),
    "aud": (
        "audience",
        "Who may accept the token (RFC 7519 §4.1.3); an API must refuse one not meant for it.",
    ),
    "exp": ("expires", "Expiration time (RFC 7519 §4.1.4): the token must not be accepted after it."),
    "nbf": ("not before", "Not-before time (RFC 7519 §4.1.5): the token must not be accepted before it."),
    "iat": ("issued", "Issued-at time (RFC 7519 §4.1.6): when the token was made."),
    "jti": ("token id", "A unique id for this token (RFC 7519 §4.1.7), used to refuse replays."),
    "azp": ("authorised party", "The client the ID token was issued to (OpenID Connect Core §2)."),
    "nonce": (
        "nonce",
        "The value the client sent in its login request, echoed to stop replays (OIDC Core §2).",
    ),
    "auth_time": ("authenticated", "When the user last authenticated (OpenID Connect Core §2)."),
    "acr": ("auth context", "The authentication context class the login satisfied (OIDC Core §2)."),
    "amr": ("auth methods", "How the user authenticated, e.g. pwd, otp, mfa (OIDC Core §2, RFC 8176)."),
    "at_hash": (
        "access token hash",
        "Half of the access token's hash, binding it to this ID token (OIDC Core §3.1.3.6).",
    ),
    "c_hash": (
        "code hash",
        "Half of the authorization code's hash, binding it to this ID token (OIDC Core §3.3.2.11).",
    ),
    "sid": ("session id", "The login session at the issuer, for logout (OIDC Front-Channel Logout §3)."),
    "scope": ("scope", "What the token allows, space-separated (RFC 8693 §4.2, RFC 9068 §2.2.3)."),
    "scp": ("scope", "What the token allows (a list; a common non-standard spelling of scope)."),
    "client_id": ("client", "The OAuth client the token was issued to (RFC 8693 §4.3, RFC 9068 §2.2)."),
    "cnf": (
        "confirmation",
        "The key the holder must prove it has (RFC 7800 §3): a sender-constrained token.",
    ),
    "act": ("actor", "Who acts on the subject's behalf (token exchange, RFC 8693 §4.1)."),
    "may_act": ("may act", "Who may act on the subject's behalf (RFC 8693 §4.4)."),
    "roles": ("roles", "The subject's roles (RFC 9068 §2.2.3.1, SCIM)."),
    "groups": ("groups", "The subject's groups (RFC 9068 §2.2.3.1, SCIM)."),
    "entitlements": ("entitlements", "The subject's entitlements (RFC 9068 §2.2.3.1, SCIM)."),
    "name": ("full name", "The user's full name (OpenID Connect Core §5.1)."),
    "email": ("email", "The user's email address (OpenID Connect Core §5.1)."),
    "email_verified": ("email verified", "Whether the issuer checked the email address (OIDC Core §5.1)."),
    "preferred_username": (
        "username",
        "The name the user prefers to be called by (OIDC Core §5.1); not unique.",
    ),
    "tid": ("tenant", "The tenant (directory) the token was issued in (Microsoft Entra ID)."),
}

HEADER: Mapping[str, tuple[str, str]] = {
    "alg": (
        "algorithm",
        "How the token is signed or its key encrypted (RFC 7515 §4.1.1); 'none' means unsigned.",
    ),
    "typ": ("type", "The media type of the whole token, e.g. JWT or at+jwt (RFC 7515 §4.1.9)."),
    "cty": ("content type", "What the payload is; 'JWT' means a token nested inside (RFC 7519 §5.2)."),
    "kid": ("key id", "Which of the issuer's keys signed it (RFC 7515 §4.1.4); used to pick from a JWKS."),
    "enc": ("content encryption", "The algorithm encrypting a JWE's content (RFC 7516 §4.1.2)."),
    "zip": ("compression", "The JWE plaintext was compressed before encryption (RFC 7516 §4.1.3)."),
    "jku": ("JWKS URL", "A URL of keys the token names itself (RFC 7515 §4.1.2); never fetched here."),
    "jwk": ("embedded key", "A key the token carries itself (RFC 7515 §4.1.3); never trusted here."),
    "x5u": ("certificate URL", "A URL of the signing certificate (RFC 7515 §4.1.5); never fetched here."),
    "x5c": (
        "certificate chain",
        "The signing certificate and its chain (RFC 7515 §4.1.6); shown, not trusted.",
    ),
    "x5t": ("certificate SHA-1", "The signing certificate's SHA-1 thumbprint (RFC 7515 §4.1.7)."),
    "x5t#S256": ("certificate SHA-256", "The signing certificate's SHA-256 thumbprint (RFC 7515 §4.1.8)."),
    "crit": ("critical", "Extensions a recipient must understand or refuse the token (RFC 7515 §4.1.11)."),
    "b64": ("base64 payload", "false: the payload is not base64url-encoded (RFC 7797)."),
    "epk": ("ephemeral key", "The sender's ephemeral public key for ECDH-ES (RFC 7518 §4.6.1.1)."),
}

# The claims that hold a time (seconds since 1970, UTC).
TIME_CLAIMS: frozenset[str] = frozenset({"exp", "nbf", "iat", "auth_time"})


def describe_claim(name: str) -> tuple[str, str] | None:
    """(short name, description) of a registered claim, None for one we do not know."""
    return CLAIMS.get(name)


def describe_header(name: str) -> tuple[str, str] | None:
    """(short name, description) of a registered header parameter, None for one we do not know."""
    return HEADER.get(name)


__all__ = ["CLAIMS", "HEADER", "TIME_CLAIMS", "describe_claim", "describe_header"]
