"""Building an import plan: requests and their profiles, grouped by origin and auth."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from workbench.core.importers.model import AuthSpec, ImportPlan, RawRequest, RequestPlan
from workbench.core.importers.plan_auth import API_KEY_HEADERS, ProfileMapping
from workbench.core.redact import looks_like_credential

if TYPE_CHECKING:
    pass
from workbench.core.importers.common import (
    ABSOLUTE_URL,
    CREDENTIAL_HEADERS,
    MANAGED_HEADERS,
    Variables,
    looks_secret,
    origin_of,
    relative_to,
    secret_kind,
    slug,
    template_name,
    unique,
)
from workbench.core.redact import _BEARER, _JWT, _PEM

# --------------------------------------------------------------------------- plan building


# Request headers that carry an API key by their name (beyond Authorization).
# Body fields whose literal value is a secret by their name (a curl's client_secret, a password).
SECRET_FIELD = re.compile(r"(?i)(secret|passw(or)?d|api[-_]?key|apikey|token|private[-_]?key|credential)")
# `"key": "value"` in a JSON text (both JSON strings, escapes kept).
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


# Query parameters that carry an API key by their name.
class PlanBuilder(ProfileMapping):
    """Turns parsed requests and auth blocks into an `ImportPlan` (profiles, saved requests, notes).

    One profile per distinct auth block; requests with no auth join a profile of their origin
    (or a `bearer` profile for that origin, pending its token), so nothing is dropped: every
    request of the source becomes a saved request or is listed in `plan.skipped` with its reason.
    """

    def add_request(self, raw: RawRequest) -> None:
        where = f"request '{raw.title}'"
        headers: list[tuple[str, str]] = []
        auth = raw.auth
        url_text = raw.url
        for name, value in raw.headers:
            lower = name.lower()
            if lower in MANAGED_HEADERS or name.startswith(":"):
                self._managed_seen.add(name.lower())
                continue
            if lower in CREDENTIAL_HEADERS or API_KEY_HEADERS.match(name) or looks_secret(name, value):
                found = self._header_auth(name, value, raw, where) if lower != "cookie" else None
                if found is not None and (auth is None or auth.kind in ("none",)):
                    auth = found
                    continue
                if found is not None and auth is not None:
                    continue  # the request's own auth block says the same thing; the header is its echo
                if "{{" in value and "{%" not in value and lower != "cookie":
                    headers.append((name, value))  # a template: the value stays out of the file
                    continue
                self.note(f"{where}: header {name} carries a credential; not stored (the request is kept)")
                continue
            headers.append((name, value))
        if auth is None or auth.kind == "none":
            query_auth, stripped = self._query_auth(url_text, where)
            if query_auth is not None and auth is None:
                auth, url_text = query_auth, stripped
        if auth is not None and auth.kind == "basic":
            auth = self._basic_token_request(auth, raw, url_text) or auth
        origin = origin_of(url_text) or self._template_origin(url_text, raw)
        profile = self.profile_for(auth, origin) if auth is not None else None
        if profile is None:
            profile = self._fallback_profile(origin)
        if not profile.base_url and origin:
            profile.base_url = origin
        url = url_text
        if origin and profile.base_url and origin == origin_of(profile.base_url):
            url = relative_to(url_text, origin)
        elif origin is None and not ABSOLUTE_URL.match(url) and not url.startswith(("/", "{{")):
            url = "/" + url if url else "/"
        body, form, secrets = self._secret_fields(raw.body, raw.body_type, list(raw.form), where)
        url, headers, body, form = self._scrub(url, headers, body, form, where)
        if secrets:
            self.plan.secret_variables.setdefault(profile.name, {}).update(secrets)
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
                body=body,
                body_type=raw.body_type,
                form=form,
                folder=raw.folder,
            )
        )
        if raw.variables:
            self.add_variables(profile.name, raw.variables)

    def _secret_fields(
        self, body: str | None, body_type: str | None, form: list[tuple[str, str]], where: str
    ) -> tuple[str | None, list[tuple[str, str]], dict[str, str]]:
        """Literal values of secret-named fields (client_secret, password, api_key) in a JSON body or a
        form become `{{ name }}` templates; the values become secret variables (to the keychain)."""
        found: dict[str, str] = {}

        def hidden(key: str, value: str) -> str | None:
            if not SECRET_FIELD.search(key) or "{{" in value or "{%" in value:
                return None
            if secret_kind(value)[0] != "value":
                return None
            name = template_name(key)
            found[name] = value
            return "{{ " + name + " }}"

        if form:
            form = [(k, hidden(k, v) or v) for k, v in form]
        elif body_type == "json" and body and '"' in body:

            def pair(match: re.Match[str]) -> str:
                try:
                    key, value = json.loads(f'"{match.group(1)}"'), json.loads(f'"{match.group(3)}"')
                except ValueError:
                    return match.group(0)
                template = hidden(key, value) if isinstance(value, str) else None
                return (
                    match.group(0) if template is None else f'"{match.group(1)}"{match.group(2)}"{template}"'
                )

            body = _JSON_PAIR.sub(pair, body)
        for name in found:
            self.note(
                f"{where}: the field '{name}' held a secret; it became the template {{{{ {name} }}}} and "
                "its value goes to the keychain (a secret variable of the saved requests)"
            )
        return body, form, found

    def _basic_token_request(self, auth: AuthSpec, raw: RawRequest, url: str) -> AuthSpec | None:
        """A request with HTTP Basic credentials and `grant_type=client_credentials` is an OAuth token
        request: its profile is client credentials with `client_secret_basic` (RFC 6749 §2.3.1)."""
        from urllib.parse import parse_qsl

        fields = dict(raw.form)
        if not fields and raw.body and "grant_type" in raw.body:
            fields = dict(parse_qsl(raw.body.strip()))
        if fields.get("grant_type") != "client_credentials":
            return None
        self._token_requests.add(auth.where)
        return AuthSpec(
            "oauth2",
            where=auth.where,
            grant_type="client_credentials",
            token_url=self._resolve_leading(url, raw).split("?", 1)[0],
            client_id=auth.username,
            client_secret=auth.password,
            scope=fields.get("scope", ""),
            audience=fields.get("audience", ""),
            client_auth="basic",
        )

    def _resolve_leading(self, url: str, raw: RawRequest) -> str:
        """`{{ host }}/oauth/token` with the leading variable's value (default environment) filled in."""
        match = re.match(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}", url)
        scope = raw.scope
        if not match or not isinstance(scope, Variables):
            return url
        name = match.group(1)
        for candidate in (name, *(k for k in scope.values if template_name(k) == name)):
            value = scope.values.get(candidate, "")
            if value:
                return scope.resolve(value).rstrip("/") + url[match.end() :]
        return url

    def _template_origin(self, url: str, raw: RawRequest) -> str | None:
        """The origin a `{{ baseUrl }}/…` URL reaches with the source's (default environment's) values:
        the URL stays a template, the request joins the profile of that origin."""
        match = re.match(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}", url)
        scope = raw.scope
        if not match or not isinstance(scope, Variables):
            return None
        name = match.group(1)
        for candidate in (name, *(k for k in scope.values if template_name(k) == name)):
            value = scope.values.get(candidate, "")
            if value:
                return origin_of(scope.resolve(value))
        return None

    def _scrub(
        self,
        url: str,
        headers: list[tuple[str, str]],
        body: str | None,
        form: list[tuple[str, str]],
        where: str,
    ) -> tuple[str, list[tuple[str, str]], str | None, list[tuple[str, str]]]:
        """A credential by its shape (a JWT, a PEM block, `Bearer …`) in the URL, a header, the body or
        a form field is replaced by a `{{ secret_value }}` template and listed: the request is kept,
        the value never reaches a file."""

        def clean(text: str, label: str) -> str:
            if not looks_like_credential(text):
                return text
            self.note(
                f"{where}: the {label} held what looks like a credential; replaced by {{{{ secret_value }}}} "
                "(give it under [vars] when you send it; nothing of it was stored)"
            )
            for pattern in (_PEM, _JWT, _BEARER):
                text = pattern.sub("{{ secret_value }}", text)
            return text

        url = clean(url, "URL")
        headers = [(n, clean(v, f"header {n}")) for n, v in headers]
        form = [(k, clean(v, f"form field {k}")) for k, v in form]
        if body is not None:
            body = clean(body, "body")
        return url, headers, body, form

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
        self._join_token_profile()
        used = {r.profile for r in self.plan.requests}
        if self.environments:
            for profile in self.plan.profiles:
                if profile.name in used:
                    self.plan.environments[profile.name] = {k: dict(v) for k, v in self.environments.items()}
        for profile in self.plan.profiles:
            if profile.base_url:
                continue
            base = self._base_from_templates(profile.name)
            if base:
                profile.base_url = base
                continue
            profile.needs.insert(0, "--base-url")
            self.note(
                f"profile '{profile.name}': no base URL could be worked out from the source; it is "
                "created pending (give it with `workbench profile set "
                f"{profile.name} --base-url URL`)"
            )
        return self.plan

    def _join_token_profile(self) -> None:
        """The file obtains its token with a client-credentials request (Basic + grant_type) and its
        other requests send `Bearer {{token}}` with no value: they use that profile's token."""
        minted = [
            p for p in self.plan.profiles
            if p.preset == "oauth2-client-credentials" and p.source in self._token_requests
        ]  # fmt: skip
        if len(minted) != 1:
            return
        target = minted[0]
        origins = {origin_of(target.base_url)} | {
            origin_of(r.url) for r in self.plan.requests if r.profile == target.name
        }
        moved: set[str] = set()
        for profile in self.plan.profiles:
            waiting = profile.needs == ["--secret access_token"] and not profile.secrets
            if profile.preset != "bearer" or not waiting or profile.secret_refs:
                continue
            if profile.base_url and origin_of(profile.base_url) not in origins:
                continue
            moved.add(profile.name)
        if not moved:
            return
        taken = self._request_names.setdefault(target.name, set())
        for request in self.plan.requests:
            if request.profile in moved:
                request.profile = target.name
                request.name = unique(request.name, taken)
        for name in moved:
            values = self.plan.variables.pop(name, {})
            if values:
                self.plan.variables.setdefault(target.name, {}).update(values)
        self.plan.profiles = [p for p in self.plan.profiles if p.name not in moved]
        if self._hint in moved:  # the collection's own name is free again: the profile takes it
            old, target.name = target.name, self._hint
            for request in self.plan.requests:
                if request.profile == old:
                    request.profile = target.name
            if old in self.plan.variables:
                self.plan.variables[target.name] = self.plan.variables.pop(old)
            self._request_names[target.name] = self._request_names.pop(old, set())
        self.note(
            f"profile '{target.name}': requests that send the token its client-credentials request "
            f"obtains were given to it ({', '.join(sorted(moved))} not created)"
        )

    def _base_from_templates(self, profile: str) -> str:
        """The origin a profile's `{{ baseUrl }}/…` requests reach in the first environment."""
        first_env = next(iter(self.environments.values()), {})
        values = {**self.plan.variables.get(profile, {}), **first_env}
        for request in self.plan.requests:
            if request.profile != profile:
                continue
            match = re.match(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", request.url)
            if match and origin_of(values.get(match.group(1), "")):
                return origin_of(values[match.group(1)]) or ""
        return ""


def first(items: Iterable[Any], predicate: Callable[[Any], bool]) -> Any:
    return next((item for item in items if predicate(item)), None)
