"""Signing keys: generate, load, export (PEM / JWK), and JOSE signatures.

What the product needs keys for:

* ``workbench keygen`` makes a key pair whose public half the user registers
  with a provider (true-markets wants an EC P-256 public key);
* the request templates' ``sign(alg, key, message)`` helper signs a challenge
  the JOSE way (true-markets: ES256 over ``{key_id}.{timestamp}``);
* ``workbench decode --key`` verifies a token with a PEM or JWK.

JOSE signatures (RFC 7515/7518) differ from what most libraries hand out:
ECDSA signatures are the raw ``r‖s`` concatenation (each half padded to the
curve's size), not DER, and every signature is base64url without padding.

Keys are `cryptography` objects; JWK import and export are PyJWT's (`RSAAlgorithm`,
`ECAlgorithm`, `OKPAlgorithm` `.from_jwk` / `.to_jwk`), with our checks in front (strict
base64url, the members each key type needs, the curves we sign with) so a bad JWK gets a
sentence naming what is wrong. The RFC 7638 thumbprint is ours (PyJWT has none).

`cryptography` and PyJWT's algorithms are imported inside the functions that need them:
templating imports this module and the CLI's start-up time matters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import InputError, KeyFormatError

ALGORITHMS: tuple[str, ...] = ("ES256", "ES384", "RS256", "EdDSA")
RSA_KEY_SIZES: tuple[int, ...] = (2048, 3072, 4096)
DEFAULT_RSA_BITS = 2048

# The JOSE algorithms we sign and verify with, beyond the ones we generate keys for.
HMAC_ALGORITHMS: tuple[str, ...] = ("HS256", "HS384", "HS512")
RSA_ALGORITHMS: tuple[str, ...] = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGORITHM_BY_CURVE: Mapping[str, str] = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
EC_CURVE_BY_ALGORITHM: Mapping[str, str] = {v: k for k, v in EC_ALGORITHM_BY_CURVE.items()}
SIGNING_ALGORITHMS: tuple[str, ...] = (
    *HMAC_ALGORITHMS,
    *RSA_ALGORITHMS,
    *EC_ALGORITHM_BY_CURVE.values(),
    "EdDSA",
)

# A key file bigger than this is not a key (and we will not read a disk image into memory).
MAX_KEY_BYTES = 1024 * 1024

# RFC 7638 §3.2: the required members of each key type, the only ones hashed.
_THUMBPRINT_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}

# The public members of each key type, in the order a JWK we export lists them.
_PUBLIC_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "EC": ("kty", "crv", "x", "y"),
    "RSA": ("kty", "n", "e"),
    "OKP": ("kty", "crv", "x"),
}
_RSA_CRT_MEMBERS = ["p", "q", "dp", "dq", "qi"]
_EC_COORDINATE_BYTES: Mapping[str, int] = {"P-256": 32, "P-384": 48, "P-521": 66}

PRIVATE_PEM_NAME = "private.pem"
PUBLIC_PEM_NAME = "public.pem"
PUBLIC_JWK_NAME = "public.jwk.json"


# --------------------------------------------------------------------------- base64url


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """Strict base64url; padding is optional. Raises ValueError on anything else."""
    raw = text.encode("ascii", "strict") if isinstance(text, str) else bytes(text)
    raw = raw.rstrip(b"=")
    if len(raw) % 4 == 1:
        raise ValueError("base64url text has an impossible length")
    if not _B64URL_RE.fullmatch(raw):
        raise ValueError("base64url text has characters outside A-Z a-z 0-9 - _")
    try:
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except binascii.Error as exc:  # pragma: no cover - the checks above catch every case we know
        raise ValueError(str(exc)) from None


_B64URL_RE = re.compile(rb"[A-Za-z0-9_-]*")


def _jwk_bytes(jwk: Mapping[str, Any], member: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str) or not value:
        raise KeyFormatError(f"the JWK has no usable {member!r} member")
    try:
        return b64url_decode(value)
    except (ValueError, UnicodeError):
        raise KeyFormatError(f"the JWK's {member!r} member is not base64url") from None


# --------------------------------------------------------------------------- key pairs


@dataclass(frozen=True)
class KeyPair:
    """A freshly generated (or loaded) private key and the JOSE algorithm it is for."""

    alg: str
    private_key: Any  # a `cryptography` private key object

    def private_pem(self, passphrase: bytes | None = None) -> bytes:
        """PKCS#8 PEM; encrypted with the best available cipher when a passphrase is given."""
        from cryptography.hazmat.primitives import serialization

        if passphrase is not None and not passphrase:
            raise InputError("an empty passphrase cannot encrypt a key; give a real one or none")
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        pem: bytes = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        return pem

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``)."""
        return public_pem(self.private_key.public_key())

    def public_jwk(self) -> dict[str, str]:
        """The public JWK with ``kid`` (RFC 7638 thumbprint), ``alg`` and ``use: sig``."""
        return public_jwk(self.private_key, alg=self.alg)

    @property
    def kid(self) -> str:
        kid: str = self.public_jwk()["kid"]
        return kid


def generate_key_pair(alg: str = "ES256", *, rsa_bits: int = DEFAULT_RSA_BITS) -> KeyPair:
    """A new key for `alg` (one of `ALGORITHMS`). RSA sizes: 2048, 3072 or 4096 bits."""
    if alg == "ES256" or alg == "ES384":
        from cryptography.hazmat.primitives.asymmetric import ec

        curve: ec.EllipticCurve = ec.SECP256R1() if alg == "ES256" else ec.SECP384R1()
        return KeyPair(alg, ec.generate_private_key(curve))
    if alg == "RS256":
        if rsa_bits not in RSA_KEY_SIZES:
            sizes = ", ".join(str(s) for s in RSA_KEY_SIZES)
            raise InputError(f"RSA keys are {sizes} bits, not {rsa_bits}")
        from cryptography.hazmat.primitives.asymmetric import rsa

        return KeyPair(alg, rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))
    if alg == "EdDSA":
        from cryptography.hazmat.primitives.asymmetric import ed25519

        return KeyPair(alg, ed25519.Ed25519PrivateKey.generate())
    raise InputError(f"cannot generate keys for {shown_alg(alg)}; choose one of {', '.join(ALGORITHMS)}")


def default_algorithm(key: Any) -> str:
    """The JOSE algorithm a private or public key is normally used with."""
    allowed = algorithms_for_key(key)
    return allowed[0]


def algorithms_for_key(key: Any) -> tuple[str, ...]:
    """Every JOSE algorithm this key may verify or sign. Never ``none``, never HMAC for key objects."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        alg = EC_ALGORITHM_BY_CURVE.get(curve_name(key))
        if alg is None:
            raise KeyFormatError(f"EC keys on curve {key.curve.name} are not supported (use P-256 or P-384)")
        return (alg,)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSA_ALGORITHMS
    if isinstance(
        key,
        ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey | ed448.Ed448PrivateKey | ed448.Ed448PublicKey,
    ):
        return ("EdDSA",)
    raise KeyFormatError(f"unsupported key type {type(key).__name__}; use an EC, RSA or Ed25519 key")


def curve_name(key: Any) -> str:
    names = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
    name: str = key.curve.name
    return names.get(name, name)


# --------------------------------------------------------------------------- export


def public_pem(key: Any) -> bytes:
    """SPKI PEM of a public key, or of the public half of a private key."""
    from cryptography.hazmat.primitives import serialization

    if hasattr(key, "private_bytes"):
        key = key.public_key()
    pem: bytes = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem


def public_jwk(key: Any, *, alg: str | None = None) -> dict[str, str]:
    """The public JWK of a key object (private keys give their public half), with kid, alg and use."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm

    if hasattr(key, "private_bytes"):
        key = key.public_key()
    writer: type[Algorithm]
    if isinstance(key, ec.EllipticCurvePublicKey):
        writer = ECAlgorithm
    elif isinstance(key, rsa.RSAPublicKey):
        writer = RSAAlgorithm
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        writer = OKPAlgorithm
    else:
        raise KeyFormatError(f"unsupported key type {type(key).__name__}; use an EC, RSA or Ed25519 key")
    allowed = algorithms_for_key(key)  # an EC curve we do not sign with is refused here
    exported = writer.to_jwk(key, as_dict=True)
    # The public members only, in RFC 7518's order (PyJWT adds `key_ops` to RSA keys).
    jwk: dict[str, str] = {m: str(exported[m]) for m in _PUBLIC_MEMBERS[str(exported["kty"])]}
    chosen = alg or allowed[0]
    if chosen not in allowed:
        raise KeyFormatError(f"a {jwk['kty']} key cannot be used with {chosen}")
    jwk["alg"] = chosen
    jwk["use"] = "sig"
    jwk["kid"] = jwk_thumbprint(jwk)
    return jwk


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: base64url(SHA-256(required members, sorted, no whitespace))."""
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise KeyFormatError(f"cannot take the thumbprint of a JWK with kty {kty!r} (EC, RSA, OKP or oct)")
    required: dict[str, str] = {}
    for name in members:
        value = jwk.get(name)
        if not isinstance(value, str) or not value:
            raise KeyFormatError(f"the JWK has no {name!r} member, which its thumbprint needs")
        required[name] = value
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def write_key_files(pair: KeyPair, out_dir: Path, *, passphrase: bytes | None = None) -> dict[str, Path]:
    """Write private.pem (PKCS#8, 0600), public.pem and public.jwk.json into `out_dir`.

    The private key file is created with mode 0600 by ``os.open`` itself, so it is
    never readable by others, not even between creation and a later chmod. An
    existing private.pem is never overwritten (InputError); nothing is written then.
    Returns ``{"private_pem": ..., "public_pem": ..., "public_jwk": ...}``.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a directory")
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_path = out_dir / PRIVATE_PEM_NAME
    public_path = out_dir / PUBLIC_PEM_NAME
    jwk_path = out_dir / PUBLIC_JWK_NAME

    private_bytes = pair.private_pem(passphrase)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(private_path, flags, 0o600)
    except FileExistsError:
        raise InputError(
            f"{private_path} already exists; refusing to overwrite a private key",
            hint="choose another --out directory or move the old key away",
        ) from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # the umask can only remove bits; make the mode exact anyway
        with os.fdopen(fd, "wb") as fh:
            fh.write(private_bytes)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    _write_public(public_path, pair.public_pem())
    _write_public(jwk_path, (json.dumps(pair.public_jwk(), indent=2) + "\n").encode("utf-8"))
    return {"private_pem": private_path, "public_pem": public_path, "public_jwk": jwk_path}


def _write_public(path: Path, data: bytes) -> None:
    """Write through a temp file of a random name (mkstemp: O_EXCL, never a planted link), then
    rename it over `path` (which replaces a link there rather than writing through it)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # public material: readable like any file the user writes
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- loading


def _as_text(data: str | bytes, what: str) -> str:
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_KEY_BYTES:
            raise KeyFormatError(f"the {what} is too large to be a key")
        try:
            return bytes(data).decode("utf-8").strip()
        except UnicodeDecodeError:
            raise KeyFormatError(f"the {what} is not text (expected PEM or JWK JSON)") from None
    if not isinstance(data, str):
        raise KeyFormatError(f"the {what} must be PEM or JWK text")
    if len(data) > MAX_KEY_BYTES:
        raise KeyFormatError(f"the {what} is too large to be a key")
    return data.strip()


def parse_jwk_json(text: str | bytes | Mapping[str, Any], what: str = "JWK") -> dict[str, Any]:
    """A JSON object from JWK/JWKS text (or a mapping), with a friendly error."""
    if isinstance(text, Mapping):
        return dict(text)
    raw = _as_text(text, what)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise KeyFormatError(f"the {what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise KeyFormatError(f"the {what} must be a JSON object")
    return value


def load_private_key(data: str | bytes, passphrase: bytes | None = None) -> Any:
    """A private key from PEM (PKCS#8, traditional, OpenSSH) or a private JWK (JSON with ``d``)."""
    text = _as_text(data, "private key")
    if text.startswith("{"):
        key = jwk_to_key(parse_jwk_json(text), private=True)
    elif "-----BEGIN" in text:
        key = _load_private_pem(text.encode("ascii", "replace"), passphrase)
    else:
        raise KeyFormatError("the private key is neither PEM (-----BEGIN ...) nor a JWK (JSON)")
    algorithms_for_key(key)  # rejects DSA, X25519 and other key types we cannot sign with
    return key


def _load_private_pem(pem: bytes, passphrase: bytes | None) -> Any:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    if b"PUBLIC KEY-----" in pem or b"CERTIFICATE-----" in pem:
        raise KeyFormatError("this is a public key or certificate; signing needs the private key")
    try:
        if b"OPENSSH PRIVATE KEY" in pem:
            return serialization.load_ssh_private_key(pem, password=passphrase)
        return serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError:
        if passphrase is None:
            raise KeyFormatError("the private key is encrypted; a passphrase is needed") from None
        raise KeyFormatError("the private key is not encrypted; do not give a passphrase") from None
    except UnsupportedAlgorithm:
        raise KeyFormatError("unsupported private key algorithm (use EC, RSA or Ed25519)") from None
    except ValueError:
        if passphrase is not None:
            raise KeyFormatError("cannot load the private key: wrong passphrase or damaged PEM") from None
        raise KeyFormatError("the private key PEM is damaged or not a key") from None


def load_public_key(data: str | bytes) -> Any:
    """A public key from PEM (SPKI, PKCS#1, a private key, a certificate), an OpenSSH line, or a JWK."""
    text = _as_text(data, "public key")
    if text.startswith("{"):
        key = jwk_to_key(parse_jwk_json(text), private=False)
    elif "-----BEGIN" in text:
        key = _load_public_pem(text.encode("ascii", "replace"))
    elif text.startswith(("ssh-", "ecdsa-sha2-")):
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization

        try:
            key = serialization.load_ssh_public_key(text.encode("ascii", "replace"))
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise KeyFormatError("the OpenSSH public key line is damaged") from None
    else:
        raise KeyFormatError("the key is neither PEM (-----BEGIN ...) nor a JWK (JSON)")
    if hasattr(key, "private_bytes"):
        key = key.public_key()
    algorithms_for_key(key)
    return key


def _load_public_pem(pem: bytes) -> Any:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        if b"CERTIFICATE-----" in pem:
            return x509.load_pem_x509_certificate(pem).public_key()
        if b"PRIVATE KEY-----" in pem:
            return _load_private_pem(pem, None).public_key()
        return serialization.load_pem_public_key(pem)
    except UnsupportedAlgorithm:
        raise KeyFormatError("the key uses an unsupported algorithm (use EC, RSA or Ed25519)") from None
    except ValueError:
        raise KeyFormatError("the PEM is damaged or not a public key") from None


def jwk_to_key(jwk: Mapping[str, Any], *, private: bool = False) -> Any:
    """A `cryptography` key object from a JWK. With ``private=True`` the JWK must carry ``d``;
    without, only its public members are read (a private part is ignored, never parsed)."""
    from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm
    from jwt.exceptions import InvalidKeyError

    kty = jwk.get("kty")
    if kty == "oct":
        raise KeyFormatError("this JWK is a symmetric (oct) secret, not a public/private key")
    if private and "d" not in jwk:
        raise KeyFormatError("this JWK has no private part ('d'); signing needs the private key")
    reader: type[Algorithm]
    if kty == "EC":
        crv = jwk.get("crv")
        size = _EC_COORDINATE_BYTES.get(crv) if isinstance(crv, str) else None
        if size is None:
            raise KeyFormatError(f"unsupported EC curve {crv!r} in the JWK (P-256, P-384 or P-521)")
        if len(_jwk_bytes(jwk, "x")) != size or len(_jwk_bytes(jwk, "y")) != size:
            raise KeyFormatError(f"the JWK's x/y coordinates have the wrong length for {crv}")
        reader = ECAlgorithm
    elif kty == "RSA":
        reader = RSAAlgorithm
    elif kty == "OKP":
        crv = jwk.get("crv")
        if crv not in ("Ed25519", "Ed448"):
            raise KeyFormatError(f"unsupported OKP curve {crv!r} in the JWK (Ed25519 or Ed448)")
        reader = OKPAlgorithm
    else:
        raise KeyFormatError(f"unsupported JWK kty {kty!r} (EC, RSA or OKP)")
    members = list(_PUBLIC_MEMBERS[kty])
    if private:
        members.append("d")
        # RSA's CRT members are used when all are there; otherwise the primes are recovered from d.
        if kty == "RSA" and all(m in jwk for m in _RSA_CRT_MEMBERS):
            members += _RSA_CRT_MEMBERS
    for member in members:
        if member not in ("kty", "crv"):
            _jwk_bytes(jwk, member)  # present and strict base64url, or a sentence saying which is not
    try:
        return reader.from_jwk({m: jwk[m] for m in members})
    except (InvalidKeyError, ValueError, TypeError, OverflowError):
        raise KeyFormatError(f"the {kty} JWK does not describe a valid key") from None


def looks_like_asymmetric_key(secret: str | bytes) -> bool:
    """True when a would-be HMAC secret is really a PEM / OpenSSH / JWK public or private key.

    Using a public key's text as an HMAC secret is the classic algorithm-confusion
    attack (sign with HS256 using the server's public key); we refuse it outright.
    """
    raw = secret.encode("utf-8", "replace") if isinstance(secret, str) else bytes(secret)
    head = raw.lstrip()[:200]
    if b"-----BEGIN" in raw or head.startswith((b"ssh-", b"ecdsa-sha2-", b"sk-ssh-", b"sk-ecdsa-")):
        return True
    if head.startswith(b"{"):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return False
        return isinstance(value, dict) and value.get("kty") in ("EC", "RSA", "OKP")
    # DER SubjectPublicKeyInfo / PKCS#8 start with a SEQUENCE tag and a long-form length.
    return raw[:1] == b"\x30" and raw[1:2] in (b"\x81", b"\x82") and len(raw) > 60


def shown_alg(alg: object) -> str:
    """An algorithm name fit to echo: a template may pass a secret where the name belongs."""
    if isinstance(alg, str) and re.fullmatch(r"[A-Za-z0-9_+-]{1,8}", alg):
        return repr(alg)
    return f"(a {type(alg).__name__} that is not an algorithm name)"
