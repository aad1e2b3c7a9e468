"""Where a profile's credentials may go (docs/ARCHITECTURE.md, "Where credentials may go").

A profile's secrets and tokens go only to

* its own origin: scheme, host and port of `base_url`;
* origins it lists in `[settings] allowed_origins`;
* origins a registered *origin source* vouches for: the OAuth presets' issuer
  discovery names its endpoints (`register_origin_source`, used by the OAuth code).

This module is also the one rule for what an origin is and which hosts are loopback
(`origin_of`, `origin_from`, `is_loopback_host`); nothing else in the code base spells
its own (tests/hostile/test_one_origin_rule.py checks). An origin is the one the HTTP
client connects to: lower case, IDNA as httpx encodes it, default port dropped.

`check_origin` enforces the rule on every request as it is sent (`net.client.send_bounded`
calls it with the origin of the request as built, so a template that renders another URL
with real secrets than with placeholders cannot slip past it). `import_risks` lists what a
profile file would do that the rule, or plain safety, says a user must agree to
before it is imported: requests outside its base URL's origin, a URL built from a
secret's value, TLS verification off, plain http to a host that is not loopback.
`cli_warnings` are the lines every CLI use of a profile prints for the last two.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.core.clock import Clock
from workbench.core.errors import OriginError as OriginError  # defined in the error tree
from workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Requests a preset describes; each may send credentials.
REQUEST_STEPS = ("mint", "refresh", "verify")

OriginSource = Callable[["Profile"], Iterable[str]]


def _oauth_issuer_origins(profile: Profile) -> Iterable[str]:
    """The endpoints an OAuth preset's issuer discovery names (cached; no network here)."""
    if profile.preset.data.get("oauth") is None:
        return ()
    from workbench.core.oauth.signout import credential_origins

    return credential_origins(profile)


_sources: list[OriginSource] = [_oauth_issuer_origins]
_sources_lock = threading.Lock()


def register_origin_source(source: OriginSource) -> Callable[[], None]:
    """Add a function naming more origins a profile's credentials may go to (for example the
    endpoints its OAuth issuer's discovery document names). Returns a function that removes it."""
    with _sources_lock:
        _sources.append(source)

    def unregister() -> None:
        with _sources_lock:
            if source in _sources:
                _sources.remove(source)

    return unregister


# A host as the client will connect to it: a DNS name (letters, digits, '-', '_', dots), a
# dotted IPv4 or a bracketed IPv6. Anything else (templates, spaces, percent escapes) is no origin.
_DNS_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_.])?\Z")
_DOTTED_IPV4 = re.compile(r"^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}\Z")


def canonical_host(host: str) -> str:
    """`host` the way the HTTP client resolves it: lower-cased, a non-ASCII name IDNA-encoded
    (as httpx does), an IPv6 literal compressed and bracketed. '' when it is not a host."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return ""
    if not host.isascii():
        import idna

        try:
            host = idna.encode(host.lower()).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return ""
    host = host.lower()
    return host if _DNS_NAME.match(host) else ""


def is_loopback_host(host: str | None) -> bool:
    """Exactly `localhost`, a canonical dotted IPv4 in 127.0.0.0/8, or `::1`. Not `*.localhost`
    (a resolver may ask DNS), not `127.evil.example`, not `0x7f.1` / `2130706433` / `127.1`
    (inet_aton shorthands), not `::ffff:127.0.0.1`: whatever another parser or resolver could read
    differently is not loopback, so plain http to it is refused or warned about."""
    if not (host or "").isascii():
        return False  # a look-alike spelling, even of 127.0.0.1 (IDNA maps U+3002 to a dot)
    canonical = canonical_host(host or "")
    if canonical == "localhost":
        return True
    if canonical == "[::1]":
        return True
    if _DOTTED_IPV4.match(canonical):
        return ipaddress.IPv4Address(canonical).is_loopback
    return False


def origin_from(scheme: str, host: str, port: int | None) -> str:
    """`scheme://host[:port]` with the one canonical form; '' unless http(s) with a real host."""
    scheme = scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return ""
    canonical = canonical_host(host)
    if not canonical:
        return ""
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{canonical}"
    return f"{scheme}://{canonical}:{port}"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute http(s) URL, in the one canonical form (lower case,
    IDNA, default port dropped); '' for anything else (no host, a bad port, another scheme)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if not parts.hostname:
        return ""
    return origin_from(parts.scheme, parts.hostname, port)


def origin_or_none(url: str) -> str | None:
    """`origin_of`, with None for "not an absolute http(s) URL" (the importers' spelling)."""
    return origin_of(url) or None


def validate_origin(value: Any) -> str:
    """An `allowed_origins` entry: `https://host[:port]` with nothing after it. Raises ValueError."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("each entry must be an origin like https://api.example.com")
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{text[:80]}' is not an origin (write it as https://host or https://host:port)")
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"'{text[:80]}' must be only scheme://host[:port], without a path")
    origin = origin_of(text)
    if not origin:
        raise ValueError(f"'{text[:80]}' has an invalid port")
    return origin


def allowed_origins(profile: Profile) -> list[str]:
    """Every origin `profile`'s credentials may go to, its own first."""
    out = [origin_of(profile.base_url)]
    listed = profile.settings.get("allowed_origins") or ()
    out += [origin_of(str(o)) for o in listed]
    with _sources_lock:
        sources = list(_sources)
    for source in sources:
        try:
            out += [origin_of(str(o)) for o in source(profile)]
        except Exception:  # noqa: S112 - a source that fails vouches for nothing
            continue
    return [o for o in dict.fromkeys(out) if o]


def check_origin(profile: Profile, url: str, *, what: str, allow_other: bool = False) -> None:
    """Raise `OriginError` unless `url` is on an origin `profile`'s credentials may go to."""
    if allow_other:
        return
    target = origin_of(url)
    allowed = allowed_origins(profile)
    if target and target in allowed:
        return
    shown = target or "a URL without a host"
    raise OriginError(
        f"{what}: not sending the credentials of profile '{profile.name}' to {shown}: they go only to "
        f"{allowed[0]} and the origins in its [settings] allowed_origins",
        hint="pass --allow-origin to send them there once, or add the origin to allowed_origins",
        field="settings.allowed_origins",
    )


def cli_warnings(profile: Profile) -> list[str]:
    """Lines every CLI use of `profile` prints (on stderr): TLS verification off, plain http."""
    out: list[str] = []
    if profile.settings.get("verify_tls") is False:
        out.append(
            f"profile '{profile.name}' has TLS verification turned off (verify_tls = false): "
            "anyone on the network path can read and change its requests and tokens"
        )
    if crosses_network_unencrypted(profile.base_url):
        out.append(
            f"profile '{profile.name}' uses plain http:// to {urlsplit(profile.base_url).hostname}: "
            "its credentials cross the network unencrypted"
        )
    return out


def crosses_network_unencrypted(url: str) -> bool:
    """Plain `http://` to a host that is not loopback (by `is_loopback_host`): what is sent
    there, credentials included, can be read and changed on the way."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() == "http" and bool(parts.hostname) and not is_loopback_host(parts.hostname)


def request_targets(profile: Profile) -> list[tuple[str, str | None]]:
    """(what, URL) of each request the profile's preset describes, with placeholder secrets; URL
    None when the template cannot be rendered without real values (then it cannot be checked)."""
    from workbench.core.engine import flows
    from workbench.core.request.templating import TemplateRenderer

    renderer = TemplateRenderer(clock=Clock())
    placeholders = _Placeholders()
    out: list[tuple[str, str | None]] = []
    for label, template in url_templates(profile):
        try:
            context = flows.template_context(profile, secrets=placeholders)
            rendered = renderer.render(str(template), context, field=label)
            out.append((label, flows.resolve_url(profile, rendered)))
        except WorkbenchError:
            out.append((label, None))
    return out


def url_templates(profile: Profile) -> list[tuple[str, str]]:
    """(what, template) of every URL the profile's preset builds: each step's path, the JWKS URL."""
    fields: list[tuple[str, str]] = []
    for step in REQUEST_STEPS:
        section = profile.preset.section(step)
        if section is not None:
            fields.append((f"[{step}] path", str(section.get("path", ""))))
    if profile.preset.token.jwks_url:
        fields.append(("[token] jwks_url", str(profile.preset.token.jwks_url)))
    return fields


def reads_secrets(template: str) -> bool:
    """True when a template uses `secrets` at all (a URL built from a secret's value could carry
    it anywhere: a branch on it renders one thing with placeholders and another for real).
    A template that does not parse counts as reading them: it cannot be checked."""
    if "secrets" not in template:
        return False
    from jinja2 import Environment, TemplateSyntaxError, meta

    try:
        return "secrets" in meta.find_undeclared_variables(Environment(autoescape=True).parse(template))
    except TemplateSyntaxError:
        return True


class _Placeholders:
    """A `SecretSource` that has every secret, as a harmless placeholder (for `request_targets`)."""

    def get(self, name: str) -> str | None:
        return "placeholder"


def import_risks(profile: Profile) -> list[str]:
    """What importing `profile` would do that needs `--trust`, one sentence each (empty: safe)."""
    own = origin_of(profile.base_url)
    risks: list[str] = []
    for label, template in url_templates(profile):
        if reads_secrets(template):
            risks.append(f"its {label} builds a URL from a secret's value (secrets.* in a URL template)")
    for label, url in request_targets(profile):
        if url is None:
            risks.append(f"its {label} cannot be checked without real values (a template decides)")
        elif origin_of(url) != own:
            risks.append(f"its {label} sends requests to {origin_of(url) or url}, outside {own}")
    for origin in profile.settings.get("allowed_origins") or ():
        risks.append(f"it lets its credentials go to {origin} ([settings] allowed_origins)")
    if profile.settings.get("verify_tls") is False:
        risks.append("it turns TLS verification off (verify_tls = false)")
    return risks


__all__ = [
    "OriginError",
    "allowed_origins",
    "canonical_host",
    "check_origin",
    "cli_warnings",
    "import_risks",
    "is_loopback_host",
    "origin_from",
    "origin_of",
    "origin_or_none",
    "reads_secrets",
    "register_origin_source",
    "request_targets",
    "url_templates",
    "validate_origin",
]
