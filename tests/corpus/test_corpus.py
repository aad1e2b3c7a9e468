"""Every request in every corpus file is kept as a saved request or listed with its reason.

The corpus (real public files, see SOURCES.md) lives outside the repository; these tests skip
when it is not found (`WORKBENCH_CORPUS`, tests/fixtures/corpus, or shared/corpus beside the
checkout). Counting is done from the raw format by `measure.raw_count`, not by the importer.
"""

from __future__ import annotations

import pytest

from tests.corpus import measure

BASE = measure.corpus_dir()
ENTRIES = measure.corpus_files(BASE) if BASE is not None else []


@pytest.mark.skipif(BASE is None, reason="fidelity corpus not present (set WORKBENCH_CORPUS)")
@pytest.mark.parametrize(("fmt", "path"), ENTRIES, ids=[f"{f}/{p.name}" for f, p in ENTRIES])
def test_every_request_kept_or_listed(fmt, path):
    in_file = measure.raw_count(fmt, path)
    kept, listed, error, _plan = measure.import_figures(fmt, path)
    if path.name in measure.REFUSED:
        assert measure.REFUSED[path.name] in error
        assert "\n" not in error
        return
    assert not error, error
    assert kept + listed >= in_file, f"{in_file} requests in the file, {kept} kept, {listed} listed"


# ------------------------------------------------------------------ field by field, on a sample


def _plan(rel: str, **kwargs):
    from workbench.core.importers import read_plan
    from workbench.core.profiles.catalog import PresetCatalog

    assert BASE is not None
    presets = PresetCatalog.load_dirs([measure.ROOT / "resources" / "presets"])
    return read_plan(str(BASE / rel), presets=presets, **kwargs)


def _request(plan, title):
    return next(r for r in plan.requests if r.title == title)


needs_corpus = pytest.mark.skipif(BASE is None, reason="fidelity corpus not present (set WORKBENCH_CORPUS)")


@needs_corpus
def test_sample_adyen_postman_api_key_collection():
    plan = _plan("postman/adyen-payout-v68.postman_collection.json")
    (profile,) = plan.profiles
    assert (profile.preset, profile.base_url) == ("api-key", "https://pal-test.adyen.com")
    assert profile.vars == {"placement": "header", "key_name": "X-API-Key"} and profile.needs == [
        "--secret api_key"
    ]
    request = _request(plan, "Store payout details")
    assert (request.method, request.url) == ("POST", "/pal/servlet/Payout/v68/storeDetail")
    assert request.headers == [("Accept", "application/json")] and request.body_type == "json"
    assert '"additionalData"' in request.body and request.folder.startswith("Initialization")


@needs_corpus
def test_sample_openai_curl_with_a_shell_variable():
    plan = _plan("curl/openai-chat-completions.sh")
    (profile,) = plan.profiles
    assert (profile.preset, profile.base_url) == ("bearer", "https://api.openai.com")
    assert profile.secret_refs == {"access_token": "env:OPENAI_API_KEY"} and not profile.secrets
    (request,) = plan.requests
    assert (request.method, request.url, request.body_type) == ("POST", "/v1/chat/completions", "json")
    assert request.headers == [] and '"model"' in request.body


@needs_corpus
def test_sample_google_maps_curl_with_a_placeholder_key_in_the_query():
    plan = _plan("curl/google-maps_http_geolocation_celltowers.sh")
    (profile,) = plan.profiles
    assert profile.preset == "api-key" and profile.vars == {"placement": "query", "key_name": "key"}
    assert not profile.secrets and profile.needs == ["--secret api_key"]  # YOUR_API_KEY is a placeholder
    (request,) = plan.requests
    assert (request.method, request.url) == ("POST", "/geolocation/v1/geolocate")
    assert request.body_type == "json" and '"cellTowers"' in request.body


@needs_corpus
def test_sample_curl_with_basic_credentials_and_headers():
    plan = _plan("curl/kong-fixture-complex.sh")
    (profile,) = plan.profiles
    assert (profile.preset, profile.vars, sorted(profile.secrets)) == (
        "basic",
        {"username": "My User"},
        ["password"],
    )
    (request,) = plan.requests
    assert (request.method, request.url) == ("POST", "/api/v1/send")
    assert request.headers == [("x-custom-header", "foo bar"), ("another-header", "foo")]


@needs_corpus
def test_sample_paypal_token_request_and_its_bearer_requests():
    plan = _plan("postman/paypal-checkout-flows.postman_collection.json")
    (profile,) = plan.profiles
    assert (
        profile.preset == "oauth2-client-credentials" and profile.vars["client_auth"] == "client_secret_basic"
    )
    assert profile.vars["token_path"] == "/v1/oauth2/token" and list(profile.secrets) == ["client_secret"]
    assert len(plan.requests) == 43


@needs_corpus
def test_sample_bruno_gfw_collection_with_environments_and_multiline_path_values():
    plan = _plan("bruno/gfw-api")
    assert len(plan.requests) == 98
    profile = plan.profiles[0]
    assert set(plan.environments[profile.name]) == {"Development", "Production"}
    request = _request(plan, "Get Dataset by ID")
    assert request.url == "{{ host }}/{{ version }}/datasets/{{ id }}" and request.folder == "Datasets"
    assert plan.variables[profile.name]["id"] == "public-global-bathymetry"


@needs_corpus
def test_sample_twilio_openapi_basic_scheme_and_form_bodies():
    plan = _plan("openapi/twilio-messaging-v1.yaml")
    (profile,) = plan.profiles
    assert (profile.preset, profile.base_url) == ("basic", "https://messaging.twilio.com")
    request = _request(plan, "CreateAlphaSender")
    assert (request.method, request.url) == ("POST", "/v1/Services/{{ ServiceSid }}/AlphaSenders")
    assert request.body_type == "form" and ("AlphaSender", "Twilio") in request.form


@needs_corpus
def test_sample_har_keeps_api_calls_and_skips_static_assets():
    plan = _plan("har/pagexray-http2-chrome.har")
    assert plan.skipped and all("static asset" in reason for _title, reason in plan.skipped)
    everything = _plan("har/pagexray-http2-chrome.har", keep_all=True)
    assert len(everything.requests) == measure.raw_count("har", BASE / "har/pagexray-http2-chrome.har")
