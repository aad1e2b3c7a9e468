"""`workbench completion bash|zsh|fish`, loaded into the real shells: commands, options, profile and
preset names come back when the user presses Tab.

bash is driven through its completion variables, fish through `complete -C`, zsh through a real
interactive shell in tmux (zsh offers no non-interactive completion entry point)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, run_cli
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore

PROFILES = ("prod-api", "staging")


@pytest.fixture
def shell_env(tmp_path, workbench_home):
    """PATH with a `workbench` that runs this checkout, and two profiles in WORKBENCH_HOME."""
    store = ProfileStore(presets=PresetCatalog.load_default())
    for name in PROFILES:
        store.create(
            name,
            preset="token-of-trust",
            base_url="https://example.com",
            vars={"app_domain": "example.com"},
            secret_names=[],
        )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "workbench"
    launcher.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m workbench "$@"\n')
    launcher.chmod(0o755)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "WORKBENCH_HOME": str(workbench_home),
        "HOME": str(tmp_path),
        "TERM": "xterm",
        "LANG": "C.UTF-8",
    }


def _script(shell: str, folder: Path, filename: str) -> Path:
    run = run_cli("completion", shell)
    assert run.returncode == 0, run.stderr
    path = folder / filename
    path.write_text(run.stdout)
    return path


def _bash_complete(script: Path, line: str, env: dict[str, str], cwd: Path) -> list[str]:
    words = line.split(" ")
    program = f"""
source {script}
COMP_WORDS=({" ".join(repr(w) if w else '""' for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE={line!r}
COMP_POINT=${{#COMP_LINE}}
_shtab_workbench workbench {words[-1]!r} {words[-2]!r}
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    proc = subprocess.run(
        ["bash", "--norc", "-c", program], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return [w for w in proc.stdout.splitlines() if w]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_options_profiles_and_presets(shell_env, tmp_path):
    script = _script("bash", tmp_path, "workbench.bash")
    assert set(_bash_complete(script, "workbench to", shell_env, tmp_path)) == {"token"}
    assert set(_bash_complete(script, "workbench token ", shell_env, tmp_path)) == set(PROFILES)
    assert _bash_complete(script, "workbench exec st", shell_env, tmp_path) == ["staging"]
    assert "--format" in _bash_complete(script, "workbench token prod-api --", shell_env, tmp_path)
    formats = _bash_complete(script, "workbench token prod-api --format ", shell_env, tmp_path)
    assert set(formats) == {"bare", "json", "header", "exec-credential"}
    presets = _bash_complete(script, "workbench profile add x --preset ", shell_env, tmp_path)
    assert "true-markets" in presets and "token-of-trust" in presets
    shells = _bash_complete(script, "workbench completion ", shell_env, tmp_path)
    assert set(shells) == {"bash", "zsh", "fish"}


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_options_profiles_and_presets(shell_env, tmp_path):
    script = _script("fish", tmp_path, "workbench.fish")

    def complete(line: str) -> list[str]:
        proc = subprocess.run(
            ["fish", "--no-config", "-c", f"source {script}; complete -C {line!r}"],
            capture_output=True,
            text=True,
            env=shell_env,
            cwd=tmp_path,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return [row.split("\t")[0] for row in proc.stdout.splitlines()]

    assert "token" in complete("workbench to")
    assert set(complete("workbench token ")) == set(PROFILES)
    assert "--format" in complete("workbench token prod-api --")
    formats = complete("workbench token prod-api --format ")
    assert set(formats) == {"bare", "json", "header", "exec-credential"}
    assert "true-markets" in complete("workbench profile add x --preset ")


@pytest.mark.skipif(
    shutil.which("zsh") is None or shutil.which("tmux") is None, reason="zsh and tmux are needed"
)
def test_zsh_completes_profiles_and_presets_on_tab(shell_env, tmp_path):
    _script("zsh", tmp_path, "_workbench")
    socket = f"wbtest-{uuid.uuid4().hex[:8]}"
    env_args = [f"{k}={v}" for k, v in shell_env.items()]
    subprocess.run(
        [
            "tmux",
            "-L",
            socket,
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "40",
            "-s",
            "t",
            "env",
            "-i",
            *env_args,
            "zsh",
            "-f",
        ],
        check=True,
        cwd=tmp_path,
        timeout=30,
    )
    try:

        def tmux(*args: str) -> str:
            return subprocess.run(
                ["tmux", "-L", socket, *args], capture_output=True, text=True, check=True, timeout=30
            ).stdout

        def screen_after(*keys: str, want: str) -> str:
            tmux("send-keys", "-t", "t", *keys)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                screen = tmux("capture-pane", "-p", "-t", "t")
                if want in screen:
                    return screen
                time.sleep(0.2)
            return screen

        tmux(
            "send-keys",
            "-t",
            "t",
            f"fpath=({tmp_path} $fpath); autoload -U compinit; "
            f"compinit -u -d {tmp_path}/zcompdump; echo ready",
            "Enter",
        )
        assert "ready" in screen_after(want="\nready")
        screen = screen_after("workbench token ", "Tab", want="staging")
        assert "prod-api" in screen and "staging" in screen
        screen = screen_after("C-u", "workbench profile add x --preset ", "Tab", want="true-markets")
        assert "true-markets" in screen and "token-of-trust" in screen
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=30)


def test_list_prints_profile_and_preset_names(shell_env):
    run = run_cli("completion", "--list", "profiles")
    assert run.returncode == 0 and run.stdout.splitlines() == list(PROFILES)
    presets = run_cli("completion", "--list", "presets").stdout.splitlines()
    seeds = {"true-markets", "marketiger3d", "token-of-trust", "api-key-sliding", "paymentsgate"}
    assert seeds <= set(presets)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("completion", "powershell"), "invalid choice: 'powershell'"),
        (("completion",), "which shell?"),
        (("completion", "bash", "--list", "profiles"), "either a SHELL or --list"),
        (("completion", "--list", "keys"), "invalid choice: 'keys'"),
    ],
)
def test_bad_completion_requests_are_one_line(args, expected):
    run = run_cli(*args)
    assert run.returncode != 0 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: ") and expected in lines[0]
