"""Bruno `.bru` files, or a Bruno collection folder → profiles and saved requests.

The Bru language (docs.usebruno.com, "Bru Lang"): top-level blocks `name {` ... `}`
closed at column 0. Dictionary blocks hold `key: value` lines (a leading `~` disables
one); text blocks (`body:json`, `docs`, scripts) hold raw text indented by two spaces;
list blocks `vars:secret [ ... ]`. A request file has `meta`, one method block
(`get {url, body, auth}`), `headers`, `params:query`, `auth:bearer|oauth2|apikey|basic`
and `body:*`. A collection folder has `bruno.json`, an optional `collection.bru`
(collection auth and headers), `folder.bru` per folder, and `environments/*.bru`.
`auth: inherit` takes the folder's or the collection's.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import InputError
from workbench.core.importers import bru_lang
from workbench.core.importers.bru_lang import BruFile
from workbench.core.importers.common import (
    MAX_IMPORT_BYTES,
    Variables,
    content_type,
    decode_text,
    template_name,
)
from workbench.core.importers.model import AuthSpec, BodyType, ImportPlan, RawRequest
from workbench.core.importers.plan import PlanBuilder

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog

METHODS = ("get", "post", "put", "delete", "patch", "options", "head", "connect", "trace")
MAX_FILES = 20000


def sniff(text: str) -> bool:
    head = text.lstrip()[:2000]
    return (
        head.startswith(("meta {", "meta{"))
        or any(head.startswith(f"{m} {{") for m in METHODS)
        or ("\nmeta {" in head and any(f"\n{m} {{" in head for m in METHODS))
    )


def parse_bru(text: str, source: str) -> BruFile:
    """Parse one .bru file (the Bru language, `bru_lang`). A damaged one is one clear error line."""
    try:
        return bru_lang.parse(text)
    except bru_lang.BruSyntaxError as exc:
        raise InputError(f"{source} {exc}") from None


def _outside(root: Path, path: Path) -> str | None:
    """Why `path` is not read as part of the collection in `root` (a link leading out of it, a
    FIFO, a device, a folder), or None for a regular file inside it."""
    try:
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(os.path.realpath(root)):
            return "a link out of the collection"
        mode = real.stat().st_mode
    except OSError as exc:
        return f"cannot be read: {(exc.strerror or type(exc).__name__).lower()}"
    return None if stat.S_ISREG(mode) else "not a regular file"


def _members(builder: PlanBuilder, root: Path, paths: Iterable[Path]) -> Iterator[Path]:
    """The regular files inside the collection among `paths`; the others are named in a note."""
    for path in sorted(paths):
        why = _outside(root, path)
        if why is None:
            yield path
        else:
            builder.note(f"{path.relative_to(root).as_posix()}: skipped ({why})")


def _read(path: Path, source: str, root: Path | None = None) -> str:
    """A regular file's text, at most MAX_IMPORT_BYTES, read through its resolved path without
    blocking (a FIFO) or following a link swapped in since; with `root`, only inside it."""
    if root is not None and (why := _outside(root, path)) is not None:
        raise InputError(f"{source}: not read ({why})")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(os.path.realpath(path), flags)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"{source}: not a regular file")
            if info.st_size > MAX_IMPORT_BYTES:
                raise InputError(f"{source}: larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
            data = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(f"{source}: larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    return decode_text(data, source, "a .bru file")


def parse_path(path: Path, presets: PresetCatalog | None = None) -> ImportPlan:
    """A collection folder (with bruno.json) or a single .bru request file."""
    if path.is_dir():
        return _parse_folder(path, presets)
    text = _read(path, str(path))
    return parse_text(text, str(path), presets)


def parse_text(text: str, source: str, presets: PresetCatalog | None = None) -> ImportPlan:
    bru = parse_bru(text, source)
    title = bru.value("meta", "name") or Path(source).stem or "bruno"
    builder = PlanBuilder("bruno", source, title, presets)
    variables = Variables()
    _add_vars(variables, bru)
    raw = _request(bru, title, f"request '{title}'", None, variables, builder, source)
    if raw is not None:
        builder.add_request(raw)
    return builder.finish(variables)


def _parse_folder(root: Path, presets: PresetCatalog | None) -> ImportPlan:
    manifest = root / "bruno.json"
    name = root.name
    if manifest.is_file() and _outside(root, manifest) is None:
        try:
            info = json.loads(_read(manifest, str(manifest), root))
        except ValueError:
            raise InputError(f"{manifest}: damaged bruno.json (not JSON)") from None
        if isinstance(info, Mapping) and isinstance(info.get("name"), str):
            name = info["name"]
    elif not any(root.rglob("*.bru")):
        raise InputError(f"{root}: not a Bruno collection (no bruno.json and no .bru files)")
    builder = PlanBuilder("bruno", str(root), name, presets)
    variables = Variables()
    env_dir = root / "environments"
    if env_dir.is_dir():
        envs = list(_members(builder, root, env_dir.glob("*.bru")))
        first_env: Variables | None = None
        for env in envs:
            # Every environment is a named variable set: its names stay templates.
            scratch = Variables()
            _add_vars(scratch, parse_bru(_read(env, str(env), root), str(env)))
            variables.keep.update(scratch.values)
            builder.environments[env.stem] = {
                template_name(k): v for k, v in scratch.values.items() if k not in scratch.secret
            }
            first_env = first_env or scratch
        if first_env is not None:
            for key, value in first_env.values.items():
                variables.add(key, value, secret=key in first_env.secret)
    collection_auth: AuthSpec | None = None
    collection_headers: list[tuple[str, str]] = []
    coll = root / "collection.bru"
    if coll.is_file() and any(_members(builder, root, [coll])):
        cbru = parse_bru(_read(coll, str(coll), root), str(coll))
        _add_vars(variables, cbru)
        collection_auth = _auth(cbru, cbru.value("auth", "mode"), "collection auth", variables, None)
        _scripts(builder, cbru, "collection")
        collection_headers = cbru.pairs("headers")
    count = [0]
    _walk_folder(builder, root, root, collection_auth, collection_headers, variables, count)
    return builder.finish(variables)


def _walk_folder(
    builder: PlanBuilder,
    root: Path,
    folder: Path,
    parent_auth: AuthSpec | None,
    parent_headers: list[tuple[str, str]],
    variables: Variables,
    count: list[int],
) -> None:
    auth, headers, scope = parent_auth, list(parent_headers), variables
    folder_file = folder / "folder.bru"
    if folder != root and folder_file.is_file() and any(_members(builder, root, [folder_file])):
        fbru = parse_bru(_read(folder_file, str(folder_file), root), str(folder_file))
        scope = variables.child()
        _add_vars(scope, fbru)
        rel = folder.relative_to(root).as_posix()
        auth = _auth(fbru, fbru.value("auth", "mode"), f"folder '{rel}' auth", scope, parent_auth)
        headers = headers + fbru.pairs("headers")
        _scripts(builder, fbru, f"folder '{rel}'")
    requests: list[tuple[float, str, BruFile, Path]] = []
    for path in _members(builder, root, folder.glob("*.bru")):
        if path.name in ("folder.bru", "collection.bru") or (
            folder == root and path.parent.name == "environments"
        ):
            continue
        count[0] += 1
        if count[0] > MAX_FILES:
            raise InputError(
                f"{root}: more than {MAX_FILES} .bru files; not a collection to import in one go"
            )
        bru = parse_bru(_read(path, str(path), root), str(path))
        try:
            seq = float(bru.value("meta", "seq") or 0)
        except ValueError:
            seq = 0.0
        requests.append((seq, bru.value("meta", "name") or path.stem, bru, path))
    folder_name = folder.relative_to(root).as_posix() if folder != root else ""
    for _seq, title, bru, path in sorted(requests, key=lambda r: (r[0], r[1])):
        rel = path.relative_to(root).with_suffix("").as_posix()
        raw = _request(bru, title, f"request '{rel}'", auth, scope, builder, str(path), headers)
        if raw is not None:
            raw.folder = folder_name
            builder.add_request(raw)
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder == root and sub.name in ("environments", "node_modules"):
            continue
        if sub.is_symlink():
            rel = sub.relative_to(root).as_posix()
            builder.note(f"{rel}/: skipped (a link; linked folders are not walked)")
            continue
        _walk_folder(builder, root, sub, auth, headers, scope, count)


def _add_vars(variables: Variables, bru: BruFile) -> None:
    secret_names = set(bru.lists.get("vars:secret", []))
    for block in ("vars", "vars:pre-request", "vars:request"):
        for key, value in bru.pairs(block):
            variables.add(key, value, secret=key in secret_names)
    for name in secret_names:
        if name not in variables.values:
            variables.secret.add(name)


def _auth(bru: BruFile, mode: str, where: str, v: Variables, parent: AuthSpec | None) -> AuthSpec | None:
    mode = mode.strip().lower()
    if mode in ("", "inherit"):
        return parent
    if mode == "none":
        return AuthSpec("none", where=where)

    def get(key: str) -> str:
        return v.resolve(bru.value(f"auth:{mode}", key))

    if mode == "bearer":
        return AuthSpec("bearer", where=where, token=get("token"))
    if mode == "apikey":
        placement = get("placement").lower() or "header"
        return AuthSpec(
            "apikey",
            where=where,
            key=get("key"),
            value=get("value"),
            placement="query" if placement.startswith("query") else placement,
            prefix="",
        )
    if mode == "oauth2":
        return AuthSpec(
            "oauth2",
            where=where,
            grant_type=get("grant_type"),
            token_url=get("access_token_url"),
            auth_url=get("authorization_url"),
            refresh_url=get("refresh_token_url"),
            client_id=get("client_id"),
            client_secret=get("client_secret"),
            scope=get("scope"),
            client_auth="body" if get("credentials_placement") == "body" else "basic",
        )
    if mode == "basic":
        return AuthSpec("basic", where=where, username=get("username"), password=get("password"))
    return AuthSpec(mode, where=where)


def _scripts(builder: PlanBuilder, bru: BruFile, owner: str) -> None:
    for block in bru.texts:
        if (block.startswith("script:") or block == "tests") and bru.texts[block].strip():
            builder.note(f"{owner}: {block} not run here (scripts do not run in the workbench)")


def _request(
    bru: BruFile,
    title: str,
    where: str,
    parent_auth: AuthSpec | None,
    scope: Variables,
    builder: PlanBuilder,
    source: str,
    inherited_headers: list[tuple[str, str]] | None = None,
) -> RawRequest | None:
    method = next((m for m in METHODS if m in bru.dicts), "")
    kind = bru.value("meta", "type")
    if not method or (kind and kind not in ("http", "graphql")):
        what = (
            f"a Bruno {kind} request" if kind and kind not in ("http", "graphql") else "no HTTP method block"
        )
        builder.skip(title, f"{what}; only HTTP requests are saved")
        return None
    path_vars: dict[str, str] = {}
    for key, value in bru.pairs("params:path"):
        if value and "{{" not in value:
            path_vars[template_name(key)] = value
    raw_url = bru.value(method, "url")
    for key, value in bru.pairs("params:path"):
        # `:id` → `{{id}}` (its value a request variable), or the value itself when it is a template.
        segment = value if value and "{{" in value else "{{" + key + "}}"
        raw_url = re.sub(
            r"(/):" + re.escape(key) + r"(?=/|\?|#|$)", "\\g<1>" + segment.replace("\\", "\\\\"), raw_url
        )
    url = scope.translate(raw_url, f"{where} URL")
    for key, value in bru.pairs("params:path"):
        if not value:
            scope.note(
                f"path variable ':{key}' has no value in the source; left as the template "
                f"{{{{ {template_name(key)} }}}} (give it under [vars])"
            )
    query = bru.pairs("params:query")
    if query and "?" not in url:
        url += "?" + "&".join(f"{k}={scope.translate(v, f'{where} query {k}')}" for k, v in query)
    auth_mode = bru.value(method, "auth") or "inherit"
    local = scope.child()
    auth = _auth(bru, auth_mode, f"{where} auth", local, parent_auth)
    headers = [
        (k, scope.translate(v, f"{where} header {k}"))
        for k, v in [*(inherited_headers or []), *bru.pairs("headers")]
    ]
    body: str | None = None
    body_type: BodyType | None = None
    form: list[tuple[str, str]] = []
    mode = bru.value(method, "body").lower()
    mode = {"formurlencoded": "form-urlencoded", "multipartform": "multipart-form"}.get(mode, mode)
    if mode in ("json", "text", "xml", "sparql") and f"body:{mode}" in bru.texts:
        body = scope.translate(bru.texts[f"body:{mode}"], f"{where} body")
        body_type = "json" if mode == "json" else "text"
        if mode in ("xml", "sparql") and content_type(headers) is None:
            headers.append(
                ("Content-Type", "application/xml" if mode == "xml" else "application/sparql-query")
            )
    elif mode in ("form-urlencoded", "multipart-form"):
        for entry in bru.entries(f"body:{mode}"):
            if "file" in entry.annotations or entry.value.startswith("@file("):
                builder.note(f"{where}: form field '{entry.key}' uploads a file; not saved")
                continue
            form.append((entry.key, scope.translate(entry.value, f"{where} form {entry.key}")))
        body_type = "form" if mode == "form-urlencoded" else "multipart"
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
    elif mode == "file":
        builder.note(f"{where}: the body is a file; not saved (binary bodies are never saved as text)")
    elif mode == "graphql" and "body:graphql" in bru.texts:
        try:
            gvars = json.loads(bru.texts.get("body:graphql:vars", "") or "{}")
        except ValueError:
            gvars = {}
        body = scope.translate(
            json.dumps({"query": bru.texts["body:graphql"], "variables": gvars}), f"{where} body"
        )
        body_type = "json"
    elif mode not in ("", "none"):
        builder.note(f"{where}: body mode '{mode}' is not supported; saved without a body")
    _scripts(builder, bru, where)
    return RawRequest(
        title=title,
        method=method.upper(),
        url=url,
        headers=headers,
        body=body,
        body_type=body_type,
        form=form,
        auth=auth,
        variables=path_vars,
        scope=scope,
    )
