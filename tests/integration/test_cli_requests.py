"""Saved requests through the real command line: `request save|list|rm`, `call NAME --request SAVED`
against the sandbox, no secret in the file, and a pasted token that expired says to paste a new one."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import files_text, one_line_error, run_cli
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain


@pytest.fixture
def profile(paymentsgate_in_keychain):
    return paymentsgate_in_keychain


def test_save_list_call_and_remove_a_saved_request(profile, workbench_home):
    saved = run_cli(
        "request", "save", profile, "echo", "POST", "/api/echo?page=2",
        "-H", "Accept: application/json", "--json-body", '{"who": "{{ profile }}", "n": 1}',
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    path = workbench_home / "requests" / f"{profile}.toml"
    text = path.read_text()
    assert "[requests.echo]" in text and "{{ profile }}" in text
    listed = run_cli("request", "list", profile)
    assert listed.stdout.split() == ["echo", "POST", "/api/echo?page=2"]
    as_json = json.loads(run_cli("request", "list", profile, "--json").stdout)
    assert as_json[0]["name"] == "echo" and as_json[0]["headers"] == {"Accept": "application/json"}

    called = run_cli("call", profile, "--request", "echo")
    assert called.returncode == 0, called.stderr
    echo = json.loads(called.stdout)
    assert (echo["method"], echo["query"], echo["json"]) == ("POST", {"page": "2"}, {"who": profile, "n": 1})
    token = Vault().load(profile, "access_token")
    assert token and token not in files_text(workbench_home / "requests")

    removed = run_cli("request", "rm", profile, "echo")
    assert removed.returncode == 0
    assert run_cli("request", "list", profile).stdout == ""
    again = run_cli("request", "rm", profile, "echo")
    assert "has no saved request 'echo'" in one_line_error(again)


def test_request_variables_edited_by_hand_fill_the_templates(profile, workbench_home):
    assert run_cli("request", "save", profile, "item", "GET", "/api/echo?id={{ item_id }}").returncode == 0
    path = workbench_home / "requests" / f"{profile}.toml"
    path.write_text('[vars]\nitem_id = "77"\n\n' + path.read_text().split("\n", 1)[1])
    called = run_cli("call", profile, "--request", "item", "-H", "X-Extra: 1")
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)["query"] == {"id": "77"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-H", "Authorization: Bearer abc.def.ghi"], "header Authorization would store a credential"),
        (["--json-body", '{"t": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}'], "looks like a credential"),
        (["--json-body", "{nope"], "--json-body is not valid JSON"),
        (["-H", "no colon"], "is not a header"),
    ],
)
def test_what_would_put_a_secret_in_the_file_or_is_malformed_is_refused(
    profile, workbench_home, args, expected
):
    run = run_cli("request", "save", profile, "bad", "POST", "/api/echo", *args)
    assert run.returncode != 0
    assert expected in one_line_error(run)
    assert not (workbench_home / "requests" / f"{profile}.toml").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["call", "{p}", "--request", "missing"], "has no saved request 'missing'"),
        (["call", "{p}", "GET", "/x", "--request", "echo"], "not both"),
        (["call", "{p}"], "--request SAVED"),
        (["request", "save", "{p}", "../bad", "/x"], "is not a saved-request name"),
        (["request", "list", "no-such-profile"], "no profile named 'no-such-profile'"),
    ],
)
def test_bad_request_commands_are_one_line(profile, args, expected):
    run = run_cli(*[a.replace("{p}", profile) for a in args])
    assert run.returncode != 0
    assert expected in one_line_error(run)


def test_a_damaged_saved_requests_file_is_one_line_naming_it(profile, workbench_home):
    (workbench_home / "requests").mkdir(exist_ok=True)
    (workbench_home / "requests" / f"{profile}.toml").write_text("[requests.x]\nmethod = 'GET'\nurl = [1\n")
    run = run_cli("request", "list", profile)
    assert f"requests/{profile}.toml: not valid TOML" in one_line_error(run)


def test_an_expired_pasted_bearer_token_says_expired_paste_a_new_one(secret_service, sandbox, workbench_home):
    token = sandbox.issue_token("paymentsgate", lifetime=-60)
    line = f"curl -H 'Authorization: Bearer {token}' {sandbox.base_url('paymentsgate')}/api/echo"
    script = workbench_home.parent / "cmd.sh"
    script.write_text(line)
    run = run_cli("import", str(script))
    assert run.returncode == 0, run.stderr
    name = next((workbench_home / "profiles").glob("*.toml")).stem
    try:
        out = run_cli("token", name)
        message = one_line_error(out)
        assert "expired, paste a new one" in message
        assert f"workbench profile set {name} --secret access_token" in message
        assert token not in message
    finally:
        Vault().delete_profile(name, ["access_token"])


def test_removing_a_profile_removes_its_saved_requests(profile, workbench_home):
    saved = run_cli("request", "save", profile, "me", "GET", "/api/echo")
    assert saved.returncode == 0, saved.stderr
    path = workbench_home / "requests" / f"{profile}.toml"
    assert path.exists()
    removed = run_cli("profile", "rm", profile)
    assert removed.returncode == 0, removed.stderr
    assert not path.exists()
