"""Postman Collection v2.1 (and v2.0) → profiles and saved requests.

Follows the published schema (schema.getpostman.com/json/collection/v2.1.0): `info`,
`item[]` (a request, or a folder with its own `item[]`), `auth` on the collection, a
folder or a request (absent or `inherit`: the parent's; `noauth`: none), `variable[]`.
An environment export (`values[]`, some of type `secret`) adds its variables on top,
as Postman's own precedence has it (environment over collection).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError
from workbench.core.importers.common import (
    Variables,
    as_list,
    as_map,
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
# `:name` path segments (Postman path variables); not `://` nor a port.
_PATH_VAR = re.compile(r"(^|/):([A-Za-z_][A-Za-z0-9_.-]*)(?=/|\?|#|$)")


def sniff(doc: Any) -> bool:
    if not isinstance(doc, Mapping):
        return False
    info = doc.get("info")
    return isinstance(info, Mapping) and "getpostman.com" in text_of(info.get("schema"))


def is_environment(doc: Any) -> bool:
    return (
        isinstance(doc, Mapping)
        and isinstance(doc.get("values"), list)
        and (doc.get("_postman_variable_scope") in ("environment", "globals") or "name" in doc)
    )


def load_environment(doc: Any, source: str, variables: Variables) -> None:
    """Add a Postman environment's enabled values (type `secret` stays secret)."""
    if not is_environment(doc):
        raise InputError(f"{source}: not a Postman environment (no `values` list)")
    for entry in doc["values"]:
        if not isinstance(entry, Mapping) or entry.get("enabled") is False:
            continue
        variables.add(text_of(entry.get("key")), entry.get("value"), secret=entry.get("type") == "secret")


def parse(
    doc: Any, source: str, presets: PresetCatalog | None = None, environment: Any = None, env_source: str = ""
) -> ImportPlan:
    if not sniff(doc):
        raise InputError(f"{source}: not a Postman collection (no info.schema naming getpostman.com)")
    info = doc["info"]
    schema = text_of(info.get("schema"))
    if "/v1." in schema:
        raise InputError(f"{source}: Postman collection v1 is not supported; export it again as v2.1")
    if not isinstance(doc.get("item", []), list):
        raise InputError(f"{source}: damaged Postman collection (`item` is not a list)")
    name = text_of(info.get("name")) or "postman"
    variables = Variables()
    _add_variables(variables, doc.get("variable"))
    builder = PlanBuilder("postman", source, name, presets)
    if environment is not None:
        before = dict(variables.values)
        load_environment(environment, env_source or "environment", variables)
        env_name = text_of(environment.get("name")) or "environment"
        kept = {k: v for k, v in variables.values.items() if before.get(k) != v and k not in variables.secret}
        # The environment is a named variable set: its names stay templates, its values go to
        # [env.NAME] (secret ones stay out of files), chosen with `--env NAME`.
        variables.keep.update(
            k for k in variables.values if k not in before or before[k] != variables.values[k]
        )
        builder.environments[env_name] = {template_name(k): v for k, v in kept.items()}
    _scripts(builder, doc.get("event"), "collection")
    top = _auth(doc.get("auth"), "collection auth", variables)
    _walk(builder, doc.get("item", []), top, variables, "", 0, source)
    return builder.finish(variables)


def _scripts(builder: PlanBuilder, events: Any, owner: str) -> None:
    """Pre-request and test scripts, listed by name: they do not run here."""
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, Mapping):
            continue
        script = as_map(event.get("script"))
        lines = script.get("exec")
        text = "\n".join(str(x) for x in lines) if isinstance(lines, list) else text_of(lines)
        if event.get("disabled") is True or not text.strip():
            continue
        kind = {"prerequest": "pre-request script", "test": "test script"}.get(
            text_of(event.get("listen")), f"{text_of(event.get('listen')) or 'a'} script"
        )
        builder.note(f"{owner}: {kind} not run here (scripts do not run in the workbench)")


def _add_variables(variables: Variables, raw: Any) -> None:
    if not isinstance(raw, list):
        return
    for entry in raw:
        if isinstance(entry, Mapping) and entry.get("disabled") is not True:
            key = text_of(entry.get("key")) or text_of(entry.get("id"))
            variables.add(key, entry.get("value"), secret=entry.get("type") == "secret")


def _walk(
    builder: PlanBuilder,
    items: list[Any],
    parent_auth: AuthSpec | None,
    variables: Variables,
    folder: str,
    depth: int,
    source: str,
) -> None:
    if depth > MAX_DEPTH:
        raise InputError(f"{source}: folders nested more than {MAX_DEPTH} deep; damaged collection?")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InputError(
                f"{source}: damaged Postman collection (item #{index + 1} in "
                f"{folder or 'the top level'} is not an object)"
            )
        title = text_of(item.get("name")) or f"item {index + 1}"
        path = f"{folder}/{title}" if folder else title
        scope = variables.child()
        _add_variables(scope, item.get("variable"))
        if "item" in item:
            children = item["item"]
            if not isinstance(children, list):
                raise InputError(f"{source}: damaged Postman collection (folder '{path}' has no item list)")
            auth = _auth(item.get("auth"), f"folder '{path}' auth", scope, parent_auth)
            _scripts(builder, item.get("event"), f"folder '{path}'")
            _walk(builder, children, auth, scope, path, depth + 1, source)
            continue
        request = item.get("request")
        if isinstance(request, str):
            request = {"url": request, "method": "GET"}
        if not isinstance(request, Mapping):
            builder.note(f"item '{path}' is neither a request nor a folder; skipped")
            continue
        where = f"request '{path}'"
        _scripts(builder, item.get("event"), where)
        auth = _auth(request.get("auth"), f"{where} auth", scope, parent_auth)
        raw = _request(request, title, where, auth, scope, builder)
        raw.folder = folder
        raw.scope = scope
        builder.add_request(raw)


def _params(raw: Any) -> dict[str, str]:
    """Postman auth params: v2.1 `[{key, value}]`, v2.0 `{key: value}`."""
    if isinstance(raw, Mapping):
        return {str(k): text_of(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    if isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, Mapping):
                out[text_of(entry.get("key"))] = text_of(entry.get("value"))
    return out


def _auth(raw: Any, where: str, variables: Variables, parent: AuthSpec | None = None) -> AuthSpec | None:
    if raw is None or not isinstance(raw, Mapping):
        return parent
    kind = text_of(raw.get("type")).lower()
    if kind in ("", "inherit"):
        return parent
    if kind == "noauth":
        return AuthSpec("none", where=where)
    p = {k: variables.resolve(v) for k, v in _params(raw.get(kind)).items()}
    if kind == "bearer":
        return AuthSpec("bearer", where=where, token=p.get("token", ""))
    if kind == "apikey":
        return AuthSpec(
            "apikey",
            where=where,
            key=p.get("key", ""),
            value=p.get("value", ""),
            placement=p.get("in", "header") or "header",
            prefix="",
        )
    if kind == "oauth2":
        return AuthSpec(
            "oauth2",
            where=where,
            grant_type=p.get("grant_type", "authorization_code"),
            token_url=p.get("accessTokenUrl", ""),
            auth_url=p.get("authUrl", ""),
            refresh_url=p.get("refreshTokenUrl", ""),
            client_id=p.get("clientId", ""),
            client_secret=p.get("clientSecret", ""),
            scope=p.get("scope", ""),
            audience=p.get("audience", ""),
            client_auth=p.get("client_authentication", ""),
            access_token=p.get("accessToken", ""),
            refresh_token=p.get("refreshToken", ""),
        )
    if kind == "basic":
        return AuthSpec("basic", where=where, username=p.get("username", ""), password=p.get("password", ""))
    return AuthSpec(kind, where=where)


def _url(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, Mapping):
        return ""
    if isinstance(raw.get("raw"), str):
        return str(raw["raw"])
    protocol = text_of(raw.get("protocol")) or "https"
    host = raw.get("host")
    host_text = ".".join(text_of(h) for h in host) if isinstance(host, list) else text_of(host)
    port = text_of(raw.get("port"))
    path = raw.get("path")
    path_text = "/".join(text_of(p) for p in path) if isinstance(path, list) else text_of(path)
    query = raw.get("query")
    pairs = [
        (text_of(q.get("key")), text_of(q.get("value")))
        for q in (query if isinstance(query, list) else [])
        if isinstance(q, Mapping) and q.get("disabled") is not True
    ]
    url = f"{protocol}://{host_text}{':' + port if port else ''}/{path_text.lstrip('/')}"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")


def _request(
    request: Mapping[str, Any],
    title: str,
    where: str,
    auth: AuthSpec | None,
    scope: Variables,
    builder: PlanBuilder,
) -> RawRequest:
    method = text_of(request.get("method")) or "GET"
    raw_url = _url(request.get("url")).strip()
    path_vars: dict[str, str] = {}
    url_map = as_map(request.get("url"))
    declared = {
        text_of(v.get("key")): text_of(v.get("value"))
        for v in as_list(url_map.get("variable"))
        if isinstance(v, Mapping) and text_of(v.get("key"))
    }

    def path_var(match: re.Match[str]) -> str:
        key = match.group(2)
        value = declared.get(key, "")
        if value and "{{" not in value:
            path_vars[template_name(key)] = value
        elif value:
            return match.group(1) + value  # `:id` whose value is itself a {{variable}}
        else:
            scope.note(
                f"path variable ':{key}' has no value in the source; left as the template "
                f"{{{{ {template_name(key)} }}}} (give it under [vars])"
            )
        return match.group(1) + "{{" + key + "}}"

    raw_url = _PATH_VAR.sub(path_var, raw_url)
    url = scope.translate(raw_url, f"{where} URL")
    for key in path_vars:
        url = url.replace("{{ " + key + " }}", "{{ " + key + " }}")
    headers: list[tuple[str, str]] = []
    raw_headers = request.get("header", [])
    if isinstance(raw_headers, str):  # v2.0 allowed "K: V\nK2: V2"
        raw_headers = [
            {"key": k, "value": v} for k, _, v in (line.partition(":") for line in raw_headers.splitlines())
        ]
    for entry in raw_headers if isinstance(raw_headers, list) else []:
        if isinstance(entry, Mapping) and entry.get("disabled") is not True and text_of(entry.get("key")):
            name = text_of(entry.get("key")).strip()
            headers.append(
                (name, scope.translate(text_of(entry.get("value")).strip(), f"{where} header {name}"))
            )
    form: list[tuple[str, str]] = []
    body, body_type = _body(request.get("body"), where, scope, builder, headers, form)
    return RawRequest(
        title=title,
        method=method,
        url=url,
        headers=headers,
        body=body,
        body_type=body_type,
        form=form,
        auth=auth,
        variables=path_vars,
    )


def _body(
    raw: Any,
    where: str,
    scope: Variables,
    builder: PlanBuilder,
    headers: list[tuple[str, str]],
    form: list[tuple[str, str]],
) -> tuple[str | None, BodyType | None]:
    if not isinstance(raw, Mapping) or raw.get("disabled") is True:
        return None, None
    mode = text_of(raw.get("mode"))
    if mode == "raw":
        text = text_of(raw.get("raw"))
        if not text:
            return None, None
        options = raw.get("options")
        language = ""
        if isinstance(options, Mapping) and isinstance(options.get("raw"), Mapping):
            language = text_of(options["raw"].get("language"))
        ctype = content_type(headers) or ""
        translated = scope.translate(text, f"{where} body")
        if language == "json" or "json" in ctype.lower() or (not ctype and _looks_json(text)):
            headers[:] = without_content_type(headers, json_only=True)
            return translated, "json"
        return translated, "text"
    if mode in ("urlencoded", "formdata"):
        for entry in raw.get(mode) or []:
            if not isinstance(entry, Mapping) or entry.get("disabled") is True:
                continue
            key = text_of(entry.get("key"))
            if entry.get("type") == "file":
                builder.note(f"{where}: form field '{key}' uploads a file; not saved")
                continue
            value = scope.translate(text_of(entry.get("value")), f"{where} form {key}")
            form.append((scope.translate(key, f"{where} form"), value))
        headers[:] = without_content_type(headers)
        return None, "form" if mode == "urlencoded" else "multipart"
    if mode == "graphql":
        gql = raw.get("graphql")
        if isinstance(gql, Mapping):
            variables_text = text_of(gql.get("variables")) or "{}"
            try:
                variables_value = json.loads(variables_text)
            except ValueError:
                variables_value = {}
            text = json.dumps({"query": text_of(gql.get("query")), "variables": variables_value})
            return scope.translate(text, f"{where} body"), "json"
    if mode == "file":
        builder.note(f"{where}: the body is a file; not saved (binary bodies are never saved as text)")
    elif mode:
        builder.note(f"{where}: body mode '{mode}' is not supported; saved without a body")
    return None, None


def _looks_json(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))
