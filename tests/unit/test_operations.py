"""The core operations the CLI and the GUI share: validate first, write second, undo on failure."""

from __future__ import annotations

import pytest

from workbench.core import operations
from workbench.core.context import AppContext
from workbench.core.errors import InputError, KeyFormatError, ProfileError, VaultError
from workbench.core.jose import keys

TM_URL = "https://api.uat.truemarkets.co/v1/auth"
KEY_ID = "0b1f2e9c-6c44-4e1f-9c39-5f0b4d5c2a11"


@pytest.fixture
def ctx(workbench_home):
    from workbench.core.storage.vault import MemoryKeyring, Vault

    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def entries(ctx) -> dict:
    return ctx.vault._get_backend().entries()


def es256_pem() -> str:
    return keys.generate_key_pair("ES256").private_pem().decode()


def make_tm(ctx, name="tm", pem=None):
    return operations.create_profile(
        ctx,
        name,
        preset="true-markets",
        base_url=TM_URL,
        vars={"key_id": KEY_ID},
        secrets={"private_key": pem or es256_pem()},
    )


def test_create_stores_secrets_and_writes_the_profile(ctx):
    saved = make_tm(ctx)
    assert saved.created and saved.secrets_stored == ("private_key",)
    assert ctx.profiles.get("tm").secret_names == ("private_key",)
    assert ctx.vault.has("tm", "private_key")


def test_a_bad_base_url_leaves_nothing_in_the_keychain(ctx):
    with pytest.raises(ProfileError, match="base_url"):
        operations.create_profile(
            ctx,
            "tot",
            preset="token-of-trust",
            base_url="ftp://nowhere",
            vars={"app_domain": "example.com"},
            secrets={"api_key": "k", "secret_key": "s"},
        )
    assert entries(ctx) == {}
    assert not ctx.profiles.exists("tot")


def test_a_missing_required_secret_is_refused_before_anything_is_stored(ctx):
    with pytest.raises(InputError, match="needs"):
        operations.create_profile(
            ctx,
            "tot",
            preset="token-of-trust",
            base_url="https://x.example",
            vars={"app_domain": "example.com"},
            secrets={"api_key": "k"},
        )
    assert entries(ctx) == {}


def test_a_failed_file_write_rolls_back_the_stored_secrets(ctx, monkeypatch):
    def broken_save(profile):
        raise OSError("disk full")

    monkeypatch.setattr(ctx.profiles, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        make_tm(ctx)
    assert entries(ctx) == {}


def test_an_existing_name_is_refused_and_its_secrets_untouched(ctx):
    make_tm(ctx, pem="-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----")
    with pytest.raises(ProfileError, match="already exists"):
        make_tm(ctx)
    assert "old" in ctx.vault.load("tm", "private_key")


def test_update_changes_base_url_and_says_old_tokens_no_longer_apply(ctx):
    make_tm(ctx)
    saved = operations.update_profile(ctx, "tm", base_url="https://api.other.example/v1/auth")
    assert saved.base_url_changed and saved.identity_changed and not saved.created
    assert ctx.profiles.get("tm").base_url == "https://api.other.example/v1/auth"
    same = operations.update_profile(ctx, "tm", base_url="https://api.other.example/v1/auth")
    assert not same.identity_changed


def test_a_refused_update_restores_the_secret_it_replaced(ctx, monkeypatch):
    make_tm(ctx, pem="-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----")

    def broken_save(profile):
        raise OSError("disk full")

    monkeypatch.setattr(ctx.profiles, "save", broken_save)
    with pytest.raises(OSError):
        operations.update_profile(ctx, "tm", secrets={"private_key": es256_pem()})
    assert "old" in ctx.vault.load("tm", "private_key")


def test_an_update_with_a_bad_base_url_stores_nothing(ctx):
    make_tm(ctx, pem="-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----")
    with pytest.raises(ProfileError, match="base_url"):
        operations.update_profile(ctx, "tm", base_url="nope", secrets={"private_key": es256_pem()})
    assert "old" in ctx.vault.load("tm", "private_key")
    assert ctx.profiles.get("tm").base_url == TM_URL


def test_update_rejects_inputs_the_preset_does_not_have(ctx):
    make_tm(ctx)
    with pytest.raises(InputError, match="no input 'colour'"):
        operations.update_profile(ctx, "tm", vars={"colour": "blue"})
    with pytest.raises(InputError, match="secret of true-markets"):
        operations.update_profile(ctx, "tm", vars={"private_key": "x"})


def test_remove_deletes_every_name_the_store_would(ctx):
    make_tm(ctx)
    ctx.vault.store("tm", "access_token", "a")
    ctx.vault.store("tm", "refresh_token", "r")
    expected = ctx.profiles.get("tm").all_secret_names
    removed = operations.remove_profile(ctx, "tm")
    assert removed.secret_names == expected
    assert {"private_key", "access_token", "refresh_token"} <= set(removed.secret_names)
    assert entries(ctx) == {}
    assert not ctx.profiles.exists("tm")


def test_attaching_a_key_to_a_profile_without_a_key_slot_says_so_and_stores_nothing(ctx):
    operations.create_profile(
        ctx,
        "pg",
        preset="paymentsgate",
        base_url="https://api.example.com",
        secrets={"access_token": "a", "refresh_token": "r"},
    )
    before = entries(ctx)
    with pytest.raises(operations.NoKeySlotError) as info:
        operations.attach_private_key(ctx, "pg", es256_pem())
    assert "takes no private_key" in str(info.value)
    assert "line" not in str(info.value) and "secret_names" not in str(info.value)
    assert entries(ctx) == before
    assert ctx.profiles.get("pg").secret_names == ("access_token", "refresh_token")


def test_attaching_a_key_of_the_wrong_algorithm_is_refused(ctx):
    working = es256_pem()
    make_tm(ctx, pem=working)
    rsa = keys.generate_key_pair("RS256").private_pem().decode()
    with pytest.raises(KeyFormatError, match="signs with ES256") as info:
        operations.attach_private_key(ctx, "tm", rsa)
    assert "RSA 2048-bit key" in str(info.value)
    assert ctx.vault.load("tm", "private_key") == working


def test_attaching_a_fitting_key_replaces_and_lists_it(ctx):
    ctx.profiles.create(
        "tm", preset="true-markets", base_url=TM_URL, vars={"key_id": KEY_ID}, secret_names=[]
    )
    status = operations.key_slot_status(ctx, "tm")
    assert status.slot.algorithms == ("ES256",) and not status.stored
    pem = es256_pem()
    attached = operations.attach_private_key(ctx, "tm", pem)
    assert (attached.algorithm, attached.replaced, attached.listed) == ("ES256", False, True)
    assert ctx.profiles.get("tm").secret_names == ("private_key",)
    assert operations.key_slot_status(ctx, "tm").has_working_key
    again = operations.attach_private_key(ctx, "tm", es256_pem())
    assert again.replaced and not again.listed


def test_a_stored_key_of_the_wrong_kind_is_not_a_working_key(ctx):
    make_tm(ctx, pem=keys.generate_key_pair("EdDSA").private_pem().decode())
    status = operations.key_slot_status(ctx, "tm")
    assert status.stored and not status.stored_fits and status.stored_key == "this Ed25519 key"


def test_keygen_for_a_profile_checks_the_algorithm_before_generating(ctx):
    make_tm(ctx)
    assert operations.check_key_generation(ctx, "tm", "ES256").secret == "private_key"
    with pytest.raises(KeyFormatError, match="signs with ES256"):
        operations.check_key_generation(ctx, "tm", "RS256")


def test_render_request_fills_templates_from_the_vault_and_guesses_the_content_type(ctx):
    make_tm(ctx)
    ctx.vault.store("tm", "private_key", "not really a key")
    profile = ctx.profiles.get("tm")
    rendered = operations.render_request(
        ctx,
        profile,
        method="post",
        target="/orders",
        headers=[("X-Trace", "1")],
        body='{"id": "{{ vars.key_id }}", "n": {{ secrets.private_key | length }}}',
    )
    assert rendered.method == "POST" and rendered.templated
    assert rendered.url == TM_URL + "/orders"
    assert rendered.content == f'{{"id": "{KEY_ID}", "n": 16}}'.encode()
    assert ("Content-Type", "application/json") in rendered.headers


def test_render_request_needs_a_target(ctx):
    make_tm(ctx)
    with pytest.raises(InputError, match="type a path"):
        operations.render_request(ctx, ctx.profiles.get("tm"), method="GET", target=" ")


def test_a_failing_keychain_rolls_back_what_it_stored(ctx, monkeypatch):
    real_store = ctx.vault.store
    calls = []

    def flaky_store(profile, name, value):
        calls.append(name)
        if name == "secret_key":
            raise VaultError("the keychain could not store it")
        real_store(profile, name, value)

    monkeypatch.setattr(ctx.vault, "store", flaky_store)
    with pytest.raises(VaultError):
        operations.create_profile(
            ctx,
            "tot",
            preset="token-of-trust",
            base_url="https://x.example",
            vars={"app_domain": "example.com"},
            secrets={"api_key": "k", "secret_key": "s"},
        )
    assert calls == ["api_key", "secret_key"]
    assert entries(ctx) == {}
    assert not ctx.profiles.exists("tot")


def test_a_pasted_token_profile_is_known_and_takes_a_new_paste(ctx):
    operations.create_profile(
        ctx, "pasted", preset="bearer", base_url="https://api.example.com", secrets={"access_token": "old"}
    )
    assert operations.token_facts(ctx.profiles.get("pasted")).pasted is True
    make_tm(ctx)
    assert operations.token_facts(ctx.profiles.get("tm")).pasted is False
    done = operations.paste_token(ctx, "pasted", "  Bearer new-token\n")
    assert done.profile == "pasted" and ctx.vault.load("pasted", "access_token") == "new-token"
    with pytest.raises(InputError, match="empty"):
        operations.paste_token(ctx, "pasted", "   ")
