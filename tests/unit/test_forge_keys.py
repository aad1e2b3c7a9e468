"""Where the forge's keys come from: the keychain namespace (reserved from profiles), a profile's
key slot, and one key at a time."""

from __future__ import annotations

import jwt
import pytest

from workbench.core.clock import FakeClock
from workbench.core.context import AppContext
from workbench.core.errors import InputError, KeyFormatError, ProfileError
from workbench.core.jose import forge, keys
from workbench.core.operations import forge as forge_ops
from workbench.core.storage.vault import MemoryKeyring, Vault


@pytest.fixture
def ctx(workbench_home):
    context = AppContext(clock=FakeClock(start=1_700_000_000.0), vault=Vault(MemoryKeyring()))
    yield context
    context.close()


def _create(ctx, name, preset, base_url, *, vars=None, secrets=()):
    ctx.profiles.create(name, preset=preset, base_url=base_url, vars=vars or {}, secret_names=list(secrets))


def test_no_profile_can_take_the_keychain_namespace(ctx):
    with pytest.raises(ProfileError, match="reserved"):
        _create(ctx, forge_ops.KEYCHAIN_NAMESPACE, "marketiger3d", "https://x.example")


def test_keychain_keys_are_generated_listed_loaded_and_removed(ctx):
    made = forge_ops.generate_keychain_key(ctx.vault, "issuer-a", "EdDSA")
    forge_ops.generate_keychain_key(ctx.vault, "issuer-b", "ES256")
    assert forge_ops.keychain_key_names(ctx.vault) == ("issuer-a", "issuer-b")
    key = forge_ops.load_keychain_key(ctx.vault, "issuer-a")
    assert key.thumbprint == made.public_jwk["kid"] and key.label == "Ed25519 key in keychain key 'issuer-a'"
    with pytest.raises(InputError, match="already holds a key named 'issuer-a'"):
        forge_ops.generate_keychain_key(ctx.vault, "issuer-a", "ES256")
    forge_ops.remove_keychain_key(ctx.vault, "issuer-a")
    assert forge_ops.keychain_key_names(ctx.vault) == ("issuer-b",)
    with pytest.raises(KeyFormatError, match="no signing key named 'issuer-a'"):
        forge_ops.load_keychain_key(ctx.vault, "issuer-a")


def test_sign_jwt_with_a_profiles_key_slot_uses_the_clock(ctx):
    pair = keys.generate_key_pair("ES256")
    _create(
        ctx, "tm", "true-markets", "https://tm.example/v1/auth", vars={"key_id": "k"}, secrets=["private_key"]
    )
    ctx.vault.store("tm", "private_key", pair.private_pem().decode())
    signed = forge_ops.sign_jwt(ctx, forge.TokenSpec(sub="me", exp="1m"), forge_ops.KeyChoice(profile="tm"))
    claims = jwt.decode(signed.forged.token, pair.private_key.public_key(), algorithms=["ES256"],
                        options={"verify_exp": False})  # fmt: skip
    assert claims == {"sub": "me", "iat": 1_700_000_000, "exp": 1_700_000_060}
    assert signed.key_label == "EC P-256 key of profile 'tm'" and signed.public_jwk["kid"] == pair.kid


def test_a_profile_without_a_key_slot_or_key_says_so(ctx):
    _create(ctx, "mt", "marketiger3d", "https://mt.example")
    with pytest.raises(ProfileError, match="takes no private_key"):
        forge_ops.sign_jwt(ctx, forge.TokenSpec(), forge_ops.KeyChoice(profile="mt"))
    _create(ctx, "tm", "true-markets", "https://tm.example/v1/auth", vars={"key_id": "k"})
    with pytest.raises(KeyFormatError, match="has no key in its private_key slot"):
        forge_ops.sign_jwt(ctx, forge.TokenSpec(), forge_ops.KeyChoice(profile="tm"))


def test_one_key_at_a_time(ctx):
    with pytest.raises(InputError, match="give one signing key"):
        forge_ops.resolve_signing_key(ctx, forge_ops.KeyChoice(profile="a", secret=b"x" * 32))


def test_a_new_key_not_kept_signs_once(ctx):
    signed = forge_ops.sign_jwt(ctx, forge.TokenSpec(), forge_ops.KeyChoice(new_alg="RS256"))
    assert signed.generated is not None and signed.generated.name is None
    public = keys.load_public_key(__import__("json").dumps(signed.generated.public_jwk))
    jwt.decode(signed.forged.token, public, algorithms=["RS256"])
    assert forge_ops.keychain_key_names(ctx.vault) == ()
