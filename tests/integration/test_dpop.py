"""DPoP (RFC 9449) end to end against the sandbox's OAuth emulator, over real loopback HTTP.

Every proof the engine sends is also checked here by an independent verifier: PyJWT decoding it
with the public JWK from its own header, then each claim (typ, htm, htu, iat, jti, nonce, ath).
"""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import jwt
import pytest

from tests.integration.conftest import add_from_spec, one_line_error, run_cli
from workbench.core.clock import Clock
from workbench.core.errors import DpopError, ProviderError, ProviderResponseError
from workbench.core.jose.dpop import DPOP_KEY_SECRET, DpopKey
from workbench.core.jose.keys import generate_key_pair


class Recording(httpx.BaseTransport):
    """The real transport, keeping each request it sends (headers only) and each answer's status."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return self.inner.handle_request(request)


def b64url_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


def verify_proof(request: httpx.Request, *, now: float, access_token: str | None = None) -> dict:
    proof = request.headers["dpop"]
    header = jwt.get_unverified_header(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert set(header["jwk"]) == {"kty", "crv", "x", "y"}  # public members only
    claims = jwt.decode(proof, jwt.PyJWK(header["jwk"]).key, algorithms=["ES256"])
    assert claims["htm"] == request.method
    assert claims["htu"] == str(request.url.copy_with(query=None, fragment=None))
    assert abs(claims["iat"] - now) < 5 and len(claims["jti"]) >= 16
    if access_token is None:
        assert "ath" not in claims
    else:
        assert claims["ath"] == b64url_sha256(access_token)
    return claims


@pytest.fixture
def dpop_profile(sandbox, profile_store, memory_vault):
    return add_from_spec(profile_store, memory_vault, sandbox.demo_extra_profiles()["oauth2-dpop"], "dp")


def test_a_dpop_profile_gets_a_bound_token_and_calls_the_api_with_proofs(
    sandbox, make_engine, dpop_profile, memory_vault
):

    transport = Recording()
    engine = make_engine(clock=Clock(), transport=transport)
    token = engine.get_token("dp")
    key = DpopKey.from_pem(memory_vault.load("dp", DPOP_KEY_SECRET))
    assert token.token_type == "DPoP"
    assert token.jwt.claims["cnf"] == {"jkt": key.jkt}
    # The first token request had no nonce; the server asked for one; the retry carried it.
    first, retry = transport.sent
    assert "nonce" not in verify_proof(first, now=engine.clock.now())
    nonce = verify_proof(retry, now=engine.clock.now())["nonce"]
    assert nonce == sandbox.providers["oauth2"].dpop.nonce
    assert first.headers["dpop"] != retry.headers["dpop"]

    transport.sent.clear()
    result = engine.call("dp", "GET", "/me?x=1")
    assert result.status == 200, result.body
    (call,) = transport.sent  # the nonce of this origin was remembered: no second round trip
    assert call.headers["authorization"] == f"DPoP {token.access_token}"
    claims = verify_proof(call, now=engine.clock.now(), access_token=token.access_token)
    assert claims["nonce"] == nonce and claims["htu"].endswith("/oauth2/me")


def test_the_api_rotating_its_nonce_costs_one_retry(sandbox, make_engine, dpop_profile):

    transport = Recording()
    engine = make_engine(clock=Clock(), transport=transport)
    engine.get_token("dp")
    new = sandbox.providers["oauth2"].dpop.rotate_nonce()
    transport.sent.clear()
    assert engine.call("dp", "GET", "/me").status == 200
    _stale, fresh = transport.sent
    assert (
        verify_proof(fresh, now=engine.clock.now(), access_token=engine.cached("dp").access_token)["nonce"]
        == new
    )


def test_a_server_that_keeps_refusing_its_own_nonce_is_one_line_and_nothing_is_stored(
    sandbox, make_engine, dpop_profile, monkeypatch
):

    checker = sandbox.providers["oauth2"].dpop
    original = checker.check

    def rotating(*args, **kwargs):
        checker.rotate_nonce()  # every proof carries yesterday's nonce
        return original(*args, **kwargs)

    monkeypatch.setattr(checker, "check", rotating)
    engine = make_engine(clock=Clock())
    with pytest.raises(ProviderError, match=r"use_dpop_nonce twice.*nothing was stored"):
        engine.get_token("dp")
    assert engine.cached("dp") is None


def test_a_server_that_drops_the_binding_is_one_line_and_nothing_is_stored(
    sandbox, make_engine, dpop_profile, monkeypatch
):

    provider = sandbox.providers["oauth2"]
    real_access = provider._access
    # A server that drops the binding: the token comes back without cnf, as a Bearer token.
    monkeypatch.setattr(provider, "_access", lambda *a, jkt=None, **k: real_access(*a, **k))
    engine = make_engine(clock=Clock())
    with pytest.raises(
        ProviderResponseError, match=r"no cnf.jkt \(the server dropped the binding\); nothing was stored"
    ):
        engine.get_token("dp")
    assert engine.cached("dp") is None


def test_a_dpop_profile_whose_key_is_missing_fails_before_any_request(
    sandbox, make_engine, dpop_profile, memory_vault
):
    transport = Recording()
    memory_vault.delete("dp", DPOP_KEY_SECRET)
    engine = make_engine(transport=transport)
    with pytest.raises(DpopError, match="its DPoP key is not in the keychain"):
        engine.get_token("dp")
    assert transport.sent == []


def test_the_cli_makes_a_dpop_key_mints_a_bound_token_and_prints_proofs(
    secret_service, sandbox, workbench_home
):
    spec = sandbox.demo_extra_profiles()["oauth2-dpop"]
    add = run_cli(
        "profile",
        "add",
        "dp",
        "--preset",
        spec["preset"],
        "--base-url",
        spec["base_url"],
        "--set",
        f"client_id={spec['vars']['client_id']}",
        "--secret",
        f"client_secret={spec['secrets']['client_secret']}",
    )
    assert add.returncode == 0, add.stderr
    made = run_cli("keygen", "--dpop", "--profile", "dp")
    assert made.returncode == 0, made.stderr
    jkt = made.stdout.split("jkt ", 1)[1].strip()
    token = run_cli("token", "dp", "--json")
    assert token.returncode == 0, token.stderr
    body = json.loads(token.stdout)
    assert body["token_type"] == "DPoP"
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["cnf"] == {"jkt": jkt}
    call = run_cli("call", "dp", "/me")
    assert call.returncode == 0, call.stderr
    url = spec["base_url"] + "/me?q=1#f"
    proof = run_cli("dpop-proof", "dp", "get", url)
    assert proof.returncode == 0, proof.stderr
    value = proof.stdout.strip()
    header = jwt.get_unverified_header(value)
    claims = jwt.decode(value, jwt.PyJWK(header["jwk"]).key, algorithms=[header["alg"]])
    assert claims["htm"] == "GET" and claims["htu"] == spec["base_url"] + "/me"
    assert claims["ath"] == b64url_sha256(body["access_token"])
    header_line = run_cli("token", "dp", "--format", "header")
    assert header_line.stdout.strip() == f"Authorization: DPoP {body['access_token']}"
    snippet = run_cli("snippet", "dp", "GET", "/me?q=1")
    assert snippet.returncode == 0, snippet.stderr
    assert '"Authorization: DPoP $(workbench token dp)"' in snippet.stdout
    assert f"\"DPoP: $(workbench dpop-proof dp GET '{spec['base_url']}/me?q=1')\"" in snippet.stdout
    assert body["access_token"] not in snippet.stdout
    python = run_cli("snippet", "dp", "GET", "/me", "--lang", "python").stdout
    assert "'DPoP': proof," in python and "'dpop-proof', 'dp', 'GET'" in python
    # curl's way: the printed proof carries the nonce `call` learnt (kept for other processes).
    proof = run_cli("dpop-proof", "dp", "GET", spec["base_url"] + "/me")
    assert jwt.decode(proof.stdout.strip(), options={"verify_signature": False})["nonce"] == (
        sandbox.providers["oauth2"].dpop.nonce
    )
    answer = httpx.get(
        spec["base_url"] + "/me",
        headers={"Authorization": f"DPoP {body['access_token']}", "DPoP": proof.stdout.strip()},
    )
    assert answer.status_code == 200, answer.text


def test_dpop_cli_errors_are_one_line(secret_service, sandbox, workbench_home):
    add = run_cli(
        "profile",
        "add",
        "tm",
        "--preset",
        "bearer",
        "--base-url",
        sandbox.url,
        "--secret",
        "access_token=abc",
    )
    assert add.returncode == 0, add.stderr
    assert "cannot use DPoP" in one_line_error(run_cli("keygen", "--dpop", "--profile", "tm"))
    assert "give --profile NAME" in one_line_error(run_cli("keygen", "--dpop"))
    assert "has no DPoP key" in one_line_error(run_cli("dpop-proof", "tm", "GET", "https://x.test/"))


def test_the_demo_key_is_a_fresh_key(sandbox):
    one = sandbox.demo_extra_profiles()["oauth2-dpop"]["secrets"]["dpop_key"]
    assert DpopKey.from_pem(one).jkt != DpopKey.from_pem(generate_key_pair("ES256").private_pem()).jkt
