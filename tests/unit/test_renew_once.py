"""`RenewOnce`, the one `httpx.Auth` of authenticated calls and provider verification: the token
in the preset's header, a refused token renewed once (shared by its callers) and the request
sent again, the refused answer read within its byte budget, the renewal outside the call's deadline."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from workbench.core.engine.calls import _any_401, _CallDpop, _placed
from workbench.core.engine.renew import Renewal, renew_once
from workbench.core.engine.state import TokenState
from workbench.core.engine.types import TokenResult
from workbench.core.engine.wire import CallPlan
from workbench.core.errors import ProviderError, ResponseTooLargeError
from workbench.core.jose.dpop import DpopKey, NonceBook, access_token_hash
from workbench.core.jose.keys import generate_key_pair
from workbench.core.net import client as http
from workbench.core.net.client import any_origin, make_client, send_bounded

URL = "https://api.example.com/me"


def token(value: str, token_type: str = "Bearer") -> TokenResult:  # noqa: S107 - a token type
    return TokenResult.stored("p", value, TokenState(token_type=token_type))


class FakeTokens:
    """What `RenewOnce` asks of the engine's tokens: a new one for a refused one."""

    def __init__(self, *fresh: str, during=None, token_type: str = "Bearer") -> None:  # noqa: S107
        self.fresh = list(fresh)
        self.token_type = token_type
        self.rejected: list[str] = []
        self.during = during

    def renew_after_rejection(self, profile: str, rejected: str) -> TokenResult:
        self.rejected.append(rejected)
        if self.during is not None:
            self.during()
        return token(self.fresh.pop(0), self.token_type)


def plan(header: str = "Authorization", scheme: str = "Bearer", placement: str = "header") -> CallPlan:
    return CallPlan(
        header=header,
        scheme=scheme,
        placement=placement,
        response_token_header="Authorization",
        sliding=False,
        timeout_seconds=10.0,
        verify_tls=True,
    )


def send(handler, auth, *, timeout: float = 10.0, max_bytes: int = 1024) -> httpx.Response:
    with make_client(transport=httpx.MockTransport(handler)) as client:
        return send_bounded(
            client,
            "GET",
            URL,
            origin_check=any_origin,
            timeout=timeout,
            max_bytes=max_bytes,
            what="p call",
            auth=auth,
        )


def auth_for(
    tokens,
    first: str = "old",
    *,
    header: str = "Authorization",
    scheme: str = "Bearer",
    placement="header",
    **kw,
):
    how = Renewal(
        _placed(plan(header, scheme, placement), kw.pop("dpop", None)),
        kw.pop("refused", _any_401),
        kw.pop("max_bytes", 1024),
        "p call",
        again=kw.pop("again", None),
    )
    return renew_once(tokens, "p", token(first, kw.pop("token_type", "Bearer")), how)  # type: ignore[arg-type]


def test_the_token_goes_in_the_presets_header_and_scheme():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Token", ""))
        return httpx.Response(200)

    auth = auth_for(FakeTokens(), "tok-1", header="X-Token", scheme="JWT")
    assert send(handler, auth).status_code == 200
    assert seen == ["JWT tok-1"] and not auth.renewed
    assert isinstance(auth, httpx.Auth)


def test_a_401_renews_the_refused_token_once_and_sends_again_with_the_new_one():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(401 if len(seen) == 1 else 200, content=b"ok")

    tokens = FakeTokens("new")
    auth = auth_for(tokens)
    response = send(handler, auth)
    assert (response.status_code, response.content) == (200, b"ok")
    assert seen == ["Bearer old", "Bearer new"]
    assert tokens.rejected == ["old"]
    assert auth.renewed and auth.token.access_token == "new"


def test_a_second_401_is_returned_as_is():
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(401, content=b"Token has expired")

    tokens = FakeTokens("new", "newer")
    response = send(handler, auth_for(tokens))
    assert response.status_code == 401 and response.content == b"Token has expired"
    assert calls == 2 and tokens.rejected == ["old"]


def test_an_answer_the_caller_does_not_call_refused_is_not_retried():
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(401, content=b"no such scope")

    def expired(status, body):
        return status == 401 and b"expired" in body()

    tokens = FakeTokens("new")
    response = send(handler, auth_for(tokens, refused=expired))
    assert response.status_code == 401 and response.content == b"no such scope"
    assert calls == 1 and tokens.rejected == []


def test_a_refused_answer_is_read_within_the_byte_budget_before_sending_again():
    def handler(request: httpx.Request) -> httpx.Response:
        # No Content-Length: only reading it, chunk by chunk, finds it too large.
        return httpx.Response(401, content=iter([b"x" * 1024] * 64))

    with pytest.raises(ResponseTooLargeError):
        send(handler, auth_for(FakeTokens("new")), max_bytes=4096)


def test_the_renewal_does_not_run_under_the_calls_deadline():
    deadlines: list[float | None] = []

    def renewing() -> None:
        deadlines.append(getattr(http._deadline, "at", None))
        time.sleep(0.3)

    def handler(request: httpx.Request) -> httpx.Response:
        deadlines.append(getattr(http._deadline, "at", None))
        return httpx.Response(401 if len(deadlines) == 1 else 200)

    response = send(handler, auth_for(FakeTokens("new", during=renewing)), timeout=5.0)
    assert response.status_code == 200
    before, during, after = deadlines
    assert before is not None and during is None
    # The 0.3 s the renewal took is given back: the resend has what was left before it.
    assert after is not None and after - before >= 0.25


def test_a_query_or_cookie_token_is_replaced_not_added_to_when_the_request_is_sent_again():
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url.params.get_list("key")), request.headers.get("Cookie", "")))
        return httpx.Response(401 if len(seen) % 2 else 200)

    send(handler, auth_for(FakeTokens("new"), header="key", scheme="", placement="query"))
    assert seen == [("['old']", ""), ("['new']", "")]
    seen.clear()
    send(handler, auth_for(FakeTokens("new"), header="session", scheme="", placement="cookie"))
    assert seen == [("[]", "session=old"), ("[]", "session=new")]


# ------------------------------------------------------------------ DPoP (RFC 9449 §7, §9)


class FakeWire:
    """What a call's DPoP side asks of the wire: the nonces it learnt and the one clock."""

    def __init__(self) -> None:
        self.nonces = NonceBook()
        self.clock = type("C", (), {"now": staticmethod(time.time)})()


def dpop_auth(tokens, first="old"):
    key = DpopKey.from_pem(generate_key_pair("ES256").private_pem())
    dpop = _CallDpop(key, FakeWire(), "p call")  # type: ignore[arg-type]
    return key, auth_for(tokens, first, dpop=dpop, again=dpop.again, token_type="DPoP")


def proof_claims(headers: httpx.Headers, key: DpopKey) -> dict:
    proof = headers["DPoP"]
    public = jwt.PyJWK(jwt.get_unverified_header(proof)["jwk"]).key
    assert jwt.get_unverified_header(proof)["jwk"] == dict(key.jwk)
    return jwt.decode(proof, public, algorithms=[key.alg])


def nonce_please(nonce: str) -> httpx.Response:
    return httpx.Response(
        401, headers={"WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": nonce}
    )


def test_a_dpop_token_goes_as_dpop_with_a_proof_that_hashes_it():
    seen: list[httpx.Headers] = []  # each attempt's headers (httpx re-sends one request object)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.copy())
        return httpx.Response(200)

    key, auth = dpop_auth(FakeTokens())
    assert send(handler, auth).status_code == 200
    (headers,) = seen
    assert headers["Authorization"] == "DPoP old"
    claims = proof_claims(headers, key)
    assert claims["htm"] == "GET" and claims["htu"] == URL
    assert claims["ath"] == access_token_hash("old") and "nonce" not in claims


def test_use_dpop_nonce_sends_the_same_token_again_with_the_nonce_and_renews_nothing():
    seen: list[httpx.Headers] = []  # each attempt's headers (httpx re-sends one request object)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.copy())
        return nonce_please("n-1") if len(seen) == 1 else httpx.Response(200, headers={"DPoP-Nonce": "n-2"})

    tokens = FakeTokens("new")
    key, auth = dpop_auth(tokens)
    assert send(handler, auth).status_code == 200
    assert [h["Authorization"] for h in seen] == ["DPoP old", "DPoP old"]
    first, second = (proof_claims(r, key) for r in seen)
    assert "nonce" not in first and second["nonce"] == "n-1" and first["jti"] != second["jti"]
    assert tokens.rejected == [] and not auth.renewed


def test_a_server_that_refuses_its_own_nonce_again_is_one_line():
    def handler(request: httpx.Request) -> httpx.Response:
        return nonce_please("n-1")

    _key, auth = dpop_auth(FakeTokens("new"))
    with pytest.raises(ProviderError, match="DPoP-Nonce"):
        send(handler, auth)


def test_a_renewed_dpop_token_is_proven_with_a_new_ath():
    seen: list[httpx.Headers] = []  # each attempt's headers (httpx re-sends one request object)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.copy())
        return httpx.Response(401 if len(seen) == 1 else 200)

    key, auth = dpop_auth(FakeTokens("new", token_type="DPoP"))
    assert send(handler, auth).status_code == 200
    assert [proof_claims(r, key)["ath"] for r in seen] == [access_token_hash("old"), access_token_hash("new")]
    assert auth.renewed
