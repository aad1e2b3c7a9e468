"""JSON Web Encryption (RFC 7516): encrypt a payload or a token for a recipient, and open one.

PyJWT has no JWE, and writing key agreement and key wrapping by hand is how subtle
bugs are born, so this module is a thin layer over **joserfc** (the JOSE library of
the Authlib project). Why joserfc rather than jwcrypto:

* it is already in the environment (Authlib, which the OAuth tests use, depends on it),
  so it adds no second JOSE stack to audit and no new transitive dependency;
* it is typed (``py.typed``), has one registry per call with an explicit algorithm
  allow-list (we pass ours; nothing outside it is ever accepted), and refuses unknown
  ``crit`` headers itself;
* its DEFLATE (``zip: DEF``) decompression is bounded (250 KiB), so a compressed
  JWE cannot expand into a memory bomb; jwcrypto bounds it too, but only by a global;
* it builds on `cryptography`, as the rest of the product does, and is maintained
  (releases through 2026).

What we encrypt with (the issue's list): ``RSA-OAEP-256``, ``ECDH-ES`` and
``ECDH-ES+A256KW`` (EC P-256/384/521, X25519), ``A256KW`` and ``dir``, each with
``A256GCM`` or ``A128CBC-HS256``. Decryption also opens the other key-management and
content algorithms of RFC 7518 that RFC 7520's examples use (``RSA-OAEP``, the
A128/A192 key wraps, AES-GCM key wrap, the other GCM/CBC sizes). Never accepted:
``RSA1_5`` (padding-oracle prone, deprecated) and ``PBES2-*`` (a token chooses the
iteration count: one header can cost minutes of CPU).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import InputError, KeyFormatError, TokenFormatError
from workbench.core.jose import keys as _keys

ENCRYPTION_ALGORITHMS: tuple[str, ...] = ("RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW", "A256KW", "dir")
CONTENT_ENCRYPTIONS: tuple[str, ...] = ("A256GCM", "A128CBC-HS256")
DEFAULT_ENC = "A256GCM"
DECRYPTION_ALGORITHMS: tuple[str, ...] = (
    *ENCRYPTION_ALGORITHMS,
    "RSA-OAEP",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "A128KW",
    "A192KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
)
DECRYPTION_ENCRYPTIONS: tuple[str, ...] = (
    "A128GCM",
    "A192GCM",
    "A256GCM",
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
)
REFUSED_ALGORITHMS: Mapping[str, str] = {
    "RSA1_5": "RSA1_5 is deprecated (a padding oracle lets an attacker decrypt); use RSA-OAEP-256",
    "PBES2-HS256+A128KW": "PBES2 lets the token choose the iteration count; it is not opened here",
    "PBES2-HS384+A192KW": "PBES2 lets the token choose the iteration count; it is not opened here",
    "PBES2-HS512+A256KW": "PBES2 lets the token choose the iteration count; it is not opened here",
}
# Content-encryption key sizes, for `dir` (the key *is* the CEK).
CEK_BYTES: Mapping[str, int] = {
    "A128GCM": 16,
    "A192GCM": 24,
    "A256GCM": 32,
    "A128CBC-HS256": 32,
    "A192CBC-HS384": 48,
    "A256CBC-HS512": 64,
}
_NESTED_CTY = "JWT"


@dataclass(frozen=True)
class EncryptionKey:
    """A recipient's key for JWE: public (to encrypt) or private (both), or a shared secret.

    Attributes:
        jwk: the joserfc key object.
        label: what to call it ("RSA key from bob.pem"); never the secret.
    """

    jwk: Any
    label: str

    @property
    def kty(self) -> str:
        kty: str = self.jwk.key_type
        return kty

    @property
    def is_private(self) -> bool:
        return bool(self.jwk.is_private)

    @property
    def secret_size(self) -> int | None:
        if self.kty != "oct":
            return None
        return len(self.jwk.raw_value)

    def default_alg(self) -> str:
        if self.kty == "RSA":
            return "RSA-OAEP-256"
        if self.kty in ("EC", "OKP"):
            return "ECDH-ES+A256KW"
        return "A256KW" if self.secret_size == 32 else "dir"

    def fits(self, alg: str) -> bool:
        if alg.startswith("RSA"):
            return self.kty == "RSA"
        if alg.startswith("ECDH-ES"):
            return self.kty in ("EC", "OKP")
        return self.kty == "oct"

    def thumbprint(self) -> str | None:
        if self.kty == "oct":
            return None  # a hash of a shared secret is not an identifier to publish
        value: str = self.jwk.thumbprint()
        return value


def _import(data: Any, key_type: str, label: str) -> EncryptionKey:
    from joserfc.errors import JoseError
    from joserfc.jwk import JWKRegistry

    try:
        return EncryptionKey(JWKRegistry.import_key(data, key_type), label)
    except (JoseError, ValueError, TypeError) as exc:
        raise KeyFormatError(f"the {label} cannot be used for encryption ({_reason(exc)})") from None


def encryption_key_from_secret(secret: bytes, *, label: str = "shared secret") -> EncryptionKey:
    """A symmetric key (A256KW, dir): its bytes as given."""
    if not secret:
        raise KeyFormatError("the shared secret is empty")
    if _keys.looks_like_asymmetric_key(secret):
        raise KeyFormatError("that secret is a PEM/JWK key; give it with --key FILE instead")
    return _import(secret, "oct", label)


def encryption_key_from_text(text: str | bytes, *, source: str) -> EncryptionKey:
    """A key from PEM (public, private or certificate) or JWK text (RSA, EC, OKP, oct)."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    stripped = raw.strip()
    if stripped.startswith("{"):
        jwk = _keys.parse_jwk_json(stripped)
        kty = jwk.get("kty")
        if kty not in ("RSA", "EC", "OKP", "oct"):
            raise KeyFormatError(f"the JWK in {source} has kty {kty!r}; JWE needs RSA, EC, OKP or oct")
        label = f"{kty} JWK from {source}"
        return _import(jwk, str(kty), label)
    if "-----BEGIN" not in stripped:
        raise KeyFormatError(f"{source} is neither PEM (-----BEGIN ...) nor a JWK (JSON)")
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519

    key: Any
    data = stripped.encode("ascii", "replace")
    try:
        if "PRIVATE KEY" in stripped:
            if "ENCRYPTED" in stripped:
                raise KeyFormatError(f"the private key in {source} is encrypted; give it unencrypted")
            key = serialization.load_pem_private_key(data, password=None)
        elif "CERTIFICATE" in stripped:
            key = _keys.load_public_key(stripped)
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFormatError(f"the PEM in {source} is damaged or not a key") from None
    public = key.public_key() if hasattr(key, "private_bytes") else key
    if isinstance(public, rsa.RSAPublicKey):
        kty = "RSA"
    elif isinstance(public, ec.EllipticCurvePublicKey):
        kty = "EC"
    elif isinstance(public, x25519.X25519PublicKey):
        kty = "OKP"
    else:
        raise KeyFormatError(
            f"the key in {source} cannot encrypt (JWE needs RSA, EC or X25519; Ed25519 only signs)"
        )
    if hasattr(key, "private_bytes"):
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    else:
        pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _import(pem, kty, f"{kty} key from {source}")


# --------------------------------------------------------------------------- encrypt


def looks_like_compact_jws(text: bytes) -> bool:
    parts = text.strip().split(b".")
    return len(parts) == 3 and all(parts[:2]) and all(_is_b64url(p) for p in parts)


def _is_b64url(part: bytes) -> bool:
    return all(c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in part)


@dataclass(frozen=True)
class Encrypted:
    header: dict[str, Any]
    token: str

    def to_json(self) -> dict[str, Any]:
        return {"header": self.header, "token": self.token}


def encrypt(
    plaintext: bytes,
    key: EncryptionKey,
    *,
    alg: str | None = None,
    enc: str = DEFAULT_ENC,
    cty: str | None = None,
    extra_header: Mapping[str, Any] | None = None,
) -> Encrypted:
    """The compact JWE of `plaintext` for `key`'s holder. A compact JWS plaintext gets
    ``cty: JWT`` (RFC 7519 §5.2, a nested JWT) unless `cty` says otherwise."""
    alg = alg or key.default_alg()
    if alg not in ENCRYPTION_ALGORITHMS:
        raise InputError(
            f"cannot encrypt with alg {_keys.shown_alg(alg)}; use one of {', '.join(ENCRYPTION_ALGORITHMS)}"
        )
    if enc not in CONTENT_ENCRYPTIONS:
        raise InputError(
            f"cannot encrypt with enc {_keys.shown_alg(enc)}; use one of {', '.join(CONTENT_ENCRYPTIONS)}"
        )
    if not key.fits(alg):
        raise KeyFormatError(f"the {key.label} cannot be used with {alg} (it fits {key.default_alg()})")
    if alg == "dir" and key.secret_size != CEK_BYTES[enc]:
        raise KeyFormatError(
            f"dir with {enc} needs a {CEK_BYTES[enc]}-byte key; the {key.label} has {key.secret_size} bytes"
        )
    if alg == "A256KW" and key.secret_size != 32:
        raise KeyFormatError(f"A256KW needs a 32-byte key; the {key.label} has {key.secret_size} bytes")
    header: dict[str, Any] = {"alg": alg, "enc": enc}
    kid = key.thumbprint()
    if kid is not None:
        header["kid"] = kid
    if cty is None and looks_like_compact_jws(plaintext):
        cty = _NESTED_CTY
    if cty:
        header["cty"] = cty
    for name, value in (extra_header or {}).items():
        if name in ("alg", "enc"):
            raise InputError(f"set {name} with --{name}, not --header {name}=…")
        if name in ("zip", "crit"):
            raise InputError(f"the {name} header is not offered when encrypting")
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    from joserfc import jwe
    from joserfc.errors import JoseError

    try:
        token = jwe.encrypt_compact(header, plaintext, key.jwk, algorithms=[alg, enc])
    except (JoseError, ValueError, TypeError) as exc:
        raise KeyFormatError(f"cannot encrypt with the {key.label} ({_reason(exc)})") from None
    return Encrypted(header=header, token=token)


# --------------------------------------------------------------------------- decrypt


@dataclass(frozen=True)
class Decrypted:
    """An opened JWE: its protected header and the plaintext bytes."""

    header: dict[str, Any]
    plaintext: bytes


def jwe_header(token: str) -> dict[str, Any]:
    from workbench.core.jose.inspect.compact import normalize_token, parse_compact

    compact = parse_compact(normalize_token(token))
    if compact.kind != "JWE":
        raise TokenFormatError("this is a signed token (JWS, three segments), not an encrypted one (JWE)")
    return compact.header


def decrypt(token: str, key: EncryptionKey) -> Decrypted:
    """Open a compact JWE with `key`. One-line errors: a refused or unknown algorithm, a key
    of the wrong kind, and "cannot be decrypted" (wrong key or altered token: they look the same)."""
    from workbench.core.jose.inspect.compact import normalize_token

    token = normalize_token(token)
    header = jwe_header(token)
    alg, enc = header.get("alg"), header.get("enc")
    if isinstance(alg, str) and alg in REFUSED_ALGORITHMS:
        raise InputError(f"the JWE uses {alg}: {REFUSED_ALGORITHMS[alg]}")
    if not isinstance(alg, str) or alg not in DECRYPTION_ALGORITHMS:
        raise InputError(f"the JWE's alg {_keys.shown_alg(alg)} is not one this decrypter opens")
    if not isinstance(enc, str) or enc not in DECRYPTION_ENCRYPTIONS:
        raise InputError(f"the JWE's enc {_keys.shown_alg(enc)} is not one this decrypter opens")
    if not key.fits(alg):
        raise KeyFormatError(f"the JWE uses {alg}, which the {key.label} cannot open")
    if key.kty != "oct" and not key.is_private:
        raise KeyFormatError(f"opening a JWE needs the recipient's private key; the {key.label} is public")
    from joserfc import jwe
    from joserfc.errors import JoseError

    algorithms = [alg, enc] + (["DEF"] if header.get("zip") == "DEF" else [])
    try:
        opened = jwe.decrypt_compact(token, key.jwk, algorithms=algorithms)
    except (JoseError, ValueError, TypeError) as exc:
        raise InputError(
            f"the JWE cannot be decrypted with the {key.label}: wrong key, or the token was altered "
            f"({_reason(exc)})"
        ) from None
    plaintext = opened.plaintext if opened.plaintext is not None else b""
    return Decrypted(header=dict(opened.headers()), plaintext=bytes(plaintext))


def _reason(exc: BaseException) -> str:
    """joserfc's own words, one line, with no key material (its messages name algorithms)."""
    words = getattr(exc, "description", "") or str(exc) or getattr(exc, "error", "")
    text = " ".join(str(words).split()).rstrip(":. ")
    if not text or text == getattr(exc, "error", None):
        text = str(getattr(exc, "error", "") or type(exc).__name__).replace("_", " ")
    return text[:160]


def plaintext_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None
