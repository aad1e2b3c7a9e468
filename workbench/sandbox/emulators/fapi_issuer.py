"""A second sandbox issuer, `{sandbox}/fapi`, that requires pushed authorization requests (RFC 9126)
and signed request objects (RFC 9101), as FAPI 2.0 deployments do. Its discovery document says so
(`require_pushed_authorization_requests`, `require_signed_request_object`), so the demo's
`oauth2-par` profile logs in through PAR with a signed request object, offline, with nothing set
but its client id and key. Everything else is the `authorization_server`'s.

Client `workbench-fapi`: public (no client secret), its request objects signed with the ES256 key
it registered (the demo profile's `private_key`).
"""

from __future__ import annotations

from typing import Any

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.authorization_server import AuthorizationServer, _Client
from workbench.sandbox.emulators.base import SandboxState


class FapiIssuer(AuthorizationServer):
    key = "idp-fapi"
    presets = ()  # the demo profile is an extra one (`demo_extra_profiles`)
    prefix = "/fapi"
    require_par = True
    require_jar = True

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.fapi_client_id = "workbench-fapi"
        self._clients[self.fapi_client_id] = _Client(None)
        self._client_key = jose.generate_ec_key()
        self.fapi.client_keys[self.fapi_client_id] = jose.ec_public_jwk(self._client_key.public_key())

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        return {}

    def demo_extra_profiles(self) -> dict[str, dict[str, Any]]:
        """The demo's PAR + JAR profile: a browser login at this issuer."""
        return {
            "oauth2-par": {
                "preset": "oauth2-authorization-code",
                "base_url": self.base_url,
                "vars": {"client_id": self.fapi_client_id, "client_auth": "none", "scope": "openid read"},
                "secrets": {"private_key": jose.private_key_pem(self._client_key)},
            }
        }


EMULATOR = FapiIssuer

__all__ = ["EMULATOR", "FapiIssuer"]
