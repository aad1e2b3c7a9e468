"""Profile writes that share a profile with other writers: a rollback undoes only its own write,
and an update whose base URL or vars change forgets the old tokens in any process."""

from __future__ import annotations

import pytest

from workbench.core import operations
from workbench.core.context import AppContext
from workbench.core.operations.secrets import store_then
from workbench.core.storage.vault import MemoryKeyring, Vault


@pytest.fixture
def ctx(workbench_home):
    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def test_a_rollback_leaves_a_value_another_writer_stored_after_ours():
    vault = Vault(MemoryKeyring())

    def then() -> None:
        vault.store("p", "client_secret", "theirs")  # another process, between our store and our failure
        raise RuntimeError("the profile file could not be written")

    with pytest.raises(RuntimeError):
        store_then(vault, "p", {"client_secret": "ours"}, then)
    assert vault.load("p", "client_secret") == "theirs"


def test_a_rollback_still_restores_the_value_it_replaced():
    vault = Vault(MemoryKeyring())
    vault.store("p", "client_secret", "before")

    def then() -> None:
        raise RuntimeError("the profile file could not be written")

    with pytest.raises(RuntimeError):
        store_then(vault, "p", {"client_secret": "ours"}, then)
    assert vault.load("p", "client_secret") == "before"


def test_a_new_base_url_forgets_the_old_tokens_when_no_engine_was_built(ctx):
    operations.create_profile(
        ctx, "tot", preset="token-of-trust", base_url="https://a.example",
        vars={"app_domain": "example.com"}, secrets={"api_key": "k", "secret_key": "s"},
    )  # fmt: skip
    ctx.vault.store("tot", "access_token", "a-token-of-the-old-origin")
    assert ctx.built_engine() is None
    saved = operations.update_profile(ctx, "tot", base_url="https://b.example")
    assert saved.identity_changed
    assert not ctx.vault.has("tot", "access_token")
    assert ctx.vault.load("tot", "api_key") == "k"  # the profile's own secrets stay


def test_the_validate_only_entry_checks_everything_but_secret_values_and_writes_nothing(ctx):
    from workbench.core.errors import InputError, ProfileExistsError

    profile = operations.profiles.check_new_profile(
        ctx, "tot", preset="token-of-trust", base_url="https://a.example",
        vars={"app_domain": "example.com"}, secret_names=["api_key", "secret_key"],
    )  # fmt: skip
    assert profile.name == "tot" and not ctx.profiles.exists("tot")
    with pytest.raises(InputError) as missing:
        operations.profiles.check_new_profile(
            ctx, "tot", preset="token-of-trust", base_url="https://a.example",
            vars={"app_domain": "example.com"}, secret_names=["api_key"],
        )  # fmt: skip
    assert str(missing.value) == "token-of-trust needs --secret secret_key=…"
    assert missing.value.field == "secrets.secret_key"
    operations.create_profile(
        ctx, "tot", preset="token-of-trust", base_url="https://a.example",
        vars={"app_domain": "example.com"}, secrets={"api_key": "k", "secret_key": "s"},
    )  # fmt: skip
    with pytest.raises(ProfileExistsError) as taken:
        operations.profiles.check_new_profile(
            ctx, "tot", preset="token-of-trust", base_url="https://a.example", secret_names=["api_key"]
        )
    assert taken.value.field == "name"
    with pytest.raises(InputError) as bad_url:
        operations.profiles.check_profile_update(ctx, "tot", base_url="ftp://x")
    assert bad_url.value.field == "base_url"
