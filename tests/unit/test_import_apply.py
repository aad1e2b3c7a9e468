"""Storing an import plan: everything or nothing (secrets, profile files, saved-request files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import StorageError
from workbench.core.importers import read_plan
from workbench.core.importers.apply import _default_create, apply_plan
from workbench.core.presets import PresetCatalog
from workbench.core.profiles import ProfileStore
from workbench.core.saved_requests import SavedRequestStore
from workbench.core.vault import MemoryKeyring, Vault

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.fixture
def stores(workbench_home):
    keyring = MemoryKeyring()
    return ProfileStore(presets=PresetCatalog.load_default()), Vault(keyring), SavedRequestStore(), keyring


def test_a_failure_part_way_removes_every_profile_secret_and_request_file_of_the_import(
    stores, workbench_home
):
    profiles, vault, requests, keyring = stores
    plan = read_plan(str(FIX / "bruno/pets"), presets=profiles.presets)
    calls = []

    def create(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 3:
            raise StorageError("disk full")
        return _default_create(*args, **kwargs)

    with pytest.raises(StorageError):
        apply_plan(plan, profiles=profiles, vault=vault, requests=requests, create_profile=create)
    assert len(calls) == 3
    assert profiles.names() == []
    assert keyring.entries() == {}
    assert list((workbench_home / "requests").glob("*.toml")) == []


def test_a_complete_import_can_be_read_back(stores):
    profiles, vault, requests, _ = stores
    plan = read_plan(str(FIX / "openapi/clinic.yaml"), presets=profiles.presets)
    outcome = apply_plan(plan, profiles=profiles, vault=vault, requests=requests)
    assert sorted(outcome.profiles) == profiles.names()
    saved = requests.load("clinic-api-bearerauth")
    assert saved.vars == {"patientId": "p-100"}
    assert saved.requests["getpatient"].url == "/v1/patients/{{ patientId }}"
