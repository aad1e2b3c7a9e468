"""Mutual TLS pieces (RFC 8705) without a network: certificates read and checked, the TLS context
that loads the key without writing it in plaintext, client authentication by certificate, the
discovery aliases, the binding check and what the inspector says."""

from __future__ import annotations

import os
import ssl
import stat
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from workbench.core.errors import ClientCertError, InputError
from workbench.core.jose.keys import generate_key_pair
from workbench.core.jose.x509 import (
    cert_binding_problem,
    describe_cert_binding,
    from_bundle,
    load_client_certificate,
    self_signed_certificate,
)
from workbench.core.net import mtls as net_mtls
from workbench.core.oauth.discovery import endpoints_from_document
from workbench.core.oauth.mtls import bound_required, mtls_aliases
from workbench.core.oauth.protocol import ClientCredentials, client_credentials_from


@pytest.fixture(scope="module")
def made():
    return self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="unit")


def test_a_self_signed_certificate_reads_back_with_its_thumbprint(made):
    cert = x509.load_pem_x509_certificate(made.chain_pem.encode())
    import base64
    import hashlib

    der = cert.public_bytes(serialization.Encoding.DER)
    assert made.thumbprint == base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert made.self_signed and made.subject == "CN=unit"
    assert from_bundle(made.bundle()).thumbprint == made.thumbprint


def test_a_key_of_another_certificate_is_refused(made):
    other = generate_key_pair("ES256").private_pem()
    with pytest.raises(ClientCertError, match="does not match the client certificate"):
        load_client_certificate(made.chain_pem.encode(), key=other)


def test_a_pem_without_a_key_is_refused(made):
    with pytest.raises(ClientCertError, match="no private key"):
        load_client_certificate(made.chain_pem.encode())


def test_an_expired_certificate_is_refused(made):
    with pytest.raises(ClientCertError, match="expired on"):
        load_client_certificate(made.bundle().encode(), now=time.time() + 400 * 86400)


def test_pkcs12_opens_with_its_password_and_only_with_it(made):
    key = serialization.load_pem_private_key(made.key_pem.encode(), None)
    cert = x509.load_pem_x509_certificate(made.chain_pem.encode())
    blob = pkcs12.serialize_key_and_certificates(
        b"x", key, cert, None, serialization.BestAvailableEncryption(b"pw")
    )
    assert load_client_certificate(blob, password="pw").thumbprint == made.thumbprint
    with pytest.raises(ClientCertError, match="could not be opened with that password"):
        load_client_certificate(blob, password="nope")
    with pytest.raises(ClientCertError, match="protected by a password; none was given"):
        load_client_certificate(blob)
    with pytest.raises(ClientCertError, match="neither PEM nor a PKCS#12"):
        load_client_certificate(b"\x00garbage")


def test_the_key_reaches_ssl_only_encrypted_in_a_0600_file_that_is_deleted(made, monkeypatch):
    seen = {}
    real = ssl.SSLContext.load_cert_chain

    def spy(self, certfile, keyfile=None, password=None):
        text = open(certfile, encoding="ascii").read()
        seen["path"], seen["text"] = certfile, text
        seen["mode"] = stat.S_IMODE(os.stat(certfile).st_mode)
        seen["password"] = password
        return real(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    context = ssl.create_default_context()
    net_mtls.load_client_identity(context, made.chain_pem, made.key_pem)
    assert "BEGIN ENCRYPTED PRIVATE KEY" in seen["text"]
    assert "BEGIN PRIVATE KEY" not in seen["text"] and made.key_pem.splitlines()[1] not in seen["text"]
    assert seen["mode"] == 0o600 and len(seen["password"]) == 32
    assert not os.path.exists(seen["path"])


def test_a_ca_file_that_is_not_one_is_a_clear_line(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(InputError, match=r"tls_ca_file .* cannot be used as a trust anchor"):
        net_mtls.ca_context(str(bad))


def test_mtls_client_auth_sends_only_the_client_id():
    creds = client_credentials_from(
        {"client_id": "c", "client_auth": "self_signed_tls_client_auth"},
        {"client_cert": "bundle"}.get,
    )
    assert creds.apply("https://as/token") == ([], [("client_id", "c")])
    without = ClientCredentials(client_id="c", method="tls_client_auth")
    with pytest.raises(InputError, match="tls_client_auth needs a client certificate"):
        without.apply("https://as/token")


def test_discovery_reads_the_mtls_aliases_and_the_binding_flag():
    document = {
        "issuer": "https://as.test",
        "token_endpoint": "https://as.test/token",
        "revocation_endpoint": "https://as.test/revoke",
        "mtls_endpoint_aliases": {
            "token_endpoint": "https://mtls.as.test/token",
            "revocation_endpoint": "https://mtls.as.test/revoke",
            "unknown_endpoint": "https://elsewhere.test/x",
        },
        "tls_client_certificate_bound_access_tokens": True,
    }
    endpoints = endpoints_from_document(
        document, issuer="https://as.test", source="https://as.test/.well-known"
    )
    assert "elsewhere" not in endpoints.mtls_aliases
    assert "https://mtls.as.test" in endpoints.origins()
    aliased = mtls_aliases(endpoints)
    assert aliased.token_endpoint == "https://mtls.as.test/token"
    assert aliased.revocation_endpoint == "https://mtls.as.test/revoke"
    assert bound_required({}, endpoints.cert_bound) is True
    assert bound_required({"mtls_bound_tokens": "never"}, endpoints.cert_bound) is False
    assert bound_required({"mtls_bound_tokens": "always"}, "") is True
    with pytest.raises(InputError, match="mtls_bound_tokens 'maybe'"):
        bound_required({"mtls_bound_tokens": "maybe"}, "")


def test_an_alias_that_is_plain_http_elsewhere_is_refused():
    from workbench.core.errors import ProviderResponseError

    document = {
        "issuer": "https://as.test",
        "mtls_endpoint_aliases": {"token_endpoint": "http://evil.test/t"},
    }
    with pytest.raises(ProviderResponseError, match="plain http"):
        endpoints_from_document(document, issuer="https://as.test", source="x")


@pytest.mark.parametrize(
    ("claims", "required", "expected"),
    [
        ({"cnf": {"x5t#S256": "AAA"}}, True, None),
        ({"sub": "x"}, False, None),
        ({"sub": "x"}, True, "without cnf.x5t#S256"),
        ({"cnf": {"x5t#S256": "BBB"}}, False, "bound to another certificate"),
        (None, True, None),  # an opaque token: the binding is the server's business
    ],
)
def test_the_binding_check(claims, required, expected):
    problem = cert_binding_problem(claims, "AAA", "mint", required=required)
    assert (
        (problem is None) if expected is None else (expected in problem and "nothing was stored" in problem)
    )


def test_what_the_inspector_says():
    assert describe_cert_binding("AAA", "AAA") == "bound to this profile's client certificate (AAA)"
    assert "ANOTHER certificate" in describe_cert_binding("BBB", "AAA")
    assert "no client certificate to compare" in describe_cert_binding("AAA", None)
    assert describe_cert_binding(None, "AAA").startswith("not certificate-bound")
    assert "no profile named to compare it with" in describe_cert_binding("AAA", None, profile_named=False)
