"""The OAuth building blocks on their own: PKCE, client authentication, discovery, id_token checks,
the loopback listener. Network pieces run against real loopback servers (the sandbox)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from urllib.parse import parse_qs, unquote_plus, urlsplit

import httpx
import pytest

from workbench.core.errors import InputError, ProviderResponseError
from workbench.core.jose import jws, keys
from workbench.core.oauth.discovery import (
    DiscoveryCache,
    OAuthTransport,
    discover,
    discovery_urls,
    endpoints_from_document,
)
from workbench.core.oauth.loopback import LoginTimedOut, LoopbackReceiver
from workbench.core.oauth.protocol import (
    ClientCredentials,
    Endpoints,
    LoginCancelled,
    authorization_url,
    basic_authorization,
    client_assertion,
    new_pkce,
    pkce_challenge,
    resolve_client_auth,
    validate_id_token,
)
from workbench.sandbox import Sandbox


def test_pkce_s256_matches_the_rfc_7636_appendix_b_vector():
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    pkce = new_pkce()
    assert 43 <= len(pkce.verifier) <= 128 and pkce.challenge == pkce_challenge(pkce.verifier)
    assert pkce.verifier not in repr(pkce)


def test_basic_credentials_are_form_urlencoded_first():
    header = basic_authorization("my client", "p+q%r:s&t")
    user, _, password = base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
    assert ":" not in password and "+" not in password and "&" not in password
    assert (unquote_plus(user), unquote_plus(password)) == ("my client", "p+q%r:s&t")


def test_client_auth_defaults_follow_what_is_stored():
    assert resolve_client_auth("", has_secret=False, has_key=False) == "none"
    assert resolve_client_auth("", has_secret=True, has_key=False) == "client_secret_basic"
    assert resolve_client_auth("", has_secret=True, has_key=True) == "private_key_jwt"
    assert resolve_client_auth("client_secret_jwt", has_secret=True, has_key=False) == "client_secret_jwt"
    # RFC 8705 (issue 22): the certificate authenticates the client.
    assert resolve_client_auth("tls_client_auth", has_secret=True, has_key=False) == "tls_client_auth"
    with pytest.raises(InputError, match="client_auth 'magic_auth' is not one of"):
        resolve_client_auth("magic_auth", has_secret=True, has_key=False)


def test_client_secret_post_and_none_put_the_client_in_the_body():
    headers, form = ClientCredentials("c1", "client_secret_post", client_secret="s").apply("https://as/token")
    assert headers == [] and form == [("client_id", "c1"), ("client_secret", "s")]
    headers, form = ClientCredentials("c1", "none").apply("https://as/token")
    assert headers == [] and form == [("client_id", "c1")]
    with pytest.raises(InputError, match="client_secret"):
        ClientCredentials("c1", "client_secret_basic").apply("https://as/token")


def test_private_key_jwt_assertion_has_the_rfc_7523_claims_and_a_thumbprint_kid():
    pair = keys.generate_key_pair("ES256")
    pem = pair.private_pem().decode()
    now = 1_800_000_000
    one = client_assertion(client_id="c1", audience="https://as/token", private_key_pem=pem, now=now)
    two = client_assertion(client_id="c1", audience="https://as/token", private_key_pem=pem, now=now)
    header = json.loads(keys.b64url_decode(one.split(".")[0]))
    claims = json.loads(keys.b64url_decode(one.split(".")[1]))
    assert header["alg"] == "ES256" and header["kid"] == pair.public_jwk()["kid"]
    assert claims["iss"] == claims["sub"] == "c1" and claims["aud"] == "https://as/token"
    assert 0 < claims["exp"] - now <= 300
    assert claims["jti"] != json.loads(keys.b64url_decode(two.split(".")[1]))["jti"]
    signing_input, signature = one.rsplit(".", 1)
    assert jws.jose_verify("ES256", pair.public_pem(), signing_input, signature)


def test_authorization_url_carries_pkce_state_nonce_and_each_resource():
    pkce = new_pkce()
    url = authorization_url(
        "https://as/authorize?tenant=1",
        client_id="c",
        redirect_uri="http://127.0.0.1:5/callback",
        state="st",
        pkce=pkce,
        scope="openid",
        nonce="n",
        resource="https://api.one https://api.two",
    )
    query = parse_qs(urlsplit(url).query)
    assert query["tenant"] == ["1"] and query["code_challenge_method"] == ["S256"]
    assert (
        query["code_challenge"] == [pkce.challenge] and query["state"] == ["st"] and query["nonce"] == ["n"]
    )
    assert query["resource"] == ["https://api.one", "https://api.two"]
    assert pkce.verifier not in url


def test_discovery_locations_put_rfc8414_before_the_issuer_path():
    assert discovery_urls("https://as.example/tenant") == [
        "https://as.example/tenant/.well-known/openid-configuration",
        "https://as.example/.well-known/oauth-authorization-server/tenant",
        "https://as.example/tenant/.well-known/oauth-authorization-server",
    ]


def test_a_discovery_document_for_another_issuer_is_refused():
    with pytest.raises(ProviderResponseError, match="another issuer"):
        endpoints_from_document({"issuer": "https://evil.example"}, issuer="https://as.example", source="x")
    with pytest.raises(ProviderResponseError, match="plain http"):
        endpoints_from_document(
            {"issuer": "https://as.example", "token_endpoint": "http://as.example/token"},
            issuer="https://as.example",
            source="x",
        )


def test_discovery_against_the_sandbox_and_vars_override_it(tmp_path):
    with Sandbox() as sandbox, OAuthTransport() as http:
        issuer = sandbox.base_url("oauth2-authorization-code")
        found = discover(issuer, http)
    assert found.token_endpoint == issuer + "/token" and found.revocation_endpoint == issuer + "/revoke"
    overridden = found.with_overrides(
        {"token_endpoint": "https://other.example/t", "authorization_endpoint": ""}
    )
    assert overridden.token_endpoint == "https://other.example/t"
    assert overridden.authorization_endpoint == found.authorization_endpoint
    assert "https://other.example" in overridden.origins()
    cache = DiscoveryCache(tmp_path)
    cache.save("p", issuer, found)
    assert cache.load("p", issuer) == found
    assert cache.load("p", "https://elsewhere.example") is None  # another issuer: not this cache
    assert cache.load("p", issuer, now=time.time() + 2 * 86400) is None  # stale


def signed_id_token(claims: dict, pair) -> str:
    header = {"alg": "ES256", "kid": pair.public_jwk()["kid"], "typ": "JWT"}
    signing_input = ".".join(keys.b64url_encode(json.dumps(p).encode()) for p in (header, claims))
    return signing_input + "." + jws.jose_sign("ES256", pair.private_pem(), signing_input)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, None),
        ({"iss": "https://evil.example"}, "another issuer"),
        ({"aud": "someone-else"}, "not meant for this client"),
        ({"exp": 1_000}, "expired"),
        ({"nonce": "replayed"}, "nonce"),
    ],
)
def test_id_token_validation(change, message):
    pair = keys.generate_key_pair("ES256")
    now = time.time()
    claims = {
        "iss": "https://as.example",
        "aud": "c1",
        "sub": "u",
        "exp": now + 300,
        "iat": now,
        "nonce": "n1",
    }
    token = signed_id_token({**claims, **change}, pair)
    kwargs = dict(
        issuer="https://as.example", client_id="c1", nonce="n1", jwks={"keys": [pair.public_jwk()]}, now=now
    )
    if message is None:
        assert validate_id_token(token, **kwargs).claims["sub"] == "u"
    else:
        with pytest.raises(ProviderResponseError, match=message):
            validate_id_token(token, **kwargs)


def test_an_id_token_signed_by_another_key_is_refused():
    pair, other = keys.generate_key_pair("ES256"), keys.generate_key_pair("ES256")
    now = time.time()
    token = signed_id_token({"iss": "https://as", "aud": "c", "exp": now + 60}, other)
    with pytest.raises(ProviderResponseError, match="signature"):
        validate_id_token(
            token, issuer="https://as", client_id="c", nonce=None, jwks={"keys": [pair.public_jwk()]}, now=now
        )


def test_loopback_listener_checks_state_and_answers_the_browser():
    with LoopbackReceiver(state="right") as receiver:
        assert receiver.redirect_uri.startswith("http://127.0.0.1:") and receiver.redirect_uri.endswith(
            "/callback"
        )
        pages: list[httpx.Response] = []
        browser = threading.Thread(
            target=lambda: pages.append(
                httpx.get(
                    receiver.redirect_uri, params={"code": "c0de", "state": "right", "iss": "https://as"}
                )
            )
        )
        browser.start()
        result = receiver.wait(timeout=5)
        assert result.code == "c0de" and result.params == {"iss": "https://as"}
        assert pages == []  # the browser hears how the login ended, not merely that a code came
        receiver.finish(True, "Token Workbench has stored the login's tokens.")
        browser.join(timeout=5)
        assert pages[0].status_code == 200 and "close this tab" in pages[0].text
        assert "stored the login" in pages[0].text
        again = httpx.get(receiver.redirect_uri, params={"code": "other", "state": "right"})
        assert again.status_code == 409


def test_loopback_listener_tells_the_browser_when_the_login_failed_after_the_redirect():
    with LoopbackReceiver(state="right") as receiver:
        pages: list[httpx.Response] = []
        query = {"code": "c", "state": "right"}
        url = receiver.redirect_uri
        browser = threading.Thread(target=lambda: pages.append(httpx.get(url, params=query)))
        browser.start()
        receiver.wait(timeout=5)
        receiver.finish(False, "the id_token was issued by another issuer")
        browser.join(timeout=5)
        assert pages[0].status_code == 400 and "another issuer" in pages[0].text
        assert "Signed in" not in pages[0].text


def test_loopback_listener_refuses_a_forged_state_and_keeps_waiting():
    with LoopbackReceiver(state="right") as receiver:
        assert httpx.get(receiver.redirect_uri, params={"code": "c", "state": "wrong"}).status_code == 400
        with pytest.raises(LoginTimedOut, match=r"1 request\(s\) with a wrong or missing state"):
            receiver.wait(timeout=0.5)
        pages: list[httpx.Response] = []
        query, url = {"code": "c0de", "state": "right"}, receiver.redirect_uri
        browser = threading.Thread(target=lambda: pages.append(httpx.get(url, params=query)))
        browser.start()
        assert receiver.wait(timeout=5).code == "c0de"
        receiver.finish(True, "stored")
        browser.join(timeout=5)
        assert pages[0].status_code == 200


def test_loopback_listener_times_out_is_cancellable_and_frees_its_port():
    receiver = LoopbackReceiver(state="s")
    port = receiver.port
    with pytest.raises(LoginTimedOut, match=r"within 0\.3 s"):
        receiver.wait(timeout=0.3)
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(LoginCancelled):
        receiver.wait(timeout=30, cancel=cancel)
    assert time.monotonic() - started < 5
    receiver.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # the port is free again


def test_a_port_in_use_is_one_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(InputError, match="in use"):
            LoopbackReceiver(state="s", port=busy.getsockname()[1])


def test_endpoints_round_trip_through_json():
    endpoints = Endpoints(issuer="https://as", token_endpoint="https://as/t", source="x")
    assert Endpoints.from_json(endpoints.to_json()) == endpoints
    assert endpoints.urls() == {"token_endpoint": "https://as/t"}


def test_credentials_may_go_to_the_endpoints_the_issuers_discovery_names(tmp_path, monkeypatch):
    from workbench.core.net.origins import allowed_origins, check_origin
    from workbench.core.oauth.discovery import DiscoveryCache
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore

    store = ProfileStore(presets=PresetCatalog.load_default())
    profile = store.create(
        "corp",
        preset="oauth2-authorization-code",
        base_url="https://login.example.com/tenant",
        vars={"client_id": "c", "authorization_endpoint": "https://sso.example.net/authorize"},
        secret_names=[],
    )
    from workbench.core.storage import paths

    endpoints = Endpoints(
        issuer="https://login.example.com/tenant",
        token_endpoint="https://tokens.example.org/oauth/token",
        revocation_endpoint="https://login.example.com/tenant/revoke",
    )
    DiscoveryCache(paths.state_dir()).save("corp", profile.base_url, endpoints)
    allowed = allowed_origins(profile)
    assert allowed[0] == "https://login.example.com"
    assert {"https://tokens.example.org", "https://sso.example.net"} <= set(allowed)
    check_origin(profile, "https://tokens.example.org/oauth/token", what="refresh")
    from workbench.core.net.origins import OriginError

    with pytest.raises(OriginError):
        check_origin(profile, "https://evil.example/steal", what="call")


def test_a_public_client_without_an_id_sends_nothing_but_a_confidential_one_must_have_it():
    assert ClientCredentials("", "none").apply("https://as/token") == ([], [])
    with pytest.raises(InputError, match="client_id"):
        ClientCredentials("", "client_secret_post", client_secret="s").apply("https://as/token")
