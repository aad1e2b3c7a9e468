"""The marketiger3d emulator (seed 001): both tokens in, `{success, data}` envelope, rotating 12 h refresh."""

from __future__ import annotations

import httpx
import jwt

from workbench.sandbox import Sandbox


def refresh(client: httpx.Client, sandbox: Sandbox, access: str, refresh_token: str) -> httpx.Response:
    return client.post(
        sandbox.base_url("marketiger3d") + "/v2/Auth/RefreshToken",
        json={"accessToken": access, "refreshToken": refresh_token},
    )


def test_refresh_answers_in_the_success_envelope_with_a_new_pair_and_no_expiry_field(sandbox, client):
    access, refresh_token = sandbox.issue_pair("marketiger3d")
    r = refresh(client, sandbox, access, refresh_token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and set(body["data"]) == {"accessToken", "refreshToken"}
    assert body["data"]["refreshToken"] != refresh_token
    claims = jwt.decode(body["data"]["accessToken"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(body["data"]["accessToken"])["alg"] == "HS256"


def test_the_old_refresh_token_is_refused_after_rotation_with_the_documented_error(sandbox, client):
    access, refresh_token = sandbox.issue_pair("marketiger3d")
    new = refresh(client, sandbox, access, refresh_token).json()["data"]
    r = refresh(client, sandbox, new["accessToken"], refresh_token)
    assert r.status_code == 401
    assert r.json() == {
        "success": False,
        "error": {"type": "AUTHENTICATION", "message": "Invalid or expired refresh token"},
    }
    assert refresh(client, sandbox, new["accessToken"], new["refreshToken"]).status_code == 200


def test_an_expired_access_token_may_be_refreshed(sandbox, client):
    access, refresh_token = sandbox.issue_pair("marketiger3d", lifetime=10)
    sandbox.set_clock_offset(3600)
    assert refresh(client, sandbox, access, refresh_token).status_code == 200


def test_the_refresh_token_expires_after_twelve_hours(sandbox, client):
    access, refresh_token = sandbox.issue_pair("marketiger3d")
    sandbox.set_clock_offset(12 * 3600 + 1)
    r = refresh(client, sandbox, access, refresh_token)
    assert r.status_code == 401 and r.json()["error"]["message"] == "Invalid or expired refresh token"


def test_the_refresh_token_lifetime_is_configurable(client):
    with Sandbox(refresh_lifetimes={"marketiger3d": 60}) as sandbox:
        access, refresh_token = sandbox.issue_pair("marketiger3d")
        sandbox.set_clock_offset(61)
        assert refresh(client, sandbox, access, refresh_token).status_code == 401


def test_an_access_token_from_another_session_is_refused(sandbox, client):
    _access, refresh_token = sandbox.issue_pair("marketiger3d")
    other_access, _ = sandbox.issue_pair("marketiger3d")
    r = refresh(client, sandbox, other_access, refresh_token)
    assert r.status_code == 401 and r.json()["error"]["type"] == "AUTHENTICATION"
    assert "does not belong" in r.json()["error"]["message"]


def test_an_access_token_we_did_not_issue_is_refused(sandbox, client):
    _access, refresh_token = sandbox.issue_pair("marketiger3d")
    forged = jwt.encode(
        {"sub": "x", "exp": 9999999999}, "not-the-sandbox-secret-at-all-32b", algorithm="HS256"
    )
    r = refresh(client, sandbox, forged, refresh_token)
    assert r.status_code == 401
    # Nothing rotated: the genuine pair still works.


def test_missing_or_misnamed_fields_are_validation_errors(sandbox, client):
    access, refresh_token = sandbox.issue_pair("marketiger3d")
    url = sandbox.base_url("marketiger3d") + "/v2/Auth/RefreshToken"
    r = client.post(url, json={"refreshToken": refresh_token})
    assert r.status_code == 400 and r.json()["error"] == {
        "type": "VALIDATION",
        "message": "accessToken is required",
    }
    r = client.post(url, json={"access_token": access, "refresh_token": refresh_token})
    assert r.status_code == 400 and r.json()["success"] is False
    r = client.post(
        url,
        content=b"accessToken=a&refreshToken=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    assert refresh(client, sandbox, access, refresh_token).status_code == 200


def test_each_issue_pair_is_a_new_session(sandbox):
    first = sandbox.demo_profiles()["marketiger3d"]["secrets"]
    second = sandbox.demo_profiles()["marketiger3d"]["secrets"]
    assert first["refresh_token"] != second["refresh_token"]


def test_the_protected_api_answers_401_in_the_envelope_when_the_token_expired(sandbox, client):
    access, _ = sandbox.issue_pair("marketiger3d", lifetime=30)
    api = sandbox.base_url("marketiger3d") + "/api/echo"
    ok = client.get(api, headers={"Authorization": f"Bearer {access}"})
    assert ok.status_code == 200 and ok.json()["preset"] == "marketiger3d"
    sandbox.set_clock_offset(31)
    r = client.get(api, headers={"Authorization": f"Bearer {access}"})
    assert r.status_code == 401 and r.json()["error"]["type"] == "AUTHENTICATION"
