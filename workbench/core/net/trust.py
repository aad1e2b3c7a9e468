"""Which certificate authorities TLS verification trusts: the operating system's trust store.

Through `truststore`, every HTTPS request verifies the server against the store the OS
keeps (the macOS Keychain through the Security framework, the Windows certificate store
through CryptoAPI, OpenSSL's system bundle on Linux), so a corporate CA that IT installed
on the machine is trusted as the browser trusts it, with no `SSL_CERT_FILE` to set. On
Linux `SSL_CERT_FILE` / `SSL_CERT_DIR` still work: they are how OpenSSL's store is
redirected. Were `truststore` missing (it is a dependency), certifi's bundle is the
fallback and `describe()` says so.

One context is built per process (loading a CA bundle costs tens of milliseconds) and
shared by every client; `ssl.SSLContext` is safe to share between threads.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from dataclasses import dataclass
from typing import Literal

_lock = threading.Lock()
_context: ssl.SSLContext | None = None

StoreKind = Literal["os", "certifi"]


@dataclass(frozen=True)
class TrustStore:
    kind: StoreKind
    description: str  # one line for `self-test`: which store, where
    certificates: int | None  # how many CA certificates it holds, where that can be counted


def ssl_context() -> ssl.SSLContext:
    """The client context every verified HTTPS connection uses (built once per process)."""
    global _context
    if _context is None:
        with _lock:
            if _context is None:
                _context = _build()
    return _context


def verify_setting(verify_tls: bool) -> ssl.SSLContext | Literal[False]:
    """What to pass as httpx's `verify=`: the OS-store context, or False for a profile that turned
    verification off (`verify_tls = false`, which warns on every use)."""
    return ssl_context() if verify_tls else False


def _build() -> ssl.SSLContext:
    try:
        import truststore
    except ImportError:  # pragma: no cover - truststore is a dependency; a broken install still works
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def uses_os_store() -> bool:
    return type(ssl_context()).__module__.startswith("truststore")


def describe() -> TrustStore:
    """Which store verification uses here, in words (and a certificate count where one exists)."""
    if not uses_os_store():
        import certifi

        bundle = certifi.where()
        count = _count(bundle, None)
        return TrustStore("certifi", f"certifi's bundle {bundle} (truststore is not installed)", count)
    if sys.platform == "darwin":
        return TrustStore("os", "the OS trust store (macOS Keychain, via the Security framework)", None)
    if sys.platform == "win32":
        return TrustStore("os", "the OS trust store (Windows certificate store, via CryptoAPI)", None)
    cafile, capath = _linux_locations()
    where = " and ".join(p for p in (cafile, capath) if p) or "no CA bundle found"
    env = [name for name in ("SSL_CERT_FILE", "SSL_CERT_DIR") if os.environ.get(name)]
    redirected = f", redirected by {' and '.join(env)}" if env else ""
    return TrustStore("os", f"the OS trust store (OpenSSL: {where}{redirected})", _count(cafile, capath))


def _linux_locations() -> tuple[str | None, str | None]:
    """Where truststore's OpenSSL backend loads the system CAs from (its own order of preference)."""
    defaults = ssl.get_default_verify_paths()
    capath = defaults.capath if defaults.capath and _has_hashed_certs(defaults.capath) else None
    if defaults.cafile or capath:
        return defaults.cafile, capath
    try:
        from truststore._openssl import _CA_FILE_CANDIDATES
    except ImportError:  # pragma: no cover - truststore's layout changed; say what OpenSSL says
        return None, None
    for candidate in _CA_FILE_CANDIDATES:
        if os.path.isfile(candidate):
            return candidate, None
    return None, None


def _has_hashed_certs(folder: str) -> bool:
    import re

    try:
        return any(re.match(r"^[0-9a-fA-F]{8}\.[0-9]$", name) for name in os.listdir(folder))
    except OSError:
        return False


def _count(cafile: str | None, capath: str | None) -> int | None:
    if not cafile:
        return None  # certificates in a hashed folder are loaded on demand: no count to give
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError):
        return 0
    return int(context.cert_store_stats().get("x509_ca", 0))
