"""The forge: build a JWT from claims and headers and sign it (RFC 7515 / 7519).

What `workbench jwt sign` and the Inspector's editable mode share: typed ``K=V``
claims and headers, times relative to the clock (``--exp 15m``), the signing key
(a private key object or an HMAC secret, with the checks a careful signer makes)
and the compact serialisation.

The signature itself comes from PyJWT's algorithm objects (`jwt.algorithms`), the
implementation `decode --key` verifies with: this module assembles the header and
payload and checks inputs, it does not implement a signature scheme.

Refused with one line each: a payload that is not a JSON object, a key that cannot
produce the chosen ``alg``, an HMAC secret under 32 bytes (RFC 7518 §3.2 asks for the
hash's length: under that it is a warning, under 32 bytes a refusal unless
``allow_weak``), a ``crit`` header naming a parameter this signer does not implement
(RFC 7515 §4.1.11), and ``alg: none`` unless the caller explicitly allows it.
"""

from __future__ import annotations

import json
import re
import secrets as _secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import InputError, KeyFormatError, TokenFormatError
from workbench.core.jose import keys as _keys
from workbench.core.jose.inspect.compact import payload_object
from workbench.core.jose.jws import describe_key

# RFC 7518 §3.2: an HMAC key as long as the hash output, at least.
HMAC_HASH_BYTES: Mapping[str, int] = {"HS256": 32, "HS384": 48, "HS512": 64}
# Below this the secret is refused for every HS* (HS256's own minimum) unless allow_weak.
MIN_HMAC_SECRET_BYTES = 32
NONE_ALG = "none"
# Header parameters this signer implements when a token lists them in `crit`. None yet: a
# `crit` entry asks every recipient to refuse the token unless it understands the parameter,
# and signing what we cannot honour would make a token its recipients must reject.
UNDERSTOOD_CRITICAL: frozenset[str] = frozenset()
# RFC 7515 §4.1.11: names the JWS/JWA specs define may not appear in `crit`.
_REGISTERED_HEADERS = frozenset(
    {"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc", "zip"}
)
_TIME_CLAIMS = ("exp", "nbf", "iat")
MIN_EPOCH_SECONDS = 100_000_000  # 1973: a smaller bare number is a duration missing its unit
MAX_CLAIM_NAME = 256
_DURATION_RE = re.compile(r"([0-9]+)(w|d|h|min|m|s)")
_DURATION_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "min": 60, "m": 60, "s": 1}


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class SigningKey:
    """What a token is signed with: a private key object, or an HMAC secret.

    Attributes:
        material: a `cryptography` private key, or the secret's bytes (HMAC).
        label: what to call it in messages ("EC P-256 key from key.pem"); never the secret.
    """

    material: Any
    label: str

    @property
    def is_secret(self) -> bool:
        return isinstance(self.material, bytes)

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The JWS algorithms this key can produce (HMAC for a secret, the key's own otherwise)."""
        if self.is_secret:
            return _keys.HMAC_ALGORITHMS
        return _keys.algorithms_for_key(self.material)

    @property
    def default_alg(self) -> str:
        return self.algorithms[0]

    def public_jwk(self) -> dict[str, str] | None:
        """The public JWK (kid = RFC 7638 thumbprint); None for an HMAC secret."""
        if self.is_secret:
            return None
        return _keys.public_jwk(self.material)

    @property
    def thumbprint(self) -> str | None:
        """RFC 7638 thumbprint of the public key: the default `kid`. None for an HMAC secret,
        whose thumbprint would be a hash of the secret (a guessing aid for a weak one)."""
        jwk = self.public_jwk()
        return None if jwk is None else jwk["kid"]


def signing_key_from_secret(secret: bytes, *, label: str = "HMAC secret") -> SigningKey:
    if not secret:
        raise KeyFormatError("the HMAC secret is empty")
    if _keys.looks_like_asymmetric_key(secret):
        raise KeyFormatError(
            "that secret is a PEM/JWK key: a key's text is never used as an HMAC secret",
            hint="give the private key with --key FILE instead",
        )
    return SigningKey(secret, label)


def decode_secret(text: str, *, base64: bool = False) -> bytes:
    """The secret's bytes: UTF-8 text, or base64 / base64url when `base64` (``--secret-base64``)."""
    if not base64:
        return text.encode("utf-8")
    import base64 as b64
    import binascii

    cleaned = "".join(text.split())
    try:
        if "-" in cleaned or "_" in cleaned:
            return _keys.b64url_decode(cleaned)
        bare = cleaned.rstrip("=")
        return b64.b64decode(bare + "=" * (-len(bare) % 4), validate=True)
    except (ValueError, binascii.Error):
        raise InputError("the secret is not valid base64 (drop --secret-base64 for a text secret)") from None


def signing_key_from_text(text: str | bytes, *, source: str) -> SigningKey:
    """A private key from PEM or JWK text; a JWK of kty ``oct`` gives an HMAC secret."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    stripped = raw.strip()
    if stripped.startswith("{"):
        jwk = _keys.parse_jwk_json(stripped)
        if jwk.get("kty") == "oct":
            k = jwk.get("k")
            if not isinstance(k, str) or not k:
                raise KeyFormatError(f"the oct JWK in {source} has no 'k' member")
            try:
                secret = _keys.b64url_decode(k)
            except ValueError:
                raise KeyFormatError(f"the oct JWK in {source} has a 'k' that is not base64url") from None
            return signing_key_from_secret(secret, label=f"oct JWK secret from {source}")
        if "d" not in jwk:
            raise KeyFormatError(
                f"{source} holds a public JWK; signing needs the private key (with 'd')",
                hint="give the private key's PEM or JWK",
            )
    elif "-----BEGIN" in stripped and "PRIVATE KEY" not in stripped:
        raise KeyFormatError(
            f"{source} holds a public key or certificate; signing needs the private key",
            hint="give the private key's PEM (-----BEGIN PRIVATE KEY-----)",
        )
    key = _keys.load_private_key(stripped)

    return SigningKey(key, f"{describe_key(key)} from {source}")


# --------------------------------------------------------------------------- K=V, times


def parse_assignment(text: str, *, what: str) -> tuple[str, Any]:
    """``K=V`` with a typed value: V is read as JSON when it is JSON (42, 1.5, true, null,
    [..], {..}, "quoted"), otherwise it is the string as written."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InputError(f"{what} {_shown(text)} is not K=V", hint=f"write {what} name=value")
    if len(name) > MAX_CLAIM_NAME:
        raise InputError(f"a {what} name is longer than {MAX_CLAIM_NAME} characters")
    return name, typed_value(value)


def typed_value(value: str) -> Any:
    stripped = value.strip()
    if stripped[:1] in ('"', "[", "{") or stripped in ("true", "false", "null") or _looks_numeric(stripped):
        try:
            return json.loads(stripped, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            if stripped[:1] in ("[", "{"):
                raise InputError(
                    f"the value {_shown(value)} starts like JSON but is not valid JSON"
                ) from None
    return value


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?", text))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _shown(text: str, limit: int = 40) -> str:
    shown = text if len(text) <= limit else text[:limit] + "…"
    return repr(shown)


def parse_time(value: str | int | float, *, now: float, what: str) -> int | None:
    """A NumericDate from ``now``, a signed duration (``15m``, ``-1h30m``, ``+2d``; units
    s, m/min, h, d, w), or whole seconds since the epoch (``1700000000``). ``none`` omits it."""
    if isinstance(value, bool):
        raise InputError(f"{what} must be a time, not a boolean")
    if isinstance(value, int | float):
        return int(value)
    text = value.strip().lower()
    if text == "none":
        return None
    if text == "now":
        return int(now)
    if re.fullmatch(r"[0-9]{1,12}", text):
        if int(text) < MIN_EPOCH_SECONDS:  # `--exp 900` means 15 minutes to its writer, not 1970
            raise InputError(
                f"{what} {_shown(value)} is a bare number: a length of time needs a unit",
                hint=f"write {text}s for seconds from now, or a full epoch time (10 digits)",
            )
        return int(text)
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body and _DURATION_RE.sub("", body) == "":
        seconds = sum(int(n) * _DURATION_SECONDS[u] for n, u in _DURATION_RE.findall(body))
        if seconds > 200 * 365 * 86400:
            raise InputError(f"{what} {_shown(value)} is more than 200 years away")
        return int(now) + sign * seconds
    raise InputError(
        f"{what} {_shown(value)} is not a time",
        hint="use now, a duration such as 15m, -5m, 1h30m, 2d, or seconds since the epoch",
    )


# --------------------------------------------------------------------------- the token


@dataclass(frozen=True, kw_only=True)
class TokenSpec:
    """Everything a token is built from, before a key is applied.

    Times are strings as the user writes them (``now``, ``15m``, ``-5m``, an epoch) and
    are read against the clock when the token is signed. `iat` defaults to now unless the
    payload carries one; ``iat="none"`` leaves it out.
    """

    payload: Mapping[str, Any] = field(default_factory=dict)
    claims: Sequence[tuple[str, Any]] = ()
    headers: Sequence[tuple[str, Any]] = ()
    alg: str | None = None
    exp: str | None = None
    nbf: str | None = None
    iat: str | None = None
    iss: str | None = None
    sub: str | None = None
    aud: Sequence[str] = ()
    jti: str | None = None  # "auto": a random identifier
    allow_weak: bool = False
    allow_none: bool = False


@dataclass(frozen=True)
class ForgedToken:
    """A signed token and what went into it.

    Attributes:
        header / payload: exactly what was serialised.
        token: the compact serialisation.
        warnings: things worth saying that did not stop the signing (a short secret).
    """

    header: dict[str, Any]
    payload: dict[str, Any]
    token: str
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"header": self.header, "payload": self.payload, "token": self.token}


def payload_from_text(text: str | bytes, *, source: str) -> dict[str, Any]:
    """A JSON object from a payload file or stdin; anything else is a one-line error."""

    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if not raw.strip():
        return {}
    try:
        return payload_object(raw.strip())
    except TokenFormatError as exc:
        detail = str(exc).removeprefix("the payload ")
        raise InputError(f"the payload from {source} is not a JSON object: it {detail}") from None


def parse_json_object(text: str, *, what: str) -> dict[str, Any]:
    """An edited header or payload: a JSON object, or one line saying where it is not (the
    Inspector's editable mode validates as the user types)."""

    try:
        return payload_object(text.encode("utf-8", "surrogatepass"))
    except (TokenFormatError, UnicodeEncodeError) as exc:
        detail = str(exc).removeprefix("the payload ")
        raise InputError(f"the {what} {detail}") from None


def with_claim(payload: Mapping[str, Any], assignment: str) -> dict[str, Any]:
    """`payload` with one claim set from ``K=V`` (typed as `--claim` is): "change one claim"."""
    name, value = parse_assignment(assignment, what="claim")
    return {**payload, name: value}


def build_claims(spec: TokenSpec, *, now: float) -> dict[str, Any]:
    """The payload: file/stdin object, then ``--claim``s, then the named flags (later wins)."""
    claims: dict[str, Any] = dict(spec.payload)
    for name, value in spec.claims:
        claims[name] = value
    if spec.iss is not None:
        claims["iss"] = spec.iss
    if spec.sub is not None:
        claims["sub"] = spec.sub
    if spec.aud:
        claims["aud"] = spec.aud[0] if len(spec.aud) == 1 else list(spec.aud)
    if spec.jti is not None:
        claims["jti"] = _secrets.token_urlsafe(16) if spec.jti == "auto" else spec.jti
    iat_text = spec.iat if spec.iat is not None else (None if "iat" in claims else "now")
    if iat_text is not None:
        iat = parse_time(iat_text, now=now, what="iat")
        _put_time(claims, "iat", iat)
    iat_claim = claims.get("iat")
    base = iat_claim if isinstance(iat_claim, int) and not isinstance(iat_claim, bool) else int(now)
    for name, text in (("nbf", spec.nbf), ("exp", spec.exp)):
        if text is not None:
            # Relative times count from iat when the token has one: `--iat -1h --exp 15m`
            # makes a token that expired 45 minutes ago, as the flags read.
            _put_time(claims, name, parse_time(text, now=float(base), what=name))
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(
                f"the {name} claim must be a number (seconds since the epoch), not {_shown(str(value))}"
            )
    return claims


def _put_time(claims: dict[str, Any], name: str, value: int | None) -> None:
    if value is None:
        claims.pop(name, None)
    else:
        claims[name] = value


def build_header(spec: TokenSpec, key: SigningKey | None, alg: str) -> dict[str, Any]:
    """``alg``, ``typ: JWT``, ``kid`` (the key's RFC 7638 thumbprint), then ``--header``s."""
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if key is not None and key.thumbprint is not None:
        header["kid"] = key.thumbprint
    for name, value in spec.headers:
        if name == "alg":
            raise InputError("set the algorithm with --alg, not --header alg=…")
        if value is None:
            header.pop(name, None)  # `--header kid=null` leaves a default out
        else:
            header[name] = value
    check_crit(header)
    return header


def check_crit(header: Mapping[str, Any]) -> None:
    """RFC 7515 §4.1.11: `crit` is a non-empty list of extension parameters that are present
    in the header and that this signer implements."""
    if "crit" not in header:
        return
    crit = header["crit"]
    if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
        raise InputError(
            "the crit header must be a non-empty JSON list of header names, e.g. crit='[\"exp\"]'"
        )
    for name in crit:
        if name in _REGISTERED_HEADERS:
            raise InputError(f"crit lists {name!r}, a parameter JWS defines itself; RFC 7515 forbids that")
        if name not in header:
            raise InputError(f"crit lists {name!r}, but the header has no {name!r} parameter")
        if name not in UNDERSTOOD_CRITICAL:
            raise InputError(
                f"crit lists {name!r}, an extension this signer does not implement: every recipient "
                "would have to refuse the token",
                hint="leave crit out, or name only extensions the signer implements",
            )


def choose_alg(spec: TokenSpec, key: SigningKey | None) -> str:
    if spec.alg is not None and spec.alg.lower() == NONE_ALG:
        if not spec.allow_none:
            raise InputError(
                "alg none makes an unsigned token that any API must refuse",
                hint="tick 'allow alg none' (--allow-none) if that is what you are testing",
            )
        return NONE_ALG
    if key is None:
        raise InputError("no signing key given", hint="use --key FILE, --profile NAME or --secret …")
    alg = spec.alg or key.default_alg
    if alg not in _keys.SIGNING_ALGORITHMS:
        raise InputError(
            f"unsupported signing algorithm {_keys.shown_alg(alg)}",
            hint=f"use one of {', '.join(_keys.SIGNING_ALGORITHMS)}",
        )
    if alg not in key.algorithms:
        raise KeyFormatError(
            f"the {key.label} cannot sign {alg} (it signs {', '.join(key.algorithms)})",
            hint=f"use --alg {key.algorithms[0]}, or a key made for {alg}",
        )
    return alg


def _secret_warnings(alg: str, key: SigningKey, allow_weak: bool) -> tuple[str, ...]:
    size = len(key.material)
    wanted = HMAC_HASH_BYTES[alg]
    if size >= wanted:
        return ()
    if size < MIN_HMAC_SECRET_BYTES and not allow_weak:
        raise KeyFormatError(
            f"the HMAC secret is {size} bytes; {alg} needs at least {MIN_HMAC_SECRET_BYTES} "
            f"(RFC 7518 §3.2 asks for {wanted})",
            hint="use a longer secret, or --allow-weak to sign a test token with this one",
        )
    return (f"the HMAC secret is {size} bytes, shorter than {alg}'s hash ({wanted} bytes, RFC 7518 §3.2)",)


def encode_segment(value: Mapping[str, Any]) -> str:
    """Compact JSON, base64url: what RFC 7515's examples call BASE64URL(UTF8(JSON))."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _keys.b64url_encode(text.encode("utf-8"))


def sign_segments(header_b64: str, payload_b64: str, alg: str, key: SigningKey | None) -> str:
    """The compact JWS of already-encoded segments, signed by PyJWT's algorithm object for
    `alg` (``none``: an empty signature). The RFC examples reproduce through this."""
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    if alg == NONE_ALG:
        return f"{header_b64}.{payload_b64}."
    if key is None:
        raise InputError("no signing key given")
    from jwt.algorithms import get_default_algorithms
    from jwt.exceptions import InvalidKeyError

    algorithm = get_default_algorithms().get(alg)
    if algorithm is None:  # pragma: no cover - SIGNING_ALGORITHMS ⊂ PyJWT's defaults
        raise InputError(f"PyJWT has no {alg} algorithm")
    try:
        prepared = algorithm.prepare_key(key.material)
        signature = algorithm.sign(signing_input, prepared)
    except (InvalidKeyError, ValueError, TypeError) as exc:
        raise KeyFormatError(f"the {key.label} cannot sign {alg} ({type(exc).__name__})") from None
    return f"{header_b64}.{payload_b64}.{_keys.b64url_encode(signature)}"


def sign_token(spec: TokenSpec, key: SigningKey | None, *, now: float) -> ForgedToken:
    """Build the header and payload from `spec` and sign them with `key`."""
    alg = choose_alg(spec, key)
    warnings: tuple[str, ...] = ()
    if key is not None and alg in _keys.HMAC_ALGORITHMS:
        warnings = _secret_warnings(alg, key, spec.allow_weak)
    header = build_header(spec, key if alg != NONE_ALG else None, alg)
    payload = build_claims(spec, now=now)
    try:
        header_b64, payload_b64 = encode_segment(header), encode_segment(payload)
    except ValueError:
        raise InputError("a claim holds a number JSON cannot carry (NaN or infinity)") from None
    token = sign_segments(header_b64, payload_b64, alg, key if alg != NONE_ALG else None)
    return ForgedToken(header=header, payload=payload, token=token, warnings=warnings)


def resign(
    header: Mapping[str, Any],
    payload: Mapping[str, Any],
    key: SigningKey | None,
    *,
    allow_weak: bool = False,
    allow_none: bool = False,
) -> ForgedToken:
    """Sign an edited header and payload as they are (the Inspector's editable mode): the
    header's own ``alg`` is used, no claim is added or changed."""
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise InputError('the header needs an alg (a string such as "ES256")')
    spec = TokenSpec(alg=alg, allow_weak=allow_weak, allow_none=allow_none)
    alg = choose_alg(spec, key)
    warnings: tuple[str, ...] = ()
    if key is not None and alg in _keys.HMAC_ALGORITHMS:
        warnings = _secret_warnings(alg, key, allow_weak)
    check_crit(header)
    try:
        header_b64, payload_b64 = encode_segment(header), encode_segment(payload)
    except ValueError:
        raise InputError("a claim holds a number JSON cannot carry (NaN or infinity)") from None
    token = sign_segments(header_b64, payload_b64, alg, key if alg != NONE_ALG else None)
    return ForgedToken(header=dict(header), payload=dict(payload), token=token, warnings=warnings)
