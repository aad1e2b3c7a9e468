"""Mutual TLS (RFC 8705) end to end against the sandbox's TLS listener, over real loopback TLS.

The listener has a self-signed server certificate that the profile trusts explicitly
(`tls_ca_file`, never verification turned off) and asks for client certificates. Each bound
token's `cnf.x5t#S256` is checked here independently: the SHA-256 of the certificate's DER,
computed with `cryptography`.
"""

from __future__ import annotations

import base64
import datetime as dt
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.integration.conftest import add_from_spec, one_line_error, run_cli
from workbench.core.clock import Clock
from workbench.core.errors import ClientCertError, InputError, NetworkTLSError, ProviderResponseError
from workbench.core.jose.x509 import CLIENT_CERT_SECRET


def thumbprint(cert_pem: str) -> str:
    """x5t#S256, independently of the product: cryptography's own SHA-256 of the DER."""
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    digest = cert.fingerprint(hashes.SHA256())
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def certificate(days: float = 30, *, not_before_days: float = -1) -> tuple[str, str, object, object]:
    """(certificate PEM, key PEM, cert, key) of a fresh self-signed client certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-client")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=not_before_days))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem, cert, key


@pytest.fixture
def mtls_profile(sandbox, profile_store, memory_vault):
    spec = sandbox.demo_extra_profiles()["oauth2-mtls"]
    add_from_spec(profile_store, memory_vault, spec, "mt")
    return spec


def test_an_mtls_profile_gets_a_certificate_bound_token_and_calls_the_api(sandbox, make_engine, mtls_profile):
    assert mtls_profile["base_url"].startswith("https://127.0.0.1:")
    assert "verify_tls" not in mtls_profile["settings"]  # trusted explicitly, never turned off
    engine = make_engine(clock=Clock())
    token = engine.get_token("mt")
    cert_pem = sandbox.providers["oauth2"].mtls_cert_pem
    assert token.jwt.claims["cnf"] == {"x5t#S256": thumbprint(cert_pem)}
    assert engine.client_certificate("mt").thumbprint == thumbprint(cert_pem)
    result = engine.call("mt", "GET", "/me")
    assert result.status == 200, result.body
    assert sandbox.calls("oauth2-client-credentials", "mint") == 1


def test_the_bound_token_is_refused_without_its_certificate(sandbox, make_engine, mtls_profile):
    engine = make_engine(clock=Clock())
    token = engine.get_token("mt")
    context = ssl.create_default_context(cafile=mtls_profile["settings"]["tls_ca_file"])
    with httpx.Client(verify=context) as plain:  # the server's certificate, trusted; no client certificate
        answer = plain.get(
            mtls_profile["base_url"] + "/me", headers={"Authorization": f"Bearer {token.access_token}"}
        )
    assert answer.status_code == 401 and "certificate" in answer.json()["error_description"]


def test_without_trusting_the_server_certificate_the_connection_is_refused(
    sandbox, make_engine, mtls_profile, profile_store
):
    profile = profile_store.get("mt")
    from dataclasses import replace

    profile_store.save(replace(profile, settings={}))  # the OS store does not know the sandbox
    engine = make_engine(clock=Clock())
    with pytest.raises(NetworkTLSError):
        engine.get_token("mt")


def test_a_server_that_drops_cnf_is_one_line_and_nothing_is_stored(
    sandbox, make_engine, mtls_profile, memory_vault
):
    sandbox.providers["oauth2"].drop_cnf = True
    engine = make_engine(clock=Clock())
    with pytest.raises(ProviderResponseError) as caught:
        engine.get_token("mt")
    message = str(caught.value)
    assert "without cnf.x5t#S256" in message and "nothing was stored" in message and "\n" not in message
    assert memory_vault.load("mt", "access_token") is None


def test_a_token_bound_to_another_certificate_is_refused(sandbox, make_engine, mtls_profile, memory_vault):
    other_pem, _key, _cert, _k = certificate()
    sandbox.providers["oauth2"].bind_to = thumbprint(other_pem)
    engine = make_engine(clock=Clock())
    with pytest.raises(ProviderResponseError) as caught:
        engine.get_token("mt")
    assert "bound to another certificate" in str(caught.value)
    assert thumbprint(other_pem) in str(caught.value)
    assert memory_vault.load("mt", "access_token") is None


def test_a_profile_listing_a_certificate_the_keychain_lacks_is_one_line(
    sandbox, make_engine, mtls_profile, memory_vault
):
    memory_vault.delete("mt", CLIENT_CERT_SECRET)
    engine = make_engine(clock=Clock())
    with pytest.raises(InputError) as caught:  # before any request: the form needs the certificate
        engine.get_token("mt")
    assert "needs a client certificate" in str(caught.value) and "--client-cert" in caught.value.hint
    with pytest.raises(ClientCertError, match="not in the keychain"):  # what the TLS layer says
        engine.client_certificate("mt")


# --------------------------------------------------------------------------- CLI: bad input, nothing stored


@pytest.fixture
def cc_profile(workbench_home):
    run = run_cli(
        "profile", "add", "cc", "--preset", "oauth2-client-credentials", "--base-url", "https://127.0.0.1:9",
        "--set", "client_id=c", "--set", "client_auth=self_signed_tls_client_auth",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return "cc"


def _secret_names(name: str) -> list[str]:
    run = run_cli("profile", "list", "--json")
    import json

    return next(p["secret_names"] for p in json.loads(run.stdout) if p["name"] == name)


def test_cli_refuses_a_key_that_is_not_the_certificates(cc_profile, tmp_path):
    cert_pem, _key, _c, _k = certificate()
    _other_cert, other_key, _c2, _k2 = certificate()
    (tmp_path / "c.pem").write_text(cert_pem)
    (tmp_path / "k.pem").write_text(other_key)
    run = run_cli(
        "profile",
        "set",
        "cc",
        "--client-cert",
        str(tmp_path / "c.pem"),
        "--client-key",
        str(tmp_path / "k.pem"),
    )
    line = one_line_error(run, skip_warnings=True)
    assert "does not match the client certificate" in line
    assert CLIENT_CERT_SECRET not in _secret_names("cc")


def test_cli_refuses_an_expired_certificate(cc_profile, tmp_path):
    cert_pem, key_pem, _c, _k = certificate(days=-1, not_before_days=-10)
    (tmp_path / "both.pem").write_text(cert_pem + key_pem)
    run = run_cli("profile", "set", "cc", "--client-cert", str(tmp_path / "both.pem"))
    line = one_line_error(run, skip_warnings=True)
    assert "the client certificate expired on" in line
    assert CLIENT_CERT_SECRET not in _secret_names("cc")


def test_cli_refuses_a_pkcs12_with_a_wrong_password_and_nothing_is_created(workbench_home, tmp_path):
    _pem, _key_pem, cert, key = certificate()
    blob = pkcs12.serialize_key_and_certificates(
        b"c", key, cert, None, serialization.BestAvailableEncryption(b"right")
    )
    (tmp_path / "c.p12").write_bytes(blob)
    run = run_cli(
        "profile", "add", "p12", "--preset", "oauth2-client-credentials", "--base-url", "https://127.0.0.1:9",
        "--set", "client_id=c", "--client-cert", str(tmp_path / "c.p12"),
        "--client-cert-password", "@env:P12PW", env={"P12PW": "wrong"},
    )  # fmt: skip
    line = one_line_error(run, skip_warnings=True)
    assert "PKCS#12 file could not be opened with that password" in line
    assert "wrong" not in line
    assert "p12" not in run_cli("profile", "list").stdout.split()
