"""The error module's documented tree is the whole tree: every `WorkbenchError` subclass in the
product is defined in `workbench/core/errors.py` and named in its docstring, under its parent."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from workbench.core import errors

ROOT = Path(__file__).resolve().parents[2]


def _error_classes_defined_outside_errors_py() -> list[str]:
    known = {
        name for name, obj in vars(errors).items() if isinstance(obj, type) and issubclass(obj, Exception)
    }
    offenders = []
    for path in (ROOT / "workbench").rglob("*.py"):
        if path == ROOT / "workbench" / "core" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & known:
                    offenders.append(f"{path.relative_to(ROOT)}: {node.name}")
    return offenders


def test_no_error_class_derives_from_the_tree_outside_the_error_module():
    assert _error_classes_defined_outside_errors_py() == []


def test_the_docstring_tree_names_every_class_under_its_parent():
    doc = errors.__doc__ or ""
    tree = doc[doc.index("The tree") :]
    lines = [line for line in tree.splitlines() if re.match(r"^    \S|^    [│├└ ]", line)]
    # name -> depth (column of the name) and the order they appear in
    drawn: list[tuple[str, int]] = []
    for line in lines:
        match = re.search(r"([A-Z]\w+)", line)
        if match and (match.start() == 4 or line[match.start() - 2 : match.start()] == "─ "):
            drawn.append((match.group(1), match.start()))
    classes = {
        name: obj
        for name, obj in vars(errors).items()
        if isinstance(obj, type)
        and issubclass(obj, errors.WorkbenchError)
        and obj.__module__ == errors.__name__
    }
    assert sorted(name for name, _ in drawn) == sorted(classes)
    for i, (name, column) in enumerate(drawn):
        if name == "WorkbenchError":
            continue
        parent = next(n for n, c in reversed(drawn[:i]) if c < column)
        assert classes[name].__bases__[0] is classes[parent], f"{name} is drawn under {parent}"


def test_names_raised_by_a_module_stay_importable_from_it():
    for module, name in [
        ("workbench.core.oauth.protocol", "OAuthError"),
        ("workbench.core.oauth.protocol", "LoginCancelled"),
        ("workbench.core.oauth.loopback", "LoginTimedOut"),
        ("workbench.core.net.origins", "OriginError"),
        ("workbench.core.request.saved", "SavedRequestError"),
        ("workbench.core.engine.singleflight", "FlightTimeoutError"),
        ("workbench.core.engine.types", "TokenUnavailableError"),
    ]:
        assert getattr(importlib.import_module(module), name) is getattr(errors, name)
