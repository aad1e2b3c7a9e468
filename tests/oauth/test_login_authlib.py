"""`workbench login` against an independent authorization server (Authlib), as a user would run it.

Each test starts the server on loopback, creates a profile with the CLI, and runs
`workbench login` in a real subprocess with a `$BROWSER` stand-in that plays the user.
Tokens land in a real Secret Service (the `keychain` fixture).
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.integration.conftest import run_cli
from tests.oauth.authlib_server import Client, TestAuthorizationServer
from tests.oauth.conftest import Browser, add_oauth_profile, start_login

pytestmark = pytest.mark.usefixtures("keychain")


def public_client(server: TestAuthorizationServer) -> Client:
    return server.add_client(Client("public-app", "none"))


def login(name: str, browser: Browser, *extra: str, timeout: float = 60):
    return run_cli("login", name, "--timeout", "20", *extra, env=browser.env(), timeout=timeout)


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("workbench: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_browser_login_then_token_refreshes_with_rotation_across_processes(auth_server, browser):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")

    run = login("app", browser)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert "logged in to 'app'" in run.stderr
    assert "http://" in run.stderr  # the authorization URL is always printed too
    pages = browser.pages()
    assert [p["step"] for p in pages] == ["authorize", "decide", "callback"]
    assert pages[-1]["status"] == 200 and "close this tab" in str(pages[-1]["text"])
    # The redirect went to the loopback IP literal, on the port the listener picked.
    assert str(pages[-1]["url"]).startswith("http://127.0.0.1:")
    issued = auth_server.store.tokens[-1]

    first = json.loads(run_cli("token", "app", "--json").stdout)
    assert first["access_token"] == issued.access_token and first["obtained_by"] == "cache"

    second = run_cli("token", "app", "--refresh", "--json")
    assert second.returncode == 0, second.stderr
    refreshed = json.loads(second.stdout)
    assert refreshed["obtained_by"] == "refresh" and refreshed["access_token"] != issued.access_token
    assert auth_server.store.by_refresh(issued.refresh_token).revoked  # rotated away

    # A third process refreshes with the rotated refresh token the second one stored.
    third = run_cli("token", "app", "--refresh", "--json")
    assert third.returncode == 0, third.stderr
    assert json.loads(third.stdout)["access_token"] == auth_server.store.tokens[-1].access_token
    refreshes = [r for r in auth_server.store.requests if r[3].get("grant_type") == "refresh_token"]
    assert len(refreshes) == 2 and refreshes[0][3]["refresh_token"] != refreshes[1][3]["refresh_token"]


def test_discovery_falls_back_to_rfc8414_and_uses_the_servers_endpoints(auth_server, browser):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    assert login("app", browser).returncode == 0
    paths = [path for _method, path, _h, _f in auth_server.store.requests]
    assert "/.well-known/oauth-authorization-server" in paths and "/token" in paths


def test_a_forged_state_is_refused_and_nothing_is_stored(auth_server, browser):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    browser.mode = "forge-state"
    run = run_cli("login", "app", "--timeout", "4", env=browser.env(), timeout=60)
    assert run.returncode != 0
    # The forged answer is refused, the login keeps waiting for the real one, then gives up.
    assert "1 request(s) with a wrong or missing state were refused" in one_error_line(run.stderr)
    assert browser.pages()[-1]["status"] == 400
    assert not [r for r in auth_server.store.requests if r[1] == "/token"]  # the code was never redeemed
    missing = run_cli("token", "app")
    assert missing.returncode != 0 and "workbench login app" in missing.stderr


def test_the_user_denying_access_is_one_clear_line(auth_server, browser):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    browser.mode = "deny"
    run = login("app", browser)
    assert run.returncode != 0
    line = one_error_line(run.stderr)
    assert "denied" in line and "access_denied" in line


def test_a_pkce_verifier_that_does_not_match_is_refused_by_the_server(auth_server, browser):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    browser.mode = "swap-challenge"  # something between us and the server swapped the challenge
    run = login("app", browser)
    assert run.returncode != 0
    line = one_error_line(run.stderr)
    assert "invalid_grant" in line and "code exchange failed" in line
    token_calls = [r for r in auth_server.store.requests if r[1] == "/token"]
    assert len(token_calls) == 1 and token_calls[0][3]["code_verifier"]


def test_a_redirect_port_already_in_use_fails_at_once(auth_server, browser):
    public_client(auth_server)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        add_oauth_profile(
            "app", auth_server.issuer, "--set client_id=public-app", f"--set redirect_port={port}"
        )
        run = login("app", browser)
    assert run.returncode != 0 and run.elapsed < 15
    line = one_error_line(run.stderr)
    assert f"port {port}" in line and "in use" in line
    assert browser.pages() == []  # no browser was sent to a listener that is not ours


@pytest.mark.parametrize("how", ["--no-browser", "browser-missing"])
def test_without_a_browser_the_url_is_printed_and_the_user_can_finish(auth_server, browser, tmp_path, how):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    env = browser.env()
    args = ["app", "--timeout", "30"]
    if how == "--no-browser":
        args.append("--no-browser")
    else:
        env["BROWSER"] = str(tmp_path / "no-such-browser")
    running = start_login(*args, env=env)
    url = running.wait_for(lambda line: line.startswith("http://127.0.0.1:") and "/authorize?" in line)
    if how == "browser-missing":
        assert any("could not start a browser" in line for line in running.seen)
    assert browser.pages() == []
    assert browser.visit(url) == 0  # the user opens the printed URL by hand
    code, _out, err = running.finish()
    assert code == 0, err
    assert "logged in to 'app'" in err


def test_a_login_nobody_answers_times_out_and_frees_its_port(auth_server, tmp_path):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    started = time.monotonic()
    run = run_cli("login", "app", "--no-browser", "--timeout", "2")
    assert run.returncode != 0 and time.monotonic() - started < 15
    assert "within 2 s" in one_error_line(run.stderr)


def test_private_key_jwt_is_accepted_by_the_server(auth_server, browser):
    add_oauth_profile(
        "signed", auth_server.issuer, "--set client_id=jwt-app", "--set client_auth=private_key_jwt"
    )
    keygen = run_cli("keygen", "--profile", "signed")
    assert keygen.returncode == 0, keygen.stderr
    jwk = json.loads(keygen.stdout[keygen.stdout.index("{") :])
    auth_server.add_client(Client("jwt-app", "private_key_jwt", public_jwk=jwk))

    run = login("signed", browser)
    assert run.returncode == 0, run.stderr
    refreshed = run_cli("token", "signed", "--refresh", "--json")
    assert refreshed.returncode == 0, refreshed.stderr
    assertions = [f for _m, p, _h, f in auth_server.store.requests if p == "/token"]
    assert len(assertions) == 2
    assert all(a["client_assertion_type"].endswith("jwt-bearer") for a in assertions)
    assert len(auth_server.store.jtis) == 2  # a fresh jti each time (Authlib refuses a reused one)
    assert all("client_secret" not in a for a in assertions)


def test_a_client_secret_with_plus_percent_colon_and_ampersand_works_through_basic(
    auth_server, browser, tmp_path
):
    secret = "s3+cr%3At:with&more=chars"
    auth_server.add_client(Client("basic-app", "client_secret_basic", secret=secret))
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret)
    add_oauth_profile(
        "conf",
        auth_server.issuer,
        "--set client_id=basic-app",
        "--set client_auth=client_secret_basic",
        f"--secret client_secret=@{secret_file}",
    )
    run = login("conf", browser)
    assert run.returncode == 0, run.stderr
    assert run_cli("token", "conf", "--refresh").returncode == 0
    token_calls = [h for _m, p, h, _f in auth_server.store.requests if p == "/token"]
    assert all(h.get("Authorization", "").startswith("Basic ") for h in token_calls)


def start_device_login(server: TestAuthorizationServer, name: str = "tv"):
    server.add_client(Client("device-app", "none"))
    add_oauth_profile(name, server.issuer, "--set client_id=device-app", preset="oauth2-device-code")
    running = start_login(name, "--timeout", "60")
    code_line = running.wait_for(lambda line: line.strip() and "-" in line and line.startswith("    "))
    return running, code_line.strip()


def test_device_code_pending_then_slow_down_then_approved(auth_server):
    auth_server.store.slow_down_on_poll.add(2)
    running, user_code = start_device_login(auth_server)
    assert any(auth_server.issuer + "/device" in line for line in running.seen)
    device_code = next(iter(auth_server.store.devices))
    polls = auth_server.store.device_polls[device_code]
    deadline = time.monotonic() + 20
    while len(polls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    auth_server.approve_device(user_code)  # the user enters the code on another device
    code, _out, err = running.finish(timeout=40)
    assert code == 0, err
    assert len(polls) == 3
    assert polls[1] - polls[0] >= 0.9  # interval 1 s honoured
    assert polls[2] - polls[1] >= 5.9  # slow_down: 5 s more


def test_an_expired_device_code_stops_with_one_line(auth_server, monkeypatch):
    from tests.oauth import authlib_server

    monkeypatch.setattr(authlib_server._DeviceEndpoint, "EXPIRES_IN", 2)
    running, _user_code = start_device_login(auth_server)
    code, _out, err = running.finish(timeout=30)
    assert code != 0
    assert "device code expired" in one_error_line(err)


def test_a_denied_device_login_stops_with_one_line(auth_server):
    running, user_code = start_device_login(auth_server)
    auth_server.approve_device(user_code, approved=False)
    code, _out, err = running.finish(timeout=30)
    assert code != 0
    assert "denied" in one_error_line(err)


def test_profile_rm_revokes_the_refresh_token_at_the_issuer(auth_server, browser):
    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    assert login("app", browser).returncode == 0
    issued = auth_server.store.tokens[-1]
    removed = run_cli("profile", "rm", "app")
    assert removed.returncode == 0, removed.stderr
    assert "revoked at the issuer" in removed.stderr
    assert auth_server.store.by_refresh(issued.refresh_token).revoked


def test_ctrl_c_cancels_the_login_cleanly_and_frees_the_port(auth_server):
    import signal
    from urllib.parse import parse_qs, urlsplit

    public_client(auth_server)
    add_oauth_profile("app", auth_server.issuer, "--set client_id=public-app")
    running = start_login("app", "--no-browser", "--timeout", "60")
    url = running.wait_for(lambda line: "/authorize?" in line)
    redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    port = urlsplit(redirect).port
    running.proc.send_signal(signal.SIGINT)
    code, out, err = running.finish(timeout=15)
    assert code == 130 and out == ""
    assert one_error_line(err) == "workbench: error: interrupted"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # the listener is gone
    assert run_cli("token", "app").returncode != 0  # nothing was stored
