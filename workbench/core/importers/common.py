"""Helpers every importer shares: variables and templates, names, URLs, and turning auth into profiles.

Source formats write variables as `{{name}}` (Postman, Bruno) or `{{ _.name }}` (Insomnia's
Nunjucks). Saved requests use the workbench's Jinja2 templates, so every text that crosses
over goes through `Variables.translate`: a known, non-secret variable is substituted; a secret
or unknown one stays a template (`{{ name }}`) and is listed as not mapped; literal `{{`, `{%`
and `{#` in the source are escaped so they reach the wire unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.core.errors import InputError
from workbench.core.importers.model import AuthSpec, ImportPlan, ProfilePlan, RawRequest, RequestPlan
from workbench.core.redact import looks_like_credential, redact

if TYPE_CHECKING:
    from workbench.core.presets import PresetCatalog

MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_NAME = 64

# `{{ name }}`, `{{$guid}}`, `{{ _.name }}`, `{{process.env.X}}`: what a source variable looks like.
_SOURCE_VAR = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NUNJUCKS_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)
_IDENT = re.compile(r"[^A-Za-z0-9_]")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw(or)?d|api[-_]?key|apikey|credential|private|session)")

# Postman/Bruno dynamic variables the workbench's template helpers can stand in for.
_DYNAMIC = {
    "$guid": "{{ uuid() }}",
    "$randomUUID": "{{ uuid() }}",
    "$timestamp": "{{ now() }}",
}
# Headers the client computes itself (or a browser added): not stored, listed once per import.
MANAGED_HEADERS = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "keep-alive", "te"}
)
# Headers that carry credentials by their nature, whatever their value looks like.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "apikey", "x-auth-token"}
)


def escape_literal(text: str) -> str:
    """Text that renders to itself under Jinja2 (source text may hold `{{`, `{%`, `{#`)."""
    if "{" not in text:
        return text
    return re.sub(r"\{([{%#])", lambda m: "{{ '{" + m.group(1) + "' }}", text)


def template_name(name: str) -> str:
    """A source variable name as a Jinja2 identifier (`api-host` → `api_host`, `1st` → `_1st`)."""
    ident = _IDENT.sub("_", name.strip()) or "_"
    return "_" + ident if ident[0].isdigit() else ident


def looks_secret(name: str, value: str = "") -> bool:
    """A variable or header that would put a credential in a file."""
    if name.lower() in CREDENTIAL_HEADERS or _SECRET_NAME.search(name):
        return True
    return bool(value) and looks_like_credential(value)


@dataclass
class Variables:
    """Name → value from the source (collection, folder, environment), and which are secret."""

    values: dict[str, str] = field(default_factory=dict)
    secret: set[str] = field(default_factory=set)
    problems: dict[str, str] = field(default_factory=dict)  # message key → message (ordered, unique)

    def add(self, name: str, value: Any, *, secret: bool = False) -> None:
        if not isinstance(name, str) or not name:
            return
        text = value if isinstance(value, str) else "" if value is None else _scalar(value)
        self.values[name] = text
        if secret or looks_secret(name, text):
            self.secret.add(name)
        else:
            self.secret.discard(name)

    def child(self) -> Variables:
        """A copy for a folder or a request (its own variables shadow the parent's)."""
        return Variables(dict(self.values), set(self.secret), self.problems)

    def note(self, message: str) -> None:
        self.problems.setdefault(message, message)

    def resolve(self, text: str, *, nunjucks: bool = False) -> str:
        """Every known variable substituted, secrets included (for auth values headed to the vault).

        Unknown ones are left as they are; the caller checks `unresolved`.
        """

        def sub(match: re.Match[str]) -> str:
            name = _source_name(match.group(1), nunjucks)
            if name in self.values:
                return (
                    self.resolve(self.values[name], nunjucks=nunjucks)
                    if "{{" in self.values[name]
                    else (self.values[name])
                )
            return match.group(0)

        return _SOURCE_VAR.sub(sub, text) if "{{" in text else text

    def translate(self, text: str, where: str, *, nunjucks: bool = False, depth: int = 0) -> str:
        """Source text → workbench template (see the module docstring). Problems are noted, not raised."""
        if nunjucks and "{%" in text:
            for tag in _NUNJUCKS_TAG.findall(text):
                self.note(
                    f"{where}: Insomnia template tag {redact(tag)[:60]} has no equivalent; kept as text"
                )
        out: list[str] = []
        pos = 0
        for match in _SOURCE_VAR.finditer(text):
            out.append(escape_literal(text[pos : match.start()]))
            pos = match.end()
            raw = match.group(1)
            name = _source_name(raw, nunjucks)
            if name in _DYNAMIC:
                out.append(_DYNAMIC[name])
            elif name.startswith("$"):
                self.note(f"{where}: dynamic variable {{{{{name}}}}} has no equivalent; left undefined")
                out.append("{{ " + template_name(name) + " }}")
            elif name in self.values and name not in self.secret:
                value = self.values[name]
                out.append(
                    self.translate(value, where, nunjucks=nunjucks, depth=depth + 1)
                    if ("{{" in value and depth < 5)
                    else escape_literal(value)
                )
            elif name in self.secret:
                self.note(
                    f"{where}: variable '{name}' holds a secret; its value is not stored in a file "
                    f"(define {template_name(name)} under [vars] of the saved requests, "
                    "or use the profile's auth)"
                )
                out.append("{{ " + template_name(name) + " }}")
            else:
                self.note(
                    f"{where}: variable '{name}' has no value in the source; left as {{{{ "
                    f"{template_name(name)} }}}}"
                )
                out.append("{{ " + template_name(name) + " }}")
        out.append(escape_literal(text[pos:]))
        return "".join(out)


def _source_name(raw: str, nunjucks: bool) -> str:
    name = raw.strip()
    if nunjucks and name.startswith("_."):
        name = name[2:]
    if name.startswith("process.env."):
        name = name[len("process.env.") :]
    return name


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unresolved(text: str) -> bool:
    return bool(_SOURCE_VAR.search(text))


def slug(text: str, fallback: str = "imported") -> str:
    """A profile or saved-request name: letters, digits, '.', '_' and '-' (at most 64)."""
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-._").lower()
    value = re.sub(r"-{2,}", "-", value)
    return (value or fallback)[:MAX_NAME].rstrip("-._") or fallback


def unique(name: str, taken: set[str]) -> str:
    candidate = name
    n = 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def content_type(headers: Iterable[tuple[str, str]]) -> str | None:
    """The first Content-Type header's value; None when there is none."""
    return next((value for name, value in headers if name.lower() == "content-type"), None)


def without_content_type(
    headers: Iterable[tuple[str, str]], *, json_only: bool = False
) -> list[tuple[str, str]]:
    """`headers` less Content-Type (only a JSON one with `json_only`): the client sets it for the body."""
    return [
        (name, value)
        for name, value in headers
        if name.lower() != "content-type" or (json_only and "json" not in value.lower())
    ]


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL without templates in its host, else None."""
    if not _ABSOLUTE.match(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "{" in netloc:
        return None
    return f"{parts.scheme.lower()}://{netloc}"


def relative_to(url: str, origin: str) -> str:
    """The part of `url` after `origin` (a path starting with '/'), or `url` itself for another origin."""
    if origin_of(url) != origin:
        return url
    parts = urlsplit(url)
    rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    return rest if rest.startswith("/") else "/" + rest


def text_of(value: Any) -> str:
    """A scalar from a parsed document as text ("" for missing / null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return _scalar(value)
    return ""


def as_map(value: Any) -> Mapping[str, Any]:
    """`value` if it is a mapping, else an empty one (parsed documents may hold anything anywhere)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def decode_text(data: bytes, source: str, what: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text, so not {what}") from None


# --------------------------------------------------------------------------- plan building


@dataclass
class _Group:
    auth: AuthSpec | None
    profile: ProfilePlan | None
    origin: str | None


class PlanBuilder:
    """Turns parsed requests and auth blocks into an `ImportPlan` (profiles, saved requests, notes).

    One profile per distinct auth block; requests with no auth join a profile of their origin
    (or a `bearer` profile without a token, made for that origin, so nothing is dropped).
    """

    def __init__(self, fmt: str, source: str, name_hint: str, presets: PresetCatalog | None) -> None:
        self.plan = ImportPlan(format=fmt, source=source)
        self._hint = slug(name_hint)
        self._presets = presets
        self._taken: set[str] = set()
        self._groups: dict[tuple[str, ...], _Group] = {}
        self._request_names: dict[str, set[str]] = {}
        self._managed_seen: set[str] = set()

    def note(self, message: str) -> None:
        if message not in self.plan.unmapped:
            self.plan.unmapped.append(message)

    def has_preset(self, name: str) -> bool:
        return self._presets is None or name in self._presets

    def preset_secret_names(self, name: str) -> set[str] | None:
        """The secrets a preset takes (None: no catalog to ask, take what the source has)."""
        if self._presets is None:
            return None
        if name not in self._presets:
            return set()
        return {i.name for i in self._presets.get(name).secret_inputs}

    def preset_var_names(self, name: str) -> set[str]:
        if self._presets is None or name not in self._presets:
            return set()
        return {i.name for i in self._presets.get(name).var_inputs}

    # ------------------------------------------------------------------ profiles from auth

    def profile_for(self, auth: AuthSpec | None, url_origin: str | None) -> ProfilePlan | None:
        """The profile requests with this auth go to (created on first sight), or None if unmappable."""
        if auth is None or auth.kind in ("none", "inherit"):
            return None
        key = auth.identity()
        group = self._groups.get(key)
        if group is None:
            profile = self._make_profile(auth, url_origin)
            group = _Group(auth, profile, url_origin)
            self._groups[key] = group
            if profile is not None:
                self.plan.profiles.append(profile)
        elif group.profile is not None and url_origin and group.profile.base_url == "":
            group.profile.base_url = url_origin
        return group.profile

    def _name(self, auth: AuthSpec) -> str:
        """The source's name for the first profile; `<source>-<folder or scheme>` for the others."""
        base = self._hint
        if self.plan.profiles or auth.scheme_name:
            quoted = re.findall(r"'([^']*)'", auth.where)
            label = auth.scheme_name or (quoted[-1].rsplit("/", 1)[-1] if quoted else auth.kind)
            extra = slug(label, auth.kind)
            base = f"{self._hint}-{extra}" if extra != self._hint else self._hint
        return unique(slug(base), self._taken)

    def _make_profile(self, auth: AuthSpec, url_origin: str | None) -> ProfilePlan | None:
        where = auth.where or "auth"
        if auth.kind == "bearer":
            plan = ProfilePlan(self._name(auth), "bearer", url_origin or "", where)
            self._token_secret(plan, auth.token, where)
            scheme = auth.prefix.strip() if auth.prefix is not None else "Bearer"
            if scheme != "Bearer":
                plan.override = {"token": {"scheme": scheme}}
            return plan
        if auth.kind == "apikey":
            if auth.placement != "header":
                self.note(
                    f"{where}: API key sent in the {auth.placement or 'query'} ('{auth.key}') is not "
                    "supported (the workbench sends credentials in a header); requests kept without it"
                )
                return None
            if not auth.key or not re.match(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", auth.key):
                self.note(f"{where}: API key has no usable header name; not imported")
                return None
            plan = ProfilePlan(self._name(auth), "bearer", url_origin or "", where)
            plan.override = {"token": {"header": auth.key, "scheme": ""}}
            self._token_secret(plan, auth.value, where, what="API key")
            return plan
        if auth.kind == "oauth2":
            return self._oauth2(auth, url_origin)
        if auth.kind == "basic":
            self.note(
                f"{where}: HTTP Basic credentials are not a token flow; not imported (nothing was stored)"
            )
            return None
        self.note(f"{where}: auth type '{auth.kind}' is not supported; requests kept without it")
        return None

    def _token_secret(self, plan: ProfilePlan, value: str, where: str, what: str = "token") -> None:
        if value and not unresolved(value):
            plan.secrets["access_token"] = value
        else:
            if value:
                self.note(f"{where}: the {what} refers to a variable with no value; paste it later")
            plan.needs.append("--secret access_token")

    def _oauth2(self, auth: AuthSpec, url_origin: str | None) -> ProfilePlan | None:
        where = auth.where or "oauth2 auth"
        grant = auth.grant_type.lower().replace("-", "_")
        grant = {
            "clientcredentials": "client_credentials",
            "authorizationcode": "authorization_code",
            "authorization_code_with_pkce": "authorization_code",
            "authorizationcodewithpkce": "authorization_code",
        }.get(grant.replace("_", ""), grant)
        token_origin = origin_of(auth.token_url)
        if grant == "client_credentials":
            preset = "oauth2-client-credentials"
        elif grant == "authorization_code" and self.has_preset("oauth2-authorization-code"):
            preset = "oauth2-authorization-code"
        elif grant in ("device_code", "urn:ietf:params:oauth:grant_type:device_code") and self.has_preset(
            "oauth2-device-code"
        ):
            preset = "oauth2-device-code"
        elif auth.refresh_token:
            preset = "oauth2-refresh-token"
        elif auth.access_token:
            self.note(
                f"{where}: OAuth 2.0 grant '{auth.grant_type or '?'}' cannot be run here; "
                "its current access token was imported as a pasted token"
            )
            return self._make_profile(replace(auth, kind="bearer", token=auth.access_token), url_origin)
        else:
            self.note(
                f"{where}: OAuth 2.0 grant '{auth.grant_type or '?'}' is not supported here; not imported"
            )
            return None

        if preset in ("oauth2-authorization-code", "oauth2-device-code"):
            base = origin_of(auth.auth_url) or token_origin or url_origin or ""
        else:
            base = token_origin or url_origin or ""
        plan = ProfilePlan(self._name(auth), preset, base, where)
        known = self.preset_var_names(preset)
        if auth.token_url and not unresolved(auth.token_url):
            if preset in ("oauth2-client-credentials", "oauth2-refresh-token"):
                path = relative_to(auth.token_url, base) if base else auth.token_url
                plan.vars["token_path"] = path
            elif "token_endpoint" in known:
                plan.vars["token_endpoint"] = auth.token_url
        elif auth.token_url:
            self.note(f"{where}: token URL refers to a variable with no value; check token_path")
        if auth.auth_url and "authorization_endpoint" in known and not unresolved(auth.auth_url):
            plan.vars["authorization_endpoint"] = auth.auth_url
        if auth.refresh_url and auth.refresh_url != auth.token_url:
            self.note(f"{where}: separate refresh URL {auth.refresh_url} is not used (the token URL is)")
        for var, value in (("client_id", auth.client_id), ("scope", auth.scope), ("audience", auth.audience)):
            if not value:
                continue
            if unresolved(value):
                self.note(
                    f"{where}: {var} refers to a variable with no value; set it with `workbench profile set`"
                )
                continue
            if known and var not in known:
                self.note(f"{where}: {var} has no place in preset {preset}; not imported")
                continue
            plan.vars[var] = value
        if "client_id" in known and "client_id" not in plan.vars and preset != "oauth2-refresh-token":
            plan.needs.append("--set client_id")
        if auth.client_auth:
            mode = {
                "basic": "client_secret_basic",
                "header": "client_secret_basic",
                "body": "client_secret_post",
                "post": "client_secret_post",
            }.get(auth.client_auth.lower(), "")
            if "client_auth" in known and mode:
                plan.vars["client_auth"] = mode
            elif mode == "client_secret_post" and preset == "oauth2-client-credentials":
                self.note(
                    f"{where}: the client sends its credentials in the body; preset {preset} sends them "
                    "with HTTP Basic (most servers take both)"
                )
        accepts = self.preset_secret_names(preset)
        found = (
            ("client_secret", auth.client_secret),
            ("refresh_token", auth.refresh_token),
            ("access_token", auth.access_token),
        )
        for entry, value in found:
            if not value:
                continue
            if unresolved(value):
                self.note(f"{where}: {entry} refers to a variable with no value; store it later")
            elif accepts is None or entry in accepts:
                plan.secrets[entry] = value
            elif entry == "refresh_token" and preset in ("oauth2-authorization-code", "oauth2-device-code"):
                self.note(
                    f"{where}: the stored refresh token was not imported; sign in with "
                    f"`workbench login {plan.name}`"
                )
            elif entry == "access_token":
                self.note(f"{where}: the stored access token was not imported (the profile obtains its own)")
            else:
                self.note(f"{where}: {entry} has no place in preset {preset}; not imported")
        if preset == "oauth2-client-credentials" and "client_secret" not in plan.secrets:
            plan.needs.append("--secret client_secret")
        if preset == "oauth2-refresh-token" and "refresh_token" not in plan.secrets:
            plan.needs.append("--secret refresh_token")
        return plan

    # ------------------------------------------------------------------ requests

    def _fallback_profile(self, origin: str | None) -> ProfilePlan:
        """A token-less `bearer` profile for requests that name no auth (the user pastes one later)."""
        for profile in self.plan.profiles:
            if origin and profile.base_url == origin:
                return profile
        key = ("__noauth__", origin or "")
        group = self._groups.get(key)
        if group is not None and group.profile is not None:
            return group.profile
        name = unique(
            self._hint if not self.plan.profiles else slug(f"{self._hint}-{_host(origin)}"), self._taken
        )
        profile = ProfilePlan(
            name, "bearer", origin or "", "requests without auth", needs=["--secret access_token"]
        )
        self._groups[key] = _Group(None, profile, origin)
        self.plan.profiles.append(profile)
        return profile

    def add_request(self, raw: RawRequest) -> None:
        where = f"request '{raw.title}'"
        headers: list[tuple[str, str]] = []
        auth = raw.auth
        for name, value in raw.headers:
            lower = name.lower()
            if lower in MANAGED_HEADERS or name.startswith(":"):
                self._managed_seen.add(name.lower())
                continue
            if lower == "authorization" and auth is None and not unresolved(value):
                scheme, _, token = value.strip().partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    auth = AuthSpec("bearer", where=f"{where} Authorization header", token=token.strip())
                    continue
            if lower in CREDENTIAL_HEADERS or looks_secret(name, value):
                if "{{" in value and "{%" not in value and lower != "cookie":
                    headers.append((name, value))  # a template: the value stays out of the file
                    continue
                self.note(f"{where}: header {name} carries a credential; not stored")
                continue
            headers.append((name, value))
        origin = origin_of(raw.url)
        profile = self.profile_for(auth, origin) if auth is not None else None
        if profile is None:
            profile = self._fallback_profile(origin)
        if not profile.base_url and origin:
            profile.base_url = origin
        url = raw.url
        if origin and profile.base_url and origin == origin_of(profile.base_url):
            url = relative_to(raw.url, origin)
        elif origin is None and not _ABSOLUTE.match(url) and not url.startswith(("/", "{{")):
            url = "/" + url if url else "/"
        if self._carries_credential(raw, url, headers, where):
            return
        taken = self._request_names.setdefault(profile.name, set())
        name = unique(slug(raw.title, "request"), taken)
        self.plan.requests.append(
            RequestPlan(
                profile=profile.name,
                name=name,
                title=raw.title,
                method=raw.method.upper() or "GET",
                url=url,
                headers=headers,
                body=raw.body,
                body_type=raw.body_type,
                form=list(raw.form),
            )
        )

    def _carries_credential(
        self, raw: RawRequest, url: str, headers: list[tuple[str, str]], where: str
    ) -> bool:
        """A request whose URL, body or form holds a credential (a JWT, a PEM block, `Bearer …`) is not
        saved: a saved request never holds a secret value. Usually it is a token request itself."""
        from workbench.core.saved_requests import SavedRequest, SavedRequestError, check_no_secrets

        probe = SavedRequest(
            name="probe",
            method=raw.method or "GET",
            url=url,
            headers=tuple(headers),
            body=raw.body,
            body_type=raw.body_type,
            form=tuple(raw.form),
        )
        try:
            check_no_secrets(probe, where)
        except SavedRequestError as exc:
            self.note(f"{exc} (the request was left out; nothing of it was stored)")
            return True
        return False

    def add_variables(self, profile: str, values: Mapping[str, str]) -> None:
        self.plan.variables.setdefault(profile, {}).update(values)

    def finish(self, variables: Variables | None = None) -> ImportPlan:
        if self._managed_seen:
            self.note(
                "headers the HTTP client sets itself were not stored: "
                + ", ".join(sorted(self._managed_seen))
            )
        if variables is not None:
            for message in variables.problems.values():
                self.note(message)
        for profile in self.plan.profiles:
            if not profile.base_url:
                self.note(
                    f"profile '{profile.name}': no base URL could be worked out from the source; "
                    "not created (add it with `workbench profile add`)"
                )
        missing = {p.name for p in self.plan.profiles if not p.base_url}
        if missing:
            self.plan.profiles = [p for p in self.plan.profiles if p.name not in missing]
            dropped = [r for r in self.plan.requests if r.profile in missing]
            for request in dropped:
                self.note(
                    f"request '{request.title or request.name}': its profile could not be created; not saved"
                )
            self.plan.requests = [r for r in self.plan.requests if r.profile not in missing]
        return self.plan


def _host(origin: str | None) -> str:
    if not origin:
        return "other"
    return urlsplit(origin).hostname or "other"


def first(items: Iterable[Any], predicate: Callable[[Any], bool]) -> Any:
    return next((item for item in items if predicate(item)), None)


__all__ = [
    "MAX_IMPORT_BYTES",
    "PlanBuilder",
    "Variables",
    "decode_text",
    "escape_literal",
    "looks_secret",
    "origin_of",
    "slug",
    "template_name",
    "text_of",
    "unresolved",
]
