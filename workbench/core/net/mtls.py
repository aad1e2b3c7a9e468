"""The TLS context of a profile that presents a client certificate (RFC 8705) or trusts its own
certificate authority (`[settings] tls_ca_file`).

`ssl.SSLContext.load_cert_chain` reads only files, and the private key lives in the keychain.
It is never written to disk in plaintext: the key is encrypted (PKCS#8, AES-256-CBC with a
scrypt/PBKDF2-derived key, cryptography's `BestAvailableEncryption`) with a random 32-byte
password that exists only in this process's memory, written with the certificate chain to a
temporary file created with O_EXCL and mode 0600, loaded with that password, and deleted at
once (in a `finally`). A reader who copies the file in that instant gets ciphertext. Options
ruled out: a plaintext temp file (the key on disk, however briefly), `memfd_create` (Linux
only, still plaintext), pyOpenSSL (httpx takes an `ssl.SSLContext`).

A context is built once per profile and certificate (`engine/wire.py` keeps one client for each)
and is safe to share between threads.
"""

from __future__ import annotations

import os
import secrets
import ssl
import tempfile
from pathlib import Path

from workbench.core.errors import ClientCertError, InputError
from workbench.core.net.trust import ssl_context


def ca_context(ca_file: str) -> ssl.SSLContext:
    """A verifying client context that trusts only the certificates in `ca_file` (a CA, or the
    server's own self-signed certificate): explicit trust, never verification turned off."""
    path = Path(ca_file).expanduser()
    try:
        context = ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise InputError(
            f"tls_ca_file {path} cannot be used as a trust anchor ({getattr(exc, 'strerror', None) or exc})",
            hint="give a PEM file of the CA (or the server's self-signed) certificate",
            field="settings.tls_ca_file",
        ) from None
    return context


def client_context(
    chain_pem: str | None, key_pem: str | None, *, ca_file: str | None = None
) -> ssl.SSLContext:
    """A verifying client context (the OS trust store, or only `ca_file`) that presents the client
    certificate `chain_pem` with `key_pem` when the server asks for one."""
    if ca_file:
        context = ca_context(ca_file)
    else:
        context = _fresh_os_context()
    if chain_pem and key_pem:
        load_client_identity(context, chain_pem, key_pem)
    return context


def _fresh_os_context() -> ssl.SSLContext:
    """A new OS-store context (a client certificate must not go into the shared one)."""
    shared = ssl_context()
    if type(shared).__module__.startswith("truststore"):
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return ssl.create_default_context()


def load_client_identity(context: ssl.SSLContext, chain_pem: str, key_pem: str) -> None:
    """`context.load_cert_chain` from an encrypted temp file (see the module docstring)."""
    from cryptography.hazmat.primitives import serialization

    password = secrets.token_bytes(32)
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    fd, name = tempfile.mkstemp(prefix="workbench-mtls-", suffix=".pem")  # O_EXCL, mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(chain_pem.encode("ascii") + b"\n" + encrypted)
        context.load_cert_chain(name, password=password)
    except ssl.SSLError as exc:
        raise ClientCertError(
            f"the client certificate could not be loaded for TLS ({exc.reason or exc})"
        ) from None
    finally:
        os.unlink(name)
