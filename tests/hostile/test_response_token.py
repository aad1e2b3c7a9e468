"""Issue 17 item 3: a token in a response's `Authorization` header replaces the stored one only
for a preset that declares it (api-key-sliding, seed 003), only from the profile's own origin,
and only when it verifies with the preset's key. Before, any JWT there replaced the stored token
on any preset, even from a foreign origin reached with --allow-origin; the next call to the own
origin carried `sub=ATTACKER`."""

from __future__ import annotations

from tests.hostile.conftest import fake_jwt
from tests.hostile.server import Reply

SECRET = "sliding-client-secret-0123456789"


def _attacker_header(secret: str | None = None) -> Reply:
    token = fake_jwt({"sub": "ATTACKER"}, secret=secret)
    return Reply.json({"ok": True}, headers=[("Authorization", f"Bearer {token}")])


def _stored(cli, name: str) -> str:
    run = cli("token", name)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def _sliding(provider, add_profile) -> str:
    mine = fake_jwt({"sub": "me"}, secret=SECRET)
    provider.route("/authenticate", Reply.json({"token": mine}))
    add_profile(
        "slide", "api-key-sliding", provider.url, secrets={"api_key": "k" * 20, "client_secret": SECRET}
    )
    return mine


def test_a_preset_that_declares_no_sliding_header_keeps_its_token(cli, provider, add_profile):
    mine = fake_jwt({"sub": "me"})
    add_profile("pasted", "bearer", provider.url, secrets={"access_token": mine})
    provider.route("/data", _attacker_header())
    assert cli("call", "pasted", "/data").returncode == 0
    assert _stored(cli, "pasted") == mine


def test_a_foreign_origin_cannot_slide_the_token_even_with_a_valid_signature(
    cli, provider, elsewhere, add_profile
):
    mine = _sliding(provider, add_profile)
    assert _stored(cli, "slide") == mine
    elsewhere.route("/data", _attacker_header(secret=SECRET))
    run = cli("call", "slide", elsewhere.url + "/data", "--allow-origin")
    assert run.returncode == 0, run.stderr
    assert _stored(cli, "slide") == mine


def test_the_own_origin_cannot_slide_in_a_token_the_preset_key_does_not_verify(cli, provider, add_profile):
    mine = _sliding(provider, add_profile)
    assert _stored(cli, "slide") == mine
    provider.route("/data", _attacker_header(secret="not-the-client-secret-at-all"))
    assert cli("call", "slide", "/data").returncode == 0
    assert _stored(cli, "slide") == mine


def test_the_own_origin_slides_a_token_signed_with_the_preset_key(cli, provider, add_profile):
    _sliding(provider, add_profile)
    slid = fake_jwt({"sub": "me", "n": 2}, secret=SECRET)
    provider.route("/data", Reply.json({"ok": True}, headers=[("Authorization", f"Bearer {slid}")]))
    assert cli("call", "slide", "/data").returncode == 0
    assert _stored(cli, "slide") == slid
