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


def test_no_module_of_the_product_is_over_600_lines():
    """A module past 600 lines holds more than one concern: split it (docs/ARCHITECTURE.md)."""
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "workbench").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert long == {}


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


def _module_level_imports(body, package):
    """Names imported when a module runs (not inside functions, not under TYPE_CHECKING)."""
    import ast

    for node in body:
        if isinstance(node, ast.If):
            test = node.test
            if getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING":
                continue
            yield from _module_level_imports(node.body + node.orelse, package)
        elif isinstance(node, ast.Try):
            handlers = [stmt for handler in node.handlers for stmt in handler.body]
            yield from _module_level_imports(node.body + node.orelse + node.finalbody + handlers, package)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def test_no_import_cycles_between_product_modules():
    """Module-level imports (importing a submodule runs its packages' __init__ too) form no cycle:
    the sandbox's package __init__ must not import the server that imports the emulators."""
    import ast

    modules = {}
    for path in (ROOT / "workbench").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        for imported in _module_level_imports(ast.parse(path.read_text()).body, package):
            parts = imported.split(".")
            targets |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        edges[name] = {t for t in targets if t in modules and t != name and not name.startswith(t + ".")}

    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(modules):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_one_helper_each_for_jwt_times_retry_after_durations_and_vault_secrets():
    """One JWT-times reader, one Retry-After parser, one duration formatter, one vault-backed
    secret source: a second copy drifts (two `humanize_duration`s once wrote the Token view
    in two styles; one Retry-After parser ignored the server's clock)."""
    patterns = {
        "jwt times": r"^\s*def _?jwt_times\(",
        "retry-after": r"^\s*def _?(parse_)?retry_after\(",
        "durations": r"^\s*def _?humanize_duration\(",
        "vault secret source": r"^\s*class _?Vault\w*Secret\w*\b",
    }
    found = {
        what: [
            str(path.relative_to(ROOT))
            for path in (ROOT / "workbench").rglob("*.py")
            if re.search(pattern, path.read_text(encoding="utf-8"), re.M)
        ]
        for what, pattern in patterns.items()
    }
    assert {what: len(paths) for what, paths in found.items()} == dict.fromkeys(patterns, 1), found


# ----------------------------------------------------------------- imports inside functions
# Imports inside functions hide the dependency graph from readers and from the checks above.
# Start-up speed comes from lazy loading at command dispatch (cli.py) and view construction
# (gui/window_ui.py), not from imports scattered through functions: at most this many are left.
FUNCTION_LEVEL_IMPORT_BUDGET = 50


def _project_modules():
    for path in sorted((ROOT / "workbench").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _all_imports(path, name):
    """Every import statement in a module, at any depth: (line, module, names it binds from it
    as `module.name`, inside a function)."""
    import ast

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, (), in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                found.append(
                    (child.lineno, base, tuple(f"{base}.{a.name}" for a in child.names), in_function)
                )
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def test_core_never_imports_qt_or_the_front_ends_not_even_inside_a_function():
    forbidden = ("PySide6", "shiboken6", "workbench.gui", "workbench.commands", "workbench.cli")
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for name, path in _project_modules()
        if name.startswith("workbench.core")
        for line, module, names, _inside in _all_imports(path, name)
        for imported in (module, *names)
        if imported.startswith(forbidden)
    ]
    assert offenders == []


def test_the_cli_commands_never_import_qt_not_even_inside_a_function_except_the_gui_command():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for name, path in _project_modules()
        if name.startswith(("workbench.commands", "workbench.cli")) and name != "workbench.commands.gui"
        for line, module, names, _inside in _all_imports(path, name)
        for imported in (module, *names)
        if imported.startswith(("PySide6", "shiboken6", "workbench.gui"))
    ]
    assert offenders == []


def test_at_most_fifty_imports_of_project_modules_sit_inside_functions():
    inside = [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for name, path in _project_modules()
        for line, module, _names, in_function in _all_imports(path, name)
        if in_function and module.startswith("workbench")
    ]
    assert len(inside) <= FUNCTION_LEVEL_IMPORT_BUDGET, "\n".join(inside)


def test_top_level_help_and_an_unknown_command_import_no_command_module():
    """Command modules load at dispatch, when their own command runs: the top-level help and
    the list of choices come from cli.py's table of summaries."""
    code = (
        "import sys, contextlib, io\n"
        "from workbench import cli\n"
        "for argv in (['--help'], ['frobnicate']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()),"
        " contextlib.redirect_stderr(io.StringIO()):\n"
        "        cli.build_parser(argv).parse_args(argv)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('workbench.commands.'))\n"
        "assert loaded == [], loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_command_module_takes_its_summary_from_the_cli_table():
    from workbench import cli

    parser = cli.build_parser()
    group = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert {c.dest: c.help for c in group._choices_actions} == {n: cli.summary(n) for n in cli._COMMANDS}
