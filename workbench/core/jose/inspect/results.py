"""What an inspection found: the `Inspection` record, its warnings, and how times read to people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workbench.core.durations import humanize_duration


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
    payload: dict[str, Any] | str | None  # see payload_format
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
    kind: str = "JWS"  # "JWS" (signed, three segments) or "JWE" (encrypted, five)
    # "json": payload is the claims object; "text": a UTF-8 string that is not a JSON object;
    # "bytes": binary, given as base64url text; "encrypted": a JWE, payload is None.
    payload_format: str = "json"
    nested: Inspection | None = None  # the JWT inside (cty "JWT"), decoded, checked with the same key
    certificates: tuple[CertificateInfo, ...] = ()  # the header's x5c chain, described, never trusted
    # signature_valid is False because no key could be tried (no key with the token's kid, a
    # key set without a key of its type): "could not check", not "does not match".
    signature_unchecked: bool = False

    @property
    def claims(self) -> dict[str, Any]:
        """The payload when it is a JSON claims set, else an empty dict."""
        return self.payload if isinstance(self.payload, dict) else {}

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]

    def warnings_at(self, now: float) -> list[TokenWarning]:
        """The warnings as they read at `now`: the time-based ones ("expired", "not yet valid",
        "issued in the future") worked out again, so a view that keeps the inspection open
        follows the clock; the others as found."""
        if not isinstance(self.payload, dict):
            return list(self.warnings)
        from workbench.core.jose.inspect.claims import TIME_WARNING_CODES, interpret_times

        kept = [w for w in self.warnings if w.code not in TIME_WARNING_CODES]
        return kept + interpret_times(self.payload, now).warnings

    def expires_in(self) -> float | None:
        """Seconds until exp from `checked_at` (negative once expired)."""
        if self.expires_at is None:
            return None
        return self.expires_at.timestamp() - self.checked_at

    def to_json(self) -> dict[str, Any]:
        """The ``workbench decode --json`` shape (a public contract).

        The first eight keys are the contract and keep their meaning; ``payload`` is a
        string when the payload is not a JSON object (see ``payload_format``). Later keys
        were added after it and only ever get added to.
        """
        return {
            "header": self.header,
            "payload": self.payload,
            "alg": self.alg,
            "signature_valid": self.signature_valid,
            "expires_at": iso_utc(self.expires_at),
            "issued_at": iso_utc(self.issued_at),
            "expired": self.expired,
            "warnings": [w.to_json() for w in self.warnings],
            "type": self.kind,
            "payload_format": self.payload_format,
            "signature_error": self.signature_error,
            "verified_with": self.verified_with,
            "not_before": iso_utc(self.not_before),
            "nested": self.nested.to_json() if self.nested is not None else None,
            "certificates": [c.to_json() for c in self.certificates],
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


@dataclass(frozen=True)
class CertificateInfo:
    """One certificate of a header's ``x5c`` chain, as read (never validated or trusted).

    `error` is set, and the other fields empty, when the entry is not a readable certificate.
    """

    index: int
    subject: str = ""
    issuer: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    serial: str = ""
    sha256: str = ""  # fingerprint of the DER bytes, hex
    error: str | None = None

    @property
    def self_issued(self) -> bool:
        return self.error is None and self.subject == self.issuer

    def validity_at(self, now: float) -> str:
        """ "valid", "expired" or "not yet valid" at `now` (dates only: nothing is trusted)."""
        if self.not_before is not None and now < self.not_before.timestamp():
            return "not yet valid"
        if self.not_after is not None and now > self.not_after.timestamp():
            return "expired"
        return "valid"

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"index": self.index, "error": self.error}
        return {
            "index": self.index,
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": iso_utc(self.not_before),
            "not_after": iso_utc(self.not_after),
            "serial": self.serial,
            "sha256": self.sha256,
        }


def format_moment(moment: datetime) -> str:
    """ "2011-03-22 18:43:00 UTC" for people (the JSON output uses `iso_utc`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
