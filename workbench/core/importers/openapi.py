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
from workbench.core.importers.common import (
    as_list,
    as_map,
    escape_literal,
    origin_of,
    template_name,
    text_of,
)
from workbench.core.importers.model import AuthSpec, BodyType, ImportPlan, RawRequest
from workbench.core.importers.plan import PlanBuilder

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_REF_CHAIN = 32
_DOC_URI = "urn:workbench:openapi"
_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")


def sniff(doc: Any) -> bool:
    return isinstance(doc, Mapping) and ("openapi" in doc or "swagger" in doc) and "info" in doc


class _Refs:
    """Local `$ref`s (`#/components/...`) resolved with `referencing` (JSON Pointer, RFC 6901),
    followed through chains; a reference to another document is listed, not fetched."""

    def __init__(self, doc: Mapping[str, Any], builder: PlanBuilder) -> None:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self._resolver = Registry().with_resource(_DOC_URI, resource).resolver(base_uri=_DOC_URI)
        self._builder = builder
        self._seen: dict[str, Any] = {}  # a reference → what it resolves to (documents reuse them)

    def __call__(self, node: Any, where: str = "") -> Any:
        if not isinstance(node, dict) or "$ref" not in node:  # most nodes: nothing to follow
            return node
        from referencing.exceptions import Unresolvable

        for _ in range(MAX_REF_CHAIN):
            if not isinstance(node, Mapping) or not isinstance(node.get("$ref"), str):
                return node
            ref = node["$ref"]
            if not ref.startswith("#"):
                self._builder.note(f"{where}: $ref '{ref[:80]}' points at another document; not followed")
                return {}
            if ref in self._seen:
                node = self._seen[ref]
                continue
            try:
                node = self._seen[ref] = self._resolver.lookup(ref).contents
            except Unresolvable:
                self._builder.note(f"{where}: $ref '{ref[:80]}' does not resolve in this document")
                return {}
        self._builder.note(f"{where}: $ref chain longer than {MAX_REF_CHAIN}; not followed")
        return {}


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
    refs = _Refs(doc, builder)
    if not base:
        builder.note("the document names no absolute server URL (servers[0].url); profiles need a base URL")
    schemes: dict[str, AuthSpec | None] = {}
    for name, raw in schemes_raw.items():
        schemes[str(name)] = _scheme(str(name), refs(raw, f"security scheme '{name}'"), base, builder)
    origin = origin_of(base)
    # Every scheme becomes a profile, even one no operation uses.
    for spec in schemes.values():
        if spec is not None:
            builder.profile_for(spec, origin)

    default_security = doc.get("security")
    for path, item in paths.items():
        item = refs(item, f"path '{path}'")
        if not isinstance(item, Mapping):
            builder.note(f"path '{path}' is not an object; skipped")
            continue
        shared_params = as_list(item.get("parameters"))
        path_base = _server_url(item.get("servers"), source) or base
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            title = text_of(op.get("operationId")) or f"{method} {path}"
            where = f"operation '{title}'"
            op_base = _server_url(op.get("servers"), source) or path_base
            security = op.get("security", default_security)
            auth = _pick_security(security, schemes, where, builder)
            params: dict[tuple[str, str], Mapping[str, Any]] = {}
            for param in [*shared_params, *as_list(op.get("parameters"))]:
                param = refs(param, where)
                if isinstance(param, Mapping) and text_of(param.get("name")):
                    params[(text_of(param.get("in")), text_of(param.get("name")))] = param  # op wins
            values: dict[str, str] = {}
            query: list[str] = []
            headers: list[tuple[str, str]] = []
            for (place, pname), param in params.items():
                example = _example(param, refs)
                var = template_name(pname)
                required = param.get("required") is True or place == "path"
                if not required:
                    continue
                if place == "path":
                    if example is not None:
                        values[var] = example
                    else:
                        builder.note(f"{where}: path parameter '{pname}' has no example; set it under [vars]")
                elif place == "query":
                    query.append(f"{escape_literal(pname)}={{{{ {var} }}}}")
                    values.setdefault(var, example or "")
                elif place == "header":
                    headers.append((pname, "{{ " + var + " }}"))
                    values.setdefault(var, example or "")
                elif place == "cookie":
                    builder.note(f"{where}: required cookie '{pname}' is not saved (cookies carry sessions)")
            templated = _PATH_PARAM.sub(
                lambda m: "{{ " + template_name(m.group(1)) + " }}", escape_literal(str(path))
            )
            full = (op_base.rstrip("/") + templated) if op_base else templated
            if query:
                full += "?" + "&".join(query)
            body, body_type, form = _body(refs(op.get("requestBody"), where), refs, headers)
            tags = as_list(op.get("tags"))
            raw = RawRequest(
                title=title,
                method=method.upper(),
                url=full,
                headers=headers,
                body=body,
                body_type=body_type,
                form=form,
                auth=auth,
                folder=text_of(tags[0]) if tags else "",
                variables={k: v for k, v in values.items() if v != ""},
            )
            builder.add_request(raw)
            empty = sorted(k for k, v in values.items() if v == "")
            if empty:
                builder.add_variables(builder.plan.requests[-1].profile, dict.fromkeys(empty, ""))
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
    if not isinstance(raw, Mapping) or not raw:
        builder.note(f"{where} is not an object; skipped")
        return None
    kind = text_of(raw.get("type"))
    if kind == "http":
        scheme = text_of(raw.get("scheme")).lower()
        if scheme == "bearer":
            return AuthSpec("bearer", where=where, scheme_name=name)
        if scheme == "basic":
            return AuthSpec("basic", where=where, scheme_name=name)
        builder.note(f"{where}: HTTP '{scheme}' authentication is not supported; requests kept without it")
        return None
    if kind == "apiKey":
        return AuthSpec(
            "apikey",
            where=where,
            key=text_of(raw.get("name")),
            placement=text_of(raw.get("in")),
            scheme_name=name,
            prefix="",
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
        return AuthSpec(
            "oidc",
            where=where,
            scheme_name=name,
            discovery_url=_absolute(text_of(raw.get("openIdConnectUrl")), base),
            scope="openid",
        )
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


def _example(param: Mapping[str, Any], refs: _Refs) -> str | None:
    for holder in (param, as_map(refs(param.get("schema")))):
        for key in ("example", "default"):
            if key in holder and not isinstance(holder[key], Mapping | list):
                return text_of(holder[key])
        enum = holder.get("enum")
        if isinstance(enum, list) and enum and not isinstance(enum[0], Mapping | list):
            return text_of(enum[0])
    examples = param.get("examples")
    if isinstance(examples, Mapping):
        for ex in examples.values():
            ex = refs(ex)
            if isinstance(ex, Mapping) and "value" in ex and not isinstance(ex["value"], Mapping | list):
                return text_of(ex["value"])
    return None


def _media_example(media: Mapping[str, Any], refs: _Refs) -> Any:
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, Mapping):
        first = refs(next(iter(examples.values()), None))
        if isinstance(first, Mapping) and "value" in first:
            return first["value"]
    schema = as_map(refs(media.get("schema")))
    if "example" in schema:
        return schema["example"]
    return None


def _form_fields(media: Mapping[str, Any], refs: _Refs) -> list[tuple[str, str]]:
    """A form body's fields: an example object, or the schema's required properties with their
    example or default (a file field is left out)."""
    example = _media_example(media, refs)
    if isinstance(example, Mapping):
        return [(str(k), text_of(v)) for k, v in example.items() if not isinstance(v, Mapping | list)]
    schema = as_map(refs(media.get("schema")))
    props = as_map(schema.get("properties"))
    required = {str(r) for r in as_list(schema.get("required"))}
    fields: list[tuple[str, str]] = []
    for key, prop in props.items():
        prop = as_map(refs(prop))
        if key not in required or prop.get("format") == "binary":
            continue
        value = prop.get("example", prop.get("default", ""))
        fields.append((str(key), "" if isinstance(value, Mapping | list) else text_of(value)))
    return fields


def _body(
    raw: Any, refs: _Refs, headers: list[tuple[str, str]]
) -> tuple[str | None, BodyType | None, list[tuple[str, str]]]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("content"), Mapping):
        return None, None, []
    content = raw["content"]
    for mime, media in content.items():
        media = as_map(refs(media))
        kind = str(mime).lower()
        if "json" in kind:
            example = _media_example(media, refs)
            if example is not None:
                return escape_literal(json.dumps(example, indent=2)), "json", []
            return "{}", "json", []
    for mime, media in content.items():
        media = as_map(refs(media))
        kind = str(mime).lower()
        if kind == "application/x-www-form-urlencoded":
            return (
                None,
                "form",
                [(escape_literal(k), escape_literal(v)) for k, v in _form_fields(media, refs)],
            )
        if kind.startswith("multipart/"):
            return (
                None,
                "multipart",
                [(escape_literal(k), escape_literal(v)) for k, v in _form_fields(media, refs)],
            )
        if kind.startswith("text/") or kind.endswith("xml"):
            example = _media_example(media, refs)
            headers.append(("Content-Type", str(mime)))
            return escape_literal(text_of(example)) if example is not None else "", "text", []
    return None, None, []
