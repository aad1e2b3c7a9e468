"""OpenAPI 3.x (JSON or YAML) → one profile per security scheme, and its operations as saved requests.

`components.securitySchemes`: `oauth2` (flows `clientCredentials`, `authorizationCode`,
`deviceAuthorization`, `password`, `implicit` with `tokenUrl` / `authorizationUrl` /
`refreshUrl` / `scopes`), `http` with scheme `bearer`, `apiKey` (`in: header|query|cookie`),
`openIdConnect`. The document holds no secret values: profiles list what they still need.
Each operation uses its own `security` or the document's; `servers[0]` is the base URL
(server variables take their defaults). Path parameters become `{{ name }}` templates
whose values (an `example` where given) go under the saved requests' `[vars]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from workbench.core.errors import InputError
from workbench.core.importers.common import as_list, as_map, escape_literal, origin_of, template_name, text_of
from workbench.core.importers.model import AuthSpec, BodyType, ImportPlan, RawRequest
from workbench.core.importers.plan import PlanBuilder

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")


def sniff(doc: Any) -> bool:
    return isinstance(doc, Mapping) and ("openapi" in doc or "swagger" in doc) and "info" in doc


def parse(doc: Any, source: str, presets: PresetCatalog | None = None) -> ImportPlan:
    if not isinstance(doc, Mapping):
        raise InputError(f"{source}: not an OpenAPI document")
    if "swagger" in doc:
        raise InputError(f"{source}: Swagger/OpenAPI 2.0 is not supported; convert it to OpenAPI 3 first")
    version = text_of(doc.get("openapi"))
    if not version.startswith("3."):
        raise InputError(f"{source}: OpenAPI version '{version[:20]}' is not supported (3.x)")
    info = as_map(doc.get("info"))
    paths = doc.get("paths", {})
    if paths is None:
        paths = {}
    if not isinstance(paths, Mapping):
        raise InputError(f"{source}: damaged OpenAPI document (`paths` is not a mapping)")
    components = as_map(doc.get("components"))
    schemes_raw = components.get("securitySchemes", {})
    if not isinstance(schemes_raw, Mapping):
        raise InputError(
            f"{source}: damaged OpenAPI document (`components.securitySchemes` is not a mapping)"
        )

    base = _server_url(doc.get("servers"), source)
    builder = PlanBuilder("openapi", source, text_of(info.get("title")) or "openapi", presets)
    if not base:
        builder.note("the document names no absolute server URL (servers[0].url); profiles need a base URL")
    schemes: dict[str, AuthSpec | None] = {}
    for name, raw in schemes_raw.items():
        schemes[str(name)] = _scheme(str(name), raw, base, builder)
    origin = origin_of(base)
    # Every scheme becomes a profile, even one no operation uses.
    for spec in schemes.values():
        if spec is not None:
            builder.profile_for(spec, origin)

    default_security = doc.get("security")
    variables: dict[str, dict[str, str]] = {}
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            builder.note(f"path '{path}' is not an object; skipped")
            continue
        shared_params = as_list(item.get("parameters"))
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            title = text_of(op.get("operationId")) or f"{method} {path}"
            where = f"operation '{title}'"
            security = op.get("security", default_security)
            auth = _pick_security(security, schemes, where, builder)
            url_path = str(path)
            params = [
                *shared_params,
                *(as_list(op.get("parameters"))),
            ]
            values: dict[str, str] = {}
            query: list[str] = []
            headers: list[tuple[str, str]] = []
            for param in params:
                if not isinstance(param, Mapping) or "$ref" in param:
                    continue
                pname = text_of(param.get("name"))
                example = _example(param)
                if param.get("in") == "path":
                    if example is not None:
                        values[template_name(pname)] = example
                    else:
                        builder.note(f"{where}: path parameter '{pname}' has no example; set it under [vars]")
                elif param.get("in") == "query" and param.get("required") is True:
                    query.append(f"{pname}={escape_literal(example or '')}")
                elif param.get("in") == "header" and param.get("required") is True:
                    headers.append((pname, escape_literal(example or "")))
            templated = _PATH_PARAM.sub(
                lambda m: "{{ " + template_name(m.group(1)) + " }}", escape_literal(url_path)
            )
            full = (base.rstrip("/") + templated) if base else templated
            if query:
                full += "?" + "&".join(query)
            body, body_type = _body(op.get("requestBody"))
            raw = RawRequest(
                title=title,
                method=method.upper(),
                url=full,
                headers=headers,
                body=body,
                body_type=body_type,
                auth=auth,
            )
            before = len(builder.plan.requests)
            builder.add_request(raw)
            if len(builder.plan.requests) > before and values:
                profile = builder.plan.requests[-1].profile
                variables.setdefault(profile, {}).update(values)
    for profile, values in variables.items():
        builder.add_variables(profile, values)
    plan = builder.finish()
    plan.variables = {k: v for k, v in plan.variables.items() if any(p.name == k for p in plan.profiles)}
    return plan


def _server_url(servers: Any, source: str) -> str:
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], Mapping):
        return ""
    server = servers[0]
    url = text_of(server.get("url"))
    svars = as_map(server.get("variables"))
    for name, spec in svars.items():
        if isinstance(spec, Mapping):
            url = url.replace("{" + str(name) + "}", text_of(spec.get("default")))
    if origin_of(url) is None:
        return ""
    return url


def _scheme(name: str, raw: Any, base: str, builder: PlanBuilder) -> AuthSpec | None:
    where = f"security scheme '{name}'"
    if not isinstance(raw, Mapping):
        builder.note(f"{where} is not an object; skipped")
        return None
    if "$ref" in raw:
        builder.note(f"{where} is a $ref; references are not followed")
        return None
    kind = text_of(raw.get("type"))
    if kind == "http":
        scheme = text_of(raw.get("scheme")).lower()
        if scheme == "bearer":
            return AuthSpec("bearer", where=where, scheme_name=name)
        builder.note(f"{where}: HTTP '{scheme}' authentication is not a token flow; not imported")
        return None
    if kind == "apiKey":
        return AuthSpec(
            "apikey",
            where=where,
            key=text_of(raw.get("name")),
            placement=text_of(raw.get("in")),
            scheme_name=name,
        )
    if kind == "oauth2":
        flows = as_map(raw.get("flows"))
        order = ("clientCredentials", "authorizationCode", "deviceAuthorization", "password", "implicit")
        chosen = next((f for f in order if isinstance(flows.get(f), Mapping)), "")
        if not chosen:
            builder.note(f"{where}: no OAuth 2.0 flow described; not imported")
            return None
        others = [f for f in flows if f != chosen]
        if others:
            builder.note(f"{where}: flow '{chosen}' was used; {', '.join(others)} not")
        flow = flows[chosen]
        scopes = as_map(flow.get("scopes"))
        grant = {
            "clientCredentials": "client_credentials",
            "authorizationCode": "authorization_code",
            "deviceAuthorization": "device_code",
            "password": "password",
            "implicit": "implicit",
        }[chosen]
        token_url = _absolute(text_of(flow.get("tokenUrl")), base)
        return AuthSpec(
            "oauth2",
            where=where,
            scheme_name=name,
            grant_type=grant,
            token_url=token_url,
            auth_url=_absolute(text_of(flow.get("authorizationUrl")), base),
            refresh_url=_absolute(text_of(flow.get("refreshUrl")), base),
            scope=" ".join(str(s) for s in scopes),
        )
    if kind == "openIdConnect":
        builder.note(
            f"{where}: OpenID Connect discovery ({text_of(raw.get('openIdConnectUrl'))}) — use "
            "`workbench profile add NAME --preset oauth2-authorization-code --base-url ISSUER`"
        )
        return None
    builder.note(f"{where}: type '{kind}' is not supported; not imported")
    return None


def _absolute(url: str, base: str) -> str:
    if not url:
        return ""
    return urljoin(base, url) if base and origin_of(url) is None else url


def _pick_security(
    security: Any, schemes: Mapping[str, AuthSpec | None], where: str, builder: PlanBuilder
) -> AuthSpec | None:
    if not isinstance(security, list):
        return None
    if not security or any(isinstance(req, Mapping) and not req for req in security):
        return AuthSpec("none", where=where) if security else None
    for requirement in security:
        if not isinstance(requirement, Mapping):
            continue
        names = list(requirement)
        if len(names) > 1:
            builder.note(
                f"{where}: needs several schemes at once ({', '.join(names)}); only '{names[0]}' used"
            )
        spec = schemes.get(str(names[0]))
        if spec is not None:
            return spec
    return None


def _example(param: Mapping[str, Any]) -> str | None:
    for holder in (param, as_map(param.get("schema"))):
        for key in ("example", "default"):
            if key in holder and not isinstance(holder[key], Mapping | list):
                return text_of(holder[key])
    examples = param.get("examples")
    if isinstance(examples, Mapping):
        for ex in examples.values():
            if isinstance(ex, Mapping) and "value" in ex and not isinstance(ex["value"], Mapping | list):
                return text_of(ex["value"])
    return None


def _body(raw: Any) -> tuple[str | None, BodyType | None]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("content"), Mapping):
        return None, None
    content = raw["content"]
    for mime, media in content.items():
        if "json" in str(mime) and isinstance(media, Mapping):
            example = media.get("example")
            if example is None and isinstance(media.get("examples"), Mapping):
                first = next(iter(media["examples"].values()), None)
                example = first.get("value") if isinstance(first, Mapping) else None
            if example is not None:
                return escape_literal(json.dumps(example, indent=2)), "json"
            return "{}", "json"
    return None, None
