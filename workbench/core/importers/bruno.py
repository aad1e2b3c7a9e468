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
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import InputError
from workbench.core.importers.common import MAX_IMPORT_BYTES, Variables, content_type, decode_text
from workbench.core.importers.model import AuthSpec, BodyType, ImportPlan, RawRequest
from workbench.core.importers.plan import PlanBuilder

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog

METHODS = ("get", "post", "put", "delete", "patch", "options", "head", "connect", "trace")
_TEXT_BLOCK_PREFIXES = ("body", "script", "tests", "docs", "example")
MAX_FILES = 20000


@dataclass
class BruFile:
    dicts: dict[str, list[tuple[str, str, bool]]] = field(
        default_factory=dict
    )  # name → (key, value, enabled)
    texts: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def value(self, block: str, key: str) -> str:
        for k, v, enabled in self.dicts.get(block, []):
            if k == key and enabled:
                return v
        return ""

    def pairs(self, block: str) -> list[tuple[str, str]]:
        return [(k, v) for k, v, enabled in self.dicts.get(block, []) if enabled]


def sniff(text: str) -> bool:
    head = text.lstrip()[:2000]
    return (
        head.startswith(("meta {", "meta{"))
        or any(head.startswith(f"{m} {{") for m in METHODS)
        or ("\nmeta {" in head and any(f"\n{m} {{" in head for m in METHODS))
    )


def parse_bru(text: str, source: str) -> BruFile:
    """Parse one .bru file. A block that never closes or a line outside any block is a clear error."""
    out = BruFile()
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        stripped = line.rstrip()
        if stripped.endswith("{") or stripped.endswith("["):
            name = stripped[:-1].strip()
            opener = stripped[-1]
            if not name or " " in name or line[0].isspace():
                raise InputError(f"{source} line {i}: not a Bru block header ('{stripped[:40]}')")
            closer = "}" if opener == "{" else "]"
            body: list[str] = []
            start = i
            while i < len(lines) and lines[i].rstrip() != closer:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise InputError(f"{source} line {start}: block '{name}' is never closed with '{closer}'")
            i += 1
            if opener == "[":
                items = [x.strip() for part in body for x in part.split(",")]
                out.lists[name] = [x for x in items if x]
            elif name.split(":", 1)[0] in _TEXT_BLOCK_PREFIXES and name not in (
                "body:form-urlencoded",
                "body:multipart-form",
            ):
                out.texts[name] = "\n".join(b[2:] if b.startswith("  ") else b.lstrip() for b in body).strip(
                    "\n"
                )
            else:
                entries: list[tuple[str, str, bool]] = []
                for n, raw in enumerate(body, start=start + 1):
                    if not raw.strip():
                        continue
                    key, sep, value = raw.strip().partition(":")
                    if not sep:
                        raise InputError(f"{source} line {n}: expected 'key: value' in block '{name}'")
                    enabled = not key.startswith("~")
                    entries.append((key.lstrip("~").strip(), value.strip(), enabled))
                out.dicts[name] = entries
            continue
        raise InputError(f"{source} line {i}: text outside any block ('{stripped[:40]}'); not a .bru file?")
    return out


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
    builder.add_request(_request(bru, title, f"request '{title}'", None, variables, builder, source))
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
        if envs:
            _add_vars(variables, parse_bru(_read(envs[0], str(envs[0]), root), str(envs[0])))
            if len(envs) > 1:
                builder.note(
                    f"environment '{envs[0].stem}' was used; "
                    + ", ".join(f"'{e.stem}'" for e in envs[1:])
                    + " were not"
                )
    collection_auth: AuthSpec | None = None
    collection_headers: list[tuple[str, str]] = []
    coll = root / "collection.bru"
    if coll.is_file() and any(_members(builder, root, [coll])):
        cbru = parse_bru(_read(coll, str(coll), root), str(coll))
        _add_vars(variables, cbru)
        collection_auth = _auth(cbru, cbru.value("auth", "mode"), "collection auth", variables, None)
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
    for _seq, title, bru, path in sorted(requests, key=lambda r: (r[0], r[1])):
        rel = path.relative_to(root).with_suffix("").as_posix()
        builder.add_request(
            _request(bru, title, f"request '{rel}'", auth, scope, builder, str(path), headers)
        )
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
    for block in ("vars", "vars:pre-request"):
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
        return AuthSpec("basic", where=where)
    return AuthSpec(mode, where=where)


def _request(
    bru: BruFile,
    title: str,
    where: str,
    parent_auth: AuthSpec | None,
    scope: Variables,
    builder: PlanBuilder,
    source: str,
    inherited_headers: list[tuple[str, str]] | None = None,
) -> RawRequest:
    method = next((m for m in METHODS if m in bru.dicts), "")
    if not method:
        kind = bru.value("meta", "type")
        if kind and kind != "http":
            raise InputError(f"{source}: a Bruno {kind} request; only HTTP requests can be imported")
        raise InputError(
            f"{source}: no HTTP method block (get {{ ... }}, post {{ ... }}); not a Bruno request"
        )
    url = scope.translate(bru.value(method, "url"), f"{where} URL")
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
    if mode in ("json", "text", "xml", "sparql") and f"body:{mode}" in bru.texts:
        body = scope.translate(bru.texts[f"body:{mode}"], f"{where} body")
        body_type = "json" if mode == "json" else "text"
        if mode in ("xml", "sparql") and content_type(headers) is None:
            headers.append(
                ("Content-Type", "application/xml" if mode == "xml" else "application/sparql-query")
            )
    elif mode in ("form-urlencoded", "multipart-form"):
        for key, value in bru.pairs(f"body:{mode}"):
            if value.startswith("@file("):
                builder.note(f"{where}: form field '{key}' uploads a file; not saved")
                continue
            form.append((key, scope.translate(value, f"{where} form {key}")))
        body_type = "form" if mode == "form-urlencoded" else "multipart"
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
    for block in bru.texts:
        if block.startswith("script:") or block == "tests":
            builder.note(f"{where}: {block} was not imported (scripts do not run here)")
    return RawRequest(
        title=title,
        method=method.upper(),
        url=url,
        headers=headers,
        body=body,
        body_type=body_type,
        form=form,
        auth=auth,
    )
