"""Token exchange (RFC 8693) inside the engine, against a scripted token endpoint
(httpx.MockTransport): the subject's token as the profile says (access token, JWT or the login's
id_token), never quoted back in an error, and one line for what cannot be exchanged."""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import jwt
import pytest

from workbench.core.clock import FakeClock
from workbench.core.engine.token_engine import TokenEngine
from workbench.core.errors import InputError, ProviderError, TokenUnavailableError
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.store import ProfileStore
from workbench.core.storage.vault import MemoryKeyring, Vault

BASE = "http://auth.test"
OPAQUE = "user-token-ABCDEFG1234567890"
ISSUED = "urn:ietf:params:oauth:token-type:access_token"


class TokenEndpoint:
    """Answers a token exchange; `refuse` echoes the subject token in its error, as a careless
    server might."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.refuse = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        self.forms.append(form)
        if self.refuse:
            body = {
                "error": "invalid_grant",
                "error_description": f"subject_token {form['subject_token']} revoked",
            }
            return httpx.Response(400, json=body)
        return httpx.Response(
            200,
            json={
                "access_token": "exchanged-1",
                "token_type": "Bearer",
                "expires_in": 60,
                "issued_token_type": ISSUED,
            },
        )


@pytest.fixture
def endpoint() -> TokenEndpoint:
    return TokenEndpoint()


@pytest.fixture
def setup(workbench_home, endpoint):
    store = ProfileStore(presets=PresetCatalog.load_default())
    vault = Vault(MemoryKeyring())
    engine = TokenEngine(
        profiles=store, vault=vault, clock=FakeClock(), transport=httpx.MockTransport(endpoint)
    )
    store.create("user", preset="bearer", base_url=BASE, vars={}, secret_names=["access_token"])
    vault.store("user", "access_token", OPAQUE)

    def exchange_profile(**variables: str) -> str:
        settings = {"client_id": "gw", "client_auth": "client_secret_post", "subject_profile": "user"}
        store.create(
            "obo", preset="oauth2-token-exchange", base_url=BASE, vars={**settings, **variables},
            secret_names=["client_secret"],
        )  # fmt: skip
        vault.store("obo", "client_secret", "gw-secret")
        return "obo"

    yield engine, vault, exchange_profile
    engine.close()


def test_the_subject_token_goes_out_and_issued_token_type_comes_back(setup, endpoint):
    engine, _vault, exchange_profile = setup
    result = engine.get_token(exchange_profile(requested_token_type="access_token"))
    assert result.access_token == "exchanged-1" and result.issued_token_type == ISSUED
    assert result.to_json(0)["issued_token_type"] == ISSUED
    (form,) = endpoint.forms
    assert form["subject_token"] == OPAQUE and form["subject_token_type"] == ISSUED
    assert form["requested_token_type"] == ISSUED and form["client_secret"] == "gw-secret"
    assert engine.token_state("obo").issued_token_type == ISSUED


def test_a_server_that_quotes_the_subject_token_back_never_shows_it(setup, endpoint):
    engine, _vault, exchange_profile = setup
    endpoint.refuse = True
    with pytest.raises(ProviderError) as caught:
        engine.get_token(exchange_profile())
    assert "invalid_grant" in str(caught.value) and OPAQUE not in str(caught.value)


def test_the_id_token_of_the_subjects_login_when_asked(setup, endpoint):
    engine, vault, exchange_profile = setup
    id_token = jwt.encode({"sub": "alice", "aud": "app"}, "k" * 32, algorithm="HS256")
    vault.store("user", "id_token", id_token)
    engine.get_token(exchange_profile(subject_token_type="id_token"))
    (form,) = endpoint.forms
    assert form["subject_token"] == id_token
    assert form["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"


def test_a_subject_with_no_id_token_is_one_line_and_nothing_is_sent(setup, endpoint):
    engine, _vault, exchange_profile = setup
    exchange_profile(subject_token_type="id_token")
    with pytest.raises(
        TokenUnavailableError, match="exchanges the id_token of profile 'user', which holds none"
    ):
        engine.get_token("obo")
    engine.close()


def test_a_jwt_subject_type_with_an_opaque_token_is_refused(setup, endpoint):
    engine, _vault, exchange_profile = setup
    exchange_profile(subject_token_type="jwt")
    with pytest.raises(InputError, match="is opaque, not a JWT"):
        engine.get_token("obo")
    assert endpoint.forms == []


def test_an_unknown_subject_token_type_is_one_line(setup, endpoint):
    engine, _vault, exchange_profile = setup
    exchange_profile(subject_token_type="saml2")
    with pytest.raises(InputError, match="cannot be taken from a profile"):
        engine.get_token("obo")
    assert endpoint.forms == []
