"""Discovery drives the defaults (issue 22 item 6): what a discovery document advertises is read,
said in words for the editor, and a client authentication the issuer does not list is refused in
one line before any request, while an unset one becomes the best the issuer offers."""

from __future__ import annotations

import pytest

from workbench.core.errors import InputError
from workbench.core.oauth.advertised import advertised_rows, advertised_summary, default_client_auth_note
from workbench.core.oauth.discovery import endpoints_from_document
from workbench.core.oauth.protocol import Endpoints, client_credentials_from, resolve_client_auth

ISSUER = "https://as.example"
SOURCE = f"{ISSUER}/.well-known/openid-configuration"


def _document(**extra: object) -> dict[str, object]:
    return {"issuer": ISSUER, "token_endpoint": f"{ISSUER}/token", **extra}


def test_the_document_says_how_clients_authenticate_where_to_introspect_and_whether_tokens_are_bound():
    found = endpoints_from_document(
        _document(
            introspection_endpoint=f"{ISSUER}/introspect",
            token_endpoint_auth_methods_supported=["private_key_jwt", "tls_client_auth", 7, "x y"],
            tls_client_certificate_bound_access_tokens=True,
        ),
        issuer=ISSUER,
        source=SOURCE,
    )
    assert found.introspection_endpoint == f"{ISSUER}/introspect"
    assert found.auth_methods == "private_key_jwt tls_client_auth"  # what is not a method name is dropped
    assert found.cert_bound == "true"
    assert f"{ISSUER}/introspect" in found.urls().values()  # credentials may go there: discovery names it


def test_an_introspection_endpoint_in_plain_http_to_another_host_is_refused():
    from workbench.core.errors import ProviderResponseError

    with pytest.raises(ProviderResponseError, match="introspection_endpoint"):
        endpoints_from_document(
            _document(introspection_endpoint="http://evil.example/introspect"), issuer=ISSUER, source=SOURCE
        )


def test_a_client_auth_the_issuer_does_not_list_is_one_line_naming_what_it_offers():
    with pytest.raises(InputError) as caught:
        resolve_client_auth(
            "client_secret_basic",
            has_secret=True,
            has_key=False,
            offered=["private_key_jwt", "client_secret_post"],
        )
    message = str(caught.value)
    assert (
        "client_secret_basic is not offered" in message and "private_key_jwt, client_secret_post" in message
    )
    assert "\n" not in message and "nothing was sent" in message


def test_a_public_client_is_never_refused_for_none_missing_from_the_list():
    # Keycloak and Auth0 take public clients but do not list "none".
    assert (
        resolve_client_auth("none", has_secret=False, has_key=False, offered=["client_secret_basic"])
        == "none"
    )
    assert resolve_client_auth("", has_secret=False, has_key=False, offered=["client_secret_basic"]) == "none"


@pytest.mark.parametrize(
    ("has_secret", "has_key", "offered", "chosen"),
    [
        (True, False, [], "client_secret_basic"),  # nothing stated: RFC 6749's MUST
        (True, False, ["client_secret_post", "private_key_jwt"], "client_secret_post"),
        (True, False, ["client_secret_jwt"], "client_secret_jwt"),
        (True, True, ["client_secret_basic", "private_key_jwt"], "private_key_jwt"),
        (True, True, ["client_secret_basic"], "client_secret_basic"),
        (False, True, ["client_secret_basic", "none"], "none"),  # a key for request objects only
        (False, True, [], "private_key_jwt"),
    ],
)
def test_an_unset_client_auth_is_the_best_the_issuer_offers_for_what_is_stored(
    has_secret, has_key, offered, chosen
):
    assert resolve_client_auth("", has_secret=has_secret, has_key=has_key, offered=offered) == chosen


def test_a_stored_secret_that_fits_no_offered_method_is_one_line():
    with pytest.raises(InputError, match="takes client authentication by private_key_jwt, tls_client_auth"):
        resolve_client_auth(
            "", has_secret=True, has_key=False, offered=["private_key_jwt", "tls_client_auth"]
        )


def test_the_credentials_follow_the_issuer_when_the_profile_names_no_method():
    secrets = {"client_secret": "s3cret"}
    creds = client_credentials_from(
        {"client_id": "app", "client_auth": ""}, secrets.get, offered_methods=["client_secret_post"]
    )
    headers, form = creds.apply("https://as.example/token", now=0)
    assert headers == [] and ("client_secret", "s3cret") in form


def test_the_editor_is_told_everything_the_issuer_advertises():
    endpoints = Endpoints(
        issuer=ISSUER,
        revocation_endpoint=f"{ISSUER}/revoke",
        introspection_endpoint=f"{ISSUER}/introspect",
        pushed_authorization_request_endpoint=f"{ISSUER}/par",
        auth_methods="private_key_jwt client_secret_basic",
        dpop_algs="ES256 EdDSA",
        require_par="true",
        cert_bound="true",
        source=SOURCE,
    )
    summary = advertised_summary(endpoints)
    for said in (
        "private_key_jwt, client_secret_basic",
        "DPoP ES256, EdDSA",
        "PAR required",
        "certificate-bound tokens",
        "introspection",
        "revocation",
    ):
        assert said in summary
    rows = dict(advertised_rows(endpoints))
    assert rows["Introspection"] == f"{ISSUER}/introspect"
    assert rows["Certificate-bound tokens (mTLS)"] == "yes"
    assert rows["Pushed authorization requests"] == "required"
    assert "among private_key_jwt, client_secret_basic" in default_client_auth_note(endpoints)


def test_a_bare_document_reads_as_not_offered_and_typed_endpoints_advertise_nothing():
    bare = Endpoints(issuer=ISSUER, source=SOURCE)
    assert advertised_summary(bare) == "Offers client auth client_secret_basic · no DPoP."
    assert dict(advertised_rows(bare))["Introspection"] == "not offered"
    typed = Endpoints(issuer=ISSUER, source="profile vars")
    assert advertised_summary(typed) == "" and advertised_rows(typed) == []


def test_a_stored_certificate_authenticates_by_default_only_where_the_issuer_lists_mtls():
    listed = ["private_key_jwt", "self_signed_tls_client_auth"]
    assert resolve_client_auth("", has_secret=False, has_key=False, offered=listed, has_cert=True) == (
        "self_signed_tls_client_auth"
    )
    assert resolve_client_auth(
        "", has_secret=False, has_key=False, offered=["tls_client_auth"], has_cert=True
    ) == ("tls_client_auth")
    # Not stated: a certificate does not say which registration it has; the client stays public.
    assert resolve_client_auth("", has_secret=False, has_key=False, offered=(), has_cert=True) == "none"
    with pytest.raises(InputError, match="tls_client_auth is not offered by the issuer"):
        resolve_client_auth("tls_client_auth", has_secret=False, has_key=False, offered=["private_key_jwt"])
