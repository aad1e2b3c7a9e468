"""What an import produces, whatever the source format: one model shared by every parser.

An `ImportPlan` is pure data. Parsing never writes anything; `apply` (in
`workbench.core.importers`) stores it: secrets to the vault, profiles through the
profile operations, saved requests as TOML. `--dry-run` prints the plan instead.

Secret values live only in `ProfilePlan.secrets` (headed for the keychain); every
other field is safe to print and to write to a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BodyType = Literal["json", "text", "form", "multipart"]


@dataclass
class ProfilePlan:
    """A profile to create. `secrets` (name → value) go to the vault and are never shown."""

    name: str
    preset: str
    base_url: str
    source: str  # where the auth was found ("collection auth", "request 'Get user'")
    vars: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    override: dict[str, Any] = field(default_factory=dict)
    needs: list[str] = field(
        default_factory=list
    )  # inputs the source did not have ("--secret client_secret")
    # Secrets read from elsewhere at each use ("env:OPENAI_API_KEY" from a curl's $OPENAI_API_KEY).
    secret_refs: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Printable: names of secrets, never their values."""
        return {
            "name": self.name,
            "preset": self.preset,
            "base_url": self.base_url,
            "source": self.source,
            "vars": dict(self.vars),
            "secrets": sorted(self.secrets),
            "override": self.override,
            "needs": list(self.needs),
            "secret_refs": dict(self.secret_refs),
        }


@dataclass
class RequestPlan:
    """A saved request to write beside `profile`. `url` is a path (joined to the base URL) or a URL."""

    profile: str
    name: str
    method: str
    url: str
    title: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    body_type: BodyType | None = None
    form: list[tuple[str, str]] = field(default_factory=list)  # body_type form / multipart
    folder: str = ""  # where it sat in the source ("Payments/Refunds")

    def summary(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "name": self.name,
            "title": self.title,
            "folder": self.folder,
            "method": self.method,
            "url": self.url,
            "headers": [list(h) for h in self.headers],
            "body_type": self.body_type,
        }


@dataclass
class ImportPlan:
    """Everything one source file turns into, plus what could not be mapped (never dropped silently)."""

    format: str
    source: str
    profiles: list[ProfilePlan] = field(default_factory=list)
    requests: list[RequestPlan] = field(default_factory=list)
    variables: dict[str, dict[str, str]] = field(default_factory=dict)  # profile → request variables
    # profile → environment name → variables (Postman environments, Insomnia sub-environments,
    # Bruno environments): named variable sets, chosen with `--env NAME`.
    environments: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    # Requests of the source that are not saved requests, each with its reason: (title, reason).
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # profile → secret variables of its saved requests (a body's client_secret, password): the
    # values go to the keychain, the requests hold `{{ name }}`. Never printed.
    secret_variables: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def profile(self, name: str) -> ProfilePlan | None:
        for plan in self.profiles:
            if plan.name == name:
                return plan
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": self.source,
            "profiles": [p.summary() for p in self.profiles],
            "requests": [r.summary() for r in self.requests],
            "variables": {k: dict(v) for k, v in self.variables.items()},
            "environments": {
                k: {e: dict(v) for e, v in envs.items()} for k, envs in self.environments.items()
            },
            "unmapped": list(self.unmapped),
            "skipped": [list(s) for s in self.skipped],
            "secret_variables": {k: sorted(v) for k, v in self.secret_variables.items()},
        }


@dataclass(frozen=True)
class AuthSpec:
    """An auth block as the source describes it, before it becomes a profile.

    `kind`: "bearer", "apikey", "oauth2", "basic", "oidc" (OpenID Connect discovery), "none"
    (explicitly no auth), or "inherit" (use the parent's). Values may still hold `{{variables}}`
    until resolved.
    """

    kind: str
    where: str = ""
    token: str = ""
    key: str = ""
    value: str = ""
    placement: str = "header"  # apikey: header | query | cookie
    prefix: str = "Bearer"  # bearer: the scheme word
    grant_type: str = ""
    token_url: str = ""
    auth_url: str = ""
    refresh_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    audience: str = ""
    client_auth: str = ""  # "basic" (HTTP Basic header) | "body" (form fields)
    access_token: str = ""
    refresh_token: str = ""
    username: str = ""
    password: str = ""
    scheme_name: str = ""  # OpenAPI securitySchemes key
    discovery_url: str = ""  # oidc: the OpenID Connect discovery document's URL

    def identity(self) -> tuple[str, ...]:
        """Two blocks with the same identity become one profile."""
        return (
            self.kind,
            self.token,
            self.key,
            self.value,
            self.placement,
            self.prefix,
            self.grant_type,
            self.token_url,
            self.auth_url,
            self.client_id,
            self.client_secret,
            self.scope,
            self.access_token,
            self.refresh_token,
            self.username,
            self.password,
            self.scheme_name,
            self.discovery_url,
        )


@dataclass
class RawRequest:
    """A request as a parser found it, before auth is resolved and URLs are split."""

    title: str
    method: str
    url: str  # already in workbench template syntax
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    body_type: BodyType | None = None
    form: list[tuple[str, str]] = field(default_factory=list)  # body_type form / multipart
    auth: AuthSpec | None = None  # effective auth (inheritance already resolved); None = no auth
    folder: str = ""
    variables: dict[str, str] = field(default_factory=dict)  # request variables (Postman :params)
    scope: Any = None  # the source's variables where the request sits (common.Variables)


__all__ = ["AuthSpec", "BodyType", "ImportPlan", "ProfilePlan", "RawRequest", "RequestPlan"]
