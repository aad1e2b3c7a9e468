"""`workbench sandbox` and `python -m workbench.sandbox` as separate processes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import httpx
import pytest

PRESETS = {
    "true-markets",
    "marketiger3d",
    "token-of-trust",
    "api-key-sliding",
    "paymentsgate",
    "oauth2-client-credentials",
    "oauth2-refresh-token",
    "oauth2-authorization-code",
    "oauth2-device-code",
    "google-service-account",
    "oauth2-jwt-bearer",
    "oauth2-token-exchange",
}


def start(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_workbench_sandbox_prints_one_json_line_serves_and_exits_cleanly_on_a_signal(sig):
    proc = start("-m", "workbench", "sandbox")
    try:
        line = json.loads(proc.stdout.readline())
        assert set(line) == {"url", "presets"} and set(line["presets"]) == PRESETS
        tot = line["presets"]["token-of-trust"]
        r = httpx.post(
            tot["base_url"] + "/api/internal/auth/token",
            timeout=5,
            json={
                "appDomain": tot["vars"]["app_domain"],
                "totApiKey": tot["secrets"]["api_key"],
                "totSecretKey": tot["secrets"]["secret_key"],
            },
        )
        assert r.status_code == 200
        stats = httpx.get(line["url"] + "/_sandbox/stats", timeout=5).json()
        assert stats["calls"]["token-of-trust"]["mint"] == 1
        proc.send_signal(sig)
        assert proc.wait(timeout=5) == 0
        assert proc.stdout.read() == ""  # exactly one line on stdout
    finally:
        proc.kill()
        proc.wait()


def test_the_printed_pair_for_a_paste_in_preset_refreshes(tmp_path):
    proc = start("-m", "workbench.sandbox")
    try:
        line = json.loads(proc.stdout.readline())
        pg = line["presets"]["paymentsgate"]
        r = httpx.post(
            pg["base_url"] + "/auth/token/refresh",
            timeout=5,
            json={"refresh_token": pg["secrets"]["refresh_token"]},
            headers={"Authorization": f"Bearer {pg['secrets']['access_token']}"},
        )
        assert r.status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0


def test_a_port_in_use_is_one_clear_error_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "workbench", "sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=10,
        )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("workbench: error: port") and "in use" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_fixed_port_is_honoured():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = start("-m", "workbench", "sandbox", "--port", str(port))
    try:
        line = json.loads(proc.stdout.readline())
        assert line["url"] == f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
