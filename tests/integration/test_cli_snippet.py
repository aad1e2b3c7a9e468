"""`workbench snippet` writes a request for curl, HTTPie, Python (httpx) and JavaScript (fetch), and each
snippet, run for real (bash with the real curl and http, `workbench exec` for the programs), sends exactly
that request to the sandbox. The token itself is never in a snippet."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, run_cli
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain

NASTY = 'it\'s $(touch /tmp/pwned) `id` "q" \\ ; | & $HOME {{x}} {%'


@pytest.fixture
def profile(paymentsgate_in_keychain):
    return paymentsgate_in_keychain


@pytest.fixture
def shell_env(tmp_path):
    """PATH with a `workbench` that runs this checkout, and the venv's `http`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "workbench"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m workbench "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "PYTHONPATH": str(ROOT)}


def _save_echo(profile: str) -> None:
    body = json.dumps({"note": NASTY, "n": 1})
    # The saved body is a template: escape the literal braces the way the importers do.
    body = body.replace("{{", "{{ '{{' }}").replace("{%", "{{ '{%' }}")
    run = run_cli("request", "save", profile, "echo", "PUT", "/api/echo?q=a%20b", "-H", "X-Odd: $HOME `x`",
                  "--json-body", body)  # fmt: skip
    assert run.returncode == 0, run.stderr


def _snippet(profile: str, lang: str) -> str:
    run = run_cli("snippet", profile, "--request", "echo", "--lang", lang)
    assert run.returncode == 0, run.stderr
    token = Vault().load(profile, "access_token")
    assert token and token not in run.stdout
    return run.stdout


def _check_echo(stdout: str) -> None:
    echo = json.loads(stdout[stdout.index("{") :].splitlines()[0] if stdout.lstrip()[0] != "{" else stdout)
    assert echo["ok"] is True
    assert echo["method"] == "PUT"
    assert echo["query"] == {"q": "a b"}
    assert echo["json"] == {"note": NASTY, "n": 1}


@pytest.mark.parametrize("lang", ["curl", "httpie"])
def test_shell_snippets_run_in_bash_send_the_saved_request_and_call_workbench_token(
    lang, profile, shell_env, tmp_path
):
    if lang == "httpie" and not shutil.which("http", path=shell_env["PATH"]):
        pytest.skip("HTTPie is not installed (pip install httpie)")
    _save_echo(profile)
    code = _snippet(profile, lang)
    assert f"$(workbench token {profile})" in code
    marker = Path("/tmp/pwned")
    marker.unlink(missing_ok=True)
    run = subprocess.run(["bash", "-c", code], capture_output=True, text=True, env=shell_env, timeout=60,
                         stdin=subprocess.DEVNULL, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    _check_echo(run.stdout)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("lang", "program", "suffix"), [("python", sys.executable, ".py"), ("fetch", "node", ".mjs")]
)
def test_code_snippets_read_the_token_from_the_environment_set_by_workbench_exec(
    lang, program, suffix, profile, shell_env, tmp_path
):
    if not shutil.which(program):
        pytest.skip(f"{program} is not installed")
    _save_echo(profile)
    code = _snippet(profile, lang)
    assert "WORKBENCH_TOKEN" in code
    script = tmp_path / f"snippet{suffix}"
    script.write_text(code)
    run = subprocess.run(
        [sys.executable, "-m", "workbench", "exec", profile, "--", program, str(script)],
        capture_output=True, text=True, env=shell_env, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    status, _, body = run.stdout.partition("\n")
    assert status.strip() == "200"
    _check_echo(body)


def test_an_ad_hoc_snippet_and_bad_input(profile):
    run = run_cli("snippet", profile, "POST", "/api/echo", "--json-body", '{"a": 1}', "--lang", "python")
    assert run.returncode == 0, run.stderr
    assert "'POST'" in run.stdout and "'/paymentsgate/api/echo'" not in run.stdout
    bad = run_cli("snippet", profile, "--lang", "cobol", "/x")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    missing = run_cli("snippet", profile, "--request", "nope")
    assert missing.returncode == 1 and "has no saved request 'nope'" in missing.stderr
    both = run_cli("snippet", profile, "/x", "--request", "nope")
    assert "not both" in both.stderr


def test_an_mtls_profiles_curl_snippet_presents_the_certificate_and_runs(
    secret_service, workbench_home, sandbox, shell_env, tmp_path
):
    """A snippet of a profile with a client certificate (RFC 8705) names `--cert/--key` files (the key
    never leaves the keychain: they are the user's copies) and `--cacert` (the profile's own trust
    anchor); with those files in place, the snippet run in bash gets through the sandbox's TLS
    listener to its API with the certificate-bound token."""
    spec = sandbox.demo_extra_profiles()["oauth2-mtls"]
    both = spec["secrets"]["client_cert"]
    cert_pem = both[: both.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")]
    key_pem = both[len(cert_pem) :]
    (tmp_path / "mine.pem").write_text(both)
    sets = [arg for k, v in spec["vars"].items() for arg in ("--set", f"{k}={v}")]
    added = run_cli("profile", "add", "mt", "--preset", spec["preset"], "--base-url", spec["base_url"], *sets,
                    "--client-cert", str(tmp_path / "mine.pem"),
                    "--tls-ca-file", spec["settings"]["tls_ca_file"])  # fmt: skip
    assert added.returncode == 0, added.stderr

    run = run_cli("snippet", "mt", "GET", "/me", "--lang", "curl")
    assert run.returncode == 0, run.stderr
    code = run.stdout
    assert "--cert client-cert.pem" in code and "--key client-key.pem" in code and "--cacert" in code
    assert "mutual TLS" in code.splitlines()[0]
    assert "PRIVATE KEY" not in code and key_pem.splitlines()[1] not in code

    (tmp_path / "client-cert.pem").write_text(cert_pem)
    (tmp_path / "client-key.pem").write_text(key_pem)
    sent = subprocess.run(["bash", "-c", code], capture_output=True, text=True,
                          env=shell_env, timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    answer = json.loads(sent.stdout)
    assert "error" not in answer, answer
    python = run_cli("snippet", "mt", "GET", "/me", "--lang", "python").stdout
    assert "cert=('client-cert.pem', 'client-key.pem')" in python and "verify=" in python
    Vault().delete_profile("mt", ["access_token", "client_cert"])
