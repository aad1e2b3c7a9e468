"""Refresh packaging/constraints.txt, the pinned versions a release build installs.

    python packaging/lock.py           # resolve again from the package index and rewrite the file
    python packaging/lock.py --check   # exit 1 when the file no longer matches pyproject.toml

The release workflow installs with `pip install -c packaging/constraints.txt --build-constraint
packaging/constraints.txt '.[package]'` (and `python packaging/build.py --install` does the same),
so two builds of one commit get the same libraries, whatever the index has published since.

How: pip's own resolver, run without installing anything (`pip install --dry-run --report`)
for each platform the release builds on (Linux x86-64, Windows x86-64, macOS arm64; Python
3.11, wheels only, as the runners install), over pyproject.toml's dependencies, the `package`
extra and the build system's requirements. A package pinned to the same version everywhere
gets one line; one that differs (or exists on some platforms only) gets a line per platform
with an environment marker. pip's config files are not read (PIP_CONFIG_FILE=os.devnull) and
PIP_FIND_LINKS / PIP_CONSTRAINT are dropped: a machine's own wheel folders or constraints must
not leak into the pins, which name releases everyone can download from the index.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "packaging" / "constraints.txt"
PYTHON_VERSION = "3.11"  # .github/workflows/release.yml's setup-python

# pip does not widen a --platform tag to the older ones a runner also accepts: list them.
PLATFORMS: dict[str, list[str]] = {
    "linux": [f"manylinux_2_{minor}_x86_64" for minor in range(35, 16, -1)]
    + ["manylinux2014_x86_64", "linux_x86_64"],
    "win32": ["win_amd64"],
    "darwin": [f"macosx_{major}_0_arm64" for major in range(14, 10, -1)]
    + [f"macosx_{major}_0_universal2" for major in range(14, 10, -1)]
    + [f"macosx_10_{minor}_universal2" for minor in range(16, 8, -1)],
}


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps = list(project["project"]["dependencies"])
    deps += project["project"]["optional-dependencies"]["package"]
    deps += project["build-system"]["requires"]
    return deps


# What environment markers see on each platform. pip evaluates markers against the machine it
# runs on, not against --platform, so `resolve` evaluates them itself and asks again for what a
# platform needs beyond this machine (keyring's pywin32-ctypes on Windows, for one).
MARKER_ENVIRONMENTS: dict[str, dict[str, str]] = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
              "platform_machine": "x86_64"},
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
              "platform_machine": "AMD64"},
    "darwin": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
               "platform_machine": "arm64"},
}


def resolve(platform: str, reqs: list[str]) -> dict[str, str]:
    """{name: version} pip would install on `platform` (nothing is installed)."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    environment = {**default_environment(), "python_version": PYTHON_VERSION,
                   "python_full_version": f"{PYTHON_VERSION}.0", **MARKER_ENVIRONMENTS[platform]}
    wanted = list(reqs)
    while True:
        items = _pip_report(platform, wanted)
        names = {_normal(item["metadata"]["name"]) for item in items}
        missing = []
        for item in items:
            extras = item.get("requested_extras") or [""]
            for line in item["metadata"].get("requires_dist", []):
                req = Requirement(line)
                if _normal(req.name) in names or req.marker is None:
                    continue
                if any(req.marker.evaluate({**environment, "extra": extra}) for extra in extras):
                    req.marker = None
                    missing.append(str(req))
        if not missing:
            return {_normal(item["metadata"]["name"]): item["metadata"]["version"] for item in items}
        wanted += missing


def _pip_report(platform: str, reqs: list[str]) -> list[dict]:
    # No config files (a machine's own wheel folders or constraints must not leak into the pins);
    # environment variables still apply (PIP_INDEX_URL, PIP_CERT, a proxy), minus those two.
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_FIND_LINKS", "PIP_CONSTRAINT")}
    env["PIP_CONFIG_FILE"] = os.devnull
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        argv = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                "--report", str(report), "--python-version", PYTHON_VERSION, "--only-binary=:all:"]
        for tag in PLATFORMS[platform]:
            argv += ["--platform", tag]
        subprocess.run([*argv, *reqs], check=True, env=env)
        data = json.loads(report.read_text(encoding="utf-8"))
    items: list[dict] = data["install"]
    return items


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def render(pins: dict[str, dict[str, str]]) -> str:
    lines = [
        "# Pinned versions for release builds. Do not edit: refresh with",
        "#     python packaging/lock.py",
        "# (see its docstring). Installed by .github/workflows/release.yml and packaging/build.py --install.",
    ]
    for name in sorted(pins):
        by_platform = pins[name]
        versions = set(by_platform.values())
        if len(versions) == 1 and len(by_platform) == len(PLATFORMS):
            lines.append(f"{name}=={versions.pop()}")
            continue
        for platform in sorted(by_platform):
            lines.append(f'{name}=={by_platform[platform]} ; sys_platform == "{platform}"')
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the file is current")
    args = parser.parse_args(argv)
    reqs = requirements()
    pins: dict[str, dict[str, str]] = {}
    for platform in PLATFORMS:
        for name, version in resolve(platform, reqs).items():
            pins.setdefault(name, {})[platform] = version
    text = render(pins)
    if args.check:
        current = CONSTRAINTS.read_text(encoding="utf-8") if CONSTRAINTS.exists() else ""
        if current != text:
            print(f"{CONSTRAINTS.relative_to(ROOT)} is out of date: run python packaging/lock.py")
            return 1
        return 0
    CONSTRAINTS.write_text(text, encoding="utf-8")
    print(f"wrote {CONSTRAINTS.relative_to(ROOT)} ({len(pins)} packages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
