"""A provider's answer read as data: the token in it, its lifetime, its error message,
and whether it says the token expired or the clock is off."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.engine.policy import parse_retry_after
from workbench.core.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
)
from workbench.core.jose.claims import JwtClaims, jwt_times, numeric_date, read_jwt
from workbench.core.jose.inspect import find_jwt, looks_like_jwt
from workbench.core.redact import redact

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile

Step = Literal["mint", "refresh", "verify"]

DEFAULT_TOKEN_TYPE = "Bearer"  # noqa: S105  (a scheme name, not a password)
DEFAULT_ACCESS_TOKEN_PATH = "access_token"  # noqa: S105  (a JSON path, not a password)
# Provider text shown to the user is cut here: one line, readable, never a dump.
MAX_PROVIDER_MESSAGE = 300
# An `expires_in` above this many seconds (~30 years) is a Unix time someone put under that name.
_EPOCH_IN_EXPIRES_IN = 1e9
# The longest a token is believed to live, whatever the provider says (`expires_in: 1e300` would
# otherwise cache it for ever): a token said to live longer is renewed after a year.
MAX_TOKEN_LIFETIME = 366 * 86400.0
# What an access token may hold: visible ASCII, no space (RFC 6749 A.12 allows VSCHARs; a space
# would split `Bearer <token>`). Not only RFC 6750's b64token: real providers issue opaque
# tokens with `!`, `|` or `:` (Salesforce's `00D…!AQ…`) and must keep working. CR/LF (a header
# added to `token --format header`) and escape sequences (acting on a terminal) are refused.
_ACCESS_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
# RFC 6749 A.17 / A.13: a refresh token is VSCHARs (printable ASCII); a token type is a word.
_VSCHARS = re.compile(r"[\x20-\x7e]+")
_TOKEN_TYPE = re.compile(r"[\x21-\x7e]+")
_CLOCK_WORDS = re.compile(r"(?i)(timestamp|\btime\b|clock|skew|\bwindow\b|too old|in the future)")


def where_label(profile: Profile, step: str) -> str:
    return f"{profile.preset.name} {step}"


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class TokenAnswer:
    """What a mint/refresh answer gave us. Times are Unix seconds on the server's clock."""

    access_token: str
    refresh_token: str | None
    token_type: str
    expires_at: float | None
    lifetime: float | None
    issued_at: float | None
    refresh_token_expires_at: float | None = None
    jwt: JwtClaims | None = None  # the access token read once (None: opaque, or not read)
    scope: str | None = None  # the scope the answer says was granted (OAuth; None: not stated)
    id_token: str | None = None  # an OpenID Connect id_token that came with it (never a bearer)
    issued_token_type: str | None = None  # RFC 8693 §2.2.1: what a token exchange issued

    def __repr__(self) -> str:  # tokens never in a repr (logs, tracebacks, test output)
        return (
            f"TokenAnswer(token_type={self.token_type!r}, expires_at={self.expires_at!r}, "
            f"lifetime={self.lifetime!r}, issued_at={self.issued_at!r}, "
            f"refresh_token={'yes' if self.refresh_token else 'no'})"
        )


_MISSING = object()


def dotted_get(document: Any, path: str) -> Any:
    """Follow "a.b.0.c" into dicts and lists; None when any step is missing."""
    current = document
    for part in path.split("."):
        if isinstance(current, Mapping):
            if part not in current:
                return None
            current = current[part]
        elif isinstance(current, list) and re.fullmatch(r"-?\d+", part):
            index = int(part)
            if not -len(current) <= index < len(current):
                return None
            current = current[index]
        else:
            return None
    return current


def _header_get(headers: Mapping[str, str], name: str) -> str | None:
    getter = getattr(headers, "get", None)
    # httpx.Headers and similar are case-insensitive already; plain dicts are not.
    if getter is not None:
        value = getter(name)
        if value is not None:
            return str(value)
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return str(value)
    return None


def _body_text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _parse_json(body: bytes) -> Any:
    """The JSON document, or _MISSING if the body is not JSON."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _MISSING


def _strip_scheme(value: str, scheme: str | None = None) -> str:
    value = value.strip()
    for prefix in filter(None, (scheme, "Bearer")):
        if value[: len(prefix) + 1].lower() == prefix.lower() + " ":
            return value[len(prefix) + 1 :].strip()
    return value


def _parse_instant(value: Any) -> float | None:
    """An absolute time: ISO 8601 date-time (Z, offset, fractions; naive = UTC) or Unix seconds/ms
    (`numeric_date`: None for what cannot be a time, e.g. 10^400 or `Infinity`)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return numeric_date(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return numeric_date(float(text))  # float() of 400 digits is inf, not an error
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_duration(value: Any) -> float | None:
    """A stated number of seconds (`expires_in`): a non-negative number, possibly inf (10^400 or
    1e400 say "very long"); None for anything else (negative, NaN, text that is not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
            return None
        value = float(value)
    if not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf if value > 0 else -math.inf
    return None if math.isnan(seconds) or seconds < 0 else seconds


def bounded_expiry(
    now: float, expires_at: float | None, lifetime: float | None
) -> tuple[float | None, float | None]:
    """(expires_at, lifetime) within `MAX_TOKEN_LIFETIME` of `now`, finite: what a provider states
    is believed up to a year, so a token is never cached for ever and every time stays printable."""
    if expires_at is not None and not (math.isfinite(expires_at) and expires_at <= now + MAX_TOKEN_LIFETIME):
        expires_at = now + MAX_TOKEN_LIFETIME
    if lifetime is not None and not (math.isfinite(lifetime) and lifetime <= MAX_TOKEN_LIFETIME):
        lifetime = MAX_TOKEN_LIFETIME
    return expires_at, lifetime


def check_token_text(where: str, access: str, refresh: str | None, token_type: str) -> None:
    """Refuse a token that could not be sent or printed safely: an access token with anything but
    visible ASCII (CR/LF would add a header to `token --format header`, an escape sequence would
    act on the terminal), a refresh token or token type with control characters."""
    if not _ACCESS_TOKEN_CHARS.fullmatch(access):
        raise ProviderResponseError(
            f"{where}: the provider's access token holds spaces, control or non-ASCII characters "
            "(RFC 6749 A.12); refused, nothing was stored"
        )
    if refresh is not None and not _VSCHARS.fullmatch(refresh):
        raise ProviderResponseError(
            f"{where}: the provider's refresh token holds control or non-ASCII characters (RFC 6749 "
            "A.17); refused"
        )
    if not _TOKEN_TYPE.fullmatch(token_type):
        raise ProviderResponseError(
            f"{where}: the provider's token_type holds control, space or non-ASCII characters; refused"
        )


def refresh_token_in(profile: Profile, step: str, headers: Mapping[str, str], body: bytes) -> str | None:
    """The refresh token a 2xx answer carries, read on its own: when the rest of a rotating
    refresh's answer is refused, this one must still be kept (the old one is dead)."""
    section = profile.preset.section(step) or {}
    spec: Mapping[str, Any] = section.get("response") or {}
    path = spec.get("refresh_token")
    if not isinstance(path, str) or not path or path == "@jwt":
        return None
    if path.startswith("header:"):
        value = _header_get(headers, path[len("header:") :].strip())
    else:
        document = _parse_json(body)
        value = None if document is _MISSING else dotted_get(document, path)
    if not isinstance(value, str) or not _VSCHARS.fullmatch(value.strip()):
        return None
    return value.strip()


def parse_token_response(
    profile: Profile,
    step: str,
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    secrets: Iterable[str] = (),
) -> TokenAnswer:
    """Read a mint/refresh answer as `[<step>.response]` describes it.

    Non-2xx raises `provider_error(...)`; a 2xx that is not JSON (when JSON is needed),
    lacks the token, or says `success: false` raises `ProviderResponseError`/`ProviderError`.
    """
    if not 200 <= status < 300:
        raise provider_error(
            profile, status=status, headers=headers, body=body, step=step, secrets=secrets, now=now
        )
    where = where_label(profile, step)
    section = profile.preset.section(step) or {}
    spec: Mapping[str, Any] = section.get("response") or {}
    access_path = str(spec.get("access_token") or DEFAULT_ACCESS_TOKEN_PATH)
    token_spec = profile.preset.token
    scheme = token_spec.scheme or DEFAULT_TOKEN_TYPE

    document = _parse_json(body)
    # The token itself may come from a header or a raw-text body; a dotted path needs JSON.
    if document is _MISSING and not access_path.startswith(("header:", "@")):
        raise ProviderResponseError(f"{where}: the provider's answer is not valid JSON", status=status)

    def field_value(key: str) -> Any:
        path = spec.get(key)
        if not isinstance(path, str) or not path:
            return None
        if path.startswith("header:"):
            return _header_get(headers, path[len("header:") :].strip())
        if path == "@jwt":
            return None
        return None if document is _MISSING else dotted_get(document, path)

    success_path = spec.get("success")
    if isinstance(success_path, str) and success_path:
        flag = None if document is _MISSING else dotted_get(document, success_path)
        if flag is not True:
            raise provider_error(
                profile,
                status=status,
                headers=headers,
                body=body,
                step=step,
                secrets=secrets,
                fallback=f"the provider answered {success_path}={json.dumps(flag)}",
            )

    access: Any
    if access_path == "@jwt":
        # Any JSON string field at any depth ("access" keys preferred), or a raw text body.
        access = find_jwt(_body_text(body))
        tried = "a JWT anywhere in the answer"
    elif access_path.startswith("header:"):
        header_name = access_path[len("header:") :].strip()
        raw = _header_get(headers, header_name)
        access = _strip_scheme(raw, scheme) if raw else None
        tried = f"the {header_name} response header"
    else:
        access = dotted_get(document, access_path) if document is not _MISSING else None
        tried = f"'{access_path}'"
    if not isinstance(access, str) or not access.strip():
        raise ProviderResponseError(
            f"{where}: the provider's answer has no access token at {tried}"
            " (check the preset's access_token path)",
            status=status,
        )
    access = access.strip()

    refresh = field_value("refresh_token")
    refresh_token = refresh.strip() if isinstance(refresh, str) and refresh.strip() else None
    token_type_value = field_value("token_type")
    token_type = (
        token_type_value.strip()
        if isinstance(token_type_value, str) and token_type_value.strip()
        else DEFAULT_TOKEN_TYPE
    )

    jwt = read_jwt(access)
    jwt_exp, jwt_iat = jwt_times(jwt)
    issued_at = jwt_iat if jwt_iat is not None else now
    jwt_lifetime = jwt_exp - jwt_iat if jwt_exp is not None and jwt_iat is not None else None

    expires_at: float | None = None
    lifetime: float | None = None
    raw_expires_in = field_value("expires_in")
    seconds = parse_duration(raw_expires_in)
    if seconds is not None and seconds > _EPOCH_IN_EXPIRES_IN:
        # A Unix time sent under `expires_in` (no real token lives 30 years): treat it as absolute;
        # a number that cannot be a time (10^400, 1e300) says "very long": the longest believed.
        expires_at, seconds = _parse_instant(raw_expires_in), None
        if expires_at is None:
            expires_at, lifetime = now + MAX_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME
    elif seconds is not None:
        expires_at, lifetime = now + seconds, seconds
    elif raw_expires_in is not None:
        # true-markets sends an ISO date-time under `expires_in`: an absolute time.
        expires_at = _parse_instant(raw_expires_in) if isinstance(raw_expires_in, str) else None
    if expires_at is None:
        expires_at = _parse_instant(field_value("expires_at"))
    if expires_at is None and jwt_exp is not None:
        expires_at = jwt_exp
    if lifetime is None and expires_at is not None:
        if jwt_lifetime is not None:
            lifetime = jwt_lifetime
        elif expires_at > issued_at:
            lifetime = expires_at - issued_at

    expires_at, lifetime = bounded_expiry(now, expires_at, lifetime)
    check_token_text(where, access, refresh_token, token_type)

    refresh_expires_at: float | None = None
    refresh_lifetime = token_spec.refresh_token_lifetime
    if refresh_token and refresh_lifetime:
        refresh_expires_at = now + refresh_lifetime

    scope = field_value("scope")
    id_token = field_value("id_token")
    issued = document.get("issued_token_type") if isinstance(document, Mapping) else None
    return TokenAnswer(
        access_token=access,
        refresh_token=refresh_token,
        token_type=token_type,
        expires_at=expires_at,
        lifetime=lifetime,
        issued_at=issued_at,
        refresh_token_expires_at=refresh_expires_at,
        jwt=jwt,
        scope=" ".join(scope.split()) if isinstance(scope, str) else None,
        id_token=id_token.strip() if isinstance(id_token, str) and id_token.strip() else None,
        issued_token_type=" ".join(issued.split())[:200] or None if isinstance(issued, str) else None,
    )


# --------------------------------------------------------------------------- errors


def _first_string(document: Any, paths: Iterable[str]) -> str | None:
    for path in paths:
        value = dotted_get(document, path)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return None


def _as_paths(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return []


_FALLBACK_MESSAGE_PATHS = ("message", "error_description", "error.message", "detail", "error", "title")
_FALLBACK_TYPE_PATHS = ("code", "error.type", "error.code", "type")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def _looks_like_html(headers: Mapping[str, str], text: str) -> bool:
    content_type = (_header_get(headers, "Content-Type") or "").lower()
    if "html" in content_type:
        return True
    start = text.lstrip()[:15].lower()
    return start.startswith(("<!doctype", "<html", "<head", "<body", "<?xml", "<"))


def _one_line(text: str, secrets: Iterable[str]) -> str:
    cleaned = " ".join(redact(text, list(secrets)).split())
    if len(cleaned) > MAX_PROVIDER_MESSAGE:
        cleaned = cleaned[: MAX_PROVIDER_MESSAGE - 1].rstrip() + "…"
    return cleaned


def provider_message(
    profile: Profile, *, headers: Mapping[str, str], body: bytes, secrets: Iterable[str] = ()
) -> tuple[str | None, str | None, str]:
    """(message, type, kind) from an error body; kind is "json", "html", "text" or "empty". Redacted."""
    secrets = list(secrets)
    text = _body_text(body).strip()
    if not text:
        return None, None, "empty"
    document = _parse_json(body)
    if document is not _MISSING:
        errors = profile.preset.section("errors") or {}
        message_paths = [*_as_paths(errors.get("message")), *_FALLBACK_MESSAGE_PATHS]
        type_paths = [*_as_paths(errors.get("type")), *_FALLBACK_TYPE_PATHS]
        message = _first_string(document, message_paths)
        error_type = _first_string(document, type_paths)
        if isinstance(document, str) and not message:
            message = document
        return (
            _one_line(message, secrets) if message else None,
            _one_line(error_type, secrets) if error_type else None,
            "json",
        )
    if _looks_like_html(headers, text):
        return None, None, "html"
    return _one_line(text.splitlines()[0], secrets), None, "text"


def provider_error(
    profile: Profile,
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    step: str,
    secrets: Iterable[str] = (),
    fallback: str | None = None,
    now: float | None = None,
) -> ProviderError:
    """The provider's error answer as one of our errors, in its own (redacted) words.

    401/403 → ProviderAuthError, 429 → ProviderRateLimited (with `retry_after`),
    anything else → ProviderError. `secrets` are the request's secret values (scrubbed).
    `now` is the server time (the engine's `Clock`), for a `Retry-After` date without a `Date`.
    """
    message, error_type, kind = provider_message(profile, headers=headers, body=body, secrets=secrets)
    if message and error_type and error_type.lower() == message.lower():
        error_type = None
    if message is None:
        if kind == "html":
            message = "provider answered with HTML, not JSON"
        elif kind == "empty":
            message = fallback or "the provider gave no details"
        else:
            message = fallback or "the provider's answer names no error message"
    if 200 <= status < 300:
        # An envelope that said `success: false` on a 200: the status tells nothing.
        label = f" ({error_type})" if error_type else ""
    else:
        label = f" ({status} {error_type})" if error_type else f" ({status} {_reason(status)})"
    text = f"{where_label(profile, step)} failed{label}: {message}"
    text = " ".join(text.split())
    kwargs: dict[str, Any] = {"status": status, "provider_message": message, "error_type": error_type}
    if status in (401, 403):
        return ProviderAuthError(text, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(
            _header_get(headers, "Retry-After"), now=now, date=_header_get(headers, "Date")
        )
        hint = f"retry in {retry_after:.0f} s" if retry_after is not None else "wait a moment and retry"
        return ProviderRateLimited(text, retry_after=retry_after, hint=hint, **kwargs)
    return ProviderError(text, **kwargs)


# --------------------------------------------------------------------------- response classification


def token_from_header(
    profile: Profile, headers: Mapping[str, str], *, current: str | None = None
) -> str | None:
    """A replacement token from the preset's `[token] sliding_header`, if the answer carries one.

    The scheme ("Bearer ") is stripped; the value must look like a JWT and differ from
    `current` (the token the request was sent with), else None.
    """

    spec = profile.preset.token
    if not spec.sliding_header:
        return None
    raw = _header_get(headers, spec.sliding_header)
    if not raw:
        return None
    value = _strip_scheme(raw, spec.scheme or DEFAULT_TOKEN_TYPE)
    if not value or value == current or not looks_like_jwt(value):
        return None
    return value


def is_expired_answer(profile: Profile, status: int, body: bytes) -> bool:
    """A 401 whose body carries one of the preset's `expired_markers` ("Token has expired")."""
    if status != 401:
        return False
    markers = profile.preset.token.expired_markers
    if not markers:
        return False
    text = _body_text(body).lower()
    return any(m.lower() in text for m in markers)


def _strings(document: Any, depth: int = 0) -> Iterable[str]:
    if depth > 16:
        return
    if isinstance(document, str):
        yield document
    elif isinstance(document, Mapping):
        for value in document.values():
            yield from _strings(value, depth + 1)
    elif isinstance(document, list):
        for value in document:
            yield from _strings(value, depth + 1)


def is_clock_skew_answer(status: int, body: bytes) -> bool:
    """A 400/401 whose message talks about time (timestamp, clock, skew, window)."""
    if status not in (400, 401):
        return False
    document = _parse_json(body)
    texts = list(_strings(document)) if document is not _MISSING else [_body_text(body)]
    return any(_CLOCK_WORDS.search(t) for t in texts)


__all__ = [
    "Step",
    "TokenAnswer",
    "dotted_get",
    "is_clock_skew_answer",
    "is_expired_answer",
    "parse_token_response",
    "provider_error",
    "provider_message",
    "token_from_header",
    "where_label",
]
