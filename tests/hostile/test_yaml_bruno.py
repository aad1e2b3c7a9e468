"""Hostile import files: a YAML bomb under the alias limit, Bruno folders with links and pipes.

Each attack runs `workbench import --dry-run` in a child under an address-space cap
(`input_harness.wb`), so a regression fails here (MemoryError, timeout) instead of eating
the machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.hostile.input_harness import wb

PETS = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "bruno" / "pets"


def yaml_bomb(levels: int = 8, fan: int = 10) -> str:
    """An Insomnia v5 export whose environment expands to fan**levels strings through
    levels*fan aliases (80, far under the old alias limit of 1000), about 600 bytes."""
    lines = ["type: collection.insomnia.rest/5.0", "name: bomb", "meta: {id: wrk_1}"]
    lines.append("l0: &a0 [" + ",".join(["lol"] * fan) + "]")
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * fan) + "]")
    lines += [
        "environments:",
        "  name: base",
        f"  data: {{v: *a{levels}}}",
        "collection:",
        "  - name: r",
        "    url: http://127.0.0.1/x",
        "    method: GET",
    ]
    return "\n".join(lines) + "\n"


def test_a_yaml_bomb_under_the_alias_limit_is_refused_in_one_line(tmp_path):
    bomb = tmp_path / "insomnia.yaml"
    bomb.write_text(yaml_bomb())
    assert bomb.stat().st_size < 1024 and yaml_bomb().count("*a") == 81  # 8 levels of 10, and the use

    run = wb("import", str(bomb), "--dry-run", timeout=20)

    line = run.one_error_line()
    assert "YAML" in line and str(bomb) in line


def test_a_yaml_file_with_a_few_shared_anchors_still_imports(tmp_path):
    """Aliases are legitimate (Insomnia and OpenAPI files use them): only the expansion is bounded."""
    text = yaml_bomb(levels=2, fan=3)
    path = tmp_path / "insomnia.yaml"
    path.write_text(text)

    run = wb("import", str(path), "--dry-run", timeout=20)

    assert run.returncode == 0, run.stderr
    assert "request r" in run.stdout


@pytest.fixture
def collection(tmp_path) -> Path:
    """A copy of a good Bruno collection the tests then spoil."""
    root = tmp_path / "coll"
    shutil.copytree(PETS, root)
    return root


def _imports_the_good_requests(run, skipped: str) -> None:
    """The import went through for the collection's own files and said which file it passed over."""
    assert not run.timed_out, f"still running after {run.elapsed:.1f} s"
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode == 0, run.stderr[-2000:]
    assert skipped in run.stdout + run.stderr


def test_a_bru_symlink_to_dev_zero_is_not_read(collection):
    (collection / "zero.bru").symlink_to("/dev/zero")

    run = wb("import", str(collection), "--dry-run", timeout=20)

    _imports_the_good_requests(run, "zero.bru")


def test_a_fifo_named_bru_does_not_hang_the_import(collection):
    os.mkfifo(collection / "hang.bru")

    run = wb("import", str(collection), "--dry-run", timeout=20)

    _imports_the_good_requests(run, "hang.bru")


def test_a_bru_symlink_to_a_local_file_leaks_nothing_of_it(collection, tmp_path):
    private = tmp_path / "private.txt"
    private.write_text("PRIVATE-FIRST-LINE-d41d8cd9 of a file outside the collection\nmore\n")
    (collection / "leak.bru").symlink_to(private)

    run = wb("import", str(collection), "--dry-run", timeout=20)

    assert "PRIVATE-FIRST-LINE" not in run.stdout + run.stderr
    _imports_the_good_requests(run, "leak.bru")


def test_a_folder_symlink_out_of_the_collection_is_not_walked(collection, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "stolen.bru").write_text(
        "meta {\n  name: stolen-request\n  type: http\n}\n\nget {\n  url: http://127.0.0.1/stolen\n}\n"
    )
    (collection / "linked").symlink_to(outside, target_is_directory=True)

    run = wb("import", str(collection), "--dry-run", timeout=20)

    assert "stolen" not in run.stdout
    _imports_the_good_requests(run, "linked")


def test_a_huge_bru_file_inside_the_collection_is_refused_by_size(collection):
    with open(collection / "huge.bru", "wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: 3 GiB announced, nothing on disk

    run = wb("import", str(collection), "--dry-run", timeout=20)

    assert not run.timed_out and "Traceback" not in run.stderr
    assert "huge.bru" in run.stdout + run.stderr
