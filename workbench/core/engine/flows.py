"""Flows as data: a preset's `[mint]`/`[refresh]`/`[verify]` tables become requests, answers tokens.

Nothing here talks to the network or knows a provider by name. `build_request`
renders a request (`RequestSpec`, an immutable snapshot a worker thread can
send); `parse_token_response` reads a token answer the way `[*.response]` says;
`provider_error` turns an error answer into the provider's own words (redacted)
inside our error tree. The engine (`workbench.core.engine.token_engine`) strings them together.

Every message names the preset and the step ("marketiger3d refresh failed (401
AUTHENTICATION): Invalid or expired refresh token") and is one line. No message
ever carries a secret: provider text goes through `redact` with the request's
secret values.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from workbench.core.engine.answers import Step, where_label
from workbench.core.errors import (
    InputError,
    PresetError,
    TemplateError,
)
from workbench.core.net.origins import origin_of
from workbench.core.oauth.grants import BEARER_ASSERTION_LIFETIME, EXCHANGE_FIELDS, bearer_assertion
from workbench.core.oauth.protocol import TEMPLATE_ENDPOINTS, client_credentials_from
from workbench.core.redact import REDACTED, redact
from workbench.core.request.templating import LazySecrets, SecretSource, TemplateRenderer, touched_values
from workbench.core.storage.history import redact_url

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile


# Header names whose values are credentials: never logged, never shown.
_SENSITIVE_HEADER = re.compile(r"(?i)(auth|token|key|secret|signature|passw|session|cookie|credential)")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class RequestSpec:
    """One rendered request, ready to send. Immutable, so a worker thread can own it.

    `secret_values` are the secret values that went into it (for redacting anything
    derived from this request); they are excluded from repr and comparison.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    content: bytes | None
    step: str
    secret_values: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def redacted(self) -> dict[str, Any]:
        """What may be logged or shown: credential header values and the body replaced."""
        headers: list[list[str]] = []
        for name, value in self.headers:
            if _SENSITIVE_HEADER.search(name):
                scheme = value.split(" ", 1)[0] if " " in value else ""
                shown = f"{scheme} {REDACTED}" if scheme.isalpha() and len(scheme) <= 10 else REDACTED
            else:
                shown = redact(value, self.secret_values)
            headers.append([name, shown])
        body = None if self.content is None else f"[{len(self.content)} bytes {REDACTED}]"
        return {
            "step": self.step,
            "method": self.method,
            "url": redact_url(self.url, self.secret_values),
            "headers": headers,
            "body": body,
        }

    def __repr__(self) -> str:
        shown = self.redacted()
        return f"RequestSpec({shown['step']} {shown['method']} {shown['url']})"


def resolve_url(profile: Profile, path_or_url: str) -> str:
    """Join a path to the profile's base URL, keeping the base's own path; absolute URLs pass.

    ".../v1/auth" + "/api-key/token" → ".../v1/auth/api-key/token".
    """
    target = path_or_url.strip()
    if _ABSOLUTE.match(target):
        parts = urlsplit(target)
        if parts.scheme.lower() not in ("http", "https"):
            raise InputError(f"'{parts.scheme}:' URLs are not supported; use http:// or https://")
        if not parts.netloc:
            raise InputError(f"'{redact_url(target)}' is missing its host (write it as https://host/path)")
        return target
    base = profile.base_url.strip().rstrip("/")
    if not base:
        raise InputError(f"profile '{profile.name}' has no base URL")
    if not target:
        return base
    if target.startswith(("?", "#")):
        return base + target
    return f"{base}/{target.lstrip('/')}"


def template_vars(profile: Profile) -> dict[str, str]:
    """The profile's settings as templates see them: preset input defaults, then the profile's own."""
    values: dict[str, str] = {}
    for item in profile.preset.inputs:
        if item.kind == "var" and item.default is not None:
            values[item.name] = item.default
    values.update({k: str(v) for k, v in profile.vars.items()})
    return values


def template_context(
    profile: Profile,
    *,
    secrets: SecretSource | LazySecrets,
    access_token: str | None = None,
) -> dict[str, Any]:
    """The names a preset's templates can use (see resources/presets/README.md)."""
    if not isinstance(secrets, LazySecrets):
        overrides = {"access_token": access_token} if access_token else None
        secrets = LazySecrets(secrets, profile=profile.name, overrides=overrides)
    context: dict[str, Any] = {
        "vars": template_vars(profile),
        "secrets": secrets,
        "base_url": profile.base_url,
        "origin": origin_of(profile.base_url),
        "profile": profile.name,
    }
    if profile.preset.section("oauth") is not None:
        # Where the issuer's endpoints are, without the network: the profile's overrides, else the
        # issuer itself (discovery must name that issuer). `build_request` gets the discovered ones.

        variables = context["vars"]
        context["oauth"] = {
            "issuer": profile.base_url,
            **{name: variables.get(name) or profile.base_url for name in TEMPLATE_ENDPOINTS},
        }
    return context


def _request_section(profile: Profile, step: str) -> Mapping[str, Any]:
    section = profile.preset.section(step)
    if section is None:
        what = {
            "mint": "cannot mint tokens (it has no [mint] request)",
            "refresh": "cannot refresh tokens (it has no [refresh] request)",
            "verify": "offers no remote token check (it has no [verify] request)",
        }.get(step, f"has no [{step}] request")
        raise PresetError(f"preset '{profile.preset.name}' {what}")
    return section


def _no_line_breaks(name: str, value: str, where: str) -> str:
    if "\r" in value or "\n" in value:
        raise TemplateError(f"{where}: header {name} rendered a line break (headers must be one line)")
    return value


def _has_header(headers: Sequence[tuple[str, str]], name: str) -> bool:
    return any(k.lower() == name.lower() for k, _ in headers)


def build_request(
    profile: Profile,
    step: Step,
    *,
    secrets: SecretSource,
    renderer: TemplateRenderer,
    access_token: str | None = None,
    now: int | None = None,
    oauth: Mapping[str, str] | None = None,
    exchange: Mapping[str, str] | None = None,
) -> RequestSpec:
    """Render the preset's request for `step`.

    `access_token` is the current token: `[verify] auth = true` sends it, and it is
    what templates see as `secrets.access_token` (paymentsgate's refresh sends it as
    Bearer) instead of the vault's copy. `now` pins the templates' `now()`. `oauth` is
    the issuer's endpoints (`{{ oauth.token_endpoint }}`), for presets with `[oauth]`.
    `exchange` is what a token exchange sends (`{{ exchange.subject_token }}`, RFC 8693), for a
    request with `exchange = true`; a request with an `[assertion]` table carries a JWT bearer
    grant assertion (RFC 7523 §2.1) signed with the profile's key.
    """
    section = _request_section(profile, step)
    where = where_label(profile, step)
    lazy = LazySecrets(
        secrets,
        profile=profile.name,
        overrides={"access_token": access_token} if access_token else None,
    )
    context = template_context(profile, secrets=lazy)
    if oauth is not None:
        context["oauth"] = dict(oauth)
    if section.get("exchange"):
        context["exchange"] = {**dict.fromkeys(EXCHANGE_FIELDS, ""), **(exchange or {})}
    stamp = int(renderer.clock.now()) if now is None else int(now)

    def render(template: Any, field_name: str) -> str:
        if not isinstance(template, str):
            raise PresetError(
                f"preset '{profile.preset.name}': [{step}] {field_name} must be a text template"
            )
        return renderer.render(template, context, field=field_name, where=where, now=stamp)

    method = str(section.get("method") or ("GET" if step == "verify" else "POST")).upper()
    url = resolve_url(profile, render(section.get("path", ""), "path"))

    headers: list[tuple[str, str]] = []
    raw_headers = section.get("headers") or {}
    for name, template in raw_headers.items():
        value = render(template, f"headers.{name}").strip()
        if value:
            headers.append((str(name), _no_line_breaks(str(name), value, where)))

    if section.get("basic_auth"):
        pair = list(section["basic_auth"])
        if len(pair) != 2:
            raise PresetError(f"preset '{profile.preset.name}': [{step}] basic_auth must be [user, password]")
        user = render(pair[0], "basic_auth user")
        password = render(pair[1], "basic_auth password")
        # RFC 7617: user-id must not contain a colon; most token endpoints take raw values (curl -u style).
        if ":" in user:
            raise TemplateError(f"{where}: the basic_auth user must not contain ':'")
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers = [(k, v) for k, v in headers if k.lower() != "authorization"]
        headers.append(("Authorization", f"Basic {encoded}"))

    if section.get("auth"):
        token = access_token or lazy_get(lazy, "access_token")
        if not token:
            raise InputError(
                f"profile '{profile.name}' has no access token yet"
                f" (get one with `workbench token {profile.name}`)"
            )
        header_name, value = profile.token_spec.authorization(token)
        headers = [(k, v) for k, v in headers if k.lower() != header_name.lower()]
        headers.append((header_name, value))

    extra_secrets: tuple[str, ...] = ()
    auth_fields: list[tuple[str, str]] = []
    if section.get("client_auth"):
        # OAuth client authentication (`client_auth` var): Basic with RFC 6749 §2.3.1 encoding,
        # secret in the body, a private_key_jwt assertion for this very URL, or none.

        if "json" in section:
            raise PresetError(f"preset '{profile.preset.name}': [{step}] client_auth needs a `form` body")
        algs = str((oauth or {}).get("auth_signing_algs") or "").split()
        offered = str((oauth or {}).get("auth_methods") or "").split()
        try:
            creds = client_credentials_from(
                context["vars"], lambda name: lazy_get(lazy, name), signing_algs=algs, offered_methods=offered
            )
            auth_headers, auth_fields = creds.apply(url, now=stamp)
        except InputError as exc:
            raise InputError(f"{where}: {exc}", hint=exc.hint, field=exc.field) from None
        if auth_headers:
            headers = [(k, v) for k, v in headers if k.lower() != "authorization"]
            headers.extend(auth_headers)
        extra_secrets = tuple(v for k, v in auth_fields if k == "client_assertion")
    if section.get("exchange"):  # the subject's and actor's tokens are credentials too
        extra_secrets = (
            *extra_secrets,
            *(v for k, v in (exchange or {}).items() if k.endswith("_token") and v),
        )
    if isinstance(section.get("assertion"), Mapping):
        table = section["assertion"]
        assertion = _bearer_assertion(profile, table, render, url, lazy, stamp)
        auth_fields = [*auth_fields, (str(table.get("field") or "assertion"), assertion)]
        extra_secrets = (*extra_secrets, assertion)

    content: bytes | None = None
    if "json" in section and "form" in section:
        raise PresetError(f"preset '{profile.preset.name}': [{step}] has both `json` and `form`; keep one")
    if "json" in section:
        text = render(section["json"], "json")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            # Position only: the rendered text holds secrets and must not be echoed.
            raise TemplateError(
                f"{where}: template json did not render valid JSON (line {exc.lineno}, column {exc.colno}:"
                f" {exc.msg}); quote text values with `| tojson`"
            ) from None
        content = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        if not _has_header(headers, "Content-Type"):
            headers.append(("Content-Type", "application/json"))
    elif "form" in section:
        fields: list[tuple[str, str]] = []
        for name, template in (section.get("form") or {}).items():
            value = render(template, f"form.{name}")
            if value != "":
                fields.append((str(name), value))
        present = {name for name, _ in fields}
        fields.extend((k, v) for k, v in auth_fields if k not in present)
        content = urlencode(fields).encode("ascii")
        if not _has_header(headers, "Content-Type"):
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))

    # What went out in credential headers (a Basic pair encoded together, a signed value) is a
    # secret in the form it was sent, whatever the templates touched.
    sent = tuple(value.split(" ")[-1] for name, value in headers if _SENSITIVE_HEADER.search(name))
    secret_values = tuple(dict.fromkeys(v for v in (*touched_values(lazy), *extra_secrets, *sent) if v))
    if access_token and access_token not in secret_values:
        secret_values = (*secret_values, access_token)
    return RequestSpec(
        method=method,
        url=url,
        headers=tuple(headers),
        content=content,
        step=step,
        secret_values=secret_values,
    )


def _bearer_assertion(
    profile: Profile,
    table: Mapping[str, Any],
    render: Any,
    url: str,
    lazy: LazySecrets,
    stamp: int,
) -> str:
    """The `[*.assertion]` table rendered and signed: iss, sub, aud (default: the request's URL),
    kid and extra `claims` are templates; `key` names the secret holding the private key."""
    claims: dict[str, Any] = {}
    for claim in ("iss", "sub", "aud"):
        claims[claim] = render(table.get(claim, ""), f"assertion.{claim}").strip()
    claims["aud"] = claims["aud"] or url
    for claim, template in (table.get("claims") or {}).items():
        claims[str(claim)] = render(template, f"assertion.claims.{claim}").strip()
    key_name = str(table.get("key") or "private_key")
    private_key = lazy_get(lazy, key_name)
    if not private_key:
        raise InputError(
            f"profile '{profile.name}' has no {key_name} to sign its JWT bearer assertion with",
            hint=f"create one with `workbench keygen --profile {profile.name}` and register its public JWK,"
            f" or store one with `workbench profile set {profile.name} --secret {key_name}=@FILE`",
            field=key_name,
        )
    return bearer_assertion(
        claims,
        private_key,
        kid=render(table.get("kid", ""), "assertion.kid"),
        now=stamp,
        lifetime=int(table.get("lifetime") or BEARER_ASSERTION_LIFETIME),
    )


def lazy_get(secrets: LazySecrets, name: str) -> str | None:
    value = secrets[name]
    return value if isinstance(value, str) else None


__all__ = [
    "RequestSpec",
    "build_request",
    "resolve_url",
    "template_context",
    "template_vars",
]
