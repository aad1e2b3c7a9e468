"""Profiles from auth blocks: the half of the import plan that decides which profile a request's
auth becomes (preset, inputs, pending secrets), one profile per distinct auth block."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from workbench.core.importers.model import AuthSpec, ImportPlan, ProfilePlan, RawRequest
from workbench.core.redact import looks_like_credential

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.importers.common import (
    Variables,
    origin_of,
    relative_to,
    secret_kind,
    slug,
    template_name,
    unique,
    unresolved,
)


@dataclass
class Group:
    auth: AuthSpec | None
    profile: ProfilePlan | None
    origin: str | None


API_KEY_HEADERS = re.compile(r"(?i)^(x-)?([a-z0-9]+-)*(api-?key|apikey|auth-?token|access-?token)$")

API_KEY_PARAMS = re.compile(r"(?i)^(api[-_]?key|apikey|key|access[-_]?token|token|auth[-_]?token|apitoken)$")


def host_of(origin: str | None) -> str:
    if not origin:
        return "other"
    return urlsplit(origin).hostname or "other"


class ProfileMapping:
    """The base of `PlanBuilder`: its state, and auth blocks mapped to the profiles of the plan."""

    def __init__(
        self,
        fmt: str,
        source: str,
        name_hint: str,
        presets: PresetCatalog | None,
        *,
        name_by_host: bool = False,
    ) -> None:
        self.plan = ImportPlan(format=fmt, source=source)
        self._hint = slug(name_hint)
        self._presets = presets
        self._taken: set[str] = set()
        self._groups: dict[tuple[str, ...], Group] = {}
        self._request_names: dict[str, set[str]] = {}
        self._managed_seen: set[str] = set()
        self._by_host = name_by_host
        self.environments: dict[str, dict[str, str]] = {}  # environment name → kept variables
        self._token_requests: set[str] = set()  # where a Basic + client_credentials token request was

    def note(self, message: str) -> None:
        if message not in self.plan.unmapped:
            self.plan.unmapped.append(message)

    def skip(self, title: str, reason: str) -> None:
        """A request of the source that is not saved, listed with its reason (never silently)."""
        self.plan.skipped.append((title, reason))

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
            group = Group(auth, profile, url_origin)
            self._groups[key] = group
            if profile is not None:
                self.plan.profiles.append(profile)
        elif group.profile is not None and url_origin and group.profile.base_url == "":
            group.profile.base_url = url_origin
        return group.profile

    def _name(self, auth: AuthSpec, origin: str | None = None) -> str:
        """The source's name for the first profile; `<source>-<folder or scheme>` for the others."""
        if self._by_host and origin:
            return unique(slug(host_of(origin)), self._taken)
        base = self._hint
        if self.plan.profiles or auth.scheme_name:
            quoted = re.findall(r"'([^']*)'", auth.where)
            label = auth.scheme_name or (quoted[-1].rsplit("/", 1)[-1] if quoted else auth.kind)
            extra = slug(label, auth.kind)
            base = f"{self._hint}-{extra}" if extra != self._hint else self._hint
        return unique(slug(base), self._taken)

    def _credential(self, plan: ProfilePlan, entry: str, value: str, where: str, what: str) -> None:
        """Put a credential where it belongs: the keychain, an env: reference, or the pending list."""
        kind, detail = secret_kind(value)
        if kind == "value":
            plan.secrets[entry] = detail
        elif kind == "env":
            plan.secret_refs[entry] = f"env:{detail}"
        else:
            if value.strip():
                self.note(f"{where}: the {what} is {detail}; give it with `workbench profile set`")
            plan.needs.append(f"--secret {entry}")

    def _make_profile(self, auth: AuthSpec, url_origin: str | None) -> ProfilePlan | None:
        where = auth.where or "auth"
        if auth.kind == "bearer":
            scheme = auth.prefix.strip() if auth.prefix is not None else "Bearer"
            if scheme.lower() not in ("bearer", "") and self.has_preset("api-key"):
                # `Authorization: Token …`, `Authorization: api_key …`: a key with its own word.
                return self._make_profile(
                    replace(auth, kind="apikey", key="Authorization", value=auth.token, prefix=scheme),
                    url_origin,
                )
            plan = ProfilePlan(self._name(auth, url_origin), "bearer", url_origin or "", where)
            self._credential(plan, "access_token", auth.token, where, "token")
            return plan
        if auth.kind == "apikey":
            placement = (auth.placement or "header").lower()
            placement = "query" if placement.startswith("query") else placement
            if placement not in ("header", "query", "cookie"):
                self.note(
                    f"{where}: API key sent in '{placement}' is not supported; requests kept without it"
                )
                return None
            if not auth.key or not re.match(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", auth.key):
                self.note(f"{where}: API key has no usable {placement} name; requests kept without it")
                return None
            if not self.has_preset("api-key"):
                return None
            plan = ProfilePlan(self._name(auth, url_origin), "api-key", url_origin or "", where)
            plan.vars["placement"] = placement
            plan.vars["key_name"] = auth.key
            prefix = auth.prefix if auth.prefix != "Bearer" or auth.key.lower() == "authorization" else ""
            if prefix and placement == "header":
                plan.vars["prefix"] = prefix
            self._credential(plan, "api_key", auth.value, where, "API key")
            return plan
        if auth.kind == "basic":
            if not self.has_preset("basic"):
                return None
            plan = ProfilePlan(self._name(auth, url_origin), "basic", url_origin or "", where)
            user_kind, user = secret_kind(auth.username)
            if user_kind == "value" and ":" not in user:
                plan.vars["username"] = user
            else:
                if auth.username.strip():
                    self.note(f"{where}: the user name is {user if user_kind != 'value' else 'not usable'}")
                plan.needs.append("--set username")
            self._credential(plan, "password", auth.password, where, "password")
            return plan
        if auth.kind == "oidc":
            issuer = auth.discovery_url.split("/.well-known/", 1)[0].rstrip("/")
            if origin_of(issuer) is None or not self.has_preset("oauth2-authorization-code"):
                self.note(f"{where}: OpenID Connect discovery URL '{auth.discovery_url[:80]}' is not usable")
                return None
            plan = ProfilePlan(self._name(auth, url_origin), "oauth2-authorization-code", issuer, where)
            if auth.scope:
                plan.vars["scope"] = auth.scope
            plan.needs.append("--set client_id")
            return plan
        if auth.kind == "oauth2":
            return self._oauth2(auth, url_origin)
        self.note(f"{where}: auth type '{auth.kind}' is not supported; requests kept without it")
        return None

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
        runnable = bool(auth.token_url.strip() or auth.auth_url.strip())
        if auth.access_token and not runnable and not auth.refresh_token:
            # An oauth2 block that holds only a token (Postman's "current token"): a pasted token.
            return self._make_profile(
                replace(auth, kind="bearer", token=auth.access_token, prefix="Bearer"), url_origin
            )
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
                f"{where}: OAuth 2.0 grant '{auth.grant_type or '?'}' is not supported here; "
                "requests kept without it"
            )
            return None

        if preset in ("oauth2-authorization-code", "oauth2-device-code"):
            base = origin_of(auth.auth_url) or token_origin or url_origin or ""
        else:
            base = token_origin or url_origin or ""
        plan = ProfilePlan(self._name(auth, url_origin), preset, base, where)
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
            kind, detail = secret_kind(value) if var == "client_id" else ("value", value)
            if kind != "value" or unresolved(value):
                self.note(
                    f"{where}: {var} is {detail if kind != 'value' else 'a variable with no value'}; "
                    "set it with `workbench profile set`"
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
            if (self._presets is None or "client_auth" in known) and mode:
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
            kind, detail = secret_kind(value)
            if kind == "pending":
                self.note(f"{where}: {entry} is {detail}; store it later with `workbench profile set`")
            elif accepts is None or entry in accepts:
                if kind == "env":
                    plan.secret_refs[entry] = f"env:{detail}"
                else:
                    plan.secrets[entry] = detail
            elif entry == "refresh_token" and preset in ("oauth2-authorization-code", "oauth2-device-code"):
                self.note(
                    f"{where}: the stored refresh token was not imported; sign in with "
                    f"`workbench login {plan.name}`"
                )
            elif entry == "access_token":
                self.note(f"{where}: the stored access token was not imported (the profile obtains its own)")
            else:
                self.note(f"{where}: {entry} has no place in preset {preset}; not imported")
        given = set(plan.secrets) | set(plan.secret_refs)
        if preset == "oauth2-client-credentials" and "client_secret" not in given:
            plan.needs.append("--secret client_secret")
        if preset == "oauth2-refresh-token" and "refresh_token" not in given:
            plan.needs.append("--secret refresh_token")
        return plan

    # ------------------------------------------------------------------ requests

    def _fallback_profile(self, origin: str | None) -> ProfilePlan:
        """A `bearer` profile (pending its token) for requests that name no auth."""
        for profile in self.plan.profiles:
            if origin and profile.base_url and origin_of(profile.base_url) == origin:
                return profile
        key = ("__noauth__", origin or "")
        group = self._groups.get(key)
        if group is not None and group.profile is not None:
            return group.profile
        if self._by_host and origin:
            name = unique(slug(host_of(origin)), self._taken)
        else:
            name = unique(
                self._hint if not self.plan.profiles else slug(f"{self._hint}-{host_of(origin)}"), self._taken
            )
        profile = ProfilePlan(
            name, "bearer", origin or "", "requests without auth", needs=["--secret access_token"]
        )
        self._groups[key] = Group(None, profile, origin)
        self.plan.profiles.append(profile)
        return profile

    def _header_auth(self, name: str, value: str, raw: RawRequest, where: str) -> AuthSpec | None:
        """An auth block made from a credential header (`Authorization: Bearer …`, `x-api-key: …`)."""
        lower = name.lower()
        text = self._source_value(value, raw)
        if lower == "authorization":
            scheme, _, rest = text.strip().partition(" ")
            rest = rest.strip()
            if not rest:
                return None
            if scheme.lower() == "bearer":
                return AuthSpec("bearer", where=f"{where} Authorization header", token=rest)
            if scheme.lower() == "basic":
                import base64
                import binascii

                user, password = "", rest
                if secret_kind(rest)[0] == "value":
                    try:
                        user, _, password = (
                            base64.b64decode(rest, validate=True).decode("utf-8").partition(":")
                        )
                    except (binascii.Error, UnicodeDecodeError, ValueError):
                        user, password = "", rest
                return AuthSpec(
                    "basic", where=f"{where} Authorization header", username=user, password=password
                )
            return AuthSpec(
                "apikey", where=f"{where} Authorization header", key=name, value=rest, prefix=scheme
            )
        if API_KEY_HEADERS.match(name) and lower not in ("cookie",):
            return AuthSpec("apikey", where=f"{where} {name} header", key=name, value=text.strip(), prefix="")
        return None

    @staticmethod
    def _source_value(value: str, raw: RawRequest) -> str:
        """A header value as the source meant it: a lone `{{ name }}` template is looked up in the
        source's variables (secrets included; the value is headed for the keychain, not a file)."""
        match = re.fullmatch(r"(.*?)\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}\s*", value)
        scope = raw.scope
        if match and isinstance(scope, Variables):
            name = match.group(2)
            for candidate in (name, *(k for k in scope.values if template_name(k) == name)):
                found = scope.values.get(candidate)
                if found:
                    return match.group(1) + scope.resolve(found)
        return value

    def _query_auth(self, url: str, where: str) -> tuple[AuthSpec | None, str]:
        """An API key in the URL's query (`?key=…`): the auth, and the URL without it."""
        from urllib.parse import parse_qsl

        base, sep, query = url.partition("?")
        if not sep:
            return None, url
        fragment = ""
        if "#" in query:
            query, _, fragment = query.partition("#")
        pairs = parse_qsl(query, keep_blank_values=True)
        for key, value in pairs:
            if (
                API_KEY_PARAMS.match(key)
                and (secret_kind(value)[0] != "value" or looks_like_credential(value) or len(value) >= 16)
                and "{%" not in value
            ):
                rest = [f"{k}={v}" if v or "=" in query else k for k, v in pairs if k != key]
                auth = AuthSpec(
                    "apikey", where=f"{where} query parameter {key}", key=key, value=value, placement="query"
                )
                return auth, base + ("?" + "&".join(rest) if rest else "") + (
                    "#" + fragment if fragment else ""
                )
        return None, url
