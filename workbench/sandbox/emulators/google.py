"""Google's OAuth 2.0 token endpoint for service accounts, and a plain RFC 7523 JWT bearer grant.

Written from Google's "Using OAuth 2.0 for Server to Server Applications" and RFC 7523 §2.1/§3:
`POST /token` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and `assertion`, a
JWT whose signature is checked with the public key registered for its issuer.

* A Google service account (`iss` = its client_email): RS256 only, `kid` naming the key
  (private_key_id), `aud` = this token endpoint, a `scope` claim (space-separated), `iat` not
  in the future and `exp` at most an hour after it. The answer is Google's: an opaque
  `ya29.` token, `expires_in` 3599, `token_type` Bearer, no refresh token. Errors are Google's
  `{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}` kind.
* A client of the generic grant (`iss` = client_id `workbench-jwt`, an ES256 key): `sub`, `aud`
  (this endpoint), `exp`, `iat`, `jti` (never twice); `scope` in the form.

The demo's service account and client keys are generated at start (the sandbox's
`demo_profiles` hands out the private halves, as the Cloud console's "Create key" does).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from workbench.sandbox import tokens as jose
from workbench.sandbox.emulators.base import Provider, SandboxState
from workbench.sandbox.http import Reject, Request, Response, json_response

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_SECONDS = 3600
SKEW = 60


@dataclass(frozen=True)
class _Signer:
    public_pem: str
    algorithms: tuple[str, ...]
    google: bool  # Google's rules (scope claim, kid, RS256) rather than RFC 7523's alone
    kid: str = ""


def _pem_pair(kind: str) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key: Any = (
        rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private, public


class GoogleServiceAccounts(Provider):
    """Token endpoint of the JWT bearer grant: Google's service-account rules and RFC 7523's."""

    key = "google"
    presets = ("google-service-account", "oauth2-jwt-bearer")
    prefix = "/google"
    default_lifetime = 3599
    TOKEN_PATH = "/token"  # noqa: S105 - a URL path, not a password
    _NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))

    def __init__(self, state: SandboxState) -> None:
        super().__init__(state)
        self.service_account = "workbench-demo@workbench-sandbox.iam.gserviceaccount.com"
        self.private_key_id = secrets.token_hex(20)
        self.sa_private_pem, sa_public = _pem_pair("rsa")
        self.client_id = "workbench-jwt"
        self.client_private_pem, client_public = _pem_pair("ec")
        self._signers = {
            self.service_account: _Signer(sa_public, ("RS256",), google=True, kid=self.private_key_id),
            self.client_id: _Signer(client_public, ("ES256",), google=False),
        }
        self._tokens: dict[str, dict[str, Any]] = {}  # ya29.… → claims (Google's tokens are opaque)
        self._seen_jti: set[str] = set()
        self.route("POST", self.TOKEN_PATH, "mint", self.token)

    @property
    def token_url(self) -> str:
        return self.base_url + self.TOKEN_PATH

    def error(
        self, status: int, code: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        return json_response(
            status, {"error": code, "error_description": message}, (*self._NO_STORE, *headers)
        )

    def preset_of(self, claims: Any) -> str:
        return "google-service-account" if claims.get("google") else "oauth2-jwt-bearer"

    def verify_access(self, token: str, now: float) -> dict[str, Any]:
        claims = self._tokens.get(token)
        if claims is None:
            raise jose.TokenInvalid("unknown access token")
        if now >= claims["exp"]:
            raise jose.TokenExpired("token has expired", dict(claims))
        return dict(claims)

    def token(self, request: Request) -> Response:
        if request.media_type != "application/x-www-form-urlencoded":
            return self.error(
                400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
            )
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != JWT_BEARER:
            return self.error(
                400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", "")
            )
        assertion = form.get("assertion", "")
        if not assertion:
            return self.error(400, "invalid_request", "Missing required parameter: assertion")
        claims, signer = self._verified(assertion)
        now = int(self.now())
        scope = str(claims.get("scope") or "") if signer.google else form.get("scope", "")
        if signer.google and not scope.strip():
            return self.error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        token = ("ya29." if signer.google else "jb.") + secrets.token_urlsafe(48)
        self._tokens[token] = {
            "iss": self.issuer,
            "sub": claims.get("sub") or claims["iss"],
            "client": claims["iss"],
            "scope": " ".join(scope.split()),
            "iat": now,
            "exp": now + self.lifetime,
            "google": signer.google,
        }
        body: dict[str, Any] = {"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer"}
        if not signer.google and scope:
            body["scope"] = " ".join(scope.split())
        return json_response(200, body, self._NO_STORE)

    def _verified(self, assertion: str) -> tuple[dict[str, Any], _Signer]:
        import jwt

        def refuse(message: str) -> Reject:
            return Reject(self.error(400, "invalid_grant", message))

        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise refuse("Invalid JWT: not a signed JWT.") from None
        signer = self._signers.get(str(unverified.get("iss", "")))
        if signer is None:
            google = "@" in str(unverified.get("iss"))
            raise refuse("Invalid JWT Signature." if google else "assertion refused: no client has this iss")
        if header.get("alg") not in signer.algorithms:
            raise refuse(f"Invalid JWT: alg must be {', '.join(signer.algorithms)}.")
        if signer.google and header.get("kid") not in (None, signer.kid):
            raise refuse("Invalid JWT Signature.")  # Google's words for a key id it does not know
        try:
            claims = jwt.decode(
                assertion,
                signer.public_pem,
                algorithms=list(signer.algorithms),
                audience=self.token_url,
                leeway=SKEW,
                options={"require": ["iss", "aud", "iat", "exp"] + ([] if signer.google else ["sub", "jti"])},
            )
        except jwt.InvalidSignatureError:
            raise refuse("Invalid JWT Signature.") from None
        except jwt.InvalidAudienceError:
            raise refuse(f"Invalid JWT: the audience must be {self.token_url}.") from None
        except jwt.ExpiredSignatureError:
            raise refuse(
                "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
            ) from None
        except jwt.PyJWTError as exc:
            raise refuse(f"Invalid JWT: {exc}.") from None
        now = self.now()
        if claims["iat"] > now + SKEW or claims["exp"] - claims["iat"] > MAX_ASSERTION_SECONDS:
            raise refuse(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim."
            )
        if not signer.google:
            if claims["jti"] in self._seen_jti:
                raise refuse("assertion refused: jti already used")
            self._seen_jti.add(claims["jti"])
        return claims, signer

    def issue_token(self, preset: str, *, lifetime: int | None = None) -> str:
        now = int(self.now())
        google = preset == "google-service-account"
        token = ("ya29." if google else "jb.") + secrets.token_urlsafe(48)
        sub = self.service_account if google else self.client_id
        self._tokens[token] = {
            "iss": self.issuer, "sub": sub, "client": sub, "scope": "", "iat": now,
            "exp": now + (self.lifetime if lifetime is None else lifetime), "google": google,
        }  # fmt: skip
        return token

    def demo_profiles(self) -> dict[str, dict[str, dict[str, str]]]:
        return {
            "google-service-account": {
                "vars": {
                    "client_email": self.service_account,
                    "private_key_id": self.private_key_id,
                    "token_uri": self.token_url,
                    "project_id": "workbench-sandbox",
                },
                "secrets": {"private_key": self.sa_private_pem},
            },
            "oauth2-jwt-bearer": {
                "vars": {
                    "client_id": self.client_id,
                    "token_path": self.TOKEN_PATH,
                    "assertion_subject": "alice",
                },
                "secrets": {"private_key": self.client_private_pem},
            },
        }


EMULATOR = GoogleServiceAccounts
