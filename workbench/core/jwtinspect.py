"""Look inside a JWT without trusting it, and check it with a key when given one.

Decoding never trusts the token: header fields that point at keys (``jku``,
``x5u``, an embedded ``jwk``) are reported, never fetched or used. Verification
uses only the key the *user* supplied, with an algorithm allow-list derived
from that key's type, so neither ``alg: none`` nor the HS256-with-a-public-key
confusion can pass:

=========================  ===============================
key                        algorithms it may verify
=========================  ===============================
HMAC secret / ``oct`` JWK   HS256, HS384, HS512
EC P-256 / P-384 / P-521    ES256 / ES384 / ES512
RSA                         RS256/384/512, PS256/384/512
Ed25519 / Ed448 (OKP)       EdDSA
=========================  ===============================

``signature_valid`` is only about the signature. Time claims (``exp``, ``nbf``,
``iat``) are interpreted separately and reported as warnings, so an expired
token with a good signature says exactly that.

Every malformed input raises `TokenFormatError` with a sentence that says what
is wrong; nothing else escapes `decode_unverified` / `inspect_token` for bad
input (a hypothesis fuzz test holds us to it).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core import keys as _keys
from workbench.core.errors import (
    InputError,
    KeyFormatError,
    NetworkError,
    NetworkTimeoutError,
    ProviderResponseError,
    TokenFormatError,
)
from workbench.core.redact import redact, redact_url

MAX_TOKEN_BYTES = 64 * 1024
# Real JWTs nest a few levels at most. The cap keeps printing and walking the
# claims far away from Python's recursion limit.
MAX_JSON_DEPTH = 64
MAX_JWKS_BYTES = 1024 * 1024
DEFAULT_JWKS_TIMEOUT = 10.0

LONG_LIFETIME_SECONDS = 24 * 3600
# RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
MIN_HMAC_SECRET_BYTES: Mapping[str, int] = {"HS256": 32, "HS384": 48, "HS512": 64}

_SEGMENT_NAMES = ("header", "payload", "signature")
_B64URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_B64URL_TEXT = re.compile(r"[A-Za-z0-9_-]*")
_NONE_ALGS = frozenset({"none"})
# Characters that have no business in a key id and hint at path traversal,
# SQL or shell injection against servers that use the kid to look up a key.
_SUSPICIOUS_KID = re.compile(r"""\.\.|[/\\'";`|$<>{}\x00-\x1f\x7f]|--|/\*|\*/|%2e|%2f|%5c""", re.IGNORECASE)
# A JWT in free text: two base64url segments that decode to JSON objects
# (so they start with "ey", "ew" or "e3": base64 of '{"' / '{ ' / '{\n' / '{}'), then a signature.
_JWT_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9_\-])e[yw3][A-Za-z0-9_\-]*={0,2}\.e[yw3][A-Za-z0-9_\-]*={0,2}\.[A-Za-z0-9_\-]*={0,2}"
)
_BEARER_PREFIX = re.compile(r"^(?:authorization\s*:\s*)?bearer\s+", re.IGNORECASE)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TokenWarning:
    """Something worth knowing about a token. `code` is stable (scripts match on it)."""

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Inspection:
    """Everything `inspect_token` learned. Times are aware UTC datetimes."""

    token: str = field(repr=False)
    header: dict[str, Any]
    payload: dict[str, Any]
    alg: str | None
    signature_valid: bool | None  # None: no key was given
    signature_error: str | None  # why it is False
    expires_at: datetime | None
    issued_at: datetime | None
    not_before: datetime | None
    expired: bool | None  # None: the token has no exp
    lifetime: float | None  # exp - iat, seconds
    warnings: list[TokenWarning]
    checked_at: float = 0.0  # the "now" used for expired / relative times
    verified_with: str | None = None  # which key checked the signature ("HMAC secret", "JWKS key kid 'k1'")

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]

    def expires_in(self) -> float | None:
        """Seconds until exp from `checked_at` (negative once expired)."""
        if self.expires_at is None:
            return None
        return self.expires_at.timestamp() - self.checked_at

    def to_json(self) -> dict[str, Any]:
        """The exact ``workbench decode --json`` shape (a public contract)."""
        return {
            "header": self.header,
            "payload": self.payload,
            "alg": self.alg,
            "signature_valid": self.signature_valid,
            "expires_at": iso_utc(self.expires_at),
            "issued_at": iso_utc(self.issued_at),
            "expired": self.expired,
            "warnings": [w.to_json() for w in self.warnings],
        }


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` ("2011-03-22T18:43:00Z"), or None."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def humanize_relative(seconds: float) -> str:
    """A moment relative to now: "in 14 min", "3 h ago", "in 45 s", "2 d ago", "now"."""
    if abs(seconds) < 1:
        return "now"
    amount = humanize_duration(seconds)
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def humanize_duration(seconds: float) -> str:
    """A length of time in one unit: "45 s", "14 min", "3 h", "2 d", "13 y".

    Rounded to whole seconds first (839.6 s is "14 min", not "13 min"), then down to the unit.
    """
    s = float(round(abs(seconds)))
    if s < 60:
        return f"{int(s)} s"
    if s < 3600:
        return f"{int(s // 60)} min"
    if s < 86400:
        return f"{int(s // 3600)} h"
    if s < 2 * 365.25 * 86400:
        return f"{int(s // 86400)} d"
    return f"{int(s // (365.25 * 86400))} y"


# --------------------------------------------------------------------------- decoding


def normalize_token(text: str) -> str:
    """What the user pasted, minus the wrapping: whitespace, ``Bearer ``, surrounding quotes."""
    text = text.strip()
    text = _BEARER_PREFIX.sub("", text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    # A JWT never contains whitespace; a token pasted from a wrapped terminal does.
    return "".join(text.split())


def _split(token: str) -> list[str]:
    if not isinstance(token, str):
        raise TokenFormatError("the token must be text")
    if not token:
        raise TokenFormatError("the token is empty")
    size = len(token.encode("utf-8", "surrogatepass"))
    if size > MAX_TOKEN_BYTES:
        raise TokenFormatError(f"the token is {size} bytes; the limit is {MAX_TOKEN_BYTES} (64 KiB)")
    parts = token.split(".")
    if len(parts) == 3:
        return parts
    if len(parts) == 5:
        raise TokenFormatError(
            "this is an encrypted JWT (JWE, 5 segments); only its recipient's private key can open it"
        )
    if len(parts) == 1:
        raise TokenFormatError(
            "not a JWT: expected header.payload.signature (3 dot-separated segments), found no dots"
        )
    raise TokenFormatError(
        f"not a JWT: expected 3 dot-separated segments (header.payload.signature), found {len(parts)}"
    )


def _b64url_segment(segment: str, name: str) -> bytes:
    stripped = segment.rstrip("=")
    if len(segment) - len(stripped) > 2:
        raise TokenFormatError(f"the {name} segment is not valid base64url (too much '=' padding)")
    if not _B64URL_TEXT.fullmatch(stripped):
        index, char = next((i, c) for i, c in enumerate(stripped) if c not in _B64URL_CHARS)
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        raise TokenFormatError(
            f"the {name} segment is not valid base64url (character {shown} at position {index + 1})"
        )
    if len(stripped) % 4 == 1:
        raise TokenFormatError(f"the {name} segment is not valid base64url (its length is impossible)")
    return _keys.b64url_decode(stripped)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_object(raw: bytes, name: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenFormatError(f"the {name} does not decode to UTF-8 text, so it is not JSON") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise TokenFormatError(f"the {name} JSON is nested too deeply to be a JWT") from None
    except json.JSONDecodeError as exc:
        raise TokenFormatError(
            f"the {name} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except ValueError as exc:  # NaN/Infinity, integers beyond Python's digit limit
        reason = str(exc) if "not valid JSON" in str(exc) else "a number in it is too large"
        raise TokenFormatError(f"the {name} is not valid JSON ({reason})") from None
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
            type(value), "null"
        )
        raise TokenFormatError(f"the {name} is {kind}, not a JSON object")
    if _depth(value) > MAX_JSON_DEPTH:
        raise TokenFormatError(f"the {name} JSON is nested too deeply to be a JWT (limit {MAX_JSON_DEPTH})")
    return value


def _depth(value: Any) -> int:
    """Nesting depth, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    parts = _split(token)
    header = _json_object(_b64url_segment(parts[0], "header"), "header")
    payload = _json_object(_b64url_segment(parts[1], "payload"), "payload")
    _b64url_segment(parts[2], "signature")
    return header, payload, parts


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a JWS-compact JWT, without checking anything. Raises TokenFormatError."""
    header, payload, _ = _decode(normalize_token(token) if isinstance(token, str) else token)
    return header, payload


def looks_like_jwt(text: str) -> bool:
    """True when `text` (after trimming, ``Bearer `` removed) is a decodable JWT."""
    if not isinstance(text, str):
        return False
    candidate = normalize_token(text)
    if candidate.count(".") != 2 or not candidate.startswith(("ey", "ew", "e3")):
        return False
    try:
        _decode(candidate)
    except TokenFormatError:
        return False
    return True


def find_jwt(text: str) -> str | None:
    """The first JWT in a response body: any string in a JSON document, or anywhere in raw text.

    In JSON, a string under a key that mentions "access" (or is "token"/"jwt") wins
    over one under a "refresh" key, which loses to everything; otherwise document
    order decides. Every candidate is validated by decoding it.
    """
    if not isinstance(text, str) or not text:
        return None
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"'):
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError):
            document = None
        if document is not None:
            best: tuple[int, int, str] | None = None
            for order, (path, value) in enumerate(_json_strings(document)):
                token = _jwt_in_string(value)
                if token is None:
                    continue
                rank = _rank_path(path)
                if best is None or (rank, order) < best[:2]:
                    best = (rank, order, token)
                    if rank == 0:
                        break
            if best is not None:
                return best[2]
    return _jwt_in_string(text)


def _jwt_in_string(value: str) -> str | None:
    if looks_like_jwt(value):
        return normalize_token(value)
    for match in _JWT_IN_TEXT.finditer(value):
        candidate = match.group(0)
        try:
            _decode(candidate)
        except TokenFormatError:
            continue
        return candidate
    return None


def _json_strings(document: Any) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path, string) for every string in a JSON document, in document order, iteratively."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    seen = 0
    while stack:
        path, value = stack.pop()
        seen += 1
        if seen > 100_000:
            return
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            stack.extend(reversed([((*path, str(k)), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(path, v) for v in value]))


def _rank_path(path: tuple[str, ...]) -> int:
    names = [p.lower() for p in path]
    if any("refresh" in n for n in names):
        return 3
    last = names[-1] if names else ""
    if "access" in last or last in ("token", "jwt", "accesstoken", "bearer"):
        return 0
    if last in ("id_token", "idtoken"):
        return 1  # an OpenID identity token is a JWT too, but not the one to send
    return 2


# --------------------------------------------------------------------------- keys


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
    def from_secret(cls, secret: str | bytes, *, source: str = "") -> VerificationKey:
        if not isinstance(secret, str | bytes) or not secret:
            raise KeyFormatError("the HMAC secret is empty")
        if _keys.looks_like_asymmetric_key(secret):
            raise KeyFormatError(
                "that secret is a PEM/JWK key; a public or private key is never used as an HMAC secret",
                hint="pass key files with --key or --jwks",
            )
        material = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        return cls("secret", source, (_Candidate("HMAC secret", material, _keys.HMAC_ALGORITHMS, True),))

    @classmethod
    def from_pem(cls, data: str | bytes, *, source: str = "") -> VerificationKey:
        key = _keys.load_public_key(data)
        label = _keys.describe_key(key)
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
        label, material, is_secret = f"{_keys.describe_key(key)}{label_kid}", key, False
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


def fetch_jwks(
    url: str, *, timeout: float = DEFAULT_JWKS_TIMEOUT, verify_tls: bool = True
) -> VerificationKey:
    """GET a JWKS over HTTP(S). Only the user names this URL; a token's ``jku`` is never fetched."""
    shown = redact_url(url)  # a query string may carry an API key: never echo its values
    if not url.lower().startswith(("https://", "http://")):
        raise InputError(f"the JWKS URL must start with https:// or http:// (got {shown})")
    import httpx

    try:
        client = httpx.Client(timeout=timeout, verify=verify_tls, follow_redirects=True, max_redirects=5)
        with client:
            with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise KeyFormatError(f"the JWKS at {shown} is over 1 MiB; that is not a key set")
                status = response.status_code
    except httpx.TimeoutException:
        raise NetworkTimeoutError(f"the JWKS at {shown} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise NetworkError(f"could not fetch the JWKS from {shown} ({exc.__class__.__name__})") from None
    if status != 200:
        raise ProviderResponseError(f"the JWKS URL {shown} answered HTTP {status}", status=status)
    return VerificationKey.from_jwks(bytes(body), source=shown)


# --------------------------------------------------------------------------- inspection


def inspect_token(token: str, *, key: VerificationKey | None = None, now: float | None = None) -> Inspection:
    """Decode `token`, check its signature with `key` (if given) and interpret its claims.

    Raises TokenFormatError for malformed tokens. A bad signature is not an error:
    it is ``signature_valid=False`` with ``signature_error`` saying why.
    """
    token = normalize_token(token) if isinstance(token, str) else token
    header, payload, parts = _decode(token)
    checked_at = time.time() if now is None else float(now)
    warnings: list[TokenWarning] = []

    raw_alg = header.get("alg")
    alg = raw_alg if isinstance(raw_alg, str) else None
    warnings.extend(_header_warnings(header, raw_alg))

    signature_valid: bool | None = None
    signature_error: str | None = None
    verified_with: str | None = None
    if key is not None:
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        signature = _keys.b64url_decode(parts[2])
        signature_valid, signature_error, verified_with = _verify(header, alg, signing_input, signature, key)
        weak = _weak_secret_warning(key, alg)
        if weak is not None:
            warnings.append(weak)

    times = _interpret_times(payload, checked_at)
    warnings.extend(times.warnings)
    return Inspection(
        token=token,
        header=header,
        payload=payload,
        alg=alg,
        signature_valid=signature_valid,
        signature_error=signature_error,
        expires_at=times.expires_at,
        issued_at=times.issued_at,
        not_before=times.not_before,
        expired=times.expired,
        lifetime=times.lifetime,
        warnings=warnings,
        checked_at=checked_at,
        verified_with=verified_with,
    )


def _verify(
    header: Mapping[str, Any], alg: str | None, signing_input: bytes, signature: bytes, key: VerificationKey
) -> tuple[bool, str | None, str | None]:
    if alg is None or alg.lower() in _NONE_ALGS:
        return False, "the token is unsigned (alg none); an unsigned token is never valid", None
    candidates, problem = key._candidates_for(header, alg)
    if problem is not None:
        return False, problem, None
    mismatches: list[str] = []
    for candidate in candidates:
        if alg not in candidate.algorithms:
            mismatches.append(f"the {candidate.label} verifies only {', '.join(candidate.algorithms)}")
            continue
        # Belt and braces (PyJWT refuses this too): an asymmetric key's text is never an HMAC secret.
        if alg in _keys.HMAC_ALGORITHMS and (
            not candidate.is_secret
            or not isinstance(candidate.material, bytes)
            or _keys.looks_like_asymmetric_key(candidate.material)
        ):
            mismatches.append(f"{alg} needs a shared secret, and the {candidate.label} is not one")
            continue
        if _pyjwt_verify(alg, candidate.material, signing_input, signature):
            return True, None, candidate.label
        if len(candidates) == 1:
            return False, f"the signature does not match the {candidate.label}", None
    if mismatches and len(mismatches) == len(candidates):
        return False, f"the token is signed with {alg}, but {mismatches[0]}", None
    return False, f"the signature matches none of the {len(candidates)} keys tried", None


def _pyjwt_verify(alg: str, material: Any, signing_input: bytes, signature: bytes) -> bool:
    """Signature check only (no claims), through PyJWT's algorithm implementations."""
    from jwt.algorithms import get_default_algorithms
    from jwt.exceptions import InvalidKeyError, PyJWTError

    algorithm = get_default_algorithms().get(alg)
    if algorithm is None:
        return False
    try:
        prepared = algorithm.prepare_key(material)
        return bool(algorithm.verify(signing_input, prepared, signature))
    except (InvalidKeyError, PyJWTError, ValueError, TypeError):
        return False


def _weak_secret_warning(key: VerificationKey, alg: str | None) -> TokenWarning | None:
    secrets = [c for c in key.candidates if c.is_secret]
    if not secrets:
        return None
    length = len(secrets[0].material)
    needed = MIN_HMAC_SECRET_BYTES.get(alg or "", 32)
    if length >= needed:
        return None
    name = alg if alg in MIN_HMAC_SECRET_BYTES else "HMAC"
    return TokenWarning(
        "weak-hmac-secret",
        f"The HMAC secret is only {length} bytes; {name} needs at least {needed} random bytes "
        "(RFC 7518 §3.2), or it can be brute-forced offline from any token.",
    )


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header_warnings(header: Mapping[str, Any], raw_alg: Any) -> list[TokenWarning]:
    found: list[TokenWarning] = []
    if raw_alg is None:
        found.append(
            TokenWarning(
                "alg-none",
                "The header has no alg, so nothing says how it is signed: treat it as unsigned.",
            )
        )
    elif not isinstance(raw_alg, str):
        found.append(
            TokenWarning("alg-none", "The header's alg is not a string: treat the token as unsigned.")
        )
    elif raw_alg.lower() in _NONE_ALGS:
        found.append(
            TokenWarning(
                "alg-none",
                f'The token is unsigned (alg "{raw_alg}"): anyone can forge it; it must never be accepted.',
            )
        )
    if "jku" in header:
        found.append(
            TokenWarning(
                "jku-header",
                f"The header points at its own key set (jku {_short(redact(str(header['jku'])))}); "
                "it was not fetched: a verifier must never trust keys the token names itself.",
            )
        )
    if "x5u" in header:
        found.append(
            TokenWarning(
                "x5u-header",
                f"The header points at a certificate URL (x5u {_short(redact(str(header['x5u'])))}); "
                "it was not fetched: a verifier must never trust keys the token names itself.",
            )
        )
    if "jwk" in header:
        found.append(
            TokenWarning(
                "jwk-header",
                "The header embeds its own public key (jwk), which was ignored: "
                "a token cannot vouch for itself.",
            )
        )
    if "x5c" in header:
        found.append(
            TokenWarning(
                "x5c-header",
                "The header carries a certificate chain (x5c); it was not used to verify anything.",
            )
        )
    if "kid" in header:
        kid = header["kid"]
        if not isinstance(kid, str):
            found.append(TokenWarning("suspicious-kid", f"The kid is not a string ({_short(kid)})."))
        elif _SUSPICIOUS_KID.search(kid):
            found.append(
                TokenWarning(
                    "suspicious-kid",
                    f"The kid {_short(kid)} contains path, quote or SQL characters; a server that uses "
                    "the kid in a file path or a query could be attacked through it.",
                )
            )
    if "crit" in header:
        found.append(
            TokenWarning(
                "crit-header",
                f"The header marks extensions as critical (crit {_short(header['crit'])}); a verifier "
                "that does not implement them must reject the token.",
            )
        )
    return found


@dataclass(frozen=True)
class _Times:
    expires_at: datetime | None
    issued_at: datetime | None
    not_before: datetime | None
    expired: bool | None
    lifetime: float | None
    warnings: list[TokenWarning]


def _numeric_date(payload: Mapping[str, Any], claim: str, warnings: list[TokenWarning]) -> float | None:
    if claim not in payload:
        return None
    value = payload[claim]
    if isinstance(value, bool) or not isinstance(value, int | float):
        warnings.append(
            TokenWarning(
                "bad-time-claim", f"The {claim} claim is not a number of seconds ({_short(value)}); ignored."
            )
        )
        return None
    try:
        seconds = float(value)
        datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        warnings.append(TokenWarning("bad-time-claim", f"The {claim} claim is not a usable date; ignored."))
        return None
    return seconds


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def format_moment(moment: datetime) -> str:
    """"2011-03-22 18:43:00 UTC" for people (the JSON output uses `iso_utc`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _interpret_times(payload: Mapping[str, Any], now: float) -> _Times:
    warnings: list[TokenWarning] = []
    exp = _numeric_date(payload, "exp", warnings)
    iat = _numeric_date(payload, "iat", warnings)
    nbf = _numeric_date(payload, "nbf", warnings)

    expired: bool | None = None
    lifetime: float | None = None
    if exp is None:
        if "exp" not in payload:
            warnings.append(
                TokenWarning(
                    "no-exp", "The token has no exp claim: it never expires unless the server tracks it."
                )
            )
    else:
        expired = now >= exp
        if expired:
            warnings.append(
                TokenWarning(
                    "expired",
                    f"The token expired {humanize_relative(exp - now)} ({format_moment(_when(exp))}).",
                )
            )
        if iat is not None:
            lifetime = exp - iat
        span = lifetime if lifetime is not None else exp - now
        if span > LONG_LIFETIME_SECONDS:
            what = "lives" if lifetime is not None else "stays valid for"
            warnings.append(
                TokenWarning(
                    "long-lifetime",
                    f"The token {what} {humanize_duration(span)} (more than 24 h); "
                    "a leaked copy stays useful that long.",
                )
            )
    if nbf is not None and nbf > now:
        warnings.append(
            TokenWarning(
                "not-yet-valid",
                f"The token is not valid before {format_moment(_when(nbf))} "
                f"({humanize_relative(nbf - now)}).",
            )
        )
    return _Times(
        expires_at=_when(exp) if exp is not None else None,
        issued_at=_when(iat) if iat is not None else None,
        not_before=_when(nbf) if nbf is not None else None,
        expired=expired,
        lifetime=lifetime,
        warnings=warnings,
    )
