"""The PyInstaller one-folder build works like the installed app: CLI, self-test, keychain and GUI.

Builds dist/workbench/ with packaging/build.py, reusing an existing build that is
newer than the spec and every source and resource file (so local reruns are quick;
CI's fresh clone always builds, about a minute). Skipped where PyInstaller is not
installed; CI installs `.[test,package]`, so there it runs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from workbench import __version__

pytestmark = pytest.mark.packaging
pytest.importorskip("PyInstaller")

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 120
HOST_ONLY_VARIABLES = {
    "PYTHONPATH",
    "PYTHONHOME",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "DISPLAY",
    "WAYLAND_DISPLAY",
}


def load_build_module() -> ModuleType:
    path = ROOT / "packaging" / "build.py"
    spec = importlib.util.spec_from_file_location("workbench_packaging_build", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def frozen_app() -> Path:
    build = load_build_module()
    started = time.perf_counter()
    result = build.build("app", if_stale=True, quiet=True)
    how = "reused" if result.reused else f"built in {time.perf_counter() - started:.0f} s"
    print(f"\nfrozen app: {result.executable} ({how})")
    return result.executable


def frozen_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: own WORKBENCH_HOME, offscreen Qt, nothing that would let the
    bundle lean on the build venv (PYTHONPATH) or on the system CA store instead of certifi."""
    env = {k: v for k, v in os.environ.items() if k not in HOST_ONLY_VARIABLES}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update({"WORKBENCH_HOME": str(home), "QT_QPA_PLATFORM": "offscreen", **extra})
    return env


def run(argv: list[str | Path], env: dict[str, str], cwd: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    # cwd outside the repository: the bundle must not find `workbench/` or `resources/` by accident.
    return subprocess.run(
        [str(a) for a in argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
        **kwargs,
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_frozen_binary_prints_the_package_version(frozen_app, tmp_path):
    proc = run([frozen_app, "--version"], frozen_env(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"workbench {__version__}"


def test_frozen_self_test_passes_and_picks_the_same_keychain_as_the_installed_app(
    frozen_app, tmp_path, secret_service
):
    # No PYTHON_KEYRING_BACKEND: keyring must discover the Secret Service through its
    # entry-point metadata, which is exactly what freezing loses unless the spec keeps it.
    env = frozen_env(tmp_path)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    frozen = run([frozen_app, "self-test", "--json"], env, tmp_path)
    installed = run(
        [sys.executable, "-m", "workbench", "self-test", "--json"], {**env, "PYTHONPATH": str(ROOT)}, tmp_path
    )

    assert frozen.returncode == 0, frozen.stdout[-3000:] + frozen.stderr
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr
    frozen_report, installed_report = json.loads(frozen.stdout), json.loads(installed.stdout)
    assert frozen_report["frozen"] is True and installed_report["frozen"] is False
    assert frozen_report["keyring_backend"] == installed_report["keyring_backend"] == "SecretService"
    frozen_checks = {c["name"]: c["status"] for c in frozen_report["checks"]}
    # "skip" is a preset the sandbox has no emulator for (bearer): nothing to run, not a failure.
    assert set(frozen_checks.values()) <= {"ok", "skip"} and "ok" in frozen_checks.values(), frozen_checks
    installed_checks = {c["name"]: c["status"] for c in installed_report["checks"]}
    assert [n for n, s in frozen_checks.items() if s == "skip"] == [
        n for n, s in installed_checks.items() if s == "skip"
    ]
    assert frozen_checks.keys() == {c["name"] for c in installed_report["checks"]}


def test_frozen_keyring_honours_python_keyring_backend(frozen_app, tmp_path):
    # The in-memory fallback must kick in when the named backend is keyring's `fail` one,
    # and naming a backend module must work in the bundle (imported by dotted name).
    env = frozen_env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    proc = run([frozen_app, "self-test", "--json"], env, tmp_path)
    report = json.loads(proc.stdout)
    vault = next(c for c in report["checks"] if c["name"] == "vault")
    assert proc.returncode == 0, proc.stderr
    assert vault["status"] == "warn" and "keyring backend: fail" in vault["detail"]


def test_frozen_gui_renders_the_demo_window_offscreen(frozen_app, tmp_path):
    shot = tmp_path / "out.png"
    proc = run([frozen_app, "gui", "--demo", "--screenshot", shot], frozen_env(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Could not load the Qt platform plugin" not in proc.stderr
    width, height = png_size(shot)
    assert width >= 640 and height >= 400
    assert shot.stat().st_size > 20_000  # a real window with text, not a blank frame


def test_frozen_cli_and_sandbox_work_across_processes(frozen_app, tmp_path):
    env = frozen_env(tmp_path)
    sandbox = subprocess.Popen(
        [str(frozen_app), "sandbox"],
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert sandbox.stdout is not None
        line = sandbox.stdout.readline()
        assert line, sandbox.stderr.read() if sandbox.stderr else "no output"
        demo = json.loads(line)["presets"]["token-of-trust"]
        maps = Path(f"/proc/{sandbox.pid}/maps")
        if maps.exists():  # a CLI command never loads Qt, not even through a run-time hook
            assert "libQt6Core" not in maps.read_text()
        add = [frozen_app, "profile", "add", "tot", "--preset", "token-of-trust"]
        add += ["--base-url", demo["base_url"]]
        add += [a for k, v in demo["vars"].items() for a in ("--set", f"{k}={v}")]
        add += [a for k, v in demo["secrets"].items() for a in ("--secret", f"{k}={v}")]
        assert run(add, env, tmp_path).returncode == 0
        token = run([frozen_app, "token", "tot", "--json"], env, tmp_path)
        assert token.returncode == 0, token.stderr
        assert json.loads(token.stdout)["obtained_by"] == "mint"
        call = run([frozen_app, "call", "tot", "/api/echo"], env, tmp_path)
        assert call.returncode == 0, call.stderr
        decoded = run(
            [frozen_app, "decode", "-", "--json"],
            env,
            tmp_path,
            input=json.loads(token.stdout)["access_token"],
        )
        assert decoded.returncode == 0, decoded.stderr
        assert json.loads(decoded.stdout)["alg"] == "HS256"
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def test_bundle_carries_what_the_app_loads_at_run_time_and_not_unused_qt(frozen_app):
    internal = frozen_app.parent / "_internal"
    qt = internal / "PySide6" / "Qt"
    if sys.platform.startswith("linux"):
        platforms = {p.name for p in (qt / "plugins" / "platforms").iterdir()}
        assert {"libqoffscreen.so", "libqxcb.so", "libqwayland.so"} <= platforms
        assert (qt / "plugins" / "iconengines" / "libqsvgicon.so").is_file()  # the SVG app icon
        libs = {p.name.split(".so")[0] for p in (qt / "lib").iterdir()}
        for unused in ("libQt6Qml", "libQt6Quick", "libQt6Network", "libQt6WebEngineCore", "libQt6Pdf"):
            assert unused not in libs
        assert not (qt / "translations").exists()
        assert not list(internal.glob("libgtk-3*")), "the GTK theme plugin's libraries should be pruned"
    assert list(internal.glob("keyring-*.dist-info/entry_points.txt")), "keyring finds backends through these"
    assert (internal / "certifi" / "cacert.pem").is_file()
    assert sorted(p.stem for p in (internal / "resources" / "presets").glob("*.toml")) == sorted(
        p.stem for p in (ROOT / "resources" / "presets").glob("*.toml")
    )
    assert (internal / "resources" / "icons" / "token-workbench.svg").is_file()
    for module in ("tkinter", "unittest", "pytest", "PyInstaller"):
        assert not (internal / module).exists()
    dangling = [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []
