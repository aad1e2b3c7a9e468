"""`workbench import`: what users already have → profiles and saved requests.

One module per source format (curl, postman, insomnia, bruno, openapi, har, and a Google
service-account key: `service_account`), one shared
result (`model.ImportPlan`). `read_plan` detects the format (or takes `--format`), parses,
and returns the plan without writing anything; `apply_plan` (in `workbench.core.importers.apply`)
stores it. A file that is damaged or not what it claims is one `InputError` line and nothing
is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import InputError
from workbench.core.importers.common import MAX_IMPORT_BYTES, decode_text
from workbench.core.importers.model import AuthSpec, ImportPlan, ProfilePlan, RawRequest, RequestPlan
from workbench.core.storage.files import read_small_file

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog

FORMATS = ("curl", "postman", "insomnia", "bruno", "openapi", "har", "service-account")
# Nodes a YAML document may expand to through its aliases beyond what its own text holds.
MAX_YAML_NODES = 250_000
_WHAT = {
    "curl": "a curl command",
    "postman": "a Postman collection",
    "insomnia": "an Insomnia export",
    "bruno": "a Bruno request or collection",
    "openapi": "an OpenAPI 3 document",
    "har": "a HAR file",
    "service-account": "a Google service-account key",
}


def read_bytes(path: Path, label: str) -> bytes:
    return read_small_file(path, MAX_IMPORT_BYTES, label, what="something to import")


def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}: damaged JSON ({exc.msg}; line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(f"{source}: damaged JSON (nested too deeply)") from None


def _yaml(text: str, source: str) -> Any:
    """Parse YAML with PyYAML's C loader when it is there (the pure-Python one otherwise).

    Anchors and aliases are legitimate, but a few dozen aliases can stand for billions of nodes
    ("billion laughs"): PyYAML builds each node once and shares it, so loading stays small, and
    it is walking the result that would explode. When the text has an anchor, the document is
    walked once with aliases expanded, and refused past `MAX_YAML_NODES` nodes more than its
    size could hold (a text of N bytes holds fewer than N nodes of its own)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader (C or Python)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(f"{source}: damaged YAML ({problem}{where})") from None
    except RecursionError:
        raise InputError(f"{source}: damaged YAML (nested too deeply)") from None
    if _has_anchor(text):
        budget = len(text) + MAX_YAML_NODES
        if _expanded_nodes(doc, budget) > budget:
            raise InputError(
                f"{source}: YAML whose aliases expand to more than {budget} nodes; refused (an alias bomb?)"
            )
    return doc


_ANCHOR_BEFORE = frozenset(" \t\r\n[{,:-?")
_NAME_STOP = frozenset(" \t\r\n[]{},")


def _has_anchor(text: str) -> bool:
    """An anchor (`&name`) where YAML allows one: after a space, a line break, `[`, `{`, `,`, `:`,
    `-` or `?`. (`&` inside a URL's query follows a letter or digit: not one.) Scans by `find`."""
    at = text.find("&")
    while at != -1:
        name = text[at + 1 : at + 2]
        if (at == 0 or text[at - 1] in _ANCHOR_BEFORE) and name and name not in _NAME_STOP:
            return True
        at = text.find("&", at + 1)
    return False


def _expanded_nodes(doc: Any, budget: int) -> int:
    """How many nodes `doc` has with shared (aliased) ones counted at every use; stops past `budget`."""
    count = 0
    stack = [doc]
    while stack:
        node = stack.pop()
        count += 1
        if count > budget:
            return count
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def _document(text: str, source: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return _json(text, source)
    return _yaml(text, source)


def detect(text: str, source: str) -> tuple[str, Any]:
    """(format, parsed document or text). One clear InputError when the content is none of them."""
    from workbench.core.importers import bruno, curl, har, insomnia, openapi, postman, service_account

    if not text.strip():
        raise InputError(f"{source}: empty; nothing to import")
    if curl.sniff(text):
        return "curl", text
    if bruno.sniff(text):
        return "bruno", text
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) or ":" in stripped.split("\n", 1)[0]:
        doc = _document(text, source)
        if postman.sniff(doc):
            return "postman", doc
        if insomnia.sniff(doc):
            return "insomnia", doc
        if openapi.sniff(doc):
            return "openapi", doc
        if har.sniff(doc):
            return "har", doc
        if service_account.sniff(doc):
            return "service-account", doc
        if service_account.other_google_credential(doc) is not None:
            raise InputError(service_account.not_a_key_line(doc, source))
        if postman.is_environment(doc):
            raise InputError(
                f"{source}: a Postman environment, not a collection; import the collection with "
                f"--environment {source}"
            )
    raise InputError(
        f"{source}: cannot tell what this is (a curl command, Postman, Insomnia, Bruno, OpenAPI or HAR "
        "file, or a Google service-account key, was expected); name it with --format"
    )


def parse_text(
    text: str,
    source: str,
    fmt: str | None = None,
    *,
    presets: PresetCatalog | None = None,
    environment: Any = None,
    env_source: str = "",
    keep_all: bool = False,
) -> ImportPlan:
    from workbench.core.importers import bruno, curl, har, insomnia, openapi, postman, service_account

    if fmt is None:
        fmt, doc = detect(text, source)
    elif fmt not in FORMATS:
        raise InputError(f"unknown import format '{fmt}' (known: {', '.join(FORMATS)})")
    elif fmt in ("curl", "bruno"):
        doc = text
    else:
        doc = _document(text, source)
        sniffers = {
            "postman": postman.sniff,
            "insomnia": insomnia.sniff,
            "openapi": openapi.sniff,
            "har": har.sniff,
            "service-account": service_account.sniff,
        }
        if fmt == "service-account" and not service_account.sniff(doc):
            raise InputError(service_account.not_a_key_line(doc, source))
        if not sniffers[fmt](doc):
            raise InputError(f"{source}: not {_WHAT[fmt]} (--format {fmt})")
    if environment is not None and fmt != "postman":
        raise InputError("--environment applies to Postman collections only")
    if fmt == "curl":
        return curl.parse(str(doc), source, presets)
    if fmt == "bruno":
        if not bruno.sniff(str(doc)):
            raise InputError(f"{source}: not {_WHAT['bruno']} (no meta or method block)")
        return bruno.parse_text(str(doc), source, presets)
    if fmt == "postman":
        return postman.parse(doc, source, presets, environment, env_source)
    if fmt == "insomnia":
        return insomnia.parse(doc, source, presets)
    if fmt == "openapi":
        return openapi.parse(doc, source, presets)
    if fmt == "service-account":
        return service_account.parse(doc, source)
    return har.parse(doc, source, presets, keep_all=keep_all)


def read_plan(
    path: str,
    fmt: str | None = None,
    *,
    presets: PresetCatalog | None = None,
    stdin: bytes | None = None,
    environment: str | None = None,
    keep_all: bool = False,
) -> ImportPlan:
    """Parse FILE (or `-` with `stdin` bytes) into a plan. Writes nothing. `keep_all`: a HAR's
    static assets (images, fonts, CSS, JS) too."""
    env_doc: Any = None
    if environment is not None:
        env_text = decode_text(
            read_bytes(Path(environment).expanduser(), environment), environment, "a Postman environment"
        )
        env_doc = _json(env_text, environment)
    if path == "-":
        if stdin is None:
            raise InputError("no input on stdin")
        if len(stdin) > MAX_IMPORT_BYTES:
            raise InputError(f"<stdin>: larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
        text = decode_text(stdin, "<stdin>", "something to import")
        return parse_text(
            text,
            "<stdin>",
            fmt,
            presets=presets,
            environment=env_doc,
            env_source=environment or "",
            keep_all=keep_all,
        )
    target = Path(path).expanduser()
    if target.is_dir():
        if fmt not in (None, "bruno"):
            raise InputError(f"{path}: is a folder; only a Bruno collection can be imported from a folder")
        from workbench.core.importers import bruno

        return bruno.parse_path(target, presets)
    if not target.exists():
        raise InputError(f"{path}: no such file")
    text = decode_text(read_bytes(target, path), path, _WHAT.get(fmt or "", "something to import"))
    if fmt == "bruno" or (fmt is None and target.suffix == ".bru"):
        from workbench.core.importers import bruno

        return bruno.parse_text(text, path, presets)
    return parse_text(
        text, path, fmt, presets=presets, environment=env_doc, env_source=environment or "", keep_all=keep_all
    )


__all__ = [
    "FORMATS",
    "AuthSpec",
    "ImportPlan",
    "ProfilePlan",
    "RawRequest",
    "RequestPlan",
    "detect",
    "parse_text",
    "read_plan",
]
