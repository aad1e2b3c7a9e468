"""`token --format …` and `exec` as their consumers use them: real processes, the real keychain,
the sandbox over loopback, and the official `kubernetes` client (and kubectl, where installed)
reading a kubeconfig whose `exec:` entry runs `workbench token NAME --format exec-credential`."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, add_profile, one_line_error, run_cli
from tests.tls import HttpsServer, make_ca
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain


@pytest.fixture
def keychain(secret_service):
    return Vault()


@pytest.fixture
def profile(workbench_home, keychain, sandbox):
    """A token-of-trust profile (mints a JWT with an expiry) in the session keychain."""
    store = ProfileStore(presets=PresetCatalog.load_default())
    name = f"tot-{uuid.uuid4().hex[:8]}"
    add_profile(store, keychain, sandbox, "token-of-trust", name)
    yield name
    keychain.delete_profile(name, ["access_token", "refresh_token", "api_key", "secret_key"])


# ------------------------------------------------------------------ token --format


def test_format_header_prints_the_authorization_header_line(profile):
    bare = run_cli("token", profile).stdout.strip()
    run = run_cli("token", profile, "--format", "header")
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"Authorization: Bearer {bare}\n"


def test_format_json_is_the_same_as_json_flag(profile):
    via_flag = json.loads(run_cli("token", profile, "--json").stdout)
    via_format = json.loads(run_cli("token", profile, "--format", "json").stdout)
    assert via_format["access_token"] == via_flag["access_token"]
    assert set(via_format) == {"access_token", "token_type", "expires_at", "expires_in", "obtained_by"}
    assert via_format["obtained_by"] == "cache"


def test_format_bare_is_the_default(profile):
    assert run_cli("token", profile, "--format", "bare").stdout == run_cli("token", profile).stdout


def test_format_exec_credential_is_a_v1_exec_credential_with_the_expiry(profile):
    token = json.loads(run_cli("token", profile, "--json").stdout)
    run = run_cli("token", profile, "--format", "exec-credential")
    assert run.returncode == 0, run.stderr
    cred = json.loads(run.stdout)
    assert cred == {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token["access_token"], "expirationTimestamp": token["expires_at"]},
    }
    # RFC 3339 in UTC, in the future.
    when = datetime.strptime(cred["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert when > datetime.now(UTC)


def test_an_unknown_format_is_one_line_naming_the_choices(profile):
    run = run_cli("token", profile, "--format", "yaml")
    assert run.returncode == 2
    line = one_line_error(run)
    assert "yaml" in line and "exec-credential" in line and "header" in line
    assert run.stdout == ""


def test_json_and_format_together_are_refused(profile):
    run = run_cli("token", profile, "--json", "--format", "header")
    assert run.returncode == 2
    assert "not allowed with" in one_line_error(run)


# ------------------------------------------------------------------ kubernetes consumers


_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "0" * 40,
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _api(request) -> tuple[int, bytes]:
    """A Kubernetes API server in miniature: /version, for a caller with credentials."""
    if not request.headers.get("Authorization"):
        status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 401}
        return 401, json.dumps(status).encode()
    return 200, json.dumps(_VERSION).encode()


@pytest.fixture
def api_server(tmp_path):
    # TLS: kubectl attaches credentials only to TLS connections.
    with HttpsServer(make_ca(tmp_path / "ca"), _api) as server:
        yield server


def _kubeconfig(path, server, profile: str) -> None:
    # JSON is YAML: no YAML writer needed. The command is this interpreter running workbench,
    # as an installed `workbench` on PATH would be.
    ca_data = base64.b64encode(Path(server.ca_pem).read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "sandbox", "cluster": {"server": server.url, "certificate-authority-data": ca_data}}
        ],
        "users": [
            {
                "name": "wb",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": sys.executable,
                        "args": ["-m", "workbench", "token", profile, "--format", "exec-credential"],
                        "env": [{"name": "PYTHONPATH", "value": str(ROOT)}],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "wb"}}],
        "current-context": "sandbox",
    }
    path.write_text(json.dumps(config))


def test_the_kubernetes_client_authenticates_with_the_profile_token(profile, api_server, tmp_path):
    kubernetes = pytest.importorskip("kubernetes")
    kubeconfig = tmp_path / "kubeconfig"
    _kubeconfig(kubeconfig, api_server, profile)

    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    with kubernetes.client.ApiClient(configuration) as api:
        version = kubernetes.client.VersionApi(api).get_code()
    assert version.git_version == "v1.32.0"

    token = run_cli("token", profile).stdout.strip()
    assert [auth for _method, _path, auth in api_server.seen] == [f"Bearer {token}"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_authenticates_with_the_profile_token(profile, api_server, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    _kubeconfig(kubeconfig, api_server, profile)
    proc = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "get", "--raw", "/version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KUBECACHEDIR": str(tmp_path / "kubecache")},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gitVersion"] == "v1.32.0"
    token = run_cli("token", profile).stdout.strip()
    assert ("GET", "/version", f"Bearer {token}") in api_server.seen


# ------------------------------------------------------------------ exec


def _child(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_exec_gives_the_child_the_token_and_the_authorization_value(profile):
    token = run_cli("token", profile).stdout.strip()
    show = (
        "import os, json;"
        "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('WORKBENCH_')}))"
    )
    run = run_cli("exec", profile, "--", *_child(show))
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["WORKBENCH_TOKEN"] == token
    assert seen["WORKBENCH_AUTHORIZATION"] == f"Bearer {token}"


def test_exec_does_not_put_the_token_anywhere_but_the_child(profile, workbench_home):
    token = run_cli("token", profile).stdout.strip()
    run = run_cli("exec", profile, "--", *_child("print('hello')"))
    assert run.returncode == 0 and run.stdout == "hello\n"
    assert "WORKBENCH_TOKEN" not in os.environ
    assert token not in run.stderr
    for path in workbench_home.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes()


@pytest.mark.parametrize("status", [0, 3, 42])
def test_exec_passes_the_exit_status_through(profile, status):
    run = run_cli("exec", profile, "--", *_child(f"import sys; sys.exit({status})"))
    assert run.returncode == status
    assert run.stderr == ""


@pytest.mark.skipif(os.name != "posix", reason="signals as exit status are POSIX")
def test_exec_child_killed_by_a_signal_looks_killed_to_the_caller(profile):
    run = run_cli("exec", profile, "--", *_child("import os, signal; os.kill(os.getpid(), signal.SIGTERM)"))
    assert run.returncode == -15  # the caller sees the signal itself, as with the command run directly


def test_exec_passes_arguments_verbatim_including_dashes(profile):
    run = run_cli("exec", profile, "--", *_child("import sys; print(sys.argv[1:])"), "--json", "-x", "--")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['--json', '-x', '--']"


def test_exec_of_a_missing_command_is_one_line_and_127(profile, sandbox):
    before = sandbox.calls("token-of-trust", "mint")
    run = run_cli("exec", profile, "--", "no-such-command-xyz", "arg")
    assert run.returncode == 127
    assert "command not found: no-such-command-xyz" in one_line_error(run)
    assert sandbox.calls("token-of-trust", "mint") == before  # no token was obtained for nothing


def test_exec_without_a_command_is_one_line(profile):
    run = run_cli("exec", profile)
    assert run.returncode == 1
    assert "no command to run" in one_line_error(run)


def test_exec_of_an_unknown_profile_is_one_line_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    run = run_cli("exec", "no-such-profile", "--", *_child(f"open({str(marker)!r}, 'w')"))
    assert run.returncode == 1
    assert "no profile named 'no-such-profile'" in one_line_error(run)
    time.sleep(0.1)
    assert not marker.exists()
