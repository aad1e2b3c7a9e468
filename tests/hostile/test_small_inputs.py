"""Smaller hostile-input findings: a failed clean-up after a good store, a DPoP token used silently.

* The keychain took the new value (the switching write succeeded) but removing the old
  generation's parts failed: `store` raised, and the engine said the new refresh token "could
  not be saved" although it was. A failed clean-up now leaves leftovers, not an error.
* A provider answering `token_type: DPoP` had its token sent as a Bearer token without a word;
  until DPoP proofs exist the user is told so in one line.
"""

from __future__ import annotations

import pytest
from keyring import errors as kerr

from tests.hostile.input_harness import Answer, ScriptedProvider, keyring_env, wb
from workbench.core.storage.vault import MemoryKeyring, Vault


class RefusesDeletes(MemoryKeyring):
    """A keychain that stores and reads, but refuses to delete once `refuse` is set."""

    refuse = False

    def delete_password(self, service: str, username: str) -> None:
        if self.refuse:
            raise kerr.KeyringError("the keychain is locked for deletes")
        super().delete_password(service, username)


@pytest.mark.parametrize(
    "old, new",
    [("A" * 3000, "B" * 3000), ("A" * 3000, "short-new-value")],
    ids=["parts to parts", "parts to one entry"],
)
def test_a_failed_clean_up_after_the_switching_write_is_not_a_failed_store(old, new):
    backend = RefusesDeletes()
    vault = Vault(backend)
    vault.store("p", "refresh_token", old)
    backend.refuse = True

    vault.store("p", "refresh_token", new)  # the new value is in: no error

    assert Vault(backend).load("p", "refresh_token") == new


@pytest.fixture
def env(workbench_home, tmp_path) -> dict[str, str]:
    return {"WORKBENCH_HOME": str(workbench_home), **keyring_env(tmp_path / "keyring.json")}


def test_a_dpop_token_type_is_named_in_one_warning_line(env):
    with ScriptedProvider() as provider:
        provider.routes["/oauth/token"] = Answer(
            200, {"access_token": "AT-dpop-bound", "token_type": "DPoP", "expires_in": 3600}
        )
        added = wb(
            "profile", "add", "p", "--preset", "oauth2-client-credentials", "--base-url", provider.url,
            "--set", "client_id=app", "--secret", "client_secret=s3cret", env=env,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr

        minted = wb("token", "p", env=env)
        cached = wb("token", "p", env=env)
        called = wb("call", "p", "GET", "/things", env=env)

    for run in (minted, cached):
        assert run.returncode == 0, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("workbench: warning: "), run.stderr
        assert "DPoP-bound" in lines[0] and "keygen --dpop --profile p" in lines[0]
    # A DPoP token is never sent as a Bearer token: `call` says why in one line, sends nothing.
    assert called.returncode != 0
    assert "not sent as a Bearer token" in called.stderr and "Traceback" not in called.stderr
    assert not [s for s in provider.seen if s.path == "/things"]
