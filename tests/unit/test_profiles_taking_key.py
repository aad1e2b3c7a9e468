"""Keys ▸ Attach offers a key only to the profiles that take a key of its type (issue 21 item 12)."""

from __future__ import annotations

import pytest

from workbench.core.clock import FakeClock
from workbench.core.context import AppContext
from workbench.core.operations import profiles_taking_key
from workbench.core.storage.vault import MemoryKeyring, Vault


@pytest.fixture
def ctx(workbench_home):
    context = AppContext(clock=FakeClock(start=1_700_000_000.0), vault=Vault(MemoryKeyring()))
    yield context
    context.close()


@pytest.fixture
def profiles(ctx):
    made = {
        "tm": ("true-markets", {"key_id": "k"}),  # signs with ES256 only
        "hmac": ("api-key-sliding", {}),  # an HS256 shared secret: no key slot
        "cc": ("oauth2-client-credentials", {"client_id": "c"}),
    }
    for name, (preset, variables) in made.items():
        ctx.profiles.create(
            name, preset=preset, base_url="https://api.example", vars=variables, secret_names=[]
        )
    return [ctx.profiles.get(name) for name in made]


@pytest.mark.parametrize(
    ("alg", "expected"),
    [
        ("ES256", ["tm", "cc"]),  # private_key_jwt takes any key the issuer accepts
        ("ES384", ["cc"]),
        ("RS256", ["cc"]),  # an RSA key is offered neither to HS256 nor to an ES256-only profile
        ("EdDSA", ["cc"]),
    ],
)
def test_a_key_is_offered_only_to_profiles_that_take_its_type(profiles, alg, expected):
    assert profiles_taking_key(profiles, alg) == expected
