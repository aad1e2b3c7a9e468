"""What an issuer advertises in its discovery document, in words: the profile editor's "Fetch
endpoints from issuer" result shows it, so a user sees before saving what the server offers
(client authentication methods, DPoP, PAR, signed request objects, certificate-bound tokens,
introspection, revocation) and what a login will therefore do by default.

The checks that act on it live where the request is made: `protocol.resolve_client_auth` (a
client_auth the issuer does not list), `sender.check_offered` (DPoP), `par.par_endpoint` and
`par.wants_jar` (PAR, JAR); each refuses in one line before any request."""

from __future__ import annotations

from workbench.core.oauth.protocol import Endpoints

# token_endpoint_auth_methods_supported when not stated (RFC 8414 §2).
UNSTATED_AUTH_METHODS = "client_secret_basic"


def _list(value: str) -> str:
    return ", ".join(value.split())


def advertised_rows(endpoints: Endpoints) -> list[tuple[str, str]]:
    """(what, what the issuer says) for everything the editor shows; empty for typed endpoints
    (nothing was advertised)."""
    if not endpoints.source.startswith("http"):
        return []
    par = (
        "required"
        if endpoints.require_par == "true"
        else "offered"
        if endpoints.pushed_authorization_request_endpoint
        else "not offered"
    )
    jar = "required" if endpoints.require_jar == "true" else "offered" if endpoints.jar_algs else "not stated"
    if endpoints.jar_algs:
        jar += f" ({_list(endpoints.jar_algs)})"
    return [
        (
            "Client authentication",
            _list(endpoints.auth_methods) or f"not stated ({UNSTATED_AUTH_METHODS}, RFC 8414)",
        ),
        ("Client assertion algorithms", _list(endpoints.auth_signing_algs) or "not stated"),
        ("DPoP", _list(endpoints.dpop_algs) or "not offered"),
        ("Pushed authorization requests", par),
        ("Signed request objects", jar),
        ("Certificate-bound tokens (mTLS)", "yes" if endpoints.cert_bound == "true" else "not stated"),
        ("Introspection", endpoints.introspection_endpoint or "not offered"),
        ("Revocation", endpoints.revocation_endpoint or "not offered"),
    ]


def advertised_summary(endpoints: Endpoints) -> str:
    """One line of what the issuer offers (the editor's result line); "" for typed endpoints."""
    if not endpoints.source.startswith("http"):
        return ""
    parts = [f"client auth {_list(endpoints.auth_methods) or UNSTATED_AUTH_METHODS}"]
    parts.append(f"DPoP {_list(endpoints.dpop_algs)}" if endpoints.dpop_algs else "no DPoP")
    if endpoints.require_par == "true":
        parts.append("PAR required")
    elif endpoints.pushed_authorization_request_endpoint:
        parts.append("PAR")
    if endpoints.require_jar == "true":
        parts.append("signed request objects required")
    if endpoints.cert_bound == "true":
        parts.append("certificate-bound tokens")
    if endpoints.introspection_endpoint:
        parts.append("introspection")
    if endpoints.revocation_endpoint:
        parts.append("revocation")
    return "Offers " + " · ".join(parts) + "."


def default_client_auth_note(endpoints: Endpoints) -> str:
    """The client_auth field's placeholder after discovery: what an empty field means."""
    methods = _list(endpoints.auth_methods)
    if not methods:
        return "empty: from what is stored (private_key → private_key_jwt, client_secret → Basic, else none)"
    return f"empty: the best for what is stored among {methods}"


__all__ = ["advertised_rows", "advertised_summary", "default_client_auth_note"]
