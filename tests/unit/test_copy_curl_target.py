"""What "Copy curl" on the Token tab targets (core's `api_request`): the API, not the place
tokens come from."""

from __future__ import annotations

import pytest

from workbench.core.context import AppContext
from workbench.core.operations.requests import api_request
from workbench.core.request.saved import SavedRequest, SavedRequestStore
from workbench.core.storage.vault import MemoryKeyring, Vault


@pytest.fixture
def ctx():
    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def _profile(ctx, settings=None):
    ctx.profiles.create(
        "cc",
        preset="bearer",
        base_url="https://auth.example.com",
        vars={},
        secret_names=[],
        settings=settings or {},
    )
    return ctx.profiles.get("cc")


def test_the_request_written_in_the_request_tab_comes_first(ctx):
    profile = _profile(ctx, {"allowed_origins": ["https://api.example.com"]})
    SavedRequestStore().save("cc", SavedRequest(name="one", method="GET", url="/saved"))
    typed = ("POST", "/typed", [("X", "1")], "{}")
    assert api_request(ctx, profile, typed) == (typed, "the Request tab")


def test_a_saved_request_the_selected_one_else_the_first_with_templates_filled(ctx):
    profile = _profile(ctx)
    store = SavedRequestStore()
    store.save("cc", SavedRequest(name="first", method="GET", url="/first"))
    store.save("cc", SavedRequest(name="second", title="The second", method="PUT", url="/p/{{ profile }}"))
    assert api_request(ctx, profile, None)[0][:2] == ("GET", "/first")
    spec, where = api_request(ctx, profile, None, "second")
    assert spec[:2] == ("PUT", "/p/cc") and where == "saved request 'The second'"


def test_then_the_api_origin_the_profile_allows(ctx):
    profile = _profile(ctx, {"allowed_origins": ["https://api.example.com"]})
    assert api_request(ctx, profile, ("GET", "", [], ""))[0] == ("GET", "https://api.example.com/", [], "")


def test_last_the_base_url_and_it_says_so(ctx):
    profile = _profile(ctx)
    spec, where = api_request(ctx, profile, None)
    assert spec == ("GET", "", [], "") and "no API request yet" in where
