"""Where credentials may go, end to end: `workbench` processes against a hostile loopback provider.

Each failure is one line on stderr, a non-zero exit, no traceback, and nothing stored is lost.
"""

from __future__ import annotations

import base64
import os
import pty
import select
import sys
import time

import pytest

from tests.faults.conftest import ROOT
from tests.faults.file_keyring import entries

SECRET = "cs-" + "s3cr3t" * 4


@pytest.fixture
def profile(cli, hostile, tmp_path):
    """An oauth2-client-credentials profile minting at the hostile server's /json."""
    run = cli(
        "profile", "add", "hp", "--preset", "oauth2-client-credentials", "--base-url", hostile.url,
        "--set", "client_id=app", "--set", "token_path=/json", "--secret", "client_secret=@env:WB_TEST_CS",
        env={"WB_TEST_CS": SECRET},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return "hp"


def secret_kept(keyring_file) -> bool:
    return entries(keyring_file).get("hp/client_secret") == SECRET


# ------------------------------------------------------------------ secret input modes / profile set


def test_secrets_never_need_the_command_line(cli, hostile, keyring_file, tmp_path):
    key_file, other_file = tmp_path / "a.txt", tmp_path / "b.txt"
    key_file.write_text("from-a-file\n")
    other_file.write_text("from-another-file\n")
    run = cli(
        "profile", "add", "tot", "--preset", "token-of-trust", "--base-url", hostile.url,
        "--set", "app_domain=example.com",
        "--secret", f"api_key=@{key_file}", "--secret", f"secret_key=@{other_file}",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert entries(keyring_file)["tot/api_key"] == "from-a-file"
    assert entries(keyring_file)["tot/secret_key"] == "from-another-file"
    # `K` alone asks (without a terminal, getpass reads the line from stdin); `@env:VAR` reads once.
    run = cli(
        "profile", "set", "tot", "--secret", "api_key", "--secret", "secret_key=@env:WB_SK",
        stdin="typed-value\n", env={"WB_SK": "from-the-environment"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert entries(keyring_file)["tot/api_key"] == "typed-value"
    assert entries(keyring_file)["tot/secret_key"] == "from-the-environment"
    assert "typed-value" not in run.stderr + run.stdout
    run = cli("profile", "set", "tot", "--secret", "api_key=@-", stdin="piped\n")
    assert run.returncode == 0, run.stderr
    assert entries(keyring_file)["tot/api_key"] == "piped"


def test_profile_set_changes_a_profile_in_place_with_the_same_checks_as_add(
    cli, profile, keyring_file, hostile
):
    run = cli("profile", "set", "hp", "--set", "scope=read", "--base-url", hostile.url + "/v2")
    assert run.returncode == 0, run.stderr
    show = cli("profile", "show", "hp")
    assert '"read"' in show.stdout and f"{hostile.url}/v2" in show.stdout
    for args, expected in [
        (("--set", "nope=1"), "has no input 'nope'"),
        (("--secret", "client_id=x"), "'client_id' is a plain setting"),
        (("--secret", "client_id"), "--secret expects NAME=VALUE or NAME"),
        (("--set", "client_secret=x"), "'client_secret' is a secret"),
        (("--base-url", "ftp://x"), "base_url"),
        (("--secret", "client_secret=@env:WB_UNSET_VARIABLE"), "environment variable is not set"),
        ((), "nothing to change"),
    ]:
        line = cli("profile", "set", "hp", *args).one_error_line()
        assert expected in line, line
    assert secret_kept(keyring_file)
    assert (
        cli("profile", "set", "nobody", "--set", "scope=x")
        .one_error_line()
        .startswith("workbench: error: no profile named 'nobody'")
    )


def test_secret_prompt_on_a_terminal_does_not_echo(keyring_file, workbench_home, profile):
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(workbench_home),
        "PYTHON_KEYRING_BACKEND": "tests.faults.file_keyring.FileKeyring",
        "WB_TEST_KEYRING_FILE": str(keyring_file),
    }
    typed = "typed-on-a-terminal-42"
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.chdir(ROOT)
        os.execve(  # noqa: S606 - the test's own interpreter, fixed arguments
            sys.executable,
            [sys.executable, "-m", "workbench", "profile", "set", "hp", "--secret", "client_secret"],
            env,
        )
    seen = b""
    deadline = time.monotonic() + 30
    sent = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not sent and b"(not echoed)" in seen:
            os.write(fd, typed.encode() + b"\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert b"client_secret for profile 'hp' (not echoed): " in seen
    assert typed.encode() not in seen
    assert entries(keyring_file)["hp/client_secret"] == typed


# ------------------------------------------------------------------ import of hostile files


def _profile_file(tmp_path, hostile, extra: str = "", token_path: str = "/json") -> str:  # noqa: S107
    path = tmp_path / "shared.toml"
    path.write_text(
        f'name = "shared"\npreset = "oauth2-client-credentials"\nbase_url = "{hostile.url}"\n'
        f'secret_names = ["client_secret"]\n\n[vars]\nclient_id = "app"\n'
        f'token_path = "{token_path}"\n\n{extra}'
    )
    return str(path)


HOSTILE_FILES = {
    "override-url": (
        {"extra": '[override.mint]\npath = "https://evil.example/steal"\n'},
        "its [mint] path sends requests to https://evil.example",
    ),
    "var-url": (
        {"token_path": "http://evil.example:8080/token"},
        "sends requests to http://evil.example:8080",
    ),
    "allowed-origins": (
        {"extra": '[settings]\nallowed_origins = ["https://evil.example"]\n'},
        "it lets its credentials go to https://evil.example",
    ),
    "tls-off": ({"extra": "[settings]\nverify_tls = false\n"}, "it turns TLS verification off"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_hostile_profile_file_is_refused_with_its_reason_and_trust_imports_it(cli, hostile, tmp_path, case):
    kwargs, reason = HOSTILE_FILES[case]
    file = _profile_file(tmp_path, hostile, **kwargs)
    line = cli("profile", "import", file).one_error_line()
    assert line.startswith(f"workbench: error: not importing {file}: ")
    assert reason in line and "--trust" in line
    assert cli("profile", "list", "--json").stdout.strip() == "[]"
    run = cli("profile", "import", file, "--trust")
    assert run.returncode == 0, run.stderr
    assert "workbench: warning: imported although " in run.stderr and reason in run.stderr
    assert '"shared"' in cli("profile", "list", "--json").stdout


def test_a_plain_profile_file_imports_without_trust(cli, hostile, tmp_path):
    run = cli("profile", "import", _profile_file(tmp_path, hostile, ""))
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr


def test_unsafe_profiles_warn_on_every_use(cli, hostile, tmp_path, profile):
    path = tmp_path / "insecure.toml"
    path.write_text(
        'name = "insecure"\npreset = "oauth2-client-credentials"\nbase_url = "http://api.example.com"\n\n'
        '[vars]\nclient_id = "app"\n\n[settings]\nverify_tls = false\n'
    )
    assert cli("profile", "import", str(path), "--trust").returncode == 0
    for _ in range(2):
        run = cli("profile", "show", "insecure")
        warnings = [ln for ln in run.stderr.splitlines() if ln.startswith("workbench: warning: ")]
        assert any("TLS verification turned off" in w for w in warnings), run.stderr
        assert any("plain http:// to api.example.com" in w for w in warnings), run.stderr
    assert "warning" not in cli("token", "hp").stderr  # loopback http is fine


# ------------------------------------------------------------------ call: origins, redirects, budget


def test_call_refuses_another_origin_unless_allowed(cli, profile, other, keyring_file):
    line = cli("call", "hp", "GET", other.url + "/steal").one_error_line()
    assert f"not sending the credentials of profile 'hp' to {other.url}" in line
    assert "--allow-origin" in line
    assert other.received == []
    run = cli("call", "hp", "GET", other.url + "/fine", "--allow-origin")
    assert run.returncode == 0, run.stderr
    assert other.received[-1].headers["authorization"] == "Bearer opaque-token-value"
    assert secret_kept(keyring_file)


def test_allowed_origins_in_the_profile_let_call_through(cli, profile, other, hostile, tmp_path):
    path = tmp_path / "allowed.toml"
    path.write_text(
        f'name = "allowed"\npreset = "oauth2-client-credentials"\nbase_url = "{hostile.url}"\n'
        f'[vars]\nclient_id = "app"\ntoken_path = "/json"\n[settings]\nallowed_origins = ["{other.url}"]\n'
    )
    assert cli("profile", "import", str(path), "--trust").returncode == 0
    assert (
        cli("profile", "set", "allowed", "--secret", "client_secret=@env:X", env={"X": "v"}).returncode == 0
    )
    run = cli("call", "allowed", "GET", other.url + "/ok")
    assert run.returncode == 0, run.stderr
    assert other.received[-1].headers["authorization"] == "Bearer opaque-token-value"


def test_a_redirect_to_another_origin_is_not_followed(cli, profile, hostile, other):
    run = cli("call", "hp", "GET", f"/redirect?to={other.url}/steal")
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert other.received == []
    # A token endpoint that redirects is refused too, and nothing reaches the other origin.
    assert cli("profile", "set", "hp", "--set", f"token_path=/redirect?to={other.url}/token").returncode == 0
    assert "302" in cli("token", "hp", "--mint").one_error_line()
    assert other.received == []


def test_call_max_bytes_bounds_the_answer(cli, profile, keyring_file):
    ok = cli("call", "hp", "GET", "/big/5000", "--max-bytes", "5000")
    assert ok.returncode == 0 and len(ok.stdout.strip()) == 5000
    line = cli("call", "hp", "GET", "/big/5001", "--max-bytes", "5000").one_error_line()
    assert "larger than 5000 bytes; not reading it" in line
    assert "must be more than 0" in cli("call", "hp", "GET", "/x", "--max-bytes", "0").one_error_line()
    assert secret_kept(keyring_file)


# ------------------------------------------------------------------ hostile token endpoints


def _peak_rss_mib(keyring_file, workbench_home, *argv: str) -> tuple[float, int]:
    """(peak RSS in MiB, exit code) of one `workbench ARGV` process, measured by a wrapper that
    waits for it alone (getrusage of its children)."""
    import json
    import subprocess

    wrapper = (
        "import json, resource, subprocess, sys;"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL).returncode;"
        "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code]))"
    )
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(workbench_home),
        "PYTHON_KEYRING_BACKEND": "tests.faults.file_keyring.FileKeyring",
        "WB_TEST_KEYRING_FILE": str(keyring_file),
    }
    out = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "workbench", *argv],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=True,
    ).stdout  # fmt: skip
    kib, code = json.loads(out)
    return kib / 1024, code


def test_a_200_mb_token_answer_is_cut_off_with_one_line_and_little_memory(
    cli, profile, keyring_file, workbench_home
):
    idle, code = _peak_rss_mib(keyring_file, workbench_home, "token", "hp", "--mint")
    assert code == 0
    big = f"/big-chunked/{200 * 1024 * 1024}"  # streamed, no Content-Length: the budget must hold
    assert cli("profile", "set", "hp", "--set", f"token_path={big}").returncode == 0
    run = cli("token", "hp")
    assert "larger than 1 MiB; not reading it" in run.one_error_line()
    peak, code = _peak_rss_mib(keyring_file, workbench_home, "token", "hp")
    assert code == 1
    print(f"\nREPORT 200 MB token answer (no length announced): peak RSS {peak:.0f} MiB, {idle:.0f} MiB idle")
    assert peak - idle < 100
    assert secret_kept(keyring_file)


def test_a_200_mb_call_answer_stops_at_the_call_budget(cli, profile, keyring_file, workbench_home):
    idle, _ = _peak_rss_mib(keyring_file, workbench_home, "call", "hp", "GET", "/big/1000")
    big = f"/big-chunked/{200 * 1024 * 1024}"
    peak, code = _peak_rss_mib(keyring_file, workbench_home, "call", "hp", "GET", big)
    assert code == 1
    print(f"\nREPORT 200 MB call answer (no length announced): peak RSS {peak:.0f} MiB, {idle:.0f} MiB idle")
    assert peak - idle < 250  # the 100 MiB budget, read in chunks and joined once


def test_a_dripping_token_endpoint_fails_within_the_profiles_timeout(cli, hostile, tmp_path, keyring_file):
    path = tmp_path / "drip.toml"
    path.write_text(
        f'name = "drip"\npreset = "oauth2-client-credentials"\nbase_url = "{hostile.url}"\n'
        '[vars]\nclient_id = "app"\ntoken_path = "/drip-body"\n[settings]\ntimeout = 2\n'
    )
    assert cli("profile", "import", str(path)).returncode == 0
    assert cli("profile", "set", "drip", "--secret", "client_secret=@env:X", env={"X": "v"}).returncode == 0
    run = cli("token", "drip")
    line = run.one_error_line()
    assert "did not answer within 2 s (after 3 attempts)" in line
    # 2 s per attempt (the whole answer, not each read; a byte arrives every 0.5 s), 3 attempts
    # with backoff, plus start-up: far from the 1000 s the drip would take.
    assert run.elapsed < 3 * 2 + 6, run.elapsed
    print(f"\nREPORT drip: token failed after {run.elapsed:.1f} s (timeout 2 s, 3 attempts)")
    assert entries(keyring_file)["drip/client_secret"] == "v"


def test_a_self_signed_tls_provider_is_one_line_and_not_retried(cli, keyring_file):
    from tests.faults.hostile import HostileServer

    with HostileServer(tls=True) as tls:
        run = cli(
            "profile", "add", "tls", "--preset", "oauth2-client-credentials", "--base-url", tls.url,
            "--set", "client_id=app", "--secret", "client_secret=@env:X", env={"X": "v"},
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        line = cli("token", "tls").one_error_line()
        assert line == (
            "workbench: error: oauth2-client-credentials mint: TLS certificate not trusted for "
            f"127.0.0.1:{tls.port} (not retried; fix the server's certificate or the system's trust store)"
        )
        assert tls.connections == 1
        assert tls.received == []


def test_basic_auth_credentials_reach_only_the_own_origin(cli, profile, hostile, other):
    assert cli("token", "hp").returncode == 0
    sent = hostile.received[-1].headers["authorization"]
    assert base64.b64decode(sent.split()[1]).decode() == f"app:{SECRET}"
    assert other.received == []


def test_profile_set_waits_for_a_refresh_in_flight_in_another_process(
    cli, profile, keyring_file, workbench_home, tmp_path
):
    """A secret set while another process holds the profile's token lock (a rotating refresh
    in flight) is written after that process lets go, never interleaved with its store."""
    import subprocess

    (workbench_home / "locks").mkdir(exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time\n"
            "from workbench.core.storage.process_lock import ProcessLock\n"
            "with ProcessLock(sys.argv[1], timeout=5):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(1.5)\n",
            str(workbench_home / "locks" / "hp.lock"),
        ],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    run = cli("profile", "set", "hp", "--secret", "client_secret=@env:WB_NEW", env={"WB_NEW": "cs-new"})
    waited = time.monotonic() - started
    holder.wait(10)
    assert run.returncode == 0, run.stderr
    assert waited >= 1.0, f"profile set wrote after {waited:.2f} s, while the lock was held"
    assert entries(keyring_file)["hp/client_secret"] == "cs-new"
