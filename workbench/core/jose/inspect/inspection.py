"""`inspect_token`: decode a JWS or JWE, check a JWS signature with the user's key, read its claims."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from workbench.core.errors import TokenFormatError
from workbench.core.jose import keys as _keys
from workbench.core.jose.inspect.claims import header_warnings, interpret_times
from workbench.core.jose.inspect.compact import CompactToken, normalize_token, parse_compact, payload_object
from workbench.core.jose.inspect.keyset import VerificationKey
from workbench.core.jose.inspect.results import CertificateInfo, Inspection, TokenWarning
from workbench.core.jose.inspect.signature import (
    is_key_selection_problem,
    is_key_type_mismatch,
    verify_signature,
    weak_secret_warning,
)
from workbench.core.jose.jwe import decrypt

if TYPE_CHECKING:
    from workbench.core.jose.jwe import EncryptionKey

# A token inside a token inside a token is already unusual; the cap keeps a hostile
# payload from making us recurse (each level is also bounded by the 64 KiB token cap).
MAX_NESTING = 3
_NESTED_CTY = frozenset({"jwt", "application/jwt"})


def inspect_token(
    token: str,
    *,
    key: VerificationKey | None = None,
    now: float | None = None,
    decrypt_key: EncryptionKey | None = None,
) -> Inspection:
    """Decode `token`, check its signature with `key` (if given) and interpret its claims.

    A JWS whose payload is not a JSON object (RFC 7520's examples sign plain text) is
    still read and verified: its payload comes back as text (or base64url for binary)
    with `payload_format` saying which. A JWE (five segments) comes back with its header
    only, unless `decrypt_key` opens it: then its plaintext is the payload, and a token
    inside it (a nested JWS) is decoded into `nested` and checked with `key`. A token
    carried inside a JWS (``cty: JWT``) is decoded into `nested` and checked with `key` too;
    a key of another type than the inner token's alg leaves it "not checked"
    (``signature_unchecked``): that key was meant for the outer token.

    Raises TokenFormatError for malformed tokens. A bad signature is not an error:
    it is ``signature_valid=False`` with ``signature_error`` saying why.
    """
    token = normalize_token(token) if isinstance(token, str) else token
    checked_at = time.time() if now is None else float(now)
    return _inspect(token, key, checked_at, depth=0, decrypt_key=decrypt_key)


def _inspect(
    token: str,
    key: VerificationKey | None,
    checked_at: float,
    depth: int,
    decrypt_key: EncryptionKey | None = None,
) -> Inspection:
    compact = parse_compact(token)
    header = compact.header
    warnings: list[TokenWarning] = []
    raw_alg = header.get("alg")
    alg = raw_alg if isinstance(raw_alg, str) else None
    warnings.extend(header_warnings(header, raw_alg))
    certificates = _certificates(header)

    if compact.kind == "JWE":
        if decrypt_key is not None:
            return _opened_jwe(compact, alg, key, decrypt_key, warnings, certificates, checked_at, depth)
        return _inspect_jwe(compact, alg, key, warnings, certificates, checked_at)

    payload: dict[str, Any] | str
    assert compact.payload is not None  # a JWS always has one
    payload, payload_format, problem = _read_payload(compact.payload)

    signature_valid: bool | None = None
    signature_error: str | None = None
    verified_with: str | None = None
    signature_unchecked = False
    if key is not None:
        signature_valid, signature_error, verified_with = verify_signature(
            header, alg, compact.signing_input, compact.signature, key
        )
        signature_unchecked = is_key_selection_problem(signature_error) or (
            depth > 0 and is_key_type_mismatch(signature_error)
        )
        weak = weak_secret_warning(key, alg)
        if weak is not None:
            warnings.append(weak)

    nested = _nested(header, payload, payload_format, key, checked_at, depth, warnings)
    if isinstance(payload, dict):
        times = interpret_times(payload, checked_at)
        warnings.extend(times.warnings)
        expires_at, issued_at, not_before = times.expires_at, times.issued_at, times.not_before
        expired, lifetime = times.expired, times.lifetime
    else:
        expires_at = issued_at = not_before = None
        expired = lifetime = None
        if nested is None:
            what, shown = ("text", "text") if payload_format == "text" else ("binary", "base64url")
            warnings.append(
                TokenWarning(
                    "payload-not-claims",
                    f"The payload is {what}, not a JSON claims set: it {problem}. It is shown as "
                    f"{shown}; no claims (exp, iat, nbf) were read.",
                )
            )
    return Inspection(
        token=token,
        header=header,
        payload=payload,
        alg=alg,
        signature_valid=signature_valid,
        signature_error=signature_error,
        expires_at=expires_at,
        issued_at=issued_at,
        not_before=not_before,
        expired=expired,
        lifetime=lifetime,
        warnings=warnings,
        checked_at=checked_at,
        verified_with=verified_with,
        kind="JWS",
        payload_format=payload_format,
        nested=nested,
        certificates=certificates,
        signature_unchecked=signature_unchecked,
    )


def _read_payload(raw: bytes) -> tuple[dict[str, Any] | str, str, str | None]:
    """(payload, format, why it is not claims): a JSON object, else UTF-8 text, else base64url."""
    try:
        return payload_object(raw), "json", None
    except TokenFormatError as exc:
        problem = str(exc)
    problem = problem.removeprefix("the payload ")
    try:
        return raw.decode("utf-8"), "text", problem
    except UnicodeDecodeError:
        return _keys.b64url_encode(raw), "bytes", problem


def _nested(
    header: dict[str, Any],
    payload: dict[str, Any] | str,
    payload_format: str,
    key: VerificationKey | None,
    checked_at: float,
    depth: int,
    warnings: list[TokenWarning],
) -> Inspection | None:
    """The JWT a ``cty: JWT`` token carries (RFC 7519 §5.2), decoded and checked with `key`
    (if given); None when there is none."""
    cty = header.get("cty")
    says_nested = isinstance(cty, str) and cty.lower() in _NESTED_CTY
    if payload_format != "text" or not isinstance(payload, str):
        if says_nested:
            warnings.append(
                TokenWarning(
                    "nested-unreadable", 'The header says cty "JWT", but the payload is not a token.'
                )
            )
        return None
    candidate = normalize_token(payload)
    if candidate.count(".") not in (2, 4):
        if says_nested:
            warnings.append(
                TokenWarning(
                    "nested-unreadable", 'The header says cty "JWT", but the payload is not a token.'
                )
            )
        return None
    if depth + 1 >= MAX_NESTING:
        warnings.append(
            TokenWarning(
                "nested-too-deep", f"Tokens are nested more than {MAX_NESTING} deep; the rest is not read."
            )
        )
        return None
    try:
        inner = _inspect(candidate, key, checked_at, depth + 1)
    except TokenFormatError as exc:
        if says_nested:
            warnings.append(TokenWarning("nested-unreadable", f"The nested token cannot be read: {exc}."))
        return None
    if not says_nested:
        warnings.append(
            TokenWarning(
                "nested-without-cty",
                'The payload is itself a token, but the header does not say cty "JWT" (RFC 7519 §5.2).',
            )
        )
    checked = (
        "but its own signature was not checked (give a key to check it)"
        if key is None or inner.kind != "JWS"
        else "and its own signature checked with the key given"
    )
    warnings.append(
        TokenWarning(
            "nested-token",
            f"The payload is a nested {inner.kind} (alg {inner.alg or 'none'}); "
            f"it is decoded below, {checked}.",
        )
    )
    return inner


def _inspect_jwe(
    compact: CompactToken,
    alg: str | None,
    key: VerificationKey | None,
    warnings: list[TokenWarning],
    certificates: tuple[CertificateInfo, ...],
    checked_at: float,
) -> Inspection:
    header = compact.header
    enc = header.get("enc")
    what = f"alg {alg or '?'}, enc {enc if isinstance(enc, str) else '?'}"
    cty = header.get("cty")
    inside = (
        ' It wraps a nested JWT (cty "JWT").' if isinstance(cty, str) and cty.lower() in _NESTED_CTY else ""
    )
    warnings.append(
        TokenWarning(
            "encrypted",
            f"This is an encrypted JWT (JWE, {what}): only its recipient's private key can open it, so "
            f"only its header can be shown.{inside}",
        )
    )
    if key is not None:
        warnings.append(
            TokenWarning(
                "jwe-not-verified",
                "A key was given, but a JWE has no signature to check: it is authenticated when its "
                "recipient decrypts it.",
            )
        )
    return Inspection(
        token=".".join(compact.parts),
        header=header,
        payload=None,
        alg=alg,
        signature_valid=None,
        signature_error=None,
        expires_at=None,
        issued_at=None,
        not_before=None,
        expired=None,
        lifetime=None,
        warnings=warnings,
        checked_at=checked_at,
        kind="JWE",
        payload_format="encrypted",
        certificates=certificates,
    )


def _opened_jwe(
    compact: CompactToken,
    alg: str | None,
    key: VerificationKey | None,
    decrypt_key: EncryptionKey,
    warnings: list[TokenWarning],
    certificates: tuple[CertificateInfo, ...],
    checked_at: float,
    depth: int,
) -> Inspection:
    """A JWE opened with the recipient's key: its plaintext read as a JWS payload would be,
    and a token inside it decoded and verified with `key` (RFC 7519 §5.2: sign, then encrypt)."""

    opened = decrypt(".".join(compact.parts), decrypt_key)
    payload, payload_format, problem = _read_payload(opened.plaintext)
    warnings.append(
        TokenWarning(
            "decrypted", f"Decrypted with the {decrypt_key.label}: the JWE is authentic for that key."
        )
    )
    nested: Inspection | None = None
    if (
        payload_format == "text"
        and isinstance(payload, str)
        and normalize_token(payload).count(".") in (2, 4)
    ):
        if depth + 1 >= MAX_NESTING:
            warnings.append(
                TokenWarning("nested-too-deep", f"Tokens are nested more than {MAX_NESTING} deep.")
            )
        else:
            try:
                nested = _inspect(normalize_token(payload), key, checked_at, depth + 1)
            except TokenFormatError as exc:
                warnings.append(TokenWarning("nested-unreadable", f"The nested token cannot be read: {exc}."))
    times = interpret_times(payload, checked_at) if isinstance(payload, dict) else None
    if times is not None:
        warnings.extend(times.warnings)
    elif nested is None:
        warnings.append(
            TokenWarning(
                "payload-not-claims", f"The decrypted payload is not a JSON claims set: it {problem}."
            )
        )
    return Inspection(
        token=".".join(compact.parts),
        header=opened.header,
        payload=payload,
        alg=alg,
        signature_valid=nested.signature_valid if nested is not None else None,
        signature_error=nested.signature_error if nested is not None else None,
        expires_at=times.expires_at if times else None,
        issued_at=times.issued_at if times else None,
        not_before=times.not_before if times else None,
        expired=times.expired if times else None,
        lifetime=times.lifetime if times else None,
        warnings=warnings,
        checked_at=checked_at,
        verified_with=nested.verified_with if nested is not None else None,
        kind="JWE",
        payload_format=payload_format,
        nested=nested,
        certificates=certificates,
        signature_unchecked=nested.signature_unchecked if nested is not None else False,
    )


def _certificates(header: dict[str, Any]) -> tuple[CertificateInfo, ...]:
    if "x5c" not in header:
        return ()
    from workbench.core.jose.inspect.x5c import describe_chain

    return describe_chain(header["x5c"])
