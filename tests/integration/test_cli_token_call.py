"""`workbench token` and `workbench call` as separate processes, over the real keychain and the sandbox.

Profiles are created in this process (the vault talks to the session's gnome-keyring);
each `workbench` subprocess reads them from the same keychain and WORKBENCH_HOME.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.integration.conftest import add_profile, files_text, one_line_error, run_cli, start_cli
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain


@pytest.fixture
def keychain(secret_service):
    return Vault()


@pytest.fixture
def store(workbench_home):
    return ProfileStore(presets=PresetCatalog.load_default())


@pytest.fixture
def add(store, keychain, sandbox):
    """add(preset, **settings) → a uniquely named profile (the keychain is shared by the session)."""
    created: list[str] = []

    def make(preset: str, **settings):
        name = f"{preset}-{uuid.uuid4().hex[:8]}"
        add_profile(store, keychain, sandbox, preset, name, settings=settings or None)
        created.append(name)
        return name

    yield make
    for name in created:
        keychain.delete_profile(
            name, ["access_token", "refresh_token", "private_key", "api_key", "secret_key", "client_secret"]
        )


# ------------------------------------------------------------------ token


def test_token_prints_only_the_bare_access_token(add, sandbox):
    name = add("token-of-trust")
    run = run_cli("token", name)
    assert run.returncode == 0, run.stderr
    assert run.stdout.endswith("\n") and run.stdout.count("\n") == 1
    token = run.stdout.strip()
    assert token.count(".") == 2 and token.startswith("eyJ")
    assert sandbox.calls("token-of-trust", "mint") == 1


def test_token_json_has_the_documented_shape_and_the_next_process_uses_the_cache(add, sandbox):
    name = add("true-markets")
    first = json.loads(run_cli("token", name, "--json").stdout)
    assert set(first) == {"access_token", "token_type", "expires_at", "expires_in", "obtained_by"}
    assert first["obtained_by"] == "mint" and first["token_type"] == "Bearer"
    assert first["expires_at"].endswith("Z") and isinstance(first["expires_in"], int)
    second = json.loads(run_cli("token", name, "--json").stdout)
    assert second["obtained_by"] == "cache" and second["access_token"] == first["access_token"]
    assert sandbox.calls("true-markets", "mint") == 1


def test_six_concurrent_token_processes_make_one_provider_call_and_print_the_same_token(add, sandbox):
    name = add("true-markets")
    procs = [start_cli("token", name) for _ in range(6)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    assert len(set(outputs)) == 1 and outputs[0].startswith("eyJ")
    assert sandbox.calls("true-markets", "mint") == 1
    assert sandbox.calls("true-markets", "refresh") == 0


@pytest.mark.parametrize("preset", ["marketiger3d", "true-markets"])
def test_rotating_refresh_works_cycle_after_cycle_in_separate_processes(
    preset, add, sandbox, workbench_home, keychain
):
    name = add(preset)
    if preset == "true-markets":
        assert run_cli("token", name).returncode == 0  # mint the first pair
    seen = set()
    for _ in range(3):
        run = run_cli("token", name, "--refresh", "--json")
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        assert data["obtained_by"] == "refresh"
        seen.add(data["access_token"])
    assert len(seen) == 3
    assert sandbox.calls(preset, "refresh") == 3
    assert run_cli("call", name, "/api/echo").returncode == 0
    secrets = [keychain.load(name, n) for n in ("access_token", "refresh_token")]
    text = files_text(workbench_home)
    assert all(s and s not in text for s in secrets)
    assert not any(t in text for t in seen)


def test_mint_on_a_preset_that_cannot_mint_is_aone_line_error(add):
    name = add("paymentsgate")
    run = run_cli("token", name, "--mint")
    assert run.returncode == 1
    assert "cannot mint" in one_line_error(run)


def test_refresh_on_a_mint_only_preset_mints_again(add):
    name = add("token-of-trust")
    run = run_cli("token", name, "--refresh", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["obtained_by"] == "mint"


def test_an_expired_pasted_token_without_refresh_token_says_what_to_do(store, keychain, sandbox):
    name = f"pg-{uuid.uuid4().hex[:8]}"
    store.create(
        name,
        preset="paymentsgate",
        base_url=sandbox.base_url("paymentsgate"),
        vars={},
        secret_names=["access_token"],
    )
    keychain.store(name, "access_token", sandbox.issue_token("paymentsgate", lifetime=-60))
    try:
        run = run_cli("token", name)
        assert run.returncode == 1
        line = one_line_error(run)
        assert "expired at" in line and "no refresh token" in line and "workbench profile set" in line
    finally:
        keychain.delete_profile(name, ["access_token"])


def test_unknown_profile_is_aone_line_error():
    run = run_cli("token", "no-such-profile")
    assert run.returncode == 1
    assert "no profile named 'no-such-profile'" in one_line_error(run)


# ------------------------------------------------------------------ call


def test_call_prints_the_response_body_and_exits_zero(add):
    name = add("token-of-trust")
    run = run_cli("call", name, "/api/echo")
    assert run.returncode == 0, run.stderr
    body = json.loads(run.stdout)
    assert body["ok"] is True and body["method"] == "GET"


def test_call_with_method_headers_and_json_body(add):
    name = add("api-key-sliding")
    run = run_cli("call", name, "post", "/api/echo", "-H", "X-Trace: abc", "--json-body", '{"n": 1}')
    assert run.returncode == 0, run.stderr
    body = json.loads(run.stdout)
    assert body["method"] == "POST" and body["json"] == {"n": 1}


def test_call_with_a_json_body_and_no_method_posts(add):
    name = add("token-of-trust")
    run = run_cli("call", name, "/api/echo", "--json-body", '{"n": 2}')
    assert run.returncode == 0, run.stderr
    body = json.loads(run.stdout)
    assert body["method"] == "POST" and body["json"] == {"n": 2}


def test_call_accepts_an_absolute_url(add, sandbox):
    name = add("token-of-trust")
    run = run_cli("call", name, "GET", sandbox.base_url("token-of-trust") + "/me")
    assert run.returncode == 0, run.stderr


def test_call_non_2xx_prints_the_body_and_one_line_naming_status_and_message(add):
    name = add("token-of-trust")
    run = run_cli("call", name, "/no-such-thing")
    assert run.returncode == 1
    assert json.loads(run.stdout)["code"] == "not_found"
    line = one_line_error(run)
    assert "404" in line and "no route for GET" in line


def test_call_after_the_provider_expired_the_token_retries_once_with_a_fresh_one(add, sandbox):
    name = add("token-of-trust")
    assert run_cli("token", name).returncode == 0
    sandbox.set_clock_offset(3600)
    run = run_cli("call", name, "/api/echo")
    assert run.returncode == 0, run.stderr
    assert sandbox.calls("token-of-trust", "mint") == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--json-body", "{not json"], "--json-body is not valid JSON"),
        (["-H", "no colon here"], "-H option #1 is not a header"),
        (["-H", ": empty name"], "-H option #1 is not a header"),
    ],
)
def test_bad_call_options_are_one_line_errors(add, args, expected, sandbox):
    name = add("token-of-trust")
    run = run_cli("call", name, "POST", "/api/echo", *args)
    assert run.returncode == 1
    assert expected in one_line_error(run)
    assert sandbox.calls("token-of-trust") == 0


# ------------------------------------------------------------------ faults


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("500-html", "500"),
        ("invalid-json", "not valid JSON"),
        ("slow", "did not answer within 1 s"),
        ("429", "429"),
        ("drop", "closed the connection"),
    ],
)
def test_each_provider_fault_fails_clearly_in_time_and_the_refresh_token_survives(
    kind, expected, add, sandbox, workbench_home, keychain
):
    name = add("paymentsgate", timeout=1)
    sandbox.inject_fault("paymentsgate", "refresh", kind, times=None, delay=5 if kind == "slow" else 0)
    run = run_cli("token", name, "--refresh", timeout=30)
    assert run.returncode == 1
    line = one_line_error(run)
    assert expected in line, line
    assert "paymentsgate refresh" in line
    assert run.elapsed < 15
    sandbox.clear_faults()
    after = run_cli("token", name, "--refresh", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["obtained_by"] == "refresh"
    text = files_text(workbench_home)
    for secret in ("access_token", "refresh_token"):
        value = keychain.load(name, secret)
        assert value and value not in text


# ------------------------------------------------------------------ one keychain, two homes


def test_a_fresh_home_sharing_the_keychain_mints_its_own_token_for_a_same_named_profile(
    secret_service, sandbox, tmp_path
):
    """The keychain is keyed by profile name: a new WORKBENCH_HOME must not pick up another home's token."""
    from workbench.sandbox import Sandbox

    name = f"tot-{uuid.uuid4().hex[:8]}"

    def add_in(home, box):
        demo = box.demo_profiles()["token-of-trust"]
        env = {"WORKBENCH_HOME": str(home)}
        run = run_cli(
            "profile",
            "add",
            name,
            "--preset",
            "token-of-trust",
            "--base-url",
            demo["base_url"],
            "--set",
            f"app_domain={demo['vars']['app_domain']}",
            *(arg for k, v in demo["secrets"].items() for arg in ("--secret", f"{k}={v}")),
            env=env,
        )
        assert run.returncode == 0, run.stderr
        return env

    try:
        first_env = add_in(tmp_path / "home-a", sandbox)
        first = json.loads(run_cli("token", name, "--json", env=first_env).stdout)
        assert first["obtained_by"] == "mint"
        with Sandbox() as other:
            second_env = add_in(tmp_path / "home-b", other)
            second = json.loads(run_cli("token", name, "--json", env=second_env).stdout)
            assert second["obtained_by"] == "mint" and second["access_token"] != first["access_token"]
            assert other.calls("token-of-trust", "mint") == 1
            assert run_cli("call", name, "/api/echo", env=second_env).returncode == 0
    finally:
        Vault().delete_profile(name, ["access_token", "refresh_token", "api_key", "secret_key"])
