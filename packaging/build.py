"""Build the PyInstaller bundles: the app (dist/workbench/) and the benchmark floor (dist/hello-floor/).

    python packaging/build.py                 # one-folder app → dist/workbench/workbench
    python packaging/build.py --onefile       # one-file app  → dist/onefile/workbench
    python packaging/build.py --target floor  # the hello-window floor → dist/hello-floor/hello-floor
    python packaging/build.py --if-stale      # reuse a build newer than every input
    python packaging/build.py --install       # first install the pinned libraries (constraints.txt)

Works on Linux, macOS and Windows (run it with the venv's Python). Intermediate files
go to build/pyinstaller/<target>/, results to dist/ (both gitignored). A stamp file
beside each result records when and how long it took, so `--if-stale` (and the
packaging tests) can reuse a fresh build instead of spending a minute on a rebuild.

A release build installs the project with the versions pinned in packaging/constraints.txt
(`--install`, as .github/workflows/release.yml does): two builds of one commit bundle the
same libraries. `python packaging/lock.py` refreshes the pins.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import buildconfig as cfg  # noqa: E402

EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


@dataclass(frozen=True)
class Target:
    name: str
    spec: Path
    inputs: tuple[Path, ...]  # files and folders whose change makes a build stale

    def dist_dir(self, onefile: bool) -> Path:
        return cfg.DIST_DIR / "onefile" if onefile else cfg.DIST_DIR / self.bundle_name

    @property
    def bundle_name(self) -> str:
        return cfg.APP_NAME if self.name == "app" else cfg.FLOOR_NAME

    def executable(self, onefile: bool = False) -> Path:
        return self.dist_dir(onefile) / (self.bundle_name + EXE_SUFFIX)

    def stamp(self, onefile: bool = False) -> Path:
        return cfg.DIST_DIR / f".stamp-{self.name}{'-onefile' if onefile else ''}.json"


_COMMON_INPUTS = (HERE / "buildconfig.py", HERE / "build.py", HERE / "rthooks", cfg.ROOT / "pyproject.toml")
TARGETS = {
    "app": Target(
        "app",
        HERE / "workbench.spec",
        (*_COMMON_INPUTS, HERE / "workbench.spec", HERE / "entry.py", HERE / "hooks",
         cfg.ROOT / "workbench", cfg.RESOURCES),
    ),
    "floor": Target("floor", HERE / "floor.spec", (*_COMMON_INPUTS, HERE / "floor.spec", HERE / "floor")),
}


@dataclass(frozen=True)
class BuildResult:
    executable: Path
    seconds: float  # how long the build took (the recorded time when reused)
    reused: bool


def newest_input(target: Target) -> float:
    newest = 0.0
    for path in target.inputs:
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts:
                continue
            newest = max(newest, file.stat().st_mtime)
    return newest


CONSTRAINTS = HERE / "constraints.txt"


def install_command() -> list[str]:
    """pip installing the project and its `package` extra at the pinned versions (build
    dependencies too): the release workflow's install step runs the same."""
    pinned = str(CONSTRAINTS.relative_to(cfg.ROOT))
    return [sys.executable, "-m", "pip", "install", "-c", pinned, "--build-constraint", pinned, ".[package]"]


def install_pinned() -> None:
    subprocess.run(install_command(), cwd=cfg.ROOT, check=True)


def fresh_build(target: Target, onefile: bool = False) -> BuildResult | None:
    """The existing build, if it succeeded and is newer than every input; else None."""
    stamp, exe = target.stamp(onefile), target.executable(onefile)
    if not (stamp.is_file() and exe.is_file()):
        return None
    try:
        record = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    if record.get("python") != sys.executable or float(record.get("finished", 0)) < newest_input(target):
        return None
    return BuildResult(exe, float(record.get("seconds", 0.0)), reused=True)


def build(target_name: str = "app", *, onefile: bool = False, if_stale: bool = False,
          clean: bool = False, quiet: bool = False) -> BuildResult:
    target = TARGETS[target_name]
    if onefile and target_name != "app":
        raise SystemExit("only the app has a one-file variant")
    # Two test runs (or a developer and a test run) building at once would clobber each
    # other's dist/ folder: one build per target at a time, and the second one reuses it.
    from workbench.core.storage.process_lock import LockHeld, ProcessLock

    cfg.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    lock = ProcessLock(cfg.BUILD_DIR / f".{target.name}{'-onefile' if onefile else ''}.lock", timeout=3600)
    try:
        lock.acquire()
    except LockHeld:
        raise SystemExit(
            f"another build of {target.name} has run for over an hour ({lock.path}); try again"
        ) from None
    try:
        if if_stale and not clean:
            reused = fresh_build(target, onefile)
            if reused is not None:
                return reused
        return _run_pyinstaller(target, onefile=onefile, clean=clean, quiet=quiet)
    finally:
        lock.release()


def _run_pyinstaller(target: Target, *, onefile: bool, clean: bool, quiet: bool) -> BuildResult:
    workpath = cfg.BUILD_DIR / "pyinstaller" / (target.name + ("-onefile" if onefile else ""))
    cmd = [
        sys.executable, "-m", "PyInstaller", str(target.spec), "--noconfirm",
        "--distpath", str(target.dist_dir(onefile).parent if not onefile else target.dist_dir(onefile)),
        "--workpath", str(workpath), "--log-level", "WARN",
    ]
    if clean:
        cmd.append("--clean")
    env = {**os.environ, "WORKBENCH_ONEFILE": "1" if onefile else "0"}
    target.stamp(onefile).unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cfg.ROOT, env=env, capture_output=quiet, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        detail = (proc.stderr or "")[-4000:] if quiet else ""
        raise SystemExit(f"PyInstaller failed for {target.name} (exit {proc.returncode})\n{detail}")
    exe = target.executable(onefile)
    if not exe.is_file():
        raise SystemExit(f"PyInstaller finished but {exe} is missing")
    target.stamp(onefile).write_text(json.dumps(
        {"finished": time.time(), "seconds": round(seconds, 1), "python": sys.executable}
    ))
    return BuildResult(exe, seconds, reused=False)


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=sorted(TARGETS), default="app")
    parser.add_argument("--onefile", action="store_true", help="one self-extracting file (app only)")
    parser.add_argument("--if-stale", action="store_true", help="reuse a build newer than all its inputs")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first")
    parser.add_argument(
        "--install", action="store_true", help="first install '.[package]' at the versions in constraints.txt"
    )
    args = parser.parse_args(argv)
    if args.install:
        install_pinned()
    result = build(args.target, onefile=args.onefile, if_stale=args.if_stale, clean=args.clean)
    bundle = result.executable if args.onefile else result.executable.parent
    how = "reused (newer than its inputs)" if result.reused else f"built in {result.seconds:.0f} s"
    print(f"{result.executable.relative_to(cfg.ROOT)}: {how}, {folder_size(bundle) / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
