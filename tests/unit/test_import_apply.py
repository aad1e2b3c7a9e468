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


def test_an_openapi_import_saves_requests_and_says_how_to_create_the_profiles_it_lacks_secrets_for(stores):
    ctx, requests, keyring = stores
    plan = read_plan(str(FIX / "openapi/clinic.yaml"), presets=ctx.presets)
    outcome = apply_plan(plan, ctx, requests=requests)
    assert outcome.profiles == [] and ctx.profiles.names() == [] and keyring.entries() == {}
    assert outcome.pending["clinic-api-bearerauth"] == (
        "workbench profile add clinic-api-bearerauth --preset bearer --base-url https://api.clinic.test"
        " --secret access_token"
    )
    assert "--set client_id=…" in outcome.pending["clinic-api-oauth"]
    assert "allowed_origins = https://api.clinic.test" in outcome.pending["clinic-api-oauth"]
    saved = requests.load("clinic-api-bearerauth")
    assert saved.vars == {"patientId": "p-100"}
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
    assert set(outcome.profiles) | set(outcome.pending) == {p.name for p in plan.profiles}
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
    assert outcome.withheld == {"pet-clinic-token": ["https://pets.test"]} and outcome.risks == []
    assert "pet-clinic-token" in outcome.profiles
    assert "allowed_origins" not in ctx.profiles.path_for("pet-clinic-token").read_text()
    assert requests.load("pet-clinic-token").requests  # its requests are saved all the same


def test_with_trust_the_other_origins_become_allowed_origins_and_are_reported(stores):
    ctx, requests, _keyring = stores
    plan = read_plan(str(FIX / "bruno/pets"), presets=ctx.presets)
    outcome = apply_plan(plan, ctx, requests=requests, trust=True)
    assert outcome.withheld == {}
    assert outcome.risks == [
        "profile 'pet-clinic-token' would send its token to https://pets.test (where its saved requests go)"
    ]
    assert ctx.profiles.get("pet-clinic-token").settings["allowed_origins"] == ["https://pets.test"]
