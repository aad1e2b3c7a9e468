"""Finding an issuer's endpoints: OpenID Connect Discovery, then RFC 8414, then the profile's vars.

`discovery_urls(issuer)` lists where to look, in order:
`{issuer}/.well-known/openid-configuration` (OIDC Discovery §4), then the RFC 8414 §3
location (`/.well-known/oauth-authorization-server` inserted before the issuer's path;
for an issuer with a path, the appended form some servers use as well). The first
document that answers 200 with JSON *and names the same issuer* (OIDC §4.3, RFC 8414
§3.3: a document for another issuer is refused, it could point our credentials
elsewhere) wins. Vars `authorization_endpoint`, `token_endpoint` and
`device_authorization_endpoint` override what it says.

`DiscoveryCache` keeps the endpoints of each profile in `$WORKBENCH_HOME/state/<profile>.oauth.json`
(public data: URLs only), so `token` and `call` do not fetch the document every time.

`OAuthTransport` is the small HTTP face the OAuth code uses: JSON GETs and form POSTs through
`http.send_bounded` (1 MiB on the wire and decoded, the overall deadline, no redirects followed,
the origin checked when each request is sent).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from workbench.core.errors import NetworkError, ProviderResponseError, StorageError
from workbench.core.net.client import any_origin, make_client, send_bounded
from workbench.core.oauth.protocol import (
    TEMPLATE_ENDPOINTS,
    Endpoints,
    check_endpoint_url,
    matches_issuer,
    parse_json_body,
)
from workbench.core.profiles.store import atomic_write_text

if TYPE_CHECKING:
    import ssl

    import httpx

# Provider answers (token endpoints, JWKS, discovery) are capped
# (docs/ARCHITECTURE.md, "Where credentials may go").
MAX_ANSWER_BYTES = 1024 * 1024
# Endpoints do not move often; a day-old cache is refreshed on next use, and `login` always re-reads.
DISCOVERY_MAX_AGE = 24 * 3600.0
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return parse_json_body(self.body)


class OAuthTransport:
    """Sends the OAuth requests of one profile. No redirects are followed (a token endpoint that
    redirects is misconfigured, and following it could carry credentials to another host).

    `origin_check` sees the origin of every request as it is sent (`http.send_bounded`): the
    profile's origin rule (`origins.check_origin`), or `http.any_origin` for the credential-free
    discovery of an issuer that has no profile yet."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        verify_tls: bool = True,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
        origin_check: Callable[[str], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self._origin_check = origin_check
        self._own = client is None
        if client is None:
            client = make_client(
                timeout=timeout, verify_tls=verify_tls, transport=transport, ssl_context=ssl_context
            )
        self._client = client

    def close(self) -> None:
        if self._own:
            self._client.close()

    def __enter__(self) -> OAuthTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        headers: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] | None = None,
    ) -> Answer:
        all_headers = [("Accept", "application/json"), *headers]
        content: bytes | None = None
        if form is not None:
            content = urlencode(list(form)).encode("ascii")
            all_headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        response = send_bounded(
            self._client,
            method,
            url,
            origin_check=self._origin_check or any_origin,
            headers=all_headers,
            content=content,
            timeout=self.timeout,
            max_bytes=MAX_ANSWER_BYTES,
            what=what,
        )
        return Answer(response.status_code, dict(response.headers), response.content)

    def get_json(self, url: str, *, what: str) -> tuple[int, Any]:
        answer = self.request("GET", url, what=what)
        return answer.status, answer.json()


# --------------------------------------------------------------------------- discovery


def discovery_urls(issuer: str) -> list[str]:
    parts = urlsplit(issuer.strip())
    path = parts.path.rstrip("/")
    base = (parts.scheme, parts.netloc)
    oidc = urlunsplit((*base, f"{path}/.well-known/openid-configuration", "", ""))
    rfc8414 = urlunsplit((*base, f"/.well-known/oauth-authorization-server{path}", "", ""))
    urls = [oidc, rfc8414]
    if path:
        urls.append(urlunsplit((*base, f"{path}/.well-known/oauth-authorization-server", "", "")))
    return list(dict.fromkeys(urls))


def _same_issuer(a: str, b: str) -> bool:
    return a.strip().rstrip("/") == b.strip().rstrip("/")


def endpoints_from_document(document: Mapping[str, Any], *, issuer: str, source: str) -> Endpoints:
    """Check a discovery document and read its endpoints."""
    named = document.get("issuer")
    # A multi-tenant issuer (`…/{tenantid}/v2.0`) is taken when the profile's base URL is that very
    # template with one tenant segment (`common`, `organizations`, a tenant id) in its place; each
    # id_token's iss is then checked against the template filled with its own `tid`.
    if not isinstance(named, str) or not matches_issuer(named, issuer):
        raise ProviderResponseError(
            f"the discovery document at {source} is for another issuer; refused "
            "(it must name the profile's base URL as its issuer)"
        )
    values: dict[str, str] = {"issuer": named, "source": source}
    for name in (
        *TEMPLATE_ENDPOINTS,
        "userinfo_endpoint",
        "end_session_endpoint",
        "pushed_authorization_request_endpoint",
    ):
        value = document.get(name)
        if isinstance(value, str) and value.strip():
            values[name] = check_endpoint_url(value.strip(), f"{name} of the discovery document")
    algs = document.get("token_endpoint_auth_signing_alg_values_supported")
    if isinstance(algs, list):
        values["auth_signing_algs"] = " ".join(a for a in algs if isinstance(a, str) and a.isalnum())[:200]
    if document.get("require_pushed_authorization_requests") is True:
        values["require_par"] = "true"
    if document.get("require_signed_request_object") is True:
        values["require_jar"] = "true"
    jar_algs = document.get("request_object_signing_alg_values_supported")
    if isinstance(jar_algs, list):
        values["jar_algs"] = " ".join(a for a in jar_algs if isinstance(a, str) and a.isalnum())[:200]
    dpop_algs = document.get("dpop_signing_alg_values_supported")
    if isinstance(dpop_algs, list):
        values["dpop_algs"] = " ".join(a for a in dpop_algs if isinstance(a, str) and a.isalnum())[:200]
    aliases = document.get("mtls_endpoint_aliases")  # RFC 8705 §5
    if isinstance(aliases, Mapping):
        values["mtls_aliases"] = " ".join(
            f"{name}={check_endpoint_url(url.strip(), f'mtls_endpoint_aliases {name}')}"
            for name, url in aliases.items()
            if name in _ALIASED and isinstance(url, str) and url.strip()
        )
    if document.get("tls_client_certificate_bound_access_tokens") is True:
        values["cert_bound"] = "true"
    methods = document.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list):
        names = (m for m in methods if isinstance(m, str) and m.replace("_", "").isalnum())
        values["auth_methods"] = " ".join(names)[:300]
    return Endpoints.from_json(values)


# The endpoints an mTLS client uses through their aliases (RFC 8705 §5).
_ALIASED = (
    "token_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "device_authorization_endpoint",
    "pushed_authorization_request_endpoint",
    "userinfo_endpoint",
)


def discover(issuer: str, transport: OAuthTransport) -> Endpoints:
    """Fetch the issuer's metadata (OIDC, then RFC 8414). Raises when neither answers usefully."""
    tried: list[str] = []
    last_error: Exception | None = None
    for url in discovery_urls(issuer):
        try:
            status, document = transport.get_json(url, what="discovery")
        except NetworkError as exc:
            last_error = exc
            break  # the host itself is unreachable: the next path will not fare better
        if status == 200 and isinstance(document, Mapping):
            return endpoints_from_document(document, issuer=issuer, source=url)
        tried.append(f"{urlsplit(url).path} → {status if status != 200 else 'not JSON'}")
    if last_error is not None:
        raise last_error
    raise ProviderResponseError(
        f"no discovery document found for issuer {issuer} ({'; '.join(tried)})",
        hint="set authorization_endpoint / token_endpoint / device_authorization_endpoint with --set",
    )


def vars_endpoints(issuer: str, vars_: Mapping[str, str]) -> Endpoints:
    return Endpoints(issuer=issuer, source="profile vars").with_overrides(vars_)


class DiscoveryCache:
    """Endpoints per profile in `<state_dir>/<profile>.oauth.json` (URLs only, never secrets)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, profile: str) -> Path:
        return self.directory / f"{profile}.oauth.json"

    def load(self, profile: str, issuer: str, *, now: float | None = None) -> Endpoints | None:
        try:
            data = json.loads(self._path(profile).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not _same_issuer(str(data.get("issuer_configured", "")), issuer):
            return None
        fetched = data.get("fetched_at")
        current = time.time() if now is None else now
        if not isinstance(fetched, int | float) or current - float(fetched) > DISCOVERY_MAX_AGE:
            return None
        endpoints = data.get("endpoints")
        return Endpoints.from_json(endpoints) if isinstance(endpoints, dict) else None

    def save(self, profile: str, issuer: str, endpoints: Endpoints, *, now: float | None = None) -> None:
        data = {
            "issuer_configured": issuer,
            "fetched_at": time.time() if now is None else now,
            "endpoints": endpoints.to_json(),
        }
        path = self._path(profile)
        try:
            # A random temp name (mkstemp, O_EXCL): a predictable one could be a planted link.
            atomic_write_text(path, json.dumps(data, indent=1))
        except OSError as exc:
            raise StorageError(f"could not write {path.name}: {exc.strerror or exc}") from None

    def forget(self, profile: str) -> None:
        try:
            self._path(profile).unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass


def resolve_endpoints(
    issuer: str,
    vars_: Mapping[str, str],
    *,
    profile: str,
    transport: OAuthTransport,
    cache: DiscoveryCache | None = None,
    use_discovery: bool = True,
    refresh: bool = False,
) -> Endpoints:
    """The endpoints a profile uses: cached or fetched discovery, with the vars on top.

    With every endpoint a grant needs set in the vars, discovery may still fail quietly
    (servers without metadata); its revocation endpoint and JWKS are then simply unknown.
    """
    overrides = vars_endpoints(issuer, vars_)
    if not use_discovery:
        return overrides
    found: Endpoints | None = None if refresh or cache is None else cache.load(profile, issuer)
    if found is None:
        try:
            found = discover(issuer, transport)
        except (ProviderResponseError, NetworkError):
            if overrides.token_endpoint:
                return overrides
            raise
        if cache is not None:
            try:
                cache.save(profile, issuer, found)
            except StorageError:
                pass  # a cache we cannot write only costs a fetch next time
    return found.with_overrides(vars_)


__all__ = [
    "MAX_ANSWER_BYTES",
    "Answer",
    "DiscoveryCache",
    "OAuthTransport",
    "discover",
    "discovery_urls",
    "endpoints_from_document",
    "resolve_endpoints",
    "vars_endpoints",
]
