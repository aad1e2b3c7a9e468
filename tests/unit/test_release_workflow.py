"""The release workflow (.github/workflows/release.yml) cannot run here, so it is checked by the
linters made for it: actionlint (syntax, expressions, runner labels, shellcheck on `run:`) and
zizmor (security: pinned actions, credentials, injection). Both install from PyPI (test extra).

Each linter is also shown a broken copy, so a linter that silently checks nothing fails here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def _tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (it is in the test extra: pip install -e '.[test]')")
        pytest.skip(f"{name} is not installed")
    return found


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("actionlint"), "-no-color", str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def _zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_actionlint_finds_nothing_wrong():
    run = _actionlint(WORKFLOW)
    assert run.returncode == 0, run.stdout + run.stderr


def test_zizmor_finds_nothing_wrong_even_pedantic():
    run = _zizmor(WORKFLOW)
    assert run.returncode == 0, run.stdout + run.stderr


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = WORKFLOW.read_text()
    assert old in text
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    path = folder / "release.yml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_actionlint_would_catch_a_mistake(tmp_path):
    path = _broken_copy(tmp_path, "runs-on: ${{ matrix.os }}", "runs-on: ${{ matrix.oss }}")
    run = _actionlint(path)
    assert run.returncode != 0 and "oss" in run.stdout


def test_zizmor_would_catch_an_injection_and_an_unpinned_action(tmp_path):
    path = _broken_copy(
        tmp_path,
        "run: python packaging/build.py",
        "run: python packaging/build.py ${{ github.event.head_commit.message }}",
    )
    text = path.read_text().replace(
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@main"
    )
    path.write_text(text)
    run = _zizmor(path)
    assert run.returncode != 0
    assert "template-injection" in run.stdout and "unpinned-uses" in run.stdout


def test_the_matrix_builds_and_smoke_tests_on_linux_windows_and_macos():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"]["binary"]
    oses = [entry["os"] for entry in job["strategy"]["matrix"]["include"]]
    assert [o.split("-")[0] for o in oses] == ["ubuntu", "windows", "macos"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "packaging/build.py" in runs
    for smoke in ('"$EXE" --version', '"$EXE" self-test', '"$EXE" gui --demo --screenshot'):
        assert smoke in runs
    upload = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and "dist/workbench/" in upload[0]["with"]["path"]
    # Every action is pinned to a full commit (zizmor checks it too; this names the rule).
    for step in job["steps"]:
        if "uses" in step:
            ref = step["uses"].split("@", 1)[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), step["uses"]
