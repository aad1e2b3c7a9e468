"""Issue 18 against a certified OpenID provider: each item of the issue, as a user meets it.

Granted scope and refresh (RFC 6749 §6), `offline_access` with `prompt=consent` (OIDC Core §11),
a login that cannot store, the page the browser shows, a dead refresh token, id_tokens on refresh
(OIDC Core §12.2), `workbench logout`, authorization parameters, multi-tenant issuers and the
private_key_jwt algorithm. The real CLI in subprocesses, tokens in a real Secret Service.
"""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import run_cli
from tests.oidc.conftest import add_profile, login

pytestmark = pytest.mark.usefixtures("keychain")


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("workbench: error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def jwt_part(token: str, index: int) -> dict[str, object]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def stored(name: str, entry: str) -> str | None:
    from workbench.core.storage.vault import Vault

    return Vault().load(name, entry)


# --------------------------------------------------------------------------- 1. granted scope


def test_refresh_after_the_user_granted_less_scope_asks_for_none(oidc_server, browser):
    """RFC 6749 §6: the refresh may not ask for more than was granted; leaving `scope` out means
    the original grant. The user unticked `read` at the consent page."""
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid read")
    browser.grant = "openid"
    assert login("app", browser).returncode == 0

    shown = run_cli("profile", "show", "app")
    assert "granted scope" in shown.stdout and '"openid"' in shown.stdout, shown.stdout
    refresh = run_cli("token", "app", "--refresh")
    assert refresh.returncode == 0, refresh.stderr
    (call,) = oidc_server.calls(cid, "/token", grant_type="refresh_token")
    assert call["status"] == 200 and "scope" not in call["form"]


def test_a_profile_can_narrow_the_refresh_scope(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile(
        "app", oidc_server.issuer, client, "--set", "scope=openid email", "--set", "refresh_scope=openid"
    )
    assert login("app", browser).returncode == 0
    assert run_cli("token", "app", "--refresh").returncode == 0
    (call,) = oidc_server.calls(cid, "/token", grant_type="refresh_token")
    assert call["status"] == 200 and call["form"]["scope"] == "openid"


# --------------------------------------------------------------------------- 2. offline_access


def test_offline_access_is_asked_with_prompt_consent_and_yields_a_refresh_token(oidc_server, browser):
    client = oidc_server.register()  # refresh tokens only when offline_access is granted
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid offline_access")
    run = login("app", browser)
    assert run.returncode == 0, run.stderr
    assert query_of(browser.opened()[0])["prompt"] == "consent"
    assert "no refresh token" not in run.stderr
    assert len(oidc_server.live_refresh_tokens(cid)) == 1
    assert run_cli("token", "app", "--refresh").returncode == 0


def test_a_login_without_a_refresh_token_says_so_and_what_it_means(oidc_server, browser):
    client = oidc_server.register()
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    run = login("app", browser)
    assert run.returncode == 0, run.stderr
    note = [line for line in run.stderr.splitlines() if "no refresh token" in line]
    assert len(note) == 1, run.stderr
    assert "log in again in 5 min" in note[0] and "offline_access" in note[0]


def test_a_profile_prompt_wins_over_consent(oidc_server, browser):
    client = oidc_server.register()
    add_profile(
        "app", oidc_server.issuer, client, "--set", "scope=openid offline_access", "--set", "prompt=login"
    )
    run = login("app", browser)
    assert run.returncode == 0, run.stderr
    assert query_of(browser.opened()[0])["prompt"] == "login"
    # The server drops offline_access without prompt=consent (OIDC Core §11); the user hears it.
    assert "no refresh token" in run.stderr


# --------------------------------------------------------------------------- 3. nothing stored


def test_a_login_that_cannot_store_fails_and_revokes_what_it_got(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    env = {**browser.env(), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    run = run_cli("login", "app", "--timeout", "40", env=env, timeout=90)
    assert run.returncode != 0
    line = error_line(run.stderr)
    assert "keychain" in line and "revoked" in line, line
    assert "logged in" not in run.stderr
    assert oidc_server.live_refresh_tokens(cid) == []
    revocations = oidc_server.calls(cid, "/token/revocation")
    assert [(c["status"], c["form"]["token_type_hint"]) for c in revocations] == [
        (200, "refresh_token"),
        (200, "access_token"),  # RFC 7009 §2.1 lets a server keep access tokens alive: both go
    ]


# --------------------------------------------------------------------------- 4. the browser's page


def test_the_page_says_refused_when_the_issuer_does_not_match(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    browser.mode = "forge-iss"
    run = login("app", browser)
    assert run.returncode != 0
    (page,) = browser.callbacks()
    assert page["status"] == 400 and "Signed in" not in page["text"]
    assert "another issuer" in page["text"]


def test_the_refused_page_is_always_delivered_before_the_cli_exits(oidc_server, browser):
    client = oidc_server.register()
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    browser.mode = "deny"
    for _ in range(4):
        run = login("app", browser)
        assert run.returncode != 0
    pages = browser.callbacks()
    assert len(pages) == 4
    assert all(p["status"] == 200 and "Login refused" in p["text"] and not p["error"] for p in pages), pages


def test_a_server_that_requires_par_is_refused_with_a_page_that_says_so(oidc_server, browser):
    client = oidc_server.register(require_pushed_authorization_requests=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    run = login("app", browser)
    assert run.returncode != 0 and "refused" in error_line(run.stderr)
    (page,) = browser.callbacks()
    assert page["status"] == 200 and "Login refused" in page["text"] and not page["error"]


# --------------------------------------------------------------------------- 5. dead refresh token


def test_a_refresh_token_the_server_revoked_is_never_sent_again(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("app", browser).returncode == 0
    oidc_server.revoke_everything(cid)

    for _ in range(2):
        refused = run_cli("token", "app", "--refresh")
        assert refused.returncode != 0 and "workbench login app" in error_line(refused.stderr)
    cached = run_cli("token", "app")  # the access token of the revoked grant is not handed out either
    assert cached.returncode != 0 and "workbench login app" in error_line(cached.stderr)
    assert [c["status"] for c in oidc_server.calls(cid, "/token", grant_type="refresh_token")] == [400]
    assert stored("app", "id_token") is None
    assert "refused by the server" in run_cli("profile", "show", "app").stdout


def test_a_new_login_revokes_the_previous_refresh_token(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("app", browser).returncode == 0
    (first,) = oidc_server.live_refresh_tokens(cid)
    assert login("app", browser).returncode == 0
    live = oidc_server.live_refresh_tokens(cid)
    assert [t["jti"] for t in live] != [first["jti"]] and len(live) == 1
    assert run_cli("token", "app", "--refresh").returncode == 0


# --------------------------------------------------------------------------- 6. id_token on refresh


def test_an_id_token_returned_on_refresh_is_validated_and_stored(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("app", browser).returncode == 0
    first = stored("app", "id_token")
    assert first

    refreshed = run_cli("token", "app", "--refresh", "--json")
    assert refreshed.returncode == 0, refreshed.stderr
    access = json.loads(refreshed.stdout)["access_token"]
    second = stored("app", "id_token")
    assert second and second != first
    digest = hashlib.sha256(access.encode()).digest()
    at_hash = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert jwt_part(second, 1).get("at_hash") in (None, at_hash)
    assert jwt_part(second, 1)["sub"] == jwt_part(first, 1)["sub"]


# --------------------------------------------------------------------------- 7. logout


def test_logout_revokes_and_forgets(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    cid = client["client_id"]
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("app", browser).returncode == 0
    out = run_cli("logout", "app")
    assert out.returncode == 0, out.stderr
    assert "revoked" in out.stderr and out.stdout == ""
    assert oidc_server.live_refresh_tokens(cid) == []
    after = run_cli("token", "app")
    assert after.returncode != 0 and "workbench login app" in error_line(after.stderr)
    assert stored("app", "id_token") is None
    again = run_cli("logout", "app")  # nothing left: says so, still succeeds
    assert again.returncode == 0 and "nothing to revoke" in again.stderr


def test_logout_end_session_opens_the_providers_logout(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    assert login("app", browser).returncode == 0
    id_token = stored("app", "id_token")
    browser.clear()
    out = run_cli("logout", "app", "--end-session", env=browser.env())
    assert out.returncode == 0, out.stderr
    (opened,) = browser.opened()
    assert opened.startswith(oidc_server.url("/session/end?"))
    assert (
        query_of(opened)["id_token_hint"] == id_token and query_of(opened)["client_id"] == client["client_id"]
    )
    assert "You are signed out" in browser.pages()[-1]["text"]


def test_logout_of_a_profile_that_is_not_oauth_is_one_line(oidc_server, browser):
    run = run_cli("logout", "nobody")
    assert run.returncode != 0 and "nobody" in error_line(run.stderr)


# --------------------------------------------------------------------------- 8. parameters


def test_login_param_sends_extra_authorization_parameters(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    run = login(
        "app",
        browser,
        "--param",
        "login_hint=bob",
        "--param",
        "access_type=offline",
        "--param",
        "prompt=login",
    )
    assert run.returncode == 0, run.stderr
    sent = query_of(browser.opened()[0])
    assert (sent["login_hint"], sent["access_type"], sent["prompt"]) == ("bob", "offline", "login")
    assert "logged in to 'app' as bob" in run.stderr


def test_profile_settings_for_authorization_parameters(oidc_server, browser):
    client = oidc_server.register(refresh_without_offline_access=True)
    add_profile(
        "app",
        oidc_server.issuer,
        client,
        "--set", "scope=openid",
        "--set", "prompt=login",
        "--set", "login_hint=carol",
        "--set", "max_age=600",
        "--set", "acr_values=urn:example:silver",
        "--set", "authorization_params=domain_hint=contoso.com&access_type=offline",
    )  # fmt: skip
    run = login("app", browser, "--param", "login_hint=dave")
    assert run.returncode == 0, run.stderr
    sent = query_of(browser.opened()[0])
    assert (
        sent["prompt"] == "login" and sent["max_age"] == "600" and sent["acr_values"] == "urn:example:silver"
    )
    assert sent["domain_hint"] == "contoso.com" and sent["access_type"] == "offline"
    assert sent["login_hint"] == "dave"  # --param wins over the profile
    assert "as dave" in run.stderr


@pytest.mark.parametrize(
    ("param", "says"),
    [
        ("state=mine", "--param state: the login sets it itself"),
        ("redirect_uri=http://evil.test/", "--param redirect_uri: the login sets it itself"),
        ("noequals", "--param expects K=V"),
    ],
)
def test_a_param_that_cannot_be_sent_is_refused_before_the_browser_opens(oidc_server, browser, param, says):
    client = oidc_server.register()
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid")
    run = login("app", browser, "--param", param)
    assert run.returncode != 0 and says in error_line(run.stderr)
    assert browser.pages() == []


def test_profile_show_names_the_redirect_uri_to_register(oidc_server):
    client = oidc_server.register()
    add_profile("any", oidc_server.issuer, client)
    add_profile("fixed", oidc_server.issuer, client, "--set", "redirect_port=8765")
    assert "redirect URI:  http://127.0.0.1/callback" in run_cli("profile", "show", "any").stdout
    assert "redirect URI:  http://127.0.0.1:8765/callback" in run_cli("profile", "show", "fixed").stdout


# --------------------------------------------------------------------------- 9. multi-tenant


def test_a_multi_tenant_issuer_template_is_checked_with_the_tokens_tid(oidc_server, browser):
    client = oidc_server.register(mount="/tenant-a/v2.0", refresh_without_offline_access=True)
    add_profile("ms", oidc_server.url("/common/v2.0"), client, "--set", "scope=openid")
    run = login("ms", browser)
    assert run.returncode == 0, run.stderr
    assert "logged in to 'ms' as alice" in run.stderr
    assert run_cli("token", "ms", "--refresh").returncode == 0


def test_a_tenant_whose_tid_does_not_match_its_issuer_is_refused_and_revoked(oidc_server, browser):
    client = oidc_server.register(mount="/tenant-b/v2.0", refresh_without_offline_access=True)
    add_profile("ms", oidc_server.url("/spoofed/v2.0"), client, "--set", "scope=openid")
    run = login("ms", browser)
    assert run.returncode != 0
    assert "tid" in error_line(run.stderr)
    (page,) = browser.callbacks()
    assert "Signed in" not in page["text"] and "tid" in page["text"]
    assert oidc_server.live_refresh_tokens(client["client_id"]) == []  # what came with it is revoked
    assert run_cli("token", "ms").returncode != 0


# --------------------------------------------------------------------------- 10. private_key_jwt alg


def _key(tmp_path, alg: str) -> tuple[dict[str, object], str]:
    out = tmp_path / alg
    assert run_cli("keygen", "--alg", alg, "--out", str(out)).returncode == 0
    return json.loads((out / "public.jwk.json").read_text()), str(out / "private.pem")


def test_private_key_jwt_signs_with_an_algorithm_the_server_accepts(oidc_server, browser, tmp_path):
    jwk, pem = _key(tmp_path, "RS256")  # an RSA key; this tenant takes PS256 or ES256, not RS256
    jwk.pop("alg", None)
    client = oidc_server.register(
        mount="/tenant-a/v2.0",
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [jwk]},
        refresh_without_offline_access=True,
    )
    add_profile(
        "app",
        oidc_server.url("/tenant-a/v2.0"),
        client,
        "--set",
        "scope=openid",
        "--secret",
        f"private_key=@{pem}",
    )
    run = login("app", browser)
    assert run.returncode == 0, run.stderr
    (exchange,) = oidc_server.calls(client["client_id"], "/token")
    assert jwt_part(exchange["form"]["client_assertion"], 0)["alg"] == "PS256"


def test_private_key_jwt_with_a_key_the_server_cannot_accept_is_refused_locally(
    oidc_server, browser, tmp_path
):
    jwk, pem = _key(tmp_path, "ES384")
    client = oidc_server.register(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [jwk]})
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid", "--secret", f"private_key=@{pem}")
    run = login("app", browser)
    assert run.returncode != 0
    line = error_line(run.stderr)
    assert "ES384" in line and "RS256, PS256, ES256" in line, line
    assert browser.pages() == [] and not oidc_server.calls(client["client_id"], "/token")


def test_param_on_a_device_login_is_refused_in_one_line(oidc_server, browser):
    device = "urn:ietf:params:oauth:grant-type:device_code"
    client = oidc_server.register(grant_types=[device], response_types=[])
    add_profile("tv", oidc_server.issuer, client, "--set", "scope=openid", preset="oauth2-device-code")
    run = login("tv", browser, "--param", "prompt=login")
    assert run.returncode != 0 and "device code" in error_line(run.stderr)
    assert not oidc_server.calls(client["client_id"], "/device/auth")
