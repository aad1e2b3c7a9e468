"""A profile's TLS identity (RFC 8705): its client certificate from the keychain, checked and
cached, and the SSL context its requests use (built by `net/mtls.py`). Used by the engine's
wire (one pooled client per profile that needs its own context) and by `oauth/login`."""

from __future__ import annotations

import hashlib
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from workbench.core.errors import ClientCertError
from workbench.core.jose.x509 import CLIENT_CERT_SECRET, ClientCertificate, from_bundle
from workbench.core.net.mtls import client_context, load_client_identity

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile
    from workbench.core.storage.vault import Vault


class ProfileTls:
    """What a profile's TLS needs beyond the shared client: its client certificate (read from the
    keychain through `load_bundle`, a callable (profile name) → the stored bundle or None) and
    its own trust anchors. One context per (profile, certificate, CA file), built on first use."""

    def __init__(self, load_bundle: Callable[[str], str | None]) -> None:
        self._load = load_bundle
        self._mu = threading.Lock()
        self._certs: dict[str, tuple[str, ClientCertificate]] = {}

    def certificate(self, profile: Profile) -> ClientCertificate | None:
        """The profile's client certificate (None: it has none); one clear line when the profile
        lists one the keychain does not hold, or holds one that no longer fits."""
        if CLIENT_CERT_SECRET not in profile.secret_names:
            return None
        bundle = self._load(profile.name)
        if not bundle:
            raise ClientCertError(
                f"profile '{profile.name}' uses a client certificate but it is not in the keychain",
                hint=f"give one with `workbench profile set {profile.name} --client-cert FILE`",
            )
        digest = hashlib.sha256(bundle.encode("utf-8")).hexdigest()
        with self._mu:
            cached = self._certs.get(profile.name)
        if cached is not None and cached[0] == digest:
            return cached[1]
        cert = from_bundle(bundle)
        with self._mu:
            self._certs[profile.name] = (digest, cert)
        return cert

    def client_key(self, profile: Profile) -> tuple[str, str, str] | None:
        """(profile, CA file, thumbprint): which pooled client the profile's requests use (None:
        the shared one)."""
        ca_file = profile.settings.get("tls_ca_file")
        cert = self.certificate(profile)
        if not ca_file and cert is None:
            return None
        return (profile.name, str(ca_file or ""), cert.thumbprint if cert is not None else "")

    def context(self, profile: Profile, *, verify: bool = True) -> ssl.SSLContext | None:
        """The SSL context of the profile's requests (None: the shared OS-store one)."""
        ca_file = profile.settings.get("tls_ca_file")
        cert = self.certificate(profile)
        if not ca_file and cert is None:
            return None
        chain, key = (cert.chain_pem, cert.key_pem) if cert is not None else (None, None)
        if not verify:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            if chain and key:
                load_client_identity(context, chain, key)
            return context
        return client_context(chain, key, ca_file=str(ca_file) if ca_file else None)


def vault_tls(vault: Vault) -> ProfileTls:
    """A `ProfileTls` that reads client certificates from `vault`."""
    return ProfileTls(lambda name: vault.load(name, CLIENT_CERT_SECRET))
