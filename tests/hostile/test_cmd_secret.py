"""A `cmd:` secret reference whose command prints without end: stopped at the 1 MiB cap.

The output used to be read whole and only then compared with the 1 MiB limit (3 GB printed →
5.9 GB RSS). The command runs here under the CLI child's address-space cap; the fix reads
at most the cap and stops the command.
"""

from __future__ import annotations

import pytest

from tests.hostile.input_harness import keyring_env, wb


@pytest.fixture
def env(workbench_home, tmp_path) -> dict[str, str]:
    return {"WORKBENCH_HOME": str(workbench_home), **keyring_env(tmp_path / "keyring.json")}


@pytest.mark.parametrize(
    "command",
    ["yes", "head -c 400000000 /dev/zero", "sh -c 'head -c 2000000 /dev/zero; sleep 600'"],
    ids=["endless", "400 MB", "2 MB then silence"],
)
def test_a_cmd_secret_printing_too_much_is_stopped_at_the_cap(env, command):
    added = wb(
        "profile", "add", "p", "--preset", "oauth2-client-credentials", "--base-url", "http://127.0.0.1:9",
        "--set", "client_id=app", "--secret-ref", f"client_secret=cmd:{command}", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    run = wb("token", "p", env=env, timeout=60)

    line = run.one_error_line()
    assert "more than 1 MiB" in line
    assert run.peak_rss_mb < 150, run.peak_rss_mb
    assert run.elapsed < 30  # not the command's timeout: the cap ends it


def test_a_cmd_secret_of_ordinary_size_still_resolves(env, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("x" * 4000 + "\n")
    added = wb(
        "profile", "add", "p", "--preset", "oauth2-client-credentials", "--base-url", "http://127.0.0.1:9",
        "--set", "client_id=app", "--secret-ref", f"client_secret=cmd:cat {secret}", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    run = wb("token", "p", env=env, timeout=60)

    # The secret resolved: the command got as far as the (closed) token endpoint.
    line = run.one_error_line()
    assert "MiB" not in line and "cat" not in line, line
