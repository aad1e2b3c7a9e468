"""DPoP (RFC 9449): proofs of possession of a profile's DPoP key, and the server's nonces.

A DPoP proof is a JWT signed with the client's key whose header carries that key's public
JWK (`typ` = `dpop+jwt`) and whose claims bind it to one request: `htm` (the method), `htu`
(the URL without query and fragment), `iat`, a fresh `jti`, `ath` (base64url SHA-256 of the
access token, on resource requests) and `nonce` when the server gave one.

A server asks for a nonce by refusing a request with `use_dpop_nonce` (the authorization server
as a 400 JSON error, the resource server as a 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"`)
and a `DPoP-Nonce` header; the client retries once with it and keeps using it for that origin
(`NonceBook`). A server may send a fresh `DPoP-Nonce` on any answer: the newest one wins.

The profile's DPoP key is the vault secret `dpop_key` (a PEM private key, from
`workbench keygen --dpop --profile NAME`), never the signing key `private_key`: a token bound to
the key that also authenticates the client would tie two credentials together. Signing goes
through PyJWT (its algorithm objects); nothing here talks to the network.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from workbench.core.errors import DpopError, KeyFormatError
from workbench.core.jose.cnf import Confirmation
from workbench.core.jose.keys import (
    algorithms_for_key,
    b64url_encode,
    jwk_thumbprint,
    load_private_key,
    public_jwk,
)

DPOP_KEY_SECRET = "dpop_key"  # noqa: S105 - the name of a vault entry, not a secret
PROOF_TYPE = "dpop+jwt"
TOKEN_TYPE = "DPoP"  # noqa: S105 - a token type, not a secret
NONCE_ERROR = "use_dpop_nonce"
# A nonce is a server's opaque string: bounded so a hostile server cannot make every proof huge.
MAX_NONCE_CHARS = 512
# The public JWK members a proof's header carries (RFC 9449 §4.2: no private parts, nothing else).
_PUBLIC_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "EC": ("kty", "crv", "x", "y"),
    "RSA": ("kty", "n", "e"),
    "OKP": ("kty", "crv", "x"),
}


def htu(url: str) -> str:
    """The `htu` of a request URL: scheme, host and path; no query, no fragment (RFC 9449 §4.2)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise DpopError(f"a DPoP proof needs an absolute http(s) URL, not {url.split('?')[0]!r}")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


def access_token_hash(access_token: str) -> str:
    """`ath`: base64url(SHA-256(the ASCII access token)), no padding."""
    return b64url_encode(hashlib.sha256(access_token.encode("ascii", errors="strict")).digest())


def is_dpop(token_type: str | None) -> bool:
    return isinstance(token_type, str) and token_type.strip().lower() == "dpop"


@dataclass(frozen=True)
class DpopKey:
    """A profile's DPoP private key, loaded once: signs proofs, tells its public JWK and `jkt`."""

    key: Any = field(repr=False)
    alg: str
    jwk: Mapping[str, str]

    @classmethod
    def from_pem(cls, pem: str | bytes, *, alg: str | None = None) -> DpopKey:
        try:
            key = load_private_key(pem)
        except KeyFormatError as exc:
            raise DpopError(f"the DPoP key is not a usable private key: {exc}") from None
        offered = algorithms_for_key(key)
        chosen = alg or offered[0]
        if chosen not in offered:
            raise DpopError(f"the DPoP key cannot sign {chosen} (it signs {'/'.join(offered)})")
        full = public_jwk(key, alg=chosen)
        jwk = {name: full[name] for name in _PUBLIC_MEMBERS[full["kty"]]}
        return cls(key=key, alg=chosen, jwk=jwk)

    @property
    def jkt(self) -> str:
        """The key's RFC 7638 thumbprint: `dpop_jkt` on the authorization request, `cnf.jkt` in tokens."""
        return jwk_thumbprint(self.jwk)

    def proof(
        self,
        method: str,
        url: str,
        *,
        now: float,
        access_token: str | None = None,
        nonce: str | None = None,
        jti: str | None = None,
    ) -> str:
        """A fresh proof for one request (`now` from the one clock, i.e. the server's time)."""
        import jwt

        claims: dict[str, Any] = {
            "jti": jti or secrets.token_urlsafe(18),
            "htm": method.upper(),
            "htu": htu(url),
            "iat": int(now),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce:
            claims["nonce"] = nonce
        headers = {"typ": PROOF_TYPE, "alg": self.alg, "jwk": dict(self.jwk)}
        return jwt.encode(claims, self.key, algorithm=self.alg, headers=headers)


class NonceBook:
    """The newest `DPoP-Nonce` each origin gave (thread-safe; one per engine).

    With `path`, the nonces are also kept in that file (a cache of public values the servers
    sent, never a secret), so `workbench dpop-proof` in another process proves with the nonce
    the last `token` or `call` learnt. A missing, unreadable or odd file is an empty book."""

    MAX_ORIGINS = 64
    MAX_FILE_BYTES = 64 * 1024

    def __init__(self, path: Path | None = None) -> None:
        self._mu = threading.Lock()
        self._nonces: dict[str, str] = {}
        self._path = path
        self._stamp: float | None = None

    def get(self, origin: str) -> str | None:
        with self._mu:
            self._reload()
            return self._nonces.get(origin)

    def learn(self, origin: str, headers: Mapping[str, str]) -> str | None:
        """Keep the answer's `DPoP-Nonce` for `origin`; the nonce, or None when it sent none."""
        value = headers.get("dpop-nonce")
        if not isinstance(value, str) or not _sane_nonce(value.strip()):
            return None
        value = value.strip()
        with self._mu:
            self._reload()
            if self._nonces.get(origin) == value:
                return value
            self._nonces.pop(origin, None)
            self._nonces[origin] = value
            while len(self._nonces) > self.MAX_ORIGINS:
                self._nonces.pop(next(iter(self._nonces)))
            self._save()
        return value

    def forget(self, origin: str) -> None:
        with self._mu:
            self._nonces.pop(origin, None)
            self._save()

    def _reload(self) -> None:
        if self._path is None:
            return
        try:
            stat = self._path.stat()
        except OSError:
            return
        if self._stamp == stat.st_mtime or stat.st_size > self.MAX_FILE_BYTES:
            return
        try:
            document = json.loads(self._path.read_bytes())
        except (OSError, ValueError):
            return
        if isinstance(document, dict):
            self._nonces = {
                k: v
                for k, v in document.items()
                if isinstance(k, str) and isinstance(v, str) and _sane_nonce(v)
            }
            self._stamp = stat.st_mtime

    def _save(self) -> None:
        if self._path is None:
            return
        import os
        import tempfile

        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".dpop-nonces.")
            with os.fdopen(fd, "w") as handle:
                json.dump(self._nonces, handle)
            os.replace(tmp, self._path)
            self._stamp = self._path.stat().st_mtime
        except OSError:
            pass  # a cache: the next request simply asks the server again


def _sane_nonce(value: str) -> bool:
    return bool(value) and len(value) <= MAX_NONCE_CHARS and value.isascii() and value.isprintable()


def asks_for_nonce(status: int, headers: Mapping[str, str], body: bytes) -> bool:
    """The answer refuses the proof for want of a (fresh) nonce: retry once with `DPoP-Nonce`."""
    if "dpop-nonce" not in headers:
        return False
    if status == 401:
        challenge = headers.get("www-authenticate", "")
        return NONCE_ERROR in challenge
    if status == 400:
        try:
            document = json.loads(body[:4096]) if body else None
        except (ValueError, UnicodeDecodeError):
            return False
        return isinstance(document, dict) and document.get("error") == NONCE_ERROR
    return False


def nonce_refused_line(where: str) -> str:
    """The one line for a server that refused the nonce it had just given (the retry's answer)."""
    return (
        f"{where} refused the DPoP proof again after the retry with its own DPoP-Nonce "
        "(use_dpop_nonce twice): its nonces may be expiring at once, or the clock is far off; "
        "nothing was stored"
    )


# A DPoP token names its key's thumbprint in `cnf.jkt` (RFC 9449 §6).
DPOP_CNF = Confirmation("jkt", adjective="DPoP-bound", thing="DPoP key", own="DPoP key", own_short="key")
token_jkt = DPOP_CNF.of
describe_binding = DPOP_CNF.describe


def binding_problem(
    token_type: str | None, claims: Mapping[str, Any] | None, jkt: str, what: str
) -> str | None:
    """Why a token answered to a request with a DPoP proof must not be stored, or None.

    The token must be a DPoP token (never kept, and so never sent, as a Bearer token); a JWT
    access token must carry `cnf.jkt` and it must be this key's thumbprint. An opaque token
    cannot be checked here (its binding is the server's business, or introspection's)."""
    if not is_dpop(token_type):
        return (
            f"{what} answered a {token_type or 'Bearer'} token to a request with a DPoP proof: the server "
            "did not bind it to the profile's DPoP key (is DPoP enabled for this client?); nothing was stored"
        )
    if claims is None:
        return None
    bound = token_jkt(claims)
    if bound is None:
        return (
            f"{what} answered a DPoP token whose claims have no cnf.jkt (the server dropped the "
            "binding); nothing was stored"
        )
    if bound != jkt:
        return (
            f"{what} answered a DPoP token bound to another key (cnf.jkt {bound}, the profile's key is "
            f"{jkt}); nothing was stored"
        )
    return None


__all__ = [
    "DPOP_CNF",
    "DPOP_KEY_SECRET",
    "NONCE_ERROR",
    "PROOF_TYPE",
    "TOKEN_TYPE",
    "DpopError",
    "DpopKey",
    "NonceBook",
    "access_token_hash",
    "asks_for_nonce",
    "binding_problem",
    "describe_binding",
    "htu",
    "is_dpop",
    "nonce_refused_line",
    "token_jkt",
]
