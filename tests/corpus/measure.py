"""The import fidelity corpus: requests in each real file vs requests the importer kept or listed.

The corpus is real public files (Postman collections and environments, Insomnia exports, Bruno
collections, OpenAPI documents, HAR files, curl commands from vendors' docs), one folder per format,
with SOURCES.md naming repository, path, commit and license of each. It is looked for in
`$WORKBENCH_CORPUS`, then `tests/fixtures/corpus`, then `shared/corpus` beside the checkout.

Requests in a file are counted here from the raw format, independently of the importer:
  postman   items holding a `request` (folders recursed)
  insomnia  v4 resources of `_type` request / grpc_request / websocket_request; v5 collection
            leaves (entries without `children`)
  bruno     .bru files with a method block (get/post/...) or a graphql/grpc/ws type, outside
            environments/ and other than collection.bru / folder.bru
  openapi   operations (path x method)
  har       log.entries
  curl      `curl` commands

Run: `python -m tests.corpus.measure [--json]` prints one line per file and the corpus figure.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ("postman", "insomnia", "bruno", "openapi", "har", "curl")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BRU_BLOCKS = re.compile(r"^(get|post|put|delete|patch|options|head|connect|trace)\s*\{", re.MULTILINE)
BRU_TYPE = re.compile(r"^\s*type:\s*(graphql|grpc|ws|websocket)\s*$", re.MULTILINE)
# A collection and the environment file it is imported with (`--environment`).
ENVIRONMENTS = {
    "wise-cards-api.postman_collection.json": "wise-cards-api-sandbox.postman_environment.json",
    "wise-all-endpoints.postman_collection.json": "wise-all-endpoints.postman_environment.json",
    "wise-mca.postman_collection.json": "wise-mca-sandbox.postman_environment.json",
    "xero-oauth2.postman_collection.json": "xero-oauth2.postman_environment.json",
}
# Files that are not something to import on their own, or that the importer refuses by design.
NOT_IMPORTED = re.compile(r"\.postman_environment\.json$")
REFUSED = {"kong-fixture-swagger2-petstore.yaml": "OpenAPI 2.0 is not supported"}


def corpus_dir() -> Path | None:
    candidates = [
        os.environ.get("WORKBENCH_CORPUS", ""),
        ROOT / "tests/fixtures/corpus",
        ROOT.parent / "shared/corpus",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "postman").is_dir():
            return Path(candidate)
    return None


def corpus_files(base: Path) -> list[tuple[str, Path]]:
    """(format, path) of every importable corpus entry: files, and Bruno collection folders."""
    out: list[tuple[str, Path]] = []
    for fmt in FORMATS:
        folder = base / fmt
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or NOT_IMPORTED.search(path.name):
                continue
            if fmt == "bruno" and path.name == "single":
                out.extend((fmt, p) for p in sorted(path.iterdir()) if p.suffix == ".bru")
                continue
            out.append((fmt, path))
    return out


# --------------------------------------------------------------------------- raw counts


def _postman_count(items: Any) -> int:
    n = 0
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("item"), list):
            n += _postman_count(item["item"])
        elif "request" in item:
            n += 1
    return n


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith(("{", "[")):
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def _insomnia_v5_count(items: Any) -> int:
    n = 0
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            n += _insomnia_v5_count(item["children"]) if "children" in item else 1
    return n


def _bru_is_request(text: str) -> bool:
    return bool(BRU_BLOCKS.search(text) or BRU_TYPE.search(text))


def _curl_count(text: str) -> int:
    joined = re.sub(r"\\\r?\n", " ", text)
    return sum(1 for line in joined.splitlines() if re.match(r"^\s*curl(\s|$)", line))


def raw_count(fmt: str, path: Path) -> int:
    if fmt == "bruno":
        files = [path] if path.is_file() else sorted(path.rglob("*.bru"))
        return sum(
            1
            for f in files
            if f.name not in ("collection.bru", "folder.bru")
            and "environments" not in f.relative_to(path if path.is_dir() else path.parent).parts
            and _bru_is_request(f.read_text(encoding="utf-8"))
        )
    if fmt == "curl":
        return _curl_count(path.read_text(encoding="utf-8"))
    doc = _load(path)
    if fmt == "postman":
        return _postman_count(doc.get("item"))
    if fmt == "insomnia":
        if isinstance(doc.get("resources"), list):
            kinds = ("request", "grpc_request", "websocket_request")
            return sum(1 for r in doc["resources"] if isinstance(r, dict) and r.get("_type") in kinds)
        return _insomnia_v5_count(doc.get("collection"))
    if fmt == "openapi":
        return sum(
            1
            for item in (doc.get("paths") or {}).values()
            if isinstance(item, dict)
            for method in item
            if method in HTTP_METHODS
        )
    if fmt == "har":
        return len(((doc.get("log") or {}).get("entries")) or [])
    raise ValueError(fmt)


# --------------------------------------------------------------------------- importer figures

_LEFT_OUT = re.compile(r"request '.*?'.*(left out|not saved|skipped)", re.IGNORECASE)


@dataclass
class Row:
    fmt: str
    name: str
    in_file: int
    kept: int
    listed: int
    error: str = ""

    @property
    def accounted(self) -> int:
        return self.kept + self.listed


def import_figures(fmt: str, path: Path, **kwargs: Any) -> tuple[int, int, str, Any]:
    """(kept, listed, error, plan) from today's importer (a dry run: nothing is written)."""
    from workbench.core.errors import InputError
    from workbench.core.importers import read_plan

    env = ENVIRONMENTS.get(path.name)
    options: dict[str, Any] = dict(kwargs)
    if env and (path.parent / env).exists():
        options["environment"] = str(path.parent / env)
    try:
        plan = read_plan(str(path), None if fmt != "bruno" else "bruno", **options)
    except InputError as exc:
        return 0, 0, str(exc), None
    skipped = getattr(plan, "skipped", None)
    if skipped is not None:
        listed = len(skipped)
    else:
        listed = sum(1 for line in plan.unmapped if _LEFT_OUT.search(line))
    return len(plan.requests), listed, "", plan


def measure(base: Path) -> list[Row]:
    rows = []
    for fmt, path in corpus_files(base):
        kept, listed, error, _plan = import_figures(
            fmt, path, **({"keep_all": True} if fmt == "har" and _takes_all() else {})
        )
        rows.append(Row(fmt, path.name, raw_count(fmt, path), kept, listed, error))
    return rows


def _takes_all() -> bool:
    import inspect

    from workbench.core.importers import read_plan

    return "keep_all" in inspect.signature(read_plan).parameters


def main(argv: list[str]) -> int:
    base = corpus_dir()
    if base is None:
        print("no corpus found (set WORKBENCH_CORPUS)", file=sys.stderr)
        return 2
    rows = measure(base)
    if "--json" in argv:
        print(json.dumps([row.__dict__ for row in rows], indent=1))
    else:
        for row in rows:
            flag = "" if row.accounted >= row.in_file else "  <-- missing " + str(row.in_file - row.accounted)
            err = f"  FAILED: {row.error[:100]}" if row.error else ""
            counts = f"in={row.in_file:5} kept={row.kept:5} listed={row.listed:4}"
            print(f"{row.fmt:9} {row.name[:58]:58} {counts}{flag}{err}")
    total = sum(r.in_file for r in rows)
    kept = sum(r.kept for r in rows)
    listed = sum(r.listed for r in rows)
    failed = sum(1 for r in rows if r.error)
    print(
        f"corpus: {len(rows)} files, {total} requests in files; kept {kept} ({kept / total:.1%}), "
        f"listed {listed}, unaccounted {total - kept - listed}; {failed} files failed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
