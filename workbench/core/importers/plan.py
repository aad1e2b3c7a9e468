"""Building an import plan: requests and their profiles, grouped by origin and auth."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.core.importers.model import AuthSpec, ImportPlan, ProfilePlan, RawRequest, RequestPlan

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.importers.common import (
    ABSOLUTE_URL,
    CREDENTIAL_HEADERS,
    MANAGED_HEADERS,
    Variables,
    looks_secret,
    origin_of,
    relative_to,
    slug,
    unique,
    unresolved,
)

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
        elif origin is None and not ABSOLUTE_URL.match(url) and not url.startswith(("/", "{{")):
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
        from workbench.core.request.saved import SavedRequest, SavedRequestError, check_no_secrets

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
