"""Release builds are reproducible: packaging/constraints.txt pins every library the release
installs (made by `python packaging/lock.py`), and both the release workflow and
`packaging/build.py --install` install from it. (Refreshing the pins needs the package index,
so `lock.py --check` is not run here; what the file must cover is.)"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "packaging" / "constraints.txt"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, list[str]]:
    pins: dict[str, list[str]] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, rest = line.partition("==")
            pins.setdefault(_normal(name), []).append(rest.split(";")[0].strip())
    return pins


def test_every_declared_dependency_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["package"],
        *project["build-system"]["requires"],
    ]
    pins = _pins()
    for requirement in map(Requirement, declared):
        versions = pins.get(_normal(requirement.name))
        assert versions, (
            f"{requirement.name} is not pinned in {CONSTRAINTS.name}: run python packaging/lock.py"
        )
        for pinned in versions:
            assert requirement.specifier.contains(pinned, prereleases=True), (
                f"{requirement.name}=={pinned} is outside {requirement}: run python packaging/lock.py"
            )


def test_the_pins_say_how_they_are_refreshed():
    assert "python packaging/lock.py" in CONSTRAINTS.read_text(encoding="utf-8").splitlines()[1]


def test_the_release_workflow_and_build_py_install_from_the_pins():
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    installs = [line for line in workflow.splitlines() if "pip install" in line and "[package]" in line]
    assert installs and all("-c packaging/constraints.txt" in line for line in installs), installs
    spec = importlib.util.spec_from_file_location("packaging_build", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # its dataclasses look their module up
    spec.loader.exec_module(build)
    command = build.install_command()
    assert command[command.index("-c") + 1] == "packaging/constraints.txt"
    assert ".[package]" in command
