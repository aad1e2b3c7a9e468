"""The true-markets emulator (seed 000): ES256 challenge, ISO `expires_in`, rotating refresh, origin JWKS."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from workbench.sandbox import Sandbox


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(pem: str, message: str) -> bytes:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    r, s = decode_dss_signature(key.sign(message.encode(), ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def challenge(sandbox: Sandbox, *, timestamp: int | None = None, key_id: str | None = None) -> dict:
    demo = sandbox.demo_profiles()["true-markets"]
    key_id = key_id or demo["vars"]["key_id"]
    ts = int(sandbox.now()) if timestamp is None else timestamp
    return {
        "key_id": key_id,
        "timestamp": ts,
        "signature": b64url(sign(demo["secrets"]["private_key"], f"{key_id}.{ts}")),
    }


def mint(client: httpx.Client, sandbox: Sandbox, body: dict) -> httpx.Response:
    return client.post(sandbox.base_url("true-markets") + "/api-key/token", json=body)


def test_a_signed_challenge_mints_a_pair_whose_expires_in_is_an_iso_date_time(sandbox, client):
    r = mint(client, sandbox, challenge(sandbox))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer"
    expires = datetime.strptime(body["expires_in"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert expires.timestamp() == claims["exp"]
    assert claims["exp"] - claims["iat"] == 900


def test_the_access_token_verifies_against_the_jwks_served_at_the_origin(sandbox, client):
    token = mint(client, sandbox, challenge(sandbox)).json()["access_token"]
    jwks = client.get(sandbox.url + "/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == kid]
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and jwk["alg"] == "ES256"
    key = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, key, algorithms=["ES256"], audience="true-markets")
    assert claims["token_use"] == "access"


def test_a_timestamp_outside_thirty_seconds_is_refused_with_a_message_about_the_timestamp(sandbox, client):
    for skew in (-31, 31):
        r = mint(client, sandbox, challenge(sandbox, timestamp=int(sandbox.now()) + skew))
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_timestamp"
        assert "timestamp" in r.json()["message"]


def test_the_window_is_judged_by_the_sandbox_clock_not_the_local_one(sandbox, client):
    sandbox.set_clock_offset(120)
    local = mint(client, sandbox, challenge(sandbox, timestamp=int(time.time())))
    assert local.status_code == 401
    assert mint(client, sandbox, challenge(sandbox, timestamp=int(time.time()) + 120)).status_code == 200


def test_a_signature_by_another_key_is_refused(sandbox, client):
    body = challenge(sandbox)
    other = ec.generate_private_key(ec.SECP256R1())
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    body["signature"] = b64url(sign(pem, f"{body['key_id']}.{body['timestamp']}"))
    r = mint(client, sandbox, body)
    assert r.status_code == 401 and r.json()["code"] == "invalid_signature"


def test_a_signature_over_another_message_is_refused(sandbox, client):
    body = challenge(sandbox)
    demo = sandbox.demo_profiles()["true-markets"]
    body["signature"] = b64url(sign(demo["secrets"]["private_key"], f"{body['key_id']}:{body['timestamp']}"))
    assert mint(client, sandbox, body).json()["code"] == "invalid_signature"


def test_der_and_padded_signatures_are_refused_with_a_hint(sandbox, client):
    body = challenge(sandbox)
    raw = base64.urlsafe_b64decode(body["signature"] + "==")
    padded = dict(body, signature=base64.urlsafe_b64encode(raw).decode())
    assert "=" in padded["signature"] or len(raw) % 3 == 0
    r = mint(client, sandbox, padded)
    if "=" in padded["signature"]:
        assert r.status_code == 401 and "padding" in r.json()["message"]
    demo = sandbox.demo_profiles()["true-markets"]
    key = serialization.load_pem_private_key(demo["secrets"]["private_key"].encode(), password=None)
    der = key.sign(f"{body['key_id']}.{body['timestamp']}".encode(), ec.ECDSA(hashes.SHA256()))
    r = mint(client, sandbox, dict(body, signature=b64url(der)))
    assert r.status_code == 401 and "r||s" in r.json()["message"]


def test_wrong_field_names_types_and_content_type_are_refused(sandbox, client):
    body = challenge(sandbox)
    renamed = {"keyId": body["key_id"], "timestamp": body["timestamp"], "signature": body["signature"]}
    r = mint(client, sandbox, renamed)
    assert r.status_code == 400 and "key_id" in r.json()["message"]
    r = mint(client, sandbox, dict(body, timestamp=str(body["timestamp"])))
    assert r.status_code == 400 and "integer" in r.json()["message"]
    r = mint(client, sandbox, dict(body, extra=1))
    assert r.status_code == 400 and "unknown field 'extra'" in r.json()["message"]
    r = client.post(sandbox.base_url("true-markets") + "/api-key/token", data=body)
    assert r.status_code == 415


def test_an_unknown_key_id_is_refused(sandbox, client):
    r = mint(client, sandbox, challenge(sandbox, key_id=str(uuid.uuid4())))
    assert r.status_code == 401 and r.json()["code"] == "invalid_api_key"


def test_a_registered_public_key_can_mint(sandbox, client):
    key = ec.generate_private_key(ec.SECP256R1())
    key_id = sandbox.register_key(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    ts = int(sandbox.now())
    r = mint(
        client, sandbox, {"key_id": key_id, "timestamp": ts, "signature": b64url(sign(pem, f"{key_id}.{ts}"))}
    )
    assert r.status_code == 200


def test_refresh_rotates_the_pair_and_refuses_the_old_refresh_token(sandbox, client):
    first = mint(client, sandbox, challenge(sandbox)).json()
    url = sandbox.base_url("true-markets") + "/token/refresh"
    r = client.post(url, json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    again = client.post(url, json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401 and again.json()["code"] == "invalid_refresh_token"
    assert client.post(url, json={"refresh_token": second["refresh_token"]}).status_code == 200


def test_the_protected_api_accepts_the_access_token_but_not_the_refresh_token(sandbox, client):
    pair = mint(client, sandbox, challenge(sandbox)).json()
    api = sandbox.base_url("true-markets") + "/api/echo"
    ok = client.post(api, json={"hello": 1}, headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert ok.status_code == 200
    assert (
        ok.json()["ok"] is True
        and ok.json()["preset"] == "true-markets"
        and ok.json()["json"] == {"hello": 1}
    )
    bad = client.get(api, headers={"Authorization": f"Bearer {pair['refresh_token']}"})
    assert bad.status_code == 401 and "refresh token" in bad.json()["message"]


def test_an_expired_access_token_is_refused_by_the_api(sandbox, client):
    token = sandbox.issue_token("true-markets", lifetime=60)
    api = sandbox.base_url("true-markets") + "/me"
    assert client.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    sandbox.set_clock_offset(61)
    r = client.get(api, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["code"] == "token_expired"


def test_a_tampered_token_is_refused(sandbox, client):
    token = sandbox.issue_token("true-markets")
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{sig}"
    r = client.get(sandbox.base_url("true-markets") + "/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
