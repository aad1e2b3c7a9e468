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
        p.name
        for p in ROOT.iterdir()
        if not p.name.startswith(".")
        and p.name not in allowed | {"build", "dist"}
        and not p.name.endswith(".egg-info")
    }
    assert extra == set()


def test_the_product_and_its_docs_cite_only_documents_in_the_repository():
    """A reader of a checkout can open everything the code, the README and docs/ cite: no
    DESIGN.md, ENV-NOTES or seeds that live outside the repository."""
    outside = re.compile(r"\.\./shared/|\bshared/seeds\b|\bENV-NOTES\b")
    cited = re.compile(r"[\w./-]*\b[\w-]+\.md\b")
    files = [*(ROOT / "workbench").rglob("*.py"), ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    known = {p.name for p in ROOT.rglob("*.md") if ".git" not in p.parts}
    problems = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if outside.search(line):
                problems.append(f"{where}: {line.strip()}")
            for ref in cited.findall(line):
                name = ref.rsplit("/", 1)[-1]
                in_repo = (
                    (ROOT / ref).is_file()
                    or (path.parent / ref).is_file()
                    or ("/" not in ref and name in known)
                )
                if not in_repo:
                    problems.append(f"{where}: cites {ref}")
    assert problems == []
