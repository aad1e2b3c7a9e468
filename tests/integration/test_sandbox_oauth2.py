"""The OAuth 2.0 emulator (RFC 6749): client_credentials (Basic or post) and rotating refresh_token grants."""

from __future__ import annotations

from workbench.sandbox import Sandbox


def token_url(sandbox: Sandbox) -> str:
    return sandbox.base_url("oauth2-client-credentials") + "/oauth/token"


def client_creds(sandbox: Sandbox) -> tuple[str, str]:
    demo = sandbox.demo_profiles()["oauth2-client-credentials"]
    return demo["vars"]["client_id"], demo["secrets"]["client_secret"]


def test_both_oauth_presets_share_one_base_url(sandbox):
    assert sandbox.base_url("oauth2-client-credentials") == sandbox.base_url("oauth2-refresh-token")
    assert sandbox.base_url("oauth2-refresh-token") == sandbox.url + "/oauth2"


def test_client_credentials_with_http_basic(sandbox, client):
    r = client.post(token_url(sandbox), data={"grant_type": "client_credentials"}, auth=client_creds(sandbox))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and "refresh_token" not in body
    assert r.headers["cache-control"] == "no-store"
    me = client.get(
        sandbox.base_url("oauth2-client-credentials") + "/me",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.json()["preset"] == "oauth2-client-credentials"


def test_client_credentials_with_client_secret_post_and_a_scope(sandbox, client):
    cid, secret = client_creds(sandbox)
    r = client.post(
        token_url(sandbox),
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret, "scope": "read"},
    )
    assert r.status_code == 200 and r.json()["scope"] == "read"


def test_bad_client_credentials_are_invalid_client_with_a_basic_challenge(sandbox, client):
    cid, _ = client_creds(sandbox)
    r = client.post(token_url(sandbox), data={"grant_type": "client_credentials"}, auth=(cid, "wrong"))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert r.headers["www-authenticate"].startswith("Basic")
    assert set(r.json()) == {"error", "error_description"}


def test_rfc6749_request_errors(sandbox, client):
    auth = client_creds(sandbox)
    cases = [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "admin"}, "invalid_scope"),
    ]
    for data, error in cases:
        r = client.post(token_url(sandbox), data=data, auth=auth)
        assert r.status_code == 400 and r.json()["error"] == error, data
    r = client.post(token_url(sandbox), json={"grant_type": "client_credentials"}, auth=auth)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = client.post(
        token_url(sandbox),
        content=b"grant_type=client_credentials&grant_type=refresh_token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=auth,
    )
    assert r.json()["error"] == "invalid_request" and "more than once" in r.json()["error_description"]


def test_refresh_token_grant_rotates_and_refuses_the_old_token_with_invalid_grant(sandbox, client):
    demo = sandbox.demo_profiles()["oauth2-refresh-token"]
    form = {
        "grant_type": "refresh_token",
        "refresh_token": demo["secrets"]["refresh_token"],
        "client_id": demo["vars"]["client_id"],
        "client_secret": demo["secrets"]["client_secret"],
    }
    r = client.post(token_url(sandbox), data=form)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["refresh_token"] != form["refresh_token"] and body["token_type"] == "Bearer"
    again = client.post(token_url(sandbox), data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    me = client.get(
        sandbox.base_url("oauth2-refresh-token") + "/api/echo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.json()["preset"] == "oauth2-refresh-token"


def test_a_confidential_clients_refresh_needs_client_authentication(sandbox, client):
    _access, refresh_token = sandbox.issue_pair("oauth2-refresh-token")
    r = client.post(token_url(sandbox), data={"grant_type": "refresh_token", "refresh_token": refresh_token})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_the_api_challenges_with_rfc6750_headers(sandbox, client):
    api = sandbox.base_url("oauth2-client-credentials") + "/api/echo"
    r = client.get(api)
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Bearer realm="sandbox"'
    r = client.get(api, headers={"Authorization": "Bearer garbage"})
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
