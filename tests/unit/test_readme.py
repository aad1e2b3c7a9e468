"""The README's promises: CI runs exactly its test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- test-command -->\s*```sh\n(.*?)```\s*<!-- /test-command -->", readme, re.S)
    assert block, "README must mark its test command"
    assert block.group(1).strip().startswith(".venv/bin/python -m pytest")
    assert "test-command" in (ROOT / ".ci" / "run").read_text()


def test_readme_first_blocks_set_up_the_app_then_run_tests():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    assert "gui --demo" in blocks[0] and "pip install" in blocks[0]
    assert "pytest" in blocks[1]


def test_top_level_stays_as_designed():
    allowed = {"pyproject.toml", "workbench", "resources", "tests", "packaging", "docs", "README.md", ".ci"}
    extra = {
        p.name for p in ROOT.iterdir()
        if not p.name.startswith(".")
        and p.name not in allowed | {"build", "dist"}
        and not p.name.endswith(".egg-info")
    }
    assert extra == set()


def test_citations_of_the_design_document_say_where_it_is():
    """DESIGN.md is not in this repository: a comment that cites it names its place."""
    import re

    bare = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "workbench").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<!\.\./shared/)DESIGN(\.md)?\b", line)
    ]
    assert bare == []
