"""The sandbox's FAPI issuer (`{sandbox}/fapi`) requires pushed authorization requests (RFC 9126) and
signed request objects (RFC 9101); the demo's `oauth2-par` profile logs in through it with nothing
set but its client id and key, over real loopback HTTP, the sandbox playing the user in the browser
(as `tests/oauth/test_sandbox_login.py` does). The request_uri is single-use and short-lived, and a
request object is verified with the key the client registered."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest

from workbench.core.context import AppContext
from workbench.core.oauth.login import login
from workbench.core.operations import create_profile
from workbench.core.operations.introspection import introspect_token
from workbench.core.storage.vault import MemoryKeyring, Vault
from workbench.sandbox import Sandbox
from workbench.sandbox.emulators.fapi import PAR_LIFETIME


@pytest.fixture
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def ctx(workbench_home):
    context = AppContext(vault=Vault(MemoryKeyring()))
    yield context
    context.close()


@pytest.fixture
def par_profile(ctx, sandbox):
    spec = sandbox.demo_extra_profiles()["oauth2-par"]
    create_profile(
        ctx,
        "par",
        preset=spec["preset"],
        base_url=spec["base_url"],
        vars=spec["vars"],
        secrets=spec["secrets"],
    )
    return spec


class Recording(httpx.BaseTransport):
    """The real transport, keeping what was sent (to read the pushed form)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return self.inner.handle_request(request)


def test_the_demo_par_profile_logs_in_through_a_pushed_signed_request(ctx, sandbox, par_profile):
    fapi = sandbox.providers["idp-fapi"]
    opened: list[str] = []
    recording = Recording()

    def browser(url: str) -> bool:
        opened.append(url)
        return fapi.play_user(url)

    outcome = login(ctx, "par", opener=browser, timeout=20, transport=recording)
    assert outcome.id_token_claims is not None and outcome.scope == "openid read"
    # The browser saw only client_id and the request_uri the PAR endpoint answered.
    query = dict(parse_qsl(urlsplit(opened[0]).query))
    assert set(query) == {"client_id", "request_uri"} and query["request_uri"].startswith("urn:ietf:params")
    (pushed,) = [r for r in recording.sent if r.url.path == "/fapi/par"]
    form = dict(parse_qsl(pushed.content.decode()))
    assert "code_challenge" not in form  # inside the request object, signed
    claims = jwt.decode(
        form["request"],
        jwt.PyJWK(fapi.fapi.client_keys["workbench-fapi"]).key,
        algorithms=["ES256"],
        audience=par_profile["base_url"],
    )
    assert claims["iss"] == "workbench-fapi" and claims["code_challenge_method"] == "S256"
    # The request_uri was used once: a second authorization request with it is refused.
    again = httpx.get(opened[0])
    assert "unknown, already used or expired" in again.text
    # And the token it gave is active at the issuer's introspection endpoint.
    token = ctx.vault.load("par", "access_token")
    assert introspect_token(ctx, "par", token).active is True


def test_a_front_channel_request_without_par_is_refused(sandbox):
    fapi = sandbox.providers["idp-fapi"]
    page = httpx.get(
        f"{fapi.base_url}/authorize",
        params={
            "client_id": "workbench-fapi",
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:1/cb",
        },
    )
    assert "requires pushed authorization requests" in page.text


def _push(fapi, request_object: str) -> httpx.Response:
    return httpx.post(f"{fapi.base_url}/par", data={"client_id": "workbench-fapi", "request": request_object})


def _request_object(fapi, key, **claims) -> str:
    now = int(fapi.now())
    body = {
        "iss": "workbench-fapi",
        "aud": fapi.issuer,
        "exp": now + 60,
        "client_id": "workbench-fapi",
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1:1/cb",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
        **claims,
    }
    return jwt.encode(body, key, algorithm="ES256")


def test_a_request_uri_is_short_lived_and_bound_to_its_client(sandbox, par_profile):
    from workbench.core.jose.keys import load_private_key

    fapi = sandbox.providers["idp-fapi"]
    key = load_private_key(par_profile["secrets"]["private_key"])
    answer = _push(fapi, _request_object(fapi, key))
    assert answer.status_code == 201 and answer.json()["expires_in"] == PAR_LIFETIME
    uri = answer.json()["request_uri"]
    other = httpx.get(
        f"{fapi.base_url}/authorize", params={"client_id": "workbench-public", "request_uri": uri}
    )
    assert "unknown, already used or expired" in other.text  # another client cannot use it (and it is spent)
    late = _push(fapi, _request_object(fapi, key)).json()["request_uri"]
    sandbox.set_clock_offset(PAR_LIFETIME + 1)
    expired = httpx.get(
        f"{fapi.base_url}/authorize", params={"client_id": "workbench-fapi", "request_uri": late}
    )
    assert "unknown, already used or expired" in expired.text


def test_a_request_object_signed_with_another_key_or_for_another_audience_is_refused(sandbox, par_profile):
    from workbench.core.jose.keys import generate_key_pair, load_private_key

    fapi = sandbox.providers["idp-fapi"]
    stranger = load_private_key(generate_key_pair("ES256").private_pem())
    refused = _push(fapi, _request_object(fapi, stranger))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request_object"
    key = load_private_key(par_profile["secrets"]["private_key"])
    elsewhere = _push(fapi, _request_object(fapi, key, aud="https://other.example"))
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_request_object"
    unsigned = httpx.post(
        f"{fapi.base_url}/par", data={"client_id": "workbench-fapi", "response_type": "code"}
    )
    assert unsigned.status_code == 400 and "signed request objects are required" in unsigned.text


def test_the_fapi_issuer_advertises_what_it_requires(sandbox):
    fapi = sandbox.providers["idp-fapi"]
    document = httpx.get(f"{fapi.base_url}/.well-known/openid-configuration").json()
    assert document["require_pushed_authorization_requests"] is True
    assert document["require_signed_request_object"] is True
    assert document["introspection_endpoint"] == f"{fapi.base_url}/introspect"
    plain = httpx.get(
        sandbox.base_url("oauth2-authorization-code") + "/.well-known/openid-configuration"
    ).json()
    assert (
        "require_pushed_authorization_requests" not in plain
        and plain["pushed_authorization_request_endpoint"]
    )
