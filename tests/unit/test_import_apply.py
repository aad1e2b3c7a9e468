"""Storing an import plan: everything or nothing (secrets, profile files, saved-request files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core import operations
from workbench.core.context import AppContext
from workbench.core.errors import StorageError
from workbench.core.importers import read_plan
from workbench.core.importers.apply import apply_plan
from workbench.core.request.saved import SavedRequestStore
from workbench.core.storage.vault import MemoryKeyring, Vault

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.fixture
def stores(workbench_home):
    keyring = MemoryKeyring()
    ctx = AppContext(vault=Vault(keyring))
    return ctx, SavedRequestStore(), keyring


def test_a_failure_part_way_removes_every_profile_secret_and_request_file_of_the_import(
    stores, workbench_home
):
    ctx, requests, keyring = stores
    plan = read_plan(str(FIX / "bruno/pets"), presets=ctx.presets)
    calls = []

    def create(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 3:
            raise StorageError("disk full")
        return operations.create_profile(*args, **kwargs)

    with pytest.raises(StorageError):
        apply_plan(plan, ctx, requests=requests, create_profile=create, trust=True)
    assert len(calls) == 3
    assert ctx.profiles.names() == []
    assert keyring.entries() == {}
    assert list((workbench_home / "requests").glob("*.toml")) == []


def test_an_openapi_import_creates_pending_profiles_that_name_what_they_need(stores):
    ctx, requests, keyring = stores
    plan = read_plan(str(FIX / "openapi/clinic.yaml"), presets=ctx.presets)
    outcome = apply_plan(plan, ctx, requests=requests)
    assert sorted(outcome.profiles) == ctx.profiles.names() == sorted(p.name for p in plan.profiles)
    assert keyring.entries() == {}  # an OpenAPI document holds no secrets
    assert outcome.pending["clinic-api-bearerauth"] == (
        "workbench profile set clinic-api-bearerauth --secret access_token"
    )
    assert "--set client_id=…" in outcome.pending["clinic-api-oauth"]
    bearer = ctx.profiles.get("clinic-api-bearerauth")
    assert bearer.pending and bearer.missing_required() == ["access_token"]
    assert "pending = true" in ctx.profiles.path_for("clinic-api-bearerauth").read_text()
    saved = requests.load("clinic-api-bearerauth")
    assert saved.vars == {"patientId": "p-100", "limit": "25"}
    assert saved.requests["getpatient"].url == "/v1/patients/{{ patientId }}"


GOOD = [
    "postman/acme.postman_collection.json",
    "postman/oauth2-authcode.postman_collection.json",
    "insomnia/shop-v4.json",
    "insomnia/shop-v5.yaml",
    "bruno/pets",
    "bruno/single-request.bru",
    "openapi/clinic.yaml",
    "openapi/tiny.json",
    "har/browser-session.har",
    "curl/odd-quoting.sh",
    "curl/client-credentials.sh",
    "curl/form-bearer.sh",
]


@pytest.mark.parametrize("rel", GOOD)
def test_every_fixture_imports_through_the_profile_operations(stores, rel):
    ctx, requests, _keyring = stores
    plan = read_plan(str(FIX / rel), presets=ctx.presets)
    outcome = apply_plan(plan, ctx, requests=requests, trust=True)
    assert sorted(outcome.profiles) == ctx.profiles.names()
    assert set(outcome.profiles) == {p.name for p in plan.profiles}
    assert set(outcome.pending) == {n for n in outcome.profiles if ctx.profiles.get(n).pending}
    for name in outcome.profiles:
        profile = ctx.profiles.get(name)  # loads and validates
        plan_profile = next(p for p in plan.profiles if p.name == name)
        for secret, value in plan_profile.secrets.items():
            assert ctx.vault.load(name, secret) == value
        assert set(profile.secret_names) == set(plan_profile.secrets)
    saved = sum(len(requests.list(name)) for name in {r.profile for r in plan.requests})
    assert saved == len(plan.requests)


def test_without_trust_a_collection_cannot_send_a_token_to_the_other_origins_its_requests_use(stores):
    ctx, requests, _keyring = stores
    plan = read_plan(str(FIX / "bruno/pets"), presets=ctx.presets)
    outcome = apply_plan(plan, ctx, requests=requests)
    # Its requests reach pets.test in the Local environment and pets.example.com in Prod.
    assert outcome.withheld == {
        "pet-clinic": ["https://pets.example.com"],
        "pet-clinic-token": ["https://pets.example.com", "https://pets.test"],
        "pet-clinic-owners": ["https://pets.example.com"],
    }
    assert outcome.risks == []
    assert "pet-clinic-token" in outcome.profiles
    assert "allowed_origins" not in ctx.profiles.path_for("pet-clinic-token").read_text()
    assert requests.load("pet-clinic-token").requests  # its requests are saved all the same


def test_with_trust_the_other_origins_become_allowed_origins_and_are_reported(stores):
    ctx, requests, _keyring = stores
    plan = read_plan(str(FIX / "bruno/pets"), presets=ctx.presets)
    outcome = apply_plan(plan, ctx, requests=requests, trust=True)
    assert outcome.withheld == {}
    assert (
        "profile 'pet-clinic-token' would send its token to https://pets.example.com, https://pets.test "
        "(where its saved requests go)" in outcome.risks
    )
    allowed = ctx.profiles.get("pet-clinic-token").settings["allowed_origins"]
    assert allowed == ["https://pets.example.com", "https://pets.test"]


def test_a_secret_in_a_body_is_a_keychain_secret_variable_sent_by_call_and_hidden_in_snippets(stores):
    from workbench.core.importers import parse_text
    from workbench.core.request.saved import render_saved, secret_entry

    ctx, requests, _keyring = stores
    plan = parse_text(
        """curl https://api.shop.test/login --json '{"user": "ann", "password": "hunter2!"}'""", "login.sh"
    )
    outcome = apply_plan(plan, ctx, requests=requests)
    (name,) = outcome.profiles
    file_text = requests.path_for(name).read_text()
    assert "hunter2!" not in file_text and 'secret_vars = ["password"]' in file_text
    assert ctx.vault.load(name, secret_entry("password")) == "hunter2!"
    sent = render_saved(ctx, name, plan.requests[0].name)
    assert b'"password": "hunter2!"' in sent.content
    shown = render_saved(ctx, name, plan.requests[0].name, reveal_secrets=False)
    assert b"hunter2!" not in shown.content and b"<password from the keychain>" in shown.content
    operations.remove_profile(ctx, name)
    assert ctx.vault.load(name, secret_entry("password")) is None
