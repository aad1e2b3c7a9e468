"""The token-of-trust emulator (seed 002): mint from three credentials, GET verifies, no refresh."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workbench.sandbox import Sandbox


def credentials(sandbox: Sandbox) -> dict:
    demo = sandbox.demo_profiles()["token-of-trust"]
    return {
        "appDomain": demo["vars"]["app_domain"],
        "totApiKey": demo["secrets"]["api_key"],
        "totSecretKey": demo["secrets"]["secret_key"],
    }


def token_url(sandbox: Sandbox) -> str:
    return sandbox.base_url("token-of-trust") + "/api/internal/auth/token"


def test_mint_answers_token_type_expires_in_and_expires_at_with_millis(sandbox, client):
    r = client.post(token_url(sandbox), json=credentials(sandbox))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token", "tokenType", "expiresIn", "expiresAt"}
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == 900
    expires = datetime.strptime(body["expiresAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert body["expiresAt"].endswith(".000Z")
    assert abs(expires.timestamp() - (sandbox.now() + 900)) < 2


def test_get_on_the_same_path_verifies_the_token(sandbox, client):
    token = client.post(token_url(sandbox), json=credentials(sandbox)).json()["token"]
    r = client.get(token_url(sandbox), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True and body["appDomain"] == "demo.workbench.test"
    assert body["issuedAt"].endswith("Z") and body["expiresAt"].endswith("Z")


def test_an_expired_token_gets_token_has_expired(sandbox, client):
    token = sandbox.issue_token("token-of-trust")
    sandbox.set_clock_offset(901)
    for url in (token_url(sandbox), sandbox.base_url("token-of-trust") + "/api/echo"):
        r = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.json()["message"] == "Token has expired"


def test_a_malformed_or_missing_token_is_401_but_not_expired(sandbox, client):
    for headers in ({"Authorization": "Bearer not.a.jwt"}, {}, {"Authorization": "Basic abc"}):
        r = client.get(token_url(sandbox), headers=headers)
        assert r.status_code == 401
        assert "expired" not in r.json()["message"]


def test_wrong_credentials_are_401_and_a_key_without_permissions_is_403(sandbox, client):
    creds = credentials(sandbox)
    assert client.post(token_url(sandbox), json=dict(creds, totSecretKey="sk_wrong")).status_code == 401
    assert client.post(token_url(sandbox), json=dict(creds, appDomain="other.example")).status_code == 401
    tot = sandbox.provider("token-of-trust")
    limited = dict(creds, totApiKey=tot.limited_api_key, totSecretKey=tot.limited_secret_key)
    r = client.post(token_url(sandbox), json=limited)
    assert r.status_code == 403 and "permissions" in r.json()["message"]


def test_misnamed_fields_are_refused(sandbox, client):
    creds = credentials(sandbox)
    snake = {
        "app_domain": creds["appDomain"],
        "tot_api_key": creds["totApiKey"],
        "tot_secret_key": creds["totSecretKey"],
    }
    r = client.post(token_url(sandbox), json=snake)
    assert r.status_code == 400 and "appDomain is required" in r.json()["message"]


def test_there_is_no_refresh_endpoint(sandbox, client):
    r = client.post(sandbox.base_url("token-of-trust") + "/api/internal/auth/token/refresh", json={})
    assert r.status_code == 404
    with pytest.raises(ValueError, match="no refresh tokens"):
        sandbox.issue_pair("token-of-trust")


def test_the_lifetime_is_configurable_and_expires_in_follows(client):
    with Sandbox(lifetimes={"token-of-trust": 5}) as sandbox:
        r = client.post(token_url(sandbox), json=credentials(sandbox))
        assert r.json()["expiresIn"] == 5
