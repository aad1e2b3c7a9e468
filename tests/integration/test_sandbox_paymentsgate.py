"""The paymentsgate emulator (seed 004): refresh needs the refresh token AND the access token as Bearer."""

from __future__ import annotations


def refresh(client, sandbox, access, refresh_token, *, bearer=True):
    headers = {"Authorization": f"Bearer {access}"} if bearer else {}
    return client.post(
        sandbox.base_url("paymentsgate") + "/auth/token/refresh",
        json={"refresh_token": refresh_token},
        headers=headers,
    )


def test_refresh_with_bearer_and_body_rotates_the_pair_with_expires_in_seconds(sandbox, client):
    access, refresh_token = sandbox.issue_pair("paymentsgate")
    r = refresh(client, sandbox, access, refresh_token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in"}
    assert body["expires_in"] == 3600 and body["refresh_token"] != refresh_token
    again = refresh(client, sandbox, body["access_token"], refresh_token)
    assert again.status_code == 401 and again.json()["code"] == "INVALID_REFRESH_TOKEN"


def test_refresh_without_the_bearer_header_is_401(sandbox, client):
    access, refresh_token = sandbox.issue_pair("paymentsgate")
    r = refresh(client, sandbox, access, refresh_token, bearer=False)
    assert r.status_code == 401 and "Authorization" in r.json()["message"]
    assert refresh(client, sandbox, access, refresh_token).status_code == 200  # nothing was consumed


def test_an_expired_access_token_is_fine_for_refresh_but_a_foreign_one_is_not(sandbox, client):
    access, refresh_token = sandbox.issue_pair("paymentsgate", lifetime=5)
    other_access, _ = sandbox.issue_pair("paymentsgate")
    sandbox.set_clock_offset(10)
    assert refresh(client, sandbox, other_access, refresh_token).status_code == 401
    assert refresh(client, sandbox, access, refresh_token).status_code == 200


def test_misnamed_body_field_is_refused(sandbox, client):
    access, refresh_token = sandbox.issue_pair("paymentsgate")
    r = client.post(
        sandbox.base_url("paymentsgate") + "/auth/token/refresh",
        json={"refreshToken": refresh_token},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert r.status_code == 400 and "refresh_token is required" in r.json()["message"]


def test_the_api_echoes_the_caller(sandbox, client):
    access, _ = sandbox.issue_pair("paymentsgate")
    r = client.post(
        sandbox.base_url("paymentsgate") + "/api/echo?x=1",
        json=[1, 2],
        headers={"Authorization": f"Bearer {access}"},
    )
    body = r.json()
    assert body["ok"] and body["method"] == "POST" and body["path"] == "/paymentsgate/api/echo"
    assert body["json"] == [1, 2] and body["query"] == {"x": "1"} and body["sub"].startswith("sa_")
