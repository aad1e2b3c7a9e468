"""Benchmarks print their figures (ratios against a baseline measured in the same run) in the
normal test run too, not only with `-s`: the numbers are the point, and CI logs keep them.

Each timed benchmark prints its ratio against its target and fails past a regression bound
it states, or is named `test_report_...` and asserts nothing about time. A test name that
promises a bound (within, stays, under, below, at_most, ...) asserts it:
tests/unit/test_bench_honesty.py checks that for the whole folder."""

from __future__ import annotations

import pytest

_terminal = None


@pytest.fixture(autouse=True, scope="session")
def _terminal_reporter(pytestconfig):
    # A sub-directory conftest is loaded after pytest_configure ran, so look the reporter up here.
    global _terminal
    _terminal = pytestconfig.pluginmanager.get_plugin("terminalreporter")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/bench/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.bench)


def pytest_runtest_logreport(report):
    if report.when != "call" or "tests/bench/" not in report.nodeid or _terminal is None:
        return
    text = report.capstdout.strip()
    if text:
        _terminal.write_line("")
        for line in text.splitlines():
            _terminal.write_line(line if line.startswith("[bench") or not line.strip() else f"[bench] {line}")
