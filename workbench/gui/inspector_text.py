"""How an `Inspection` reads in the Inspector: claim names, payload wording, the key type an
``alg`` calls for. Plain functions over core results; no widgets."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from workbench.core.jose.inspect import discovery_url, humanize_relative
from workbench.gui.widgets import pretty_json

if TYPE_CHECKING:
    from workbench.core.jose.inspect import Inspection

TIME_CLAIMS = {"exp": "expires", "iat": "issued", "nbf": "not before", "auth_time": "authenticated"}
CLAIM_NAMES = {
    "iss": "issuer",
    "sub": "subject",
    "aud": "audience",
    "jti": "token id",
    "scope": "scope",
    "azp": "authorised party",
    "client_id": "client",
    "cty": "content type",
    "typ": "type",
    "kid": "key id",
    "alg": "algorithm",
    "enc": "content encryption",
}
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
    if ins.signature_valid is None:
        checked = "its own signature was not checked"
    elif ins.signature_valid:
        checked = f"signature valid ({ins.verified_with})"
    else:
        checked = f"signature NOT valid: {ins.signature_error}"
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
