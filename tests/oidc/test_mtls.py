"""Mutual TLS (RFC 8705) against a certified OpenID provider: oidc-provider's /mtls mount in its
documented TLS-terminating setup (features.mTLS with certificateBoundAccessTokens, tlsClientAuth
and selfSignedTlsClientAuth), behind the tests' own TLS terminator (tls_terminator.py), which
passes the client certificate in a header to `getCertificate`.

Each token's `cnf.x5t#S256` is checked independently: the SHA-256 of the certificate's DER,
computed with `cryptography` from the certificate the CLI printed or was given.
"""

from __future__ import annotations

import base64
import json

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.integration.conftest import one_line_error, run_cli
from tests.oidc.conftest import login
from tests.oidc.tls_terminator import TlsTerminator
from workbench.core.jose.keys import generate_key_pair
from workbench.core.jose.x509 import self_signed_certificate

pytestmark = pytest.mark.usefixtures("keychain")


@pytest.fixture
def terminator(oidc_server, tmp_path):
    proxy = TlsTerminator(oidc_server.issuer, tmp_path)
    answer = httpx.post(oidc_server.url("/__test/mtls-origin"), params={"origin": proxy.origin}, timeout=10)
    assert answer.status_code == 200
    yield proxy
    proxy.close()


def thumbprint(cert_pem: str) -> str:
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    return base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).rstrip(b"=").decode()


def jwk_with_certificate(cert_pem: str) -> dict:
    """What the client registers for self_signed_tls_client_auth: its key's JWK with x5c."""
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(cert.public_key()))
    der = cert.public_bytes(serialization.Encoding.DER)
    return {**jwk, "x5c": [base64.b64encode(der).decode()]}


def register_service(oidc_server, **metadata):
    return oidc_server.register(
        mount="/mtls",
        grant_types=["client_credentials"],
        response_types=[],
        redirect_uris=[],
        application_type="web",
        tls_client_certificate_bound_access_tokens=True,
        **metadata,
    )


def add_service_profile(name, terminator, client_id, method, *extra):
    run = run_cli(
        "profile", "add", name, "--preset", "oauth2-client-credentials",
        "--base-url", terminator.origin + "/mtls", "--set", f"client_id={client_id}",
        "--set", f"client_auth={method}", "--set", "token_path=/token", "--set", "scope=read",
        "--set", "mtls_bound_tokens=always", "--tls-ca-file", str(terminator.ca_file), *extra,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_keygen_client_cert_and_self_signed_tls_client_auth_give_a_bound_token(oidc_server, terminator):
    add_service_profile("ss", terminator, "pending", "self_signed_tls_client_auth")
    made = run_cli("keygen", "--client-cert", "--profile", "ss")
    assert made.returncode == 0, made.stderr
    first, cert_pem = made.stdout.split("\n", 1)
    assert first == f"x5t#S256 {thumbprint(cert_pem)}"
    assert "PRIVATE KEY" not in made.stdout + made.stderr
    client = register_service(oidc_server, token_endpoint_auth_method="self_signed_tls_client_auth",
                              jwks={"keys": [jwk_with_certificate(cert_pem)]})  # fmt: skip
    assert run_cli("profile", "set", "ss", "--set", f"client_id={client['client_id']}").returncode == 0
    terminator.trust(cert_pem)

    token = run_cli("token", "ss", "--json")
    assert token.returncode == 0, token.stderr
    access = json.loads(token.stdout)["access_token"]
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["cnf"] == {"x5t#S256": thumbprint(cert_pem)}  # independent: cryptography's SHA-256
    (sent,) = [pem for pem in terminator.seen if pem is not None]
    assert thumbprint(sent) == thumbprint(cert_pem)
    # The form carried no secret: the certificate authenticated the client.
    (call,) = oidc_server.calls(client["client_id"], "/token")
    assert set(call["form"]) == {"grant_type", "scope", "client_id"} and call["authorization"] is None


def test_tls_client_auth_with_a_pem_file_given_to_profile_add(oidc_server, terminator, tmp_path):
    made = self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="svc-pki")
    (tmp_path / "client.pem").write_text(made.chain_pem)
    (tmp_path / "client.key").write_text(made.key_pem)
    client = register_service(oidc_server, token_endpoint_auth_method="tls_client_auth",
                              tls_client_auth_subject_dn="CN=svc-pki")  # fmt: skip
    terminator.trust(made.chain_pem)
    files = ["--client-cert", str(tmp_path / "client.pem"), "--client-key", str(tmp_path / "client.key")]
    add_service_profile("pki", terminator, client["client_id"], "tls_client_auth", *files)
    exported = run_cli("profile", "export", "pki").stdout
    assert "client.key" not in exported and "client.pem" not in exported  # stored, not referenced
    token = run_cli("token", "pki", "--json")
    assert token.returncode == 0, token.stderr
    claims = jwt.decode(json.loads(token.stdout)["access_token"], options={"verify_signature": False})
    assert claims["cnf"]["x5t#S256"] == thumbprint(made.chain_pem)
    assert "PRIVATE KEY" not in exported and "client_cert" in exported  # listed; its value in the keychain


def test_a_certificate_the_client_did_not_register_is_refused_in_one_line(oidc_server, terminator, tmp_path):
    registered = self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="a")
    other = self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="b")
    client = register_service(oidc_server, token_endpoint_auth_method="self_signed_tls_client_auth",
                              jwks={"keys": [jwk_with_certificate(registered.chain_pem)]})  # fmt: skip
    terminator.trust(other.chain_pem)
    (tmp_path / "b.pem").write_text(other.bundle())
    add_service_profile("wrong", terminator, client["client_id"], "self_signed_tls_client_auth",
                        "--client-cert", str(tmp_path / "b.pem"))  # fmt: skip
    run = run_cli("token", "wrong")
    line = one_line_error(run, skip_warnings=True)
    assert "invalid_client" in line
    assert run_cli("token", "wrong", "--json").returncode != 0


def test_login_uses_the_mtls_alias_and_refreshes_with_the_certificate(oidc_server, terminator, browser):
    made = self_signed_certificate(generate_key_pair("ES256").private_pem().decode(), common_name="app")
    terminator.trust(made.chain_pem)
    client = oidc_server.register(
        mount="/mtls",
        token_endpoint_auth_method="self_signed_tls_client_auth",
        jwks={"keys": [jwk_with_certificate(made.chain_pem)]},
        tls_client_certificate_bound_access_tokens=True,
        refresh_without_offline_access=True,
    )
    run = run_cli(
        "profile", "add", "app", "--preset", "oauth2-authorization-code",
        "--base-url", oidc_server.url("/mtls"), "--set", f"client_id={client['client_id']}",
        "--set", "client_auth=self_signed_tls_client_auth",
        "--set", "scope=openid", "--tls-ca-file", str(terminator.ca_file),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".pem") as bundle:
        bundle.write(made.bundle())
        bundle.flush()
        assert run_cli("profile", "set", "app", "--client-cert", bundle.name).returncode == 0
    document = httpx.get(oidc_server.url("/mtls/.well-known/openid-configuration"), timeout=10).json()
    assert document["mtls_endpoint_aliases"]["token_endpoint"].startswith(terminator.origin)
    assert document["tls_client_certificate_bound_access_tokens"] is True

    done = login("app", browser)
    assert done.returncode == 0, done.stderr
    refreshed = run_cli("token", "app", "--refresh", "--json")
    assert refreshed.returncode == 0, refreshed.stderr
    claims = jwt.decode(json.loads(refreshed.stdout)["access_token"], options={"verify_signature": False})
    assert claims["cnf"] == {"x5t#S256": thumbprint(made.chain_pem)}
    # Both token requests went through the alias (the terminator), each with the certificate.
    grants = [e["form"].get("grant_type") for e in oidc_server.calls(client["client_id"], "/token")]
    assert grants == ["authorization_code", "refresh_token"]
    assert len([pem for pem in terminator.seen if pem is not None]) == 2
