"""The sandbox's DPoP verifier (RFC 9449 §4.3), written from the RFC rather than from the client.

It checks what a real authorization or resource server checks: one `DPoP` header holding a JWT
with `typ` dpop+jwt, an asymmetric `alg`, a public `jwk` (no private members) whose key made the
signature, `htm` and `htu` matching the request, `iat` within a minute, a `jti` not seen before,
the server's current nonce when it asks for one, and on a resource request `ath` matching the
access token. A failure is a `ProofRefused` naming the error code and why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any

ASYMMETRIC = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
IAT_WINDOW = 60


class ProofRefused(Exception):
    """A proof a server refuses: `code` is invalid_dpop_proof or use_dpop_nonce."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: Mapping[str, Any]) -> str:
    members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    required = {name: jwk[name] for name in members[jwk["kty"]]}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


class DpopChecker:
    """Checks proofs for one server; issues and rotates its nonce when `require_nonce`."""

    def __init__(self, *, require_nonce: bool = True) -> None:
        self.require_nonce = require_nonce
        self.nonce = secrets.token_urlsafe(16)
        self._seen: set[str] = set()
        self._mu = threading.Lock()

    def rotate_nonce(self) -> str:
        self.nonce = secrets.token_urlsafe(16)
        return self.nonce

    def check(
        self,
        header: str | None,
        *,
        method: str,
        url: str,
        now: float,
        access_token: str | None = None,
    ) -> str:
        """The proof's key thumbprint (`jkt`) when it holds; else ProofRefused."""
        import jwt

        if not header or "," in header:
            raise ProofRefused("invalid_dpop_proof", "exactly one DPoP header is required")
        try:
            head = jwt.get_unverified_header(header)
        except jwt.PyJWTError:
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof is not a JWT") from None
        if head.get("typ") != "dpop+jwt":
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof's typ is not dpop+jwt")
        alg = head.get("alg")
        if alg not in ASYMMETRIC:
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof's alg is not an asymmetric algorithm")
        jwk = head.get("jwk")
        if not isinstance(jwk, dict) or any(m in jwk for m in PRIVATE_MEMBERS):
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof's jwk is missing or holds a private key")
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            claims = jwt.decode(header, key, algorithms=[alg], options={"verify_aud": False})
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof's signature does not verify") from None
        if claims.get("htm") != method.upper():
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof's htm does not match the request")
        if claims.get("htu") != url.split("?", 1)[0].split("#", 1)[0]:
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof's htu does not match the request")
        iat = claims.get("iat")
        if not isinstance(iat, int) or abs(now - iat) > IAT_WINDOW:
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof's iat is not within a minute of now")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise ProofRefused("invalid_dpop_proof", "the DPoP proof has no jti")
        if access_token is not None:
            ath = b64url(hashlib.sha256(access_token.encode()).digest())
            if claims.get("ath") != ath:
                raise ProofRefused(
                    "invalid_dpop_proof", "the DPoP proof's ath does not match the access token"
                )
        if self.require_nonce and claims.get("nonce") != self.nonce:
            raise ProofRefused("use_dpop_nonce", "a DPoP nonce is required (use the DPoP-Nonce header's)")
        with self._mu:
            if jti in self._seen:
                raise ProofRefused("invalid_dpop_proof", "the DPoP proof's jti was used before")
            self._seen.add(jti)
        return thumbprint(jwk)
