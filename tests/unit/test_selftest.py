"""`workbench self-test`: every preset end to end against the embedded sandbox, without touching user data."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import LockedKeyring, memory_vault, vault_entries
from workbench.commands import selftest
from workbench.core.context import AppContext
from workbench.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
ALL_PRESETS = (
    "api-key-sliding",
    "marketiger3d",
    "oauth2-client-credentials",
    "oauth2-refresh-token",
    "paymentsgate",
    "token-of-trust",
    "true-markets",
    # the extension grants (issue 22): a JWT bearer assertion, a service-account key, a token exchange
    "google-service-account",
    "oauth2-jwt-bearer",
    "oauth2-token-exchange",
    # logged in through the sandbox's authorization server, which plays the user
    "oauth2-authorization-code",
    "oauth2-device-code",
)
STEPS = ("profile", "token", "verify", "call")


def run_command(ctx: AppContext, *, as_json: bool = False, capsys) -> tuple[int, str, str]:
    code = selftest.run(argparse.Namespace(json=as_json), ctx)
    out, err = capsys.readouterr()
    return code, out, err


def statuses(report_json: dict) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report_json["checks"]}


def test_every_preset_mints_verifies_and_calls_the_sandbox(capsys):
    vault, _backend = memory_vault()
    code, out, err = run_command(AppContext(vault=vault), as_json=True, capsys=capsys)
    report = json.loads(out)
    seen = statuses(report)
    assert code == 0, err
    assert report["ok"] is True
    for preset in ALL_PRESETS:
        for step in STEPS:
            assert seen[f"{preset}: {step}"] == "ok", (preset, step, report)
    for alg in ("ES256", "ES384", "RS256", "EdDSA"):
        assert seen[f"keys: {alg}"] == "ok"
    assert seen["resources"] == "ok" and seen["tls"] == "ok"
    by_name = {c["name"]: c for c in report["checks"]}
    assert "JWKS" in by_name["true-markets: verify"]["detail"]
    assert "client_secret" in by_name["api-key-sliding: verify"]["detail"]
    assert "mint + refresh" in by_name["true-markets: token"]["detail"]
    assert all(c["ms"] >= 0 for c in report["checks"])
    # A vault that only lives in memory is worth a warning, not a failure.
    vault_check = by_name["vault"]
    assert vault_check["status"] == "warn" and "in-memory vault" in vault_check["detail"]


def test_text_report_has_one_line_per_check_and_a_verdict(capsys):
    vault, _backend = memory_vault()
    code, out, _err = run_command(AppContext(vault=vault), capsys=capsys)
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[0].startswith("workbench ") and "self-test" in lines[0]
    assert any(line.startswith("ok    true-markets: call") and line.endswith("ms)") for line in lines)
    assert lines[-1].startswith("all ") and "checks passed" in lines[-1]
    # header + verdict, resources + tls, vault, sandbox, four steps per preset, four key algorithms,
    # one "skip" line per shipped preset the sandbox has no emulator for (a pasted token, a key, Basic)
    skipped = [line for line in lines if line.startswith("skip  ")]
    assert [line.split()[1] for line in skipped] == ["api-key", "basic", "bearer"]
    assert len(lines) == 2 + 2 + 1 + 1 + 4 * len(ALL_PRESETS) + 4 + len(skipped)


def test_a_keychain_that_refuses_every_call_is_reported_and_the_rest_still_runs(capsys):
    from workbench.core.storage.vault import Vault

    ctx = AppContext(vault=Vault(LockedKeyring()))
    code, out, _err = run_command(ctx, as_json=True, capsys=capsys)
    seen = statuses(json.loads(out))
    # A locked keychain on first use means "no usable keychain": warn, then memory.
    assert seen["vault"] == "warn"
    assert seen["true-markets: call"] == "ok"
    assert code == 0


def test_self_test_leaves_the_users_profiles_home_and_vault_alone(workbench_home, capsys):
    vault, backend = memory_vault()
    profiles = workbench_home / "profiles"
    profiles.mkdir()
    mine = profiles / "mine.toml"
    mine.write_text('name = "mine"\npreset = "token-of-trust"\nbase_url = "https://api.example.com"\n')
    vault.store("mine", "api_key", "users-own-secret")
    before = sorted(p.relative_to(workbench_home) for p in workbench_home.rglob("*"))

    code, _out, _err = run_command(AppContext(vault=vault), capsys=capsys)

    assert code == 0
    assert sorted(p.relative_to(workbench_home) for p in workbench_home.rglob("*")) == before
    assert os.environ["WORKBENCH_HOME"] == str(workbench_home)
    assert vault_entries(backend) == {"mine/api_key": "users-own-secret"}


def test_a_failing_provider_fails_its_preset_names_it_and_exits_non_zero(monkeypatch, capsys):
    real_demo_profiles = Sandbox.demo_profiles

    def wrong_secret_for_token_of_trust(self):
        demos = real_demo_profiles(self)
        demos["token-of-trust"]["secrets"]["secret_key"] = "sk_test_not_the_right_one"
        return demos

    monkeypatch.setattr(Sandbox, "demo_profiles", wrong_secret_for_token_of_trust)
    vault, backend = memory_vault()
    code, out, err = run_command(AppContext(vault=vault), capsys=capsys)

    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith("FAIL:")]
    assert len(failed) == 1 and "token-of-trust: token" in failed[0]
    assert "sk_test_not_the_right_one" not in out + err
    assert any(line.startswith("skip  token-of-trust: call") for line in out.splitlines())
    assert err.strip() == "workbench: self-test failed: token-of-trust: token"
    assert "1 of" in out.splitlines()[-1]
    # The other presets still ran, and nothing was left behind in the vault.
    assert "ok    true-markets: call" in out
    assert vault_entries(backend) == {}


def test_cli_self_test_runs_headless_in_a_fresh_process(tmp_path):
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path / "home")}
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "self-test", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["frozen"] is False
    assert "PySide6" not in proc.stderr
    assert report["keyring_backend"]


@pytest.mark.keychain
def test_self_test_round_trips_the_real_secret_service_and_cleans_up(secret_service, capsys):
    from workbench.core.storage.vault import SERVICE, Vault

    code, out, err = run_command(AppContext(vault=Vault()), as_json=True, capsys=capsys)
    report = json.loads(out)

    assert code == 0, err
    assert report["keyring_backend"] == "SecretService", report["checks"][:3]
    assert statuses(report)["vault"] == "ok"
    import keyring

    backend = keyring.get_keyring()
    collection = backend.get_preferred_collection()
    leftovers = [
        item.get_attributes().get("username", "")
        for item in collection.search_items({"service": SERVICE})
        if item.get_attributes().get("username", "").startswith("selftest-")
    ]
    assert leftovers == []


def test_report_lines_mark_failures_loudly():
    line = selftest.Check("true-markets: token", "fail", "provider said no", 0.0123).line()
    assert line.startswith("FAIL: true-markets: token")
    assert line.endswith("provider said no  (12 ms)")


def test_unexpected_errors_are_named_and_redacted():
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    text = selftest._reason(RuntimeError(f"boom with {token}"))
    assert text.startswith("RuntimeError: boom with")
    assert token not in text


def test_temporary_home_is_removed_and_restored(workbench_home):
    with selftest._temporary_home() as home:
        assert os.environ["WORKBENCH_HOME"] == str(home)
        (home / "x").write_text("y")
    assert not home.exists()
    assert os.environ["WORKBENCH_HOME"] == str(workbench_home)
