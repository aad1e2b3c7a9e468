"""The keys a user verifies with: an HMAC secret, a PEM, a JWK, or a JWKS (file, text or URL).

Only keys the *user* names are used; a token's own ``jku``/``x5u``/``jwk``/``x5c`` never are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import (
    InputError,
    KeyFormatError,
    ProviderResponseError,
)
from workbench.core.jose import jws
from workbench.core.jose import keys as _keys
from workbench.core.jose.inspect.claims import short_repr as _short
from workbench.core.net.client import any_origin, make_client, send_bounded
from workbench.core.redact import redact_url

MAX_JWKS_BYTES = 1024 * 1024
DEFAULT_JWKS_TIMEOUT = 10.0


@dataclass(frozen=True)
class _Candidate:
    """One concrete key to try: an HMAC secret or a public key object, with its allowed algorithms."""

    label: str
    material: Any = field(repr=False)
    algorithms: tuple[str, ...]
    is_secret: bool


@dataclass(frozen=True)
class VerificationKey:
    """What the user wants a token verified with. Build it with the ``from_*`` constructors.

    Attributes:
        kind: "secret" | "pem" | "jwk" | "jwks"
        source: where it came from (a file name or URL, redacted), for messages
    """

    kind: str
    source: str = ""
    candidates: tuple[_Candidate, ...] = field(default=(), repr=False)
    jwks: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)

    @classmethod
    def from_secret(cls, secret: str | bytes, *, source: str = "", base64: bool = False) -> VerificationKey:
        """An HMAC secret; with `base64`, the text is the secret's bytes base64url-encoded (as
        some issuers hand them out; padding and the +/ alphabet are accepted too)."""
        if not isinstance(secret, str | bytes) or not secret:
            raise KeyFormatError("the HMAC secret is empty")
        if _keys.looks_like_asymmetric_key(secret):
            raise KeyFormatError(
                "that secret is a PEM/JWK key; a public or private key is never used as an HMAC secret",
                hint="pass key files with --key or --jwks",
            )
        material = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        label = "HMAC secret"
        if base64:
            material, label = _base64_secret(material), "HMAC secret (base64-decoded)"
        return cls("secret", source, (_Candidate(label, material, _keys.HMAC_ALGORITHMS, True),))

    @classmethod
    def from_pem(cls, data: str | bytes, *, source: str = "") -> VerificationKey:
        key = _keys.load_public_key(data)
        label = jws.describe_key(key)
        return cls("pem", source, (_Candidate(label, key, _keys.algorithms_for_key(key), False),))

    @classmethod
    def from_jwk(cls, jwk: str | bytes | Mapping[str, Any], *, source: str = "") -> VerificationKey:
        parsed = _keys.parse_jwk_json(jwk, "JWK")
        if "keys" in parsed and "kty" not in parsed:
            raise KeyFormatError("this is a JWKS (a set of keys), not a single JWK", hint="use --jwks")
        return cls("jwk", source, (_jwk_candidate(parsed),))

    @classmethod
    def from_jwks(cls, jwks: str | bytes | Mapping[str, Any], *, source: str = "") -> VerificationKey:
        parsed = _keys.parse_jwk_json(jwks, "JWKS")
        entries = parsed.get("keys")
        if "kty" in parsed and entries is None:
            entries = [parsed]  # a lone JWK is a set of one
        if not isinstance(entries, list):
            raise KeyFormatError('the JWKS has no "keys" list')
        usable = tuple(k for k in entries if isinstance(k, Mapping))
        if not usable:
            raise KeyFormatError("the JWKS holds no keys")
        return cls("jwks", source, (), usable)

    def _candidates_for(self, header: Mapping[str, Any], alg: str) -> tuple[list[_Candidate], str | None]:
        """The keys to try for this token, or an explanation why there are none."""
        if self.kind != "jwks":
            return list(self.candidates), None
        kid = header.get("kid")
        signing = [k for k in self.jwks if k.get("use", "sig") == "sig"]
        if kid is not None:
            if not isinstance(kid, str):
                return [], "the token's kid is not a string, so no JWKS key can be picked"
            chosen = [k for k in signing if k.get("kid") == kid]
            if not chosen:
                return [], f"no key in the JWKS has kid {_short(kid)}"
        elif len(signing) == 1:
            chosen = signing
        elif not signing:
            return [], "the JWKS holds no signing keys"
        else:
            # No kid: every key of the set is trusted, so trying those that fit alg is safe.
            chosen = signing
        candidates: list[_Candidate] = []
        problems: list[str] = []
        for entry in chosen:
            try:
                candidates.append(_jwk_candidate(entry))
            except KeyFormatError as exc:
                problems.append(str(exc))
        if not candidates:
            return [], f"the JWKS key is unusable: {problems[0]}"
        if kid is None and len(candidates) > 1:
            fitting = [c for c in candidates if alg in c.algorithms]
            if not fitting:
                return [], f"the token has no kid and none of the {len(candidates)} JWKS keys fits {alg}"
            candidates = fitting
        return candidates, None


def _jwk_candidate(jwk: Mapping[str, Any]) -> _Candidate:
    kid = jwk.get("kid")
    label_kid = f" kid {_short(kid)}" if isinstance(kid, str) else ""
    declared = jwk.get("alg")
    if jwk.get("kty") == "oct":
        try:
            secret = _keys.b64url_decode(str(jwk.get("k", "")))
        except (ValueError, UnicodeError):
            raise KeyFormatError("the oct JWK's 'k' member is not base64url") from None
        if not secret:
            raise KeyFormatError("the oct JWK has no secret ('k')")
        allowed: tuple[str, ...] = _keys.HMAC_ALGORITHMS
        label, material, is_secret = f"oct JWK{label_kid}", secret, True
    else:
        key = _keys.jwk_to_key(jwk, private=False)
        allowed = _keys.algorithms_for_key(key)
        label, material, is_secret = f"{jws.describe_key(key)}{label_kid}", key, False
    if declared is not None:
        if not isinstance(declared, str) or declared not in allowed:
            raise KeyFormatError(f"the JWK says alg {declared!r}, which does not fit its key type")
        allowed = (declared,)
    return _Candidate(label, material, allowed, is_secret)


def load_key_file(path: str | Path) -> VerificationKey:
    """A PEM, JWK or JWKS file, told apart by its content."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_JWKS_BYTES:
            raise KeyFormatError(f"{file} is too large to be a key file")
        with file.open("rb") as handle:  # bounded: /dev/zero or a FIFO must not hang or fill memory
            data = handle.read(MAX_JWKS_BYTES + 1)
        if len(data) > MAX_JWKS_BYTES:
            raise KeyFormatError(f"{file} is too large to be a key file")
    except FileNotFoundError:
        raise InputError(f"no such key file: {file}") from None
    except IsADirectoryError:
        raise InputError(f"{file} is a directory, not a key file") from None
    except PermissionError:
        raise InputError(f"cannot read the key file {file}: permission denied") from None
    return key_from_text(data, source=str(file))


def key_from_text(data: str | bytes, *, source: str = "") -> VerificationKey:
    """A PEM, JWK or JWKS given as text (sniffed)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.strip()
    where = f" in {source}" if source else ""
    if "-----BEGIN" in text or text.startswith(("ssh-", "ecdsa-sha2-")):
        return VerificationKey.from_pem(text, source=source)
    if text.startswith("{"):
        parsed = _keys.parse_jwk_json(text, f"JSON{where}")
        if "keys" in parsed:
            return VerificationKey.from_jwks(parsed, source=source)
        if "kty" in parsed:
            return VerificationKey.from_jwk(parsed, source=source)
        raise KeyFormatError(f'the JSON{where} is neither a JWK (no "kty") nor a JWKS (no "keys")')
    raise KeyFormatError(f"no key found{where}: expected a PEM, a JWK or a JWKS")


KEY_KINDS: dict[str, str] = {
    "none": "no key (decode only)",
    "secret": "HMAC secret",
    "pem": "PEM public key",
    "jwk": "JWK",
    "jwks": "JWKS URL",
}


def _base64_secret(text: bytes) -> bytes:
    """The bytes a base64url (or base64) secret stands for; KeyFormatError saying so if it is not."""
    compact = b"".join(text.split()).replace(b"+", b"-").replace(b"/", b"_")
    try:
        material = _keys.b64url_decode(compact)
    except (ValueError, UnicodeError):
        raise KeyFormatError(
            "the secret is not base64url text", hint="untick 'secret is base64' to use it as typed"
        ) from None
    if not material:
        raise KeyFormatError("the HMAC secret is empty once base64-decoded")
    return material


def key_for_kind(
    kind: str,
    text: str,
    *,
    timeout: float = DEFAULT_JWKS_TIMEOUT,
    verify_tls: bool = True,
    secret_base64: bool = False,
) -> VerificationKey | None:
    """The key a user typed, by the kind they picked (one of `KEY_KINDS`); None for "none".

    A "jwks" text is a URL (fetched) or the key set itself pasted as JSON; a "secret" with
    `secret_base64` is base64url-decoded first.
    """
    if kind not in KEY_KINDS:
        raise InputError(f"unknown key kind {kind!r} (one of: {', '.join(KEY_KINDS)})")
    if kind == "none":
        return None
    if not text.strip():
        raise InputError(f"no {KEY_KINDS[kind]} given: paste one to verify")
    if kind == "secret":
        return VerificationKey.from_secret(text, base64=secret_base64)
    if kind == "pem":
        return VerificationKey.from_pem(text)
    if kind == "jwk":
        return VerificationKey.from_jwk(text)
    stripped = text.strip()
    if stripped.startswith("{"):
        return VerificationKey.from_jwks(stripped, source="pasted JWKS")
    return fetch_jwks(stripped, timeout=timeout, verify_tls=verify_tls)


def fetch_jwks(
    url: str, *, timeout: float = DEFAULT_JWKS_TIMEOUT, verify_tls: bool = True
) -> VerificationKey:
    """GET a JWKS over HTTP(S). Only the user names this URL; a token's ``jku`` is never fetched."""
    shown = redact_url(url)  # a query string may carry an API key: never echo its values
    body = _get_bounded(url, shown, "JWKS", timeout=timeout, verify_tls=verify_tls)
    return VerificationKey.from_jwks(body, source=shown)


def discovery_url(issuer: str) -> str | None:
    """``{iss}/.well-known/openid-configuration`` (OIDC Discovery §4), or None for an `iss`
    that is not an http(s) URL (a plain name such as "joe" has no discovery document)."""
    if not isinstance(issuer, str):
        return None
    issuer = issuer.strip()
    lowered = issuer.lower()
    if not lowered.startswith(("https://", "http://")) or any(c.isspace() for c in issuer):
        return None
    if "?" in issuer or "#" in issuer or len(issuer) > 2048:
        return None
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def discover_jwks_uri(issuer: str, *, timeout: float = DEFAULT_JWKS_TIMEOUT, verify_tls: bool = True) -> str:
    """The ``jwks_uri`` of an OpenID issuer's discovery document.

    Only on the user's request: the issuer comes from the token's ``iss``, which nobody has
    verified yet, so the answer is a suggestion the user sees before anything is checked.
    """
    url = discovery_url(issuer)
    if url is None:
        raise InputError(
            f"the issuer {_short(issuer)} is not an https:// URL, so it has no discovery document"
        )
    shown = redact_url(url)
    body = _get_bounded(url, shown, "discovery document", timeout=timeout, verify_tls=verify_tls)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ProviderResponseError(f"the discovery document at {shown} is not JSON") from None
    jwks_uri = document.get("jwks_uri") if isinstance(document, dict) else None
    if not isinstance(jwks_uri, str) or not jwks_uri.lower().startswith(("https://", "http://")):
        raise ProviderResponseError(f"the discovery document at {shown} names no http(s) jwks_uri")
    return jwks_uri


def _get_bounded(url: str, shown: str, what: str, *, timeout: float, verify_tls: bool) -> bytes:
    """GET `url` and return its 200 answer: at most 1 MiB (on the wire and decoded), within
    `timeout` overall, no redirect followed (`http.send_bounded`). The URL is the user's own and
    the request carries no credential, so any origin may answer. Anything else is one clear error."""
    if not url.lower().startswith(("https://", "http://")):
        raise InputError(f"the {what} URL must start with https:// or http:// (got {shown})")

    with make_client(timeout=timeout, verify_tls=verify_tls) as client:
        response = send_bounded(
            client,
            "GET",
            url,
            origin_check=any_origin,
            headers=[("Accept", "application/json")],
            timeout=timeout,
            max_bytes=MAX_JWKS_BYTES,
            what=f"could not fetch the {what} from {shown}",
        )
    if response.status_code != 200:
        raise ProviderResponseError(
            f"the {what} URL {shown} answered HTTP {response.status_code}", status=response.status_code
        )
    return response.content
