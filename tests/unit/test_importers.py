"""Importers turn each format's files into one plan (profiles, secrets for the keychain, saved requests,
what could not be mapped). Parsing only: nothing here writes (the CLI tests cover storing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.core.errors import InputError
from workbench.core.importers import read_plan
from workbench.core.importers.common import Variables, escape_literal
from workbench.core.profiles.catalog import PresetCatalog

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.fixture(scope="module")
def presets():
    return PresetCatalog.load_dirs([Path(__file__).resolve().parents[2] / "resources" / "presets"])


def plan_of(rel: str, presets, **kw):
    return read_plan(str(FIX / rel), presets=presets, **kw)


def _basic(presets):
    """client_auth = client_secret_basic, where the preset has that input (Postman's "header")."""
    inputs = {i.name for i in presets.get("oauth2-client-credentials").var_inputs}
    return {"client_auth": "client_secret_basic"} if "client_auth" in inputs else {}


def by_name(plan):
    return {p.name: p for p in plan.profiles}


def requests_of(plan, profile):
    return {r.name: r for r in plan.requests if r.profile == profile}


# ------------------------------------------------------------------ postman


def test_postman_collection_with_environment_maps_every_auth_block_and_variable(presets):
    plan = plan_of(
        "postman/acme.postman_collection.json",
        presets,
        environment=str(FIX / "postman/acme.postman_environment.json"),
    )
    assert plan.format == "postman"
    profiles = by_name(plan)
    assert set(profiles) == {"acme-api", "acme-api-admin", "acme-api-billing", "acme-api-login-basic"}
    bearer = profiles["acme-api"]
    assert (bearer.preset, bearer.base_url) == ("bearer", "https://staging.acme.test")  # environment wins
    assert bearer.secrets["access_token"].startswith("eyJ")  # the secret env value, for the keychain
    admin = profiles["acme-api-admin"]  # an API key in a header: the api-key preset
    assert (admin.preset, admin.vars) == ("api-key", {"placement": "header", "key_name": "X-Admin-Key"})
    assert admin.secrets == {"api_key": "adm-key-7f3a9c21"}
    basic = profiles["acme-api-login-basic"]  # HTTP Basic: the basic preset
    assert (basic.preset, basic.vars, sorted(basic.secrets)) == ("basic", {"username": "me"}, ["password"])
    billing = profiles["acme-api-billing"]
    assert billing.preset == "oauth2-client-credentials"
    assert billing.base_url == "https://auth.acme.test"
    assert billing.vars == {"token_path": "/oauth/token", "client_id": "acme-billing",
                            "scope": "invoices:read invoices:write", **_basic(presets)}  # fmt: skip
    assert billing.secrets == {"client_secret": "bill-s3cret-9a8b7c"}

    reqs = requests_of(plan, "acme-api")
    # The environment is a named variable set: its names stay templates, its values go to [env.NAME].
    assert reqs["list-users"].url == "{{ baseUrl }}/users?page=1&q={{ query }}"
    assert reqs["get-user"].url == "{{ baseUrl }}/users/42"
    assert plan.environments["acme-api"]["Acme staging"]["baseUrl"] == "https://staging.acme.test/v2"
    assert (reqs["list-users"].folder, reqs["list-users"].title) == ("Users", "List users")
    assert [h for h in reqs["list-users"].headers] == [("Accept", "application/json")]  # disabled one skipped
    create = requests_of(plan, "acme-api-admin")["create-user"]
    assert create.body_type == "json"
    assert "{{ uuid() }}" in create.body  # {{$guid}}
    assert "{{ '{%' }} not a tag %}" in create.body  # literal template syntax escaped
    assert ("X-Note", "it's \"quoted\" — ünïcödé {{ '{%' }} raw %}") in create.headers
    search = requests_of(plan, "acme-api-billing")["search-invoices"]
    assert search.url == "https://billing.acme.test/invoices/search"
    assert (search.body_type, search.form) == ("form", [("status", "open"), ("from", "2026-01-01")])
    upload = requests_of(plan, "acme-api-admin")["upload-avatar"]
    assert (upload.body_type, upload.form) == ("multipart", [("caption", "me & 42")])
    notes = "\n".join(plan.unmapped)
    assert "form field 'file' uploads a file" in notes
    assert "header Cookie carries a credential" in notes


def test_postman_without_environment_lists_what_is_missing_and_stores_no_empty_secret(presets):
    plan = plan_of("postman/acme.postman_collection.json", presets)
    profiles = by_name(plan)
    assert profiles["acme-api"].secrets == {}
    assert profiles["acme-api"].needs == ["--secret access_token"]
    assert "--secret client_secret" in profiles["acme-api-billing"].needs
    assert requests_of(plan, "acme-api")["list-users"].url == "/v2/users?page=1&q={{ query }}"
    assert any("variable 'query' has no value" in n for n in plan.unmapped)


def test_postman_oauth2_with_refresh_token_and_a_password_grant_token(presets):
    plan = plan_of("postman/oauth2-authcode.postman_collection.json", presets)
    profiles = by_name(plan)
    social = profiles["social"]
    if "oauth2-authorization-code" in presets:
        assert social.preset == "oauth2-authorization-code"
    else:
        assert social.preset == "oauth2-refresh-token"
        assert social.secrets["refresh_token"] == "rt-2b9f0c1d8e7a6b5c"
    pasted = profiles["social-password-grant"]
    assert pasted.preset == "bearer" and pasted.secrets["access_token"].startswith("eyJ")
    assert any("cannot be run here" in n for n in plan.unmapped)


@pytest.mark.parametrize(
    ("rel", "message"),
    [
        ("postman/damaged-truncated.json", "damaged JSON"),
        ("postman/v1-collection.json", "v1 is not supported"),
        ("postman/not-a-collection.json", "cannot tell what this is"),
        ("postman/item-not-object.json", "item #2 in the top level is not an object"),
        ("postman/acme.postman_environment.json", "a Postman environment, not a collection"),
        ("insomnia/damaged.yaml", "damaged YAML"),
        ("insomnia/format3.json", "format 3 is not supported"),
        ("bruno/damaged-unclosed.bru", "never closed"),
        ("openapi/swagger2.json", "2.0 is not supported"),
        ("openapi/paths-not-mapping.yaml", "`paths` is not a mapping"),
        ("har/entry-without-request.har", "entry #1 has no request"),
        ("curl/unterminated-quote.sh", "not a complete curl command"),
        ("curl/no-url.sh", "has no URL"),
    ],
)
def test_damaged_or_mislabelled_files_are_one_clear_error(rel, message, presets):
    with pytest.raises(InputError) as info:
        plan_of(rel, presets)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_a_format_named_explicitly_must_match(presets):
    with pytest.raises(InputError, match="not a HAR file"):
        plan_of("postman/acme.postman_collection.json", presets, fmt="har")
    with pytest.raises(InputError, match="not an OpenAPI 3 document"):
        plan_of("har/browser-session.har", presets, fmt="openapi")


# ------------------------------------------------------------------ insomnia


def test_insomnia_v4_nested_folders_environments_and_auth_types(presets):
    plan = plan_of("insomnia/shop-v4.json", presets)
    profiles = by_name(plan)
    orders = next(p for p in profiles.values() if p.source.endswith("'Orders/List orders' auth"))
    assert orders.preset == "bearer" and orders.base_url == "https://shop.example.com"  # first sub-env
    assert orders.override == {}  # an empty Insomnia prefix means the default "Bearer"
    assert orders.secrets["access_token"].startswith("eyJ")
    reqs = requests_of(plan, orders.name)
    # Each sub-environment is a named variable set: base_url stays a template, disabled params skipped.
    assert reqs["list-orders"].url == "{{ base_url }}/orders?status=open&limit=20"
    assert set(plan.environments[orders.name]) == {"Production", "Dev"}
    assert reqs["list-orders"].folder == "Orders"
    assert set(reqs) == {"list-orders", "create-order"}  # same token → same profile
    key = next(p for p in profiles.values() if p.vars.get("key_name") == "X-Shop-Key")
    assert key.preset == "api-key" and key.secrets == {"api_key": "shop-key-123456"}
    query = next(p for p in profiles.values() if p.vars.get("placement") == "query")
    assert query.vars["key_name"] == "api_key" and list(query.secrets) == ["api_key"]
    old = requests_of(plan, key.name)["old-orders"]
    assert (old.body_type, old.form) == ("form", [("year", "2019")])
    partner = next(p for p in profiles.values() if p.preset == "oauth2-client-credentials")
    assert partner.vars["token_path"] == "/oauth2/token"
    assert partner.secrets == {"client_secret": "partner-secret-xyz"}
    if _basic(presets):  # credentialsInBody: the client authenticates in the form body
        assert partner.vars["client_auth"] == "client_secret_post"
    notes = "\n".join(plan.unmapped)
    assert "{% uuid 'v4' %}" in notes


def test_insomnia_v5_yaml(presets):
    plan = plan_of("insomnia/shop-v5.yaml", presets)
    catalog = next(p for p in plan.profiles if p.source == "folder 'Catalog' auth")
    assert catalog.base_url == "https://staging.shop5.test"
    assert catalog.secrets == {"access_token": "cat-token-0123456789"}
    reqs = requests_of(plan, catalog.name)
    assert json.loads(reqs["add-product"].body) == {"name": "Mug", "price": 12.5, "tag": "it's new"}
    assert reqs["delete-product"].method == "DELETE"


# ------------------------------------------------------------------ bruno


def test_bruno_collection_folder_with_collection_folder_and_request_auth(presets):
    plan = plan_of("bruno/pets", presets)
    profiles = by_name(plan)
    assert profiles["pet-clinic"].secrets["access_token"].startswith("eyJ")  # vars:secret, collection auth
    owners = profiles["pet-clinic-owners"]
    assert (owners.preset, owners.vars["key_name"]) == ("api-key", "X-Owner-Key")
    vets = profiles["pet-clinic-token"]
    assert vets.preset == "oauth2-client-credentials" and vets.secrets == {
        "client_secret": "vets-secret-8877"
    }
    reqs = requests_of(plan, "pet-clinic")
    # Environment variables stay templates; vars:pre-request and params:query (~offset disabled).
    assert reqs["list-pets"].url == "{{ baseUrl }}/v3/pets?limit=10"
    assert set(plan.environments["pet-clinic"]) == {"Local", "Prod"}
    assert ("X-Client", "workbench-fixture") in reqs["list-pets"].headers  # collection headers
    assert reqs["purge-owners"].form == [("confirm", "yes"), ("reason", "cleanup & reset")]  # auth: none
    create = requests_of(plan, "pet-clinic-owners")["create-owner"]
    assert json.loads(create.body) == {"name": "Zoë 'Z' \"Quote\"", "nested": {"a": [1, 2, {"b": "}"}]}}
    assert [r.name for r in plan.requests if r.profile == "pet-clinic-owners"] == [
        "create-owner",
        "get-owner",
    ]


def test_a_single_bru_file(presets):
    plan = plan_of("bruno/single-request.bru", presets)
    assert [(p.name, p.preset, p.secrets) for p in plan.profiles] == [
        ("ping", "bearer", {"access_token": "pasted-token-abcdef"})
    ]


# ------------------------------------------------------------------ openapi / har / curl


def test_openapi_security_schemes_and_paths(presets):
    plan = plan_of("openapi/clinic.yaml", presets)
    profiles = by_name(plan)
    assert profiles["clinic-api-bearerauth"].preset == "bearer"
    assert profiles["clinic-api-bearerauth"].base_url == "https://api.clinic.test"  # server variable default
    oauth = profiles["clinic-api-oauth"]
    assert oauth.preset == "oauth2-client-credentials"
    assert oauth.vars["scope"] == "patients:read patients:write"
    assert oauth.secrets == {}  # an OpenAPI document holds no secrets
    partner = profiles["clinic-api-partnerkey"]
    assert (partner.preset, partner.vars["key_name"]) == ("api-key", "X-Partner-Key")
    assert partner.needs == ["--secret api_key"]
    assert profiles["clinic-api-querykey"].vars["placement"] == "query"
    assert profiles["clinic-api-basicauth"].preset == "basic"
    oidc = profiles["clinic-api-oidc"]  # openIdConnect: authorization code with discovery at the issuer
    assert (oidc.preset, oidc.base_url) == ("oauth2-authorization-code", "https://auth.clinic.test")
    reqs = requests_of(plan, "clinic-api-bearerauth")
    assert reqs["getpatient"].url == "/v1/patients/{{ patientId }}"
    assert plan.variables["clinic-api-bearerauth"]["patientId"] == "p-100"
    assert reqs["listpatients"].url == "/v1/patients?limit={{ limit }}"  # required: a request variable
    assert plan.variables["clinic-api-bearerauth"]["limit"] == "25"
    assert json.loads(reqs["createpatient"].body) == {"name": "Ada", "tags": ["a", "b"]}
    assert requests_of(plan, "clinic-api-oauth")["deletepatient"].url.startswith("https://api.clinic.test/")
    notes = "\n".join(plan.unmapped)
    assert "'reportId' has no example" in notes


def test_har_bearer_header_becomes_a_pasted_token_and_cookies_are_not_stored(presets):
    plan = plan_of("har/browser-session.har", presets)
    (profile,) = plan.profiles
    assert profile.preset == "bearer" and profile.secrets["access_token"].startswith("eyJ")
    reqs = requests_of(plan, profile.name)
    assert all(
        h[0].lower() not in ("authorization", "cookie", "host") for r in reqs.values() for h in r.headers
    )
    assert reqs["post-api-items"].body == '{"title": "{{ \'{{\' }}not a template}}"}'
    assert reqs["post-login"].form == [("user", "me"), ("next", "/home")]
    assert any("not http(s)" in n for n in plan.unmapped)


def test_curl_odd_quoting_as_a_shell_would_read_it(presets):
    plan = plan_of("curl/odd-quoting.sh", presets)
    (request,) = plan.requests
    assert request.method == "PATCH"
    assert request.url == "/v1/notes?tag=a%20b&x=1"
    assert ("X-Multi", "tab\there") in request.headers
    assert ("X-Quote", 'it\'s "fine"') in request.headers
    assert request.body_type == "json"
    assert 'O\'Reilly said \\"hi\\"' in request.body
    assert plan.profiles[0].secrets["access_token"].startswith("eyJ")


def test_curl_client_credentials_becomes_an_oauth_profile(presets):
    plan = plan_of("curl/client-credentials.sh", presets)
    (profile,) = plan.profiles
    assert profile.preset == "oauth2-client-credentials"
    assert profile.vars == {"token_path": "/oauth/token", "client_id": "client-1", "scope": "read write",
                            **_basic(presets)}  # fmt: skip
    assert profile.secrets == {"client_secret": "s3cr3t-value"}
    assert plan.requests == []  # the command *was* the token request


def test_curl_form_and_oauth2_bearer(presets):
    plan = plan_of("curl/form-bearer.sh", presets)
    (request,) = plan.requests
    assert (request.method, request.body_type) == ("POST", "multipart")
    assert request.form == [("name", "Ann"), ("note", "hello world")]
    assert plan.profiles[0].secrets == {"access_token": "opaque-token-42"}
    assert any("file uploads" in n for n in plan.unmapped)


@pytest.mark.parametrize(
    ("line", "method", "url"),
    [
        ("curl https://a.test/x", "GET", "/x"),
        ("curl -XDELETE https://a.test/x", "DELETE", "/x"),
        ("curl -d 'a=1' -G https://a.test/x", "GET", "/x?a=1"),
        ("curl --json '{\"a\":1}' https://a.test/x", "POST", "/x"),
        ("curl -I a.test/x", "HEAD", "/x"),
        ("$ curl -H 'Accept: */*' https://a.test/x", "GET", "/x"),
    ],
)
def test_curl_flag_table(line, method, url, presets):
    from workbench.core.importers import parse_text

    plan = parse_text(line, "<arg>", presets=presets)
    (request,) = plan.requests
    assert (request.method, request.url) == (method, url)


def test_unknown_curl_options_are_listed_not_dropped(presets):
    from workbench.core.importers import parse_text

    plan = parse_text("curl --proxy http://p:3128 --cacert ca.pem https://a.test/", "<arg>", presets=presets)
    assert any("--proxy" in n for n in plan.unmapped)


def test_literal_template_syntax_is_escaped_and_renders_back_to_itself():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    text = "a {{ b }} {% c %} {# d #} }} {"
    assert ImmutableSandboxedEnvironment().from_string(escape_literal(text)).render() == text


def test_secret_variables_stay_templates_and_are_listed():
    v = Variables()
    v.add("host", "h.test")
    v.add("apiToken", "abc")
    out = v.translate("https://{{host}}/?t={{apiToken}}", "request 'x' URL")
    assert out == "https://h.test/?t={{ apiToken }}"
    assert any("holds a secret" in m for m in v.problems)


def test_a_request_whose_body_holds_a_token_is_kept_without_it_and_listed(presets):
    from workbench.core.importers import parse_text

    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    plan = parse_text(
        f"""curl -H 'Authorization: Bearer opaque-abc-123' -d '{{"refresh_token": "{jwt}"}}' https://a.test/refresh""",
        "<arg>",
        presets=presets,
    )
    (request,) = plan.requests
    assert jwt not in request.body and "{{ refresh_token }}" in request.body  # a secret-named field
    assert plan.profiles[0].secrets == {"access_token": "opaque-abc-123"}
    assert plan.secret_variables["a"] == {"refresh_token": jwt}  # to the keychain, never a file
    assert any("refresh_token" in n and "keychain" in n for n in plan.unmapped)
    assert all(jwt not in n for n in plan.unmapped)
