"""House rules that keep the layers honest."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_qt():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "workbench" / "core").rglob("*.py")
        if re.search(r"^\s*(from|import)\s+PySide6", p.read_text(), re.M)
    ]
    assert offenders == []


def test_no_eval_or_exec_in_the_product():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "workbench").rglob("*.py")
        if re.search(r"(?<![\w.])(eval|exec)\(", p.read_text())
    ]
    assert offenders == []


def test_cli_commands_do_not_import_qt():
    code = (
        "import sys; from workbench import cli; cli.build_parser();"
        "import workbench.core.context;"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
