"""The sandbox's TLS listener: the same emulators on a second loopback port, over HTTPS, with a
self-signed server certificate, asking every client for its certificate (mutual TLS, RFC 8705).

The server certificate names 127.0.0.1 and localhost; its PEM is written to a temporary folder
(`ca_file`) that a profile trusts explicitly (`[settings] tls_ca_file`), never by turning TLS
verification off. A client certificate is accepted when it was registered (`trust_client`): the
listener verifies client certificates against exactly those, so a self-signed one is its own
anchor. A request carries the DER of the certificate its connection presented
(`Request.client_cert`); the emulators bind tokens to its `x5t#S256` and check it on the API.
The ephemeral server key lives in that temporary folder (mode 0600) for the listener's life.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import shutil
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any


def x5t_s256(der: bytes) -> str:
    """RFC 8705 §3.1, computed here independently of the client's code."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def self_signed(common_name: str, *, server: bool = False) -> tuple[str, str]:
    """(certificate PEM, key PEM) of a fresh P-256 self-signed certificate valid for 30 days; a
    `server` one names 127.0.0.1 and localhost and is its own CA (a profile trusts it as one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
    )
    if server:
        loopback = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = (
            builder.add_extension(x509.SubjectAlternativeName(loopback), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), key_pem.decode("ascii")


class TlsIdentity:
    """The listener's certificate and the SSL context that asks for client certificates."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="workbench-sandbox-tls-"))
        self.certificate_pem, key_pem = self_signed("Token Workbench sandbox", server=True)
        self.ca_file = self._dir / "sandbox-server.pem"
        self.ca_file.write_text(self.certificate_pem, encoding="ascii")
        key_file = self._dir / "sandbox-server.key"
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key_pem)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.ca_file, key_file)
        self.context.verify_mode = ssl.CERT_OPTIONAL  # asks; the emulators decide what needs one
        self._lock = threading.Lock()
        self._trusted: set[str] = set()

    def trust_client(self, certificate_pem: str) -> None:
        """Accept this client certificate from now on (its own anchor when self-signed)."""
        with self._lock:
            if certificate_pem in self._trusted:
                return
            self._trusted.add(certificate_pem)
            self.context.load_verify_locations(cadata=certificate_pem)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


class TlsAccept:
    """Mixin for a socketserver server with a `tls: TlsIdentity`: each accepted connection is
    wrapped in TLS; the handshake runs in the connection's own thread, on its first read."""

    tls: TlsIdentity

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()  # type: ignore[misc]
        return self.tls.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ssl.SSLError | OSError):
            return  # a client whose certificate was refused, or that gave up during the handshake
        super().handle_error(request, client_address)  # type: ignore[misc]
