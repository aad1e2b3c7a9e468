"""The api-key-sliding emulator (seed 003): HS256 signed with the client secret, a new token per response."""

from __future__ import annotations

import httpx
import jwt

from workbench.sandbox import Sandbox


def authenticate(client: httpx.Client, sandbox: Sandbox, **override: str) -> httpx.Response:
    secrets = sandbox.demo_profiles()["api-key-sliding"]["secrets"]
    body = {"apiKey": secrets["api_key"], "clientSecret": secrets["client_secret"], **override}
    return client.post(sandbox.base_url("api-key-sliding") + "/authenticate", json=body)


def test_authenticate_nests_a_one_hour_jwt_signed_with_the_client_secret(sandbox, client):
    r = authenticate(client, sandbox)
    assert r.status_code == 200, r.text
    token = r.json()["data"]["token"]
    secret = sandbox.demo_profiles()["api-key-sliding"]["secrets"]["client_secret"]
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600


def test_every_successful_api_response_carries_a_new_token_in_its_authorization_header(sandbox, client):
    token = authenticate(client, sandbox).json()["data"]["token"]
    api = sandbox.base_url("api-key-sliding") + "/api/echo"
    seen = {token}
    for _ in range(3):
        r = client.get(api, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        scheme, new = r.headers["Authorization"].split(" ", 1)
        assert scheme == "Bearer" and new not in seen
        seen.add(new)
        token = new  # the slid token works for the next call


def test_an_expired_token_is_refused_without_a_new_header(sandbox, client):
    token = sandbox.issue_token("api-key-sliding", lifetime=10)
    sandbox.set_clock_offset(11)
    r = client.get(sandbox.base_url("api-key-sliding") + "/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "authorization" not in r.headers
    assert r.json()["statusCode"] == 401 and r.json()["message"]


def test_wrong_secret_and_misnamed_fields_are_refused(sandbox, client):
    r = authenticate(client, sandbox, clientSecret="nope")
    assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
    secrets = sandbox.demo_profiles()["api-key-sliding"]["secrets"]
    r = client.post(
        sandbox.base_url("api-key-sliding") + "/authenticate",
        json={"api_key": secrets["api_key"], "client_secret": secrets["client_secret"]},
    )
    assert r.status_code == 400 and "apiKey is required" in r.json()["message"]


def test_a_token_signed_with_another_secret_is_refused(sandbox, client):
    forged = jwt.encode({"sub": "acct_demo", "exp": int(sandbox.now()) + 60}, "x" * 32, algorithm="HS256")
    r = client.get(sandbox.base_url("api-key-sliding") + "/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
