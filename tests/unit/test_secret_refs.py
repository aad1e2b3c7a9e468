"""Secret references are resolved at each use: a long-running app sees a rotated secret the
next time it needs one (they were once kept for the life of the process)."""

from __future__ import annotations

import sys

from workbench.core.profiles.secret_refs import parse_ref, resolve


def test_an_env_reference_reads_the_variable_again_at_each_use(monkeypatch):
    ref = parse_ref("env:WB_TEST_ROTATING_SECRET", secret="api_key")
    monkeypatch.setenv("WB_TEST_ROTATING_SECRET", "first-value")
    assert resolve("p", "api_key", ref) == "first-value"
    monkeypatch.setenv("WB_TEST_ROTATING_SECRET", "rotated-value")
    assert resolve("p", "api_key", ref) == "rotated-value"


def test_a_cmd_reference_runs_the_command_again_at_each_use(tmp_path):
    counter = tmp_path / "n"
    script = tmp_path / "secret.py"
    script.write_text(
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "print(f'secret-{n}')\n"
    )
    ref = parse_ref(f"cmd:{sys.executable} {script}", secret="secret_key")
    assert [resolve("p", "secret_key", ref) for _ in range(2)] == ["secret-1", "secret-2"]
