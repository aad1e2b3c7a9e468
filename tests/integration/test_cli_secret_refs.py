"""Secret references (`--secret-ref K=env:VAR|K=cmd:COMMAND`) through the real command line, on a
machine with NO keychain at all (keyring's fail backend), as on a CI runner: the profile file
holds the reference, the value comes from the environment or a command at each use, and is
never written anywhere."""

from __future__ import annotations

import json
import sys
import time

import pytest

from tests.integration.conftest import files_text, one_line_error, run_cli

NO_KEYCHAIN = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return run_cli(*args, env={**NO_KEYCHAIN, **(env or {})}, timeout=timeout)


@pytest.fixture
def demo(sandbox):
    return sandbox.demo_profiles()["token-of-trust"]


def _py(code: str) -> str:
    return f"cmd:{sys.executable} -c {json.dumps(code)}"


@pytest.fixture
def ci_profile(demo):
    """The CI recipe's profile: both secrets from the environment."""
    run = cli(
        "profile",
        "add",
        "ci",
        "--preset",
        "token-of-trust",
        "--base-url",
        demo["base_url"],
        "--set",
        f"app_domain={demo['vars']['app_domain']}",
        "--secret-ref",
        "api_key=env:TOT_API_KEY",
        "--secret-ref",
        "secret_key=env:TOT_SECRET_KEY",
    )
    assert run.returncode == 0, run.stderr
    assert "keychain" not in run.stderr  # references alone never touch it
    return "ci"


def _ci_env(demo) -> dict[str, str]:
    return {"TOT_API_KEY": demo["secrets"]["api_key"], "TOT_SECRET_KEY": demo["secrets"]["secret_key"]}


def test_a_profile_with_env_references_works_with_no_keychain(ci_profile, demo, sandbox, workbench_home):
    env = _ci_env(demo)
    token = cli("token", ci_profile, "--json", env=env)
    assert token.returncode == 0, token.stderr
    assert json.loads(token.stdout)["obtained_by"] == "mint"
    call = cli("call", ci_profile, "/api/echo", env=env)
    assert call.returncode == 0, call.stderr
    assert json.loads(call.stdout)["ok"] is True
    text = files_text(workbench_home)
    assert 'api_key = "env:TOT_API_KEY"' in text
    assert all(value not in text for value in env.values())


def test_profile_show_says_where_each_secret_comes_from(ci_profile):
    run = cli("profile", "show", ci_profile)
    assert run.returncode == 0, run.stderr
    assert "from env:TOT_API_KEY (read at each use, not stored)" in run.stdout
    assert "from env:TOT_SECRET_KEY" in run.stdout
    listed = json.loads(cli("profile", "list", "--json").stdout)
    assert listed[0]["secret_refs"] == {"api_key": "env:TOT_API_KEY", "secret_key": "env:TOT_SECRET_KEY"}


def test_an_unset_variable_is_one_line_and_nothing_is_stored(ci_profile, demo, sandbox, workbench_home):
    before = sorted(p.relative_to(workbench_home) for p in workbench_home.rglob("*") if p.is_file())
    run = cli("token", ci_profile, env={"TOT_API_KEY": demo["secrets"]["api_key"]})
    assert run.returncode == 1
    line = one_line_error(run, skip_warnings=True)
    assert "secret 'secret_key' of profile 'ci' comes from env:TOT_SECRET_KEY, which is not set" in line
    assert sandbox.calls("token-of-trust", "mint") == 0
    after = sorted(p.relative_to(workbench_home) for p in workbench_home.rglob("*") if p.is_file())
    assert [p for p in after if "lock" not in str(p)] == [p for p in before if "lock" not in str(p)]


def test_a_command_reference_reads_the_secret_from_the_commands_stdout(ci_profile, demo, sandbox):
    secret = demo["secrets"]["secret_key"]
    run = cli("profile", "set", ci_profile, "--secret-ref", f"secret_key={_py(f'print({secret!r})')}")
    assert run.returncode == 0, run.stderr
    token = cli("token", ci_profile, env={"TOT_API_KEY": demo["secrets"]["api_key"]})
    assert token.returncode == 0, token.stderr
    assert sandbox.calls("token-of-trust", "mint") == 1


def test_a_failing_command_is_one_line_naming_the_program_never_its_output(ci_profile, demo, sandbox):
    leak = "s3cr3t-from-the-password-manager"
    code = f"import sys; print({leak!r}); print({leak!r}, file=sys.stderr); sys.exit(3)"
    assert cli("profile", "set", ci_profile, "--secret-ref", f"secret_key={_py(code)}").returncode == 0
    run = cli("token", ci_profile, env={"TOT_API_KEY": demo["secrets"]["api_key"]})
    assert run.returncode == 1
    line = one_line_error(run, skip_warnings=True)
    assert "secret 'secret_key' of profile 'ci'" in line and "exited with status 3" in line
    assert leak not in run.stderr and leak not in run.stdout
    assert sandbox.calls("token-of-trust", "mint") == 0


def test_a_hanging_command_is_stopped_within_the_deadline(ci_profile, demo, sandbox):
    # It starts a grandchild that would keep stdout open: stopping the group must not wait for it.
    code = (
        "import subprocess, sys, time;"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    assert cli("profile", "set", ci_profile, "--secret-ref", f"secret_key={_py(code)}").returncode == 0
    started = time.monotonic()
    run = cli("token", ci_profile, env={"TOT_API_KEY": "x", "WORKBENCH_SECRET_CMD_TIMEOUT": "1"}, timeout=30)
    elapsed = time.monotonic() - started
    assert run.returncode == 1
    line = one_line_error(run, skip_warnings=True)
    assert "did not finish within 1 s and was stopped" in line and "WORKBENCH_SECRET_CMD_TIMEOUT" in line
    assert elapsed < 15  # bounded: the whole process group is stopped, the pipe does not hold us
    assert sandbox.calls("token-of-trust", "mint") == 0


def test_a_missing_program_is_one_line(ci_profile):
    ref = "secret_key=cmd:no-such-password-manager read x"
    assert cli("profile", "set", ci_profile, "--secret-ref", ref).returncode == 0
    run = cli("token", ci_profile, env={"TOT_API_KEY": "x"})
    assert run.returncode == 1
    assert "cannot run `no-such-password-manager`" in one_line_error(run, skip_warnings=True)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("api_key=vault:x", "must be env:VAR or cmd:COMMAND"),
        ("api_key=env:NOT-A-NAME", "is not an environment variable name"),
        ("api_key=cmd:", "needs a command"),
        ("app_domain=env:X", "plain setting"),
        ("nope=env:X", "has no secret 'nope'"),
        ("api_key", "expects NAME=VALUE"),
    ],
)
def test_bad_references_are_one_line_and_change_nothing(ci_profile, workbench_home, ref, expected):
    before = (workbench_home / "profiles" / "ci.toml").read_text()
    run = cli("profile", "set", ci_profile, "--secret-ref", ref)
    assert run.returncode != 0
    assert expected in one_line_error(run, skip_warnings=True)
    assert (workbench_home / "profiles" / "ci.toml").read_text() == before


def test_a_value_and_a_reference_for_one_secret_are_refused(demo):
    run = cli(
        "profile",
        "add",
        "both",
        "--preset",
        "token-of-trust",
        "--base-url",
        demo["base_url"],
        "--set",
        "app_domain=x",
        "--secret",
        "api_key=v",
        "--secret-ref",
        "api_key=env:X",
        "--secret-ref",
        "secret_key=env:Y",
    )
    assert run.returncode != 0
    assert "both --secret and --secret-ref" in one_line_error(run, skip_warnings=True)


def test_ci_recipe_profiles_from_git_secrets_from_the_ci_environment(ci_profile, demo, sandbox, tmp_path):
    """README's recipe: export the profile into the repository; the CI job imports it into a fresh
    WORKBENCH_HOME on a runner with no keychain and gets tokens from its environment."""
    exported = cli("profile", "export", ci_profile)
    assert exported.returncode == 0
    repo = tmp_path / "repo" / "workbench-profiles"
    repo.mkdir(parents=True)
    (repo / "ci.toml").write_text(exported.stdout)
    runner_home = tmp_path / "runner-home"
    env = {"WORKBENCH_HOME": str(runner_home), **_ci_env(demo)}
    imported = cli("profile", "import", str(repo / "ci.toml"), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "not in the vault yet" not in imported.stderr  # references are not missing secrets
    run = cli("call", "ci", "/api/echo", env=env)
    assert run.returncode == 0, run.stderr
    assert all(v not in files_text(runner_home) for v in _ci_env(demo).values())


def test_importing_a_command_reference_needs_trust(demo, tmp_path):
    path = tmp_path / "team.toml"
    path.write_text(
        f'name = "team"\npreset = "token-of-trust"\nbase_url = "{demo["base_url"]}"\n\n'
        f'[vars]\napp_domain = "x"\n\n'
        f'[secret_refs]\napi_key = "env:TEAM_API_KEY"\nsecret_key = "cmd:op read op://team/tot/secret"\n'
    )
    refused = cli("profile", "import", str(path))
    assert refused.returncode != 0
    line = one_line_error(refused, skip_warnings=True)
    assert "runs a command to read secret 'secret_key' (cmd:op read op://team/tot/secret)" in line
    assert "--trust" in line
    assert cli("profile", "show", "team").returncode != 0  # nothing was imported
    trusted = cli("profile", "import", str(path), "--trust")
    assert trusted.returncode == 0, trusted.stderr
    assert "from cmd:op read op://team/tot/secret" in cli("profile", "show", "team").stdout


def test_importing_only_env_references_needs_no_trust(demo, tmp_path):
    path = tmp_path / "envonly.toml"
    path.write_text(
        f'name = "envonly"\npreset = "token-of-trust"\nbase_url = "{demo["base_url"]}"\n\n'
        f'[vars]\napp_domain = "x"\n\n[secret_refs]\napi_key = "env:A"\nsecret_key = "env:B"\n'
    )
    run = cli("profile", "import", str(path))
    assert run.returncode == 0, run.stderr
