"""Insomnia exports → profiles and saved requests.

v4 (JSON): `{"_type": "export", "__export_format": 4, "resources": [...]}`, a flat list
of workspace, request_group (folder), request and environment resources tied together by
`parentId`. v5 (YAML): `type: collection.insomnia.rest/5.0` with a nested `collection:`
tree (`children:` for folders) and `environments:` (base `data` plus `subEnvironments`).
Both become one tree and take the same walk. Templates are Nunjucks (`{{ _.name }}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError
from workbench.core.importers.common import (
    Variables,
    content_type,
    template_name,
    text_of,
    without_content_type,
)
from workbench.core.importers.model import AuthSpec, BodyType, ImportPlan, RawRequest
from workbench.core.importers.plan import PlanBuilder

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog

MAX_DEPTH = 64


def sniff_v4(doc: Any) -> bool:
    return isinstance(doc, Mapping) and doc.get("_type") == "export" and "resources" in doc


def sniff_v5(doc: Any) -> bool:
    return isinstance(doc, Mapping) and text_of(doc.get("type")).startswith("collection.insomnia.rest/")


def sniff(doc: Any) -> bool:
    return sniff_v4(doc) or sniff_v5(doc)


def parse(doc: Any, source: str, presets: PresetCatalog | None = None) -> ImportPlan:
    if sniff_v4(doc):
        fmt = doc.get("__export_format")
        if fmt != 4:
            raise InputError(
                f"{source}: Insomnia export format {fmt!r} is not supported (v4 JSON or v5 YAML)"
            )
        name, tree, envs = _from_v4(doc, source)
    elif sniff_v5(doc):
        version = text_of(doc.get("type")).rsplit("/", 1)[-1]
        if not version.startswith("5."):
            raise InputError(f"{source}: Insomnia {version} is not supported (v4 JSON or v5 YAML)")
        name, tree, envs = _from_v5(doc, source)
    else:
        raise InputError(
            f"{source}: not an Insomnia export (no `_type: export` or `type: collection.insomnia.rest/5.0`)"
        )
    builder = PlanBuilder("insomnia", source, name or "insomnia", presets)
    variables = Variables()
    _apply_environments(envs, variables, builder)
    _walk(builder, tree, None, variables, "", 0, source)
    return builder.finish(variables)


# --------------------------------------------------------------------------- v4 → tree


def _from_v4(doc: Mapping[str, Any], source: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    resources = doc.get("resources")
    if not isinstance(resources, list):
        raise InputError(f"{source}: damaged Insomnia export (`resources` is not a list)")
    by_parent: dict[str, list[Mapping[str, Any]]] = {}
    workspace_ids: list[str] = []
    name = ""
    envs: list[Mapping[str, Any]] = []
    for index, res in enumerate(resources):
        if not isinstance(res, Mapping) or not isinstance(res.get("_type"), str):
            raise InputError(f"{source}: damaged Insomnia export (resource #{index + 1} has no _type)")
        kind = res["_type"]
        if kind == "workspace":
            workspace_ids.append(text_of(res.get("_id")))
            name = name or text_of(res.get("name"))
        elif kind in ("request", "request_group", "grpc_request", "websocket_request"):
            by_parent.setdefault(text_of(res.get("parentId")), []).append(res)
        elif kind == "environment":
            envs.append(res)

    def children(parent: str, depth: int) -> list[dict[str, Any]]:
        if depth > MAX_DEPTH:
            raise InputError(f"{source}: folders nested more than {MAX_DEPTH} deep; damaged export?")
        out: list[dict[str, Any]] = []
        items = sorted(
            by_parent.get(parent, []),
            key=lambda r: r.get("metaSortKey", 0) if isinstance(r.get("metaSortKey"), int | float) else 0,
        )
        for res in items:
            node = dict(res)
            if res["_type"] == "request_group":
                node["children"] = children(text_of(res.get("_id")), depth + 1)
            out.append(node)
        return out

    tree: list[dict[str, Any]] = []
    for wid in workspace_ids:
        tree.extend(children(wid, 0))
    if not workspace_ids:  # a partial export: every parent that is not a folder is a root
        group_ids = {
            text_of(r.get("_id"))
            for items in by_parent.values()
            for r in items
            if r["_type"] == "request_group"
        }
        for pid in list(by_parent):
            if pid not in group_ids:
                tree.extend(children(pid, 0))
    # Base environments hang off the workspace; sub-environments off a base environment.
    base = [e for e in envs if text_of(e.get("parentId")) in workspace_ids or not workspace_ids]
    base_ids = {text_of(e.get("_id")) for e in base}
    ordered: list[dict[str, Any]] = []
    for env in base:
        ordered.append(
            {
                "name": text_of(env.get("name")),
                "data": env.get("data"),
                "private": env.get("isPrivate"),
                "sub": [
                    {"name": text_of(s.get("name")), "data": s.get("data"), "private": s.get("isPrivate")}
                    for s in envs
                    if text_of(s.get("parentId")) == text_of(env.get("_id"))
                ],
            }
        )
    orphans = [e for e in envs if e not in base and text_of(e.get("parentId")) not in base_ids]
    for env in orphans:
        ordered.append({"name": text_of(env.get("name")), "data": env.get("data"), "sub": []})
    return name, tree, ordered


def _from_v5(doc: Mapping[str, Any], source: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    collection = doc.get("collection", [])
    if not isinstance(collection, list):
        raise InputError(f"{source}: damaged Insomnia v5 export (`collection` is not a list)")

    def convert(items: list[Any], depth: int) -> list[dict[str, Any]]:
        if depth > MAX_DEPTH:
            raise InputError(f"{source}: folders nested more than {MAX_DEPTH} deep; damaged export?")
        out: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InputError(f"{source}: damaged Insomnia v5 export (item #{index + 1} is not a mapping)")
            node = dict(item)
            if "children" in item:
                if not isinstance(item["children"], list):
                    raise InputError(
                        f"{source}: damaged Insomnia v5 export (`children` of "
                        f"'{text_of(item.get('name'))}' is not a list)"
                    )
                node["_type"] = "request_group"
                node["children"] = convert(item["children"], depth + 1)
            else:
                node["_type"] = "request"
            out.append(node)
        return out

    envs: list[dict[str, Any]] = []
    raw_envs = doc.get("environments")
    if isinstance(raw_envs, Mapping):
        subs = raw_envs.get("subEnvironments")
        envs.append(
            {
                "name": text_of(raw_envs.get("name")),
                "data": raw_envs.get("data"),
                "sub": [
                    {"name": text_of(s.get("name")), "data": s.get("data"), "private": s.get("isPrivate")}
                    for s in (subs if isinstance(subs, list) else [])
                    if isinstance(s, Mapping)
                ],
            }
        )
    return text_of(doc.get("name")), convert(collection, 0), envs


# --------------------------------------------------------------------------- shared walk


def _add_data(variables: Variables, data: Any, *, secret: bool = False, prefix: str = "") -> None:
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if isinstance(value, Mapping):
            _add_data(variables, value, secret=secret, prefix=f"{prefix}{key}.")  # {{ _.auth.token }}
        else:
            variables.add(f"{prefix}{key}", value, secret=secret)


def _apply_environments(envs: list[dict[str, Any]], variables: Variables, builder: PlanBuilder) -> None:
    """The base environment's values are substituted; every sub-environment becomes a named
    variable set (its names stay templates, its values go to [env.NAME]); the first one gives
    the values auth is resolved with."""
    for env in envs:
        _add_data(variables, env.get("data"), secret=bool(env.get("private")))
        subs = [s for s in env.get("sub", []) if isinstance(s, Mapping)]
        if not subs:
            continue
        for sub in subs:
            scratch = Variables()
            _add_data(scratch, sub.get("data"), secret=bool(sub.get("private")))
            variables.keep.update(scratch.values)
            name = text_of(sub.get("name")) or f"environment {len(builder.environments) + 1}"
            builder.environments[name] = {
                template_name(k): v for k, v in scratch.values.items() if k not in scratch.secret
            }
            if any(k in scratch.secret for k in scratch.values):
                builder.note(
                    f"environment '{name}': secret values ("
                    + ", ".join(sorted(k for k in scratch.values if k in scratch.secret))
                    + ") are not stored in a file"
                )
        _add_data(variables, subs[0].get("data"), secret=bool(subs[0].get("private")))


def _walk(
    builder: PlanBuilder,
    items: list[dict[str, Any]],
    parent_auth: AuthSpec | None,
    variables: Variables,
    folder: str,
    depth: int,
    source: str,
) -> None:
    for item in items:
        title = text_of(item.get("name")) or "request"
        path = f"{folder}/{title}" if folder else title
        scope = variables.child()
        _add_data(scope, item.get("environment"))
        if item.get("_type") == "request_group":
            auth = _auth(item.get("authentication"), f"folder '{path}' auth", scope, parent_auth)
            _walk(builder, item.get("children", []), auth, scope, path, depth + 1, source)
            continue
        where = f"request '{path}'"
        kind = text_of(item.get("_type"))
        url_text = text_of(item.get("url")).strip().lower()
        if kind in ("grpc_request", "websocket_request") or url_text.startswith(("ws://", "wss://")):
            what = (
                "a gRPC request" if kind == "grpc_request" or item.get("protoMethodName") else "a WebSocket"
            )
            builder.skip(path, f"{what}; only HTTP requests are saved")
            continue
        auth = _auth(item.get("authentication"), f"{where} auth", scope, parent_auth)
        raw = _request(item, title, where, auth, scope, builder)
        raw.folder = folder
        raw.scope = scope
        builder.add_request(raw)


def _auth(raw: Any, where: str, v: Variables, parent: AuthSpec | None) -> AuthSpec | None:
    if not isinstance(raw, Mapping) or not raw:
        return parent
    kind = text_of(raw.get("type")).lower()
    if raw.get("disabled") is True or kind == "none":
        return AuthSpec("none", where=where)
    if kind in ("", "inherit"):
        return parent

    def get(key: str) -> str:
        return v.resolve(text_of(raw.get(key)), nunjucks=True)

    if kind == "bearer":
        return AuthSpec("bearer", where=where, token=get("token"), prefix=get("prefix") or "Bearer")
    if kind == "apikey":
        add_to = text_of(raw.get("addTo")) or "header"
        placement = {"header": "header", "queryParams": "query", "cookie": "cookie"}.get(add_to, add_to)
        return AuthSpec(
            "apikey", where=where, key=get("key"), value=get("value"), placement=placement, prefix=""
        )
    if kind == "oauth2":
        return AuthSpec(
            "oauth2",
            where=where,
            grant_type=get("grantType"),
            token_url=get("accessTokenUrl"),
            auth_url=get("authorizationUrl"),
            client_id=get("clientId"),
            client_secret=get("clientSecret"),
            scope=get("scope"),
            audience=get("audience"),
            client_auth="body" if raw.get("credentialsInBody") is True else "basic",
            refresh_token=get("refreshToken"),
            access_token=get("accessToken"),
        )
    if kind == "basic":
        return AuthSpec("basic", where=where, username=get("username"), password=get("password"))
    return AuthSpec(kind, where=where)


def _request(
    item: Mapping[str, Any],
    title: str,
    where: str,
    auth: AuthSpec | None,
    scope: Variables,
    builder: PlanBuilder,
) -> RawRequest:
    method = text_of(item.get("method")) or "GET"
    url = scope.translate(text_of(item.get("url")).strip(), f"{where} URL", nunjucks=True)
    params = item.get("parameters")
    if isinstance(params, list):
        pairs = [
            f"{text_of(p.get('name'))}={text_of(p.get('value'))}"
            for p in params
            if isinstance(p, Mapping) and p.get("disabled") is not True and text_of(p.get("name"))
        ]
        if pairs:
            query = scope.translate("&".join(pairs), f"{where} query", nunjucks=True)
            url += ("&" if "?" in url else "?") + query
    headers: list[tuple[str, str]] = []
    raw_headers = item.get("headers")
    for entry in raw_headers if isinstance(raw_headers, list) else []:
        if (
            isinstance(entry, Mapping)
            and entry.get("disabled") is not True
            and text_of(entry.get("name")).strip()
        ):
            name = text_of(entry.get("name")).strip()
            headers.append(
                (name, scope.translate(text_of(entry.get("value")), f"{where} header {name}", nunjucks=True))
            )
    body: str | None = None
    body_type: BodyType | None = None
    form: list[tuple[str, str]] = []
    raw_body = item.get("body")
    if isinstance(raw_body, Mapping) and raw_body:
        mime = text_of(raw_body.get("mimeType")).lower()
        if isinstance(raw_body.get("params"), list) and mime in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for p in raw_body["params"]:
                if not isinstance(p, Mapping) or p.get("disabled") is True:
                    continue
                key = text_of(p.get("name"))
                if p.get("type") == "file" or p.get("fileName"):
                    builder.note(f"{where}: form field '{key}' uploads a file; not saved")
                    continue
                form.append(
                    (
                        scope.translate(key, f"{where} form", nunjucks=True),
                        scope.translate(text_of(p.get("value")), f"{where} form {key}", nunjucks=True),
                    )
                )
            body_type = "form" if mime.startswith("application/x-www") else "multipart"
            headers = without_content_type(headers)
        elif text_of(raw_body.get("text")):
            body = scope.translate(text_of(raw_body.get("text")), f"{where} body", nunjucks=True)
            if "json" in mime or "graphql" in mime:
                body_type = "json"
                headers = without_content_type(headers, json_only=True)
            else:
                body_type = "text"
                if mime and content_type(headers) is None:
                    headers.append(("Content-Type", mime))
        elif raw_body.get("fileName") or mime == "application/octet-stream":
            builder.note(f"{where}: the body is a file; not saved (binary bodies are never saved as text)")
    return RawRequest(
        title=title,
        method=method,
        url=url,
        headers=headers,
        body=body,
        body_type=body_type,
        form=form,
        auth=auth,
    )
