"""A preset var may list the values it takes (`choices`): the OAuth presets' client
authentication lists exactly the methods core signs with, and `profile add`/`set` refuse
another value with the field named."""

from __future__ import annotations

import pytest

from tests.unit.test_presets import MINIMAL, problem_of
from workbench.core import operations
from workbench.core.context import AppContext
from workbench.core.errors import InputError
from workbench.core.oauth.protocol import CLIENT_AUTH_METHODS
from workbench.core.storage.vault import MemoryKeyring, Vault


@pytest.fixture
def ctx(workbench_home):
    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def test_every_client_auth_input_offers_the_methods_core_supports(ctx):
    catalog = ctx.presets
    seen = 0
    for name in catalog.names():
        spec = catalog.get(name).input("client_auth")
        if spec is None:
            continue
        seen += 1
        assert set(spec.choices) - {""} == set(CLIENT_AUTH_METHODS), name
        assert spec.default in spec.choices
    assert seen == 6  # the four OAuth presets, JWT bearer and token exchange


def test_a_default_outside_the_choices_is_refused():
    text = MINIMAL.replace('kind = "var"', 'kind = "var"\ndefault = "c"\nchoices = ["a", "b"]', 1)
    assert "'c' is not one of its choices" in problem_of(text)


def test_a_secret_cannot_have_choices():
    text = MINIMAL.replace('kind = "secret"', 'kind = "secret"\nchoices = ["a"]', 1)
    assert "only var inputs may have choices" in problem_of(text)


def test_add_and_set_refuse_a_value_that_is_not_a_choice(ctx):
    with pytest.raises(InputError) as added:
        operations.profiles.check_new_profile(
            ctx, "cc", preset="oauth2-client-credentials", base_url="https://auth.example.com",
            vars={"client_id": "app", "client_auth": "client_secret_rsa"},
        )  # fmt: skip
    assert added.value.field == "vars.client_auth"
    assert "client_secret_rsa" in str(added.value) and "private_key_jwt" in str(added.value)
    operations.create_profile(
        ctx, "cc", preset="oauth2-client-credentials", base_url="https://auth.example.com",
        vars={"client_id": "app", "client_auth": "client_secret_post"}, secrets={"client_secret": "s"},
    )  # fmt: skip
    with pytest.raises(InputError) as changed:
        operations.update_profile(ctx, "cc", vars={"client_auth": "basic"})
    assert changed.value.field == "vars.client_auth"
    assert ctx.profiles.get("cc").vars["client_auth"] == "client_secret_post"


def test_pushed_and_signed_authorization_requests_offer_what_core_takes(ctx):
    from workbench.core.oauth.par import PAR_CHOICES

    preset = ctx.presets.get("oauth2-authorization-code")
    for name in ("par", "jar"):
        spec = preset.input(name)
        assert spec is not None and spec.choices == PAR_CHOICES, name


def test_where_an_api_key_is_sent_is_a_list_of_the_placements_core_knows(ctx):
    from workbench.core.profiles.presets import TOKEN_PLACEMENTS

    spec = ctx.presets.get("api-key").input("placement")
    assert spec is not None and spec.choices == TOKEN_PLACEMENTS


def test_certificate_bound_tokens_offer_what_core_takes(ctx):
    from workbench.core.oauth.mtls import BOUND_CHOICES

    seen = 0
    for name in ctx.presets.names():
        spec = ctx.presets.get(name).input("mtls_bound_tokens")
        if spec is not None:
            seen += 1
            assert spec.choices == BOUND_CHOICES, name
    assert seen == 4
