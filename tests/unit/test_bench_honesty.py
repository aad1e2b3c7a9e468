"""Benchmarks say what they check (tests/bench): a name that promises a bound asserts one,
and a `report` benchmark asserts nothing about a bound."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROMISE = re.compile(r"within|stays?_|under|below|at_most|about|no_more_than|faster|as_fast|cheap")


_BOUND_NAME = re.compile(r"BOUND|TARGET|LIMIT|MAX")


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bound_checks(function: ast.FunctionDef) -> list[ast.Compare]:
    """The test's own bound checks: `assert a <= b` (or <, >, >=) in its body, or an ordering
    comparison against a named bound (`median >= QUERY_BOUND_MS`) in a test that asserts."""
    asserts = [node for node in ast.walk(function) if isinstance(node, ast.Assert)]
    ordering = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in node.ops)
    ]
    in_asserts = [c for c in ordering if any(c is a.test for a in asserts)]
    against_bounds = [c for c in ordering if any(_BOUND_NAME.search(n) for n in _names(c))]
    return in_asserts + (against_bounds if asserts else [])


def _bench_tests() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted((ROOT / "tests" / "bench").glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.append((f"{path.name}::{node.name}", node))
    return found


def test_there_are_benchmarks_to_check():
    assert len(_bench_tests()) >= 5


def test_a_bench_name_that_promises_a_bound_asserts_one():
    missing = [name for name, fn in _bench_tests() if PROMISE.search(fn.name) and not _bound_checks(fn)]
    assert missing == []


def test_a_report_bench_asserts_no_bound():
    bounded = [name for name, fn in _bench_tests() if fn.name.startswith("test_report") and _bound_checks(fn)]
    assert bounded == []
