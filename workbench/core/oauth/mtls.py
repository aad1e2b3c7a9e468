"""Mutual TLS at the authorization server (RFC 8705): the endpoint aliases a client that presents
a certificate uses (§5), whether the profile insists on certificate-bound tokens, and the check of
a token answer's `cnf.x5t#S256` before anything is stored. The certificate itself, and the TLS
context that presents it, are `jose/x509.py`, `jose/client_tls.py` and `net/mtls.py`; client
authentication by certificate (`tls_client_auth`, `self_signed_tls_client_auth`) is one more
method of `protocol.ClientCredentials`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError, ProviderResponseError
from workbench.core.jose.claims import read_jwt
from workbench.core.jose.x509 import CLIENT_CERT_SECRET, cert_binding_problem

if TYPE_CHECKING:
    from workbench.core.jose.x509 import ClientCertificate
    from workbench.core.oauth.protocol import Endpoints
    from workbench.core.profiles.profile import Profile

# The var that asks for certificate-bound tokens: auto (when the issuer says
# tls_client_certificate_bound_access_tokens), always, never.
BOUND_VAR = "mtls_bound_tokens"
BOUND_CHOICES = ("auto", "always", "never")


def mtls_aliases(endpoints: Endpoints) -> Endpoints:
    """`endpoints` with each endpoint the issuer aliases for mTLS clients replaced by its alias
    (a var the user set still wins: it was already applied, and an alias never overrides it)."""
    if not endpoints.mtls_aliases:
        return endpoints
    changes: dict[str, str] = {}
    for pair in endpoints.mtls_aliases.split():
        name, _, url = pair.partition("=")
        if url and hasattr(endpoints, name):
            changes[name] = url
    return replace(endpoints, **changes) if changes else endpoints


def endpoints_for(endpoints: Endpoints, profile: Profile) -> Endpoints:
    """The endpoints `profile` uses: the mTLS aliases when it presents a client certificate."""
    return mtls_aliases(endpoints) if CLIENT_CERT_SECRET in profile.secret_names else endpoints


def bound_required(vars_: Mapping[str, str], cert_bound: str) -> bool:
    """Whether tokens must carry `cnf.x5t#S256`: the profile's `mtls_bound_tokens` var, `auto`
    following the issuer's `tls_client_certificate_bound_access_tokens` (`cert_bound`)."""
    value = (vars_.get(BOUND_VAR) or "auto").strip().lower()
    if value not in BOUND_CHOICES:
        raise InputError(
            f"{BOUND_VAR} '{value}' is not one of {', '.join(BOUND_CHOICES)}", field=f"vars.{BOUND_VAR}"
        )
    return value == "always" or (value == "auto" and cert_bound == "true")


def check_cert_bound(
    document: Mapping[str, Any], cert: ClientCertificate | None, what: str, *, required: bool
) -> None:
    """A token answered over mutual TLS: a JWT bound to another certificate, or one without the
    binding the profile asks for, is refused before it is stored."""
    if cert is None:
        return
    token = document.get("access_token")
    jwt = read_jwt(token) if isinstance(token, str) else None
    problem = cert_binding_problem(
        jwt.claims if jwt is not None else None, cert.thumbprint, what, required=required
    )
    if problem is not None:
        raise ProviderResponseError(problem, error_type="mtls_binding")
