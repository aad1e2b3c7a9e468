"""How an `Inspection` reads in the Inspector: claim names, payload wording, the key type an
``alg`` calls for. Plain functions over core results; no widgets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from workbench.core.jose.inspect import discovery_url, format_moment, humanize_relative
from workbench.core.jose.inspect.registry import describe_claim, describe_header
from workbench.gui.widgets import pretty_json

if TYPE_CHECKING:
    from workbench.core.jose.inspect import Inspection

TIME_CLAIMS = {"exp": "expires", "iat": "issued", "nbf": "not before", "auth_time": "authenticated"}
# Warnings that only inform (the rest are problems with the token or its key).
# Warnings that mean "do not trust this token at all": shown red, apart from the amber ones.
DANGER_CODES = frozenset({"alg-none"})
INFO_CODES = frozenset(
    {
        "payload-not-claims",
        "nested-token",
        "encrypted",
        "x5c-header",
        "jwe-not-verified",
        "no-exp",
        "dpop-binding",
        "mtls-binding",
    }
)


def suggested_key_kind(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """The key type a token's ``alg`` calls for: what jwt.io would pick."""

    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none" or "enc" in header:
        return "none"
    if alg.startswith("HS"):
        return "secret"
    if alg.startswith(("RS", "PS", "ES", "Ed")):
        return "jwks" if discovery_url(claims.get("iss", "")) is not None else "pem"
    return "none"


PAYLOAD_TITLES = {
    "json": "Payload",
    "text": "Payload (text, not JSON)",
    "bytes": "Payload (binary, base64url)",
    "encrypted": "Payload (encrypted)",
}
PAYLOAD_MEANING = {
    "text": "text, not JSON claims",
    "bytes": "binary (base64url)",
    "encrypted": "encrypted: only the recipient's key opens it",
}


def kind_text(ins: Inspection) -> str:
    if ins.kind == "JWE":
        return "· JWE (encrypted)" if ins.payload_format == "encrypted" else "· JWE (decrypted)"
    if ins.alg is None or ins.alg.lower() == "none":
        parts = ["· unsigned JWT (alg none): anyone can forge it"]
    else:
        parts = ["· JWS (signed)"]
    if ins.nested is not None:
        parts.append(f"carrying a nested {ins.nested.kind}")
    return " ".join(parts)


def payload_text(ins: Inspection) -> str:
    if ins.payload_format == "json":
        return pretty_json(ins.payload)
    if ins.payload_format == "encrypted":
        return "(encrypted: only its recipient's private key can open it)"
    return str(ins.payload or "")


def nested_text(ins: Inspection) -> str:
    checked = _inner_verdict(ins)[1].removeprefix("✓ ").removeprefix("✗ ").removeprefix("⚠ ")
    if ins.signature_valid is None:
        checked = "its own signature was not checked (give its key)"
    lines = [f"{ins.kind} · alg {ins.alg or 'none'} · {checked}", "", "Header"]
    lines.append(pretty_json(ins.header))
    lines.extend(["", PAYLOAD_TITLES.get(ins.payload_format, "Payload"), payload_text(ins)])
    if ins.warnings:
        lines.extend(["", "Warnings"])
        lines.extend(f"• {w.message}" for w in ins.warnings)
    if ins.nested is not None:
        lines.extend(["", "Nested inside it:", ""])
        lines.append(nested_text(ins.nested))
    return "\n".join(lines)


def short(value: Any, limit: int = 200) -> str:
    # One line: compact JSON, not the indented form squashed (which leaves runs of spaces).
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def relative(seconds: float) -> str:
    return humanize_relative(seconds)


def claim_meaning(name: str, *, header: bool = False) -> tuple[str, str]:
    """(short name for the Meaning column, description for its tooltip) of a claim or header
    parameter, from core's registry; ("", "") for one it does not know."""
    described = describe_header(name) if header else describe_claim(name)
    if described is None:
        return ("header", "") if header else ("", "")
    return described


def local_time(value: float) -> str | None:
    """ "2026-12-06 09:14:05 CET", or None for a number no clock can show."""
    try:
        return datetime.fromtimestamp(value).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    except (OverflowError, OSError, ValueError):
        return None


def time_tooltip(claim: str, value: float, now: float) -> str:
    """What hovering a time claim says: its meaning, its date (local and UTC), how far from now."""
    short, description = claim_meaning(claim)
    local = local_time(value)
    if local is None:
        return f"{claim} ({short}): {value:g} is not a time any clock can show"
    utc = format_moment(datetime.fromtimestamp(value, UTC))
    lines = [f"{claim} ({short}): {local} ({relative(value - now)})"]
    if not local.endswith(("UTC", "GMT")):  # the local time is not already UTC's
        lines.append(utc)
    return "\n".join([*lines, description])


def _inner_verdict(ins: Inspection) -> tuple[str, str]:
    if ins.signature_valid is None:
        return "info", "not checked (give its key)"
    if ins.signature_valid:
        return "verified", f"✓ signature verified · {ins.verified_with}"
    if ins.signature_unchecked:
        return "unchecked", f"⚠ signature not checked: {ins.signature_error}"
    return "invalid", f"✗ signature NOT valid: {ins.signature_error}"


_WORST = ("info", "verified", "unchecked", "invalid")


def verdict(ins: Inspection, key_given: bool) -> tuple[str, str]:
    """(kind, text) of the verdict banner: kind "verified", "invalid", "unchecked" or "info"."""
    alg = ins.alg or "none"
    if ins.kind == "JWE":
        if ins.payload_format == "encrypted":
            return "info", f"encrypted (JWE) · alg {alg} · give the Decrypt key to open it"
        inner = ins.nested
        if inner is None or inner.kind != "JWS" or not key_given:
            pick = "; the token inside is not verified (pick its key)" if inner is not None else ""
            return "verified", f"✓ Decrypted (JWE, alg {alg}){pick}"
        kind, text = _inner_verdict(inner)
        text = text.replace("signature", "Signature", 1)
        return kind, f"{text}\n(the {inner.kind} inside the JWE, decrypted with alg {alg})"
    if not key_given or ins.signature_valid is None:
        return "info", f"not verified · alg {alg}"
    if ins.signature_valid:
        kind, text = "verified", f"✓ Signature verified · {ins.verified_with}"
    elif ins.signature_unchecked:  # no key could be tried: not checked, rather than "does not match"
        kind, text = "unchecked", f"⚠ signature not checked: {ins.signature_error}"
    else:
        reason = f": {ins.signature_error}" if ins.signature_error else ""
        kind, text = "invalid", f"✗ signature NOT valid{reason}"
    if ins.nested is not None and ins.nested.kind == "JWS":
        inner_kind, inner_text = _inner_verdict(ins.nested)
        kind = max(kind, inner_kind, key=_WORST.index)
        text = f"{text}\ninner token: {inner_text}"
    return kind, text
