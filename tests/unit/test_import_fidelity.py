"""Imports that keep every request: the right auth per scheme, pending inputs, environments, folders,
and each format's current syntax (issue 20). Parsing only; nothing here writes."""

from __future__ import annotations

import json

import pytest

from workbench.core.errors import InputError
from workbench.core.importers import parse_text, read_plan


def postman(items, **extra):
    doc = {
        "info": {
            "name": "Shop",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": items,
        **extra,
    }
    return parse_text(json.dumps(doc), "shop.json")


def item(name, url, method="GET", **request):
    return {"name": name, "request": {"method": method, "url": url, **request}}


def profiles(plan):
    return {p.name: p for p in plan.profiles}


# ------------------------------------------------------------------ no request is dropped


def test_a_bearer_template_header_becomes_the_profile_auth_and_the_request_is_kept():
    plan = postman(
        [
            item(
                "Who am I",
                "https://api.shop.test/me",
                header=[{"key": "Authorization", "value": "Bearer {{token}}"}],
            )
        ],
        variable=[{"key": "token", "value": "tok-123456789"}],
    )
    (request,) = plan.requests
    assert request.title == "Who am I" and request.url == "/me"
    assert not any(name.lower() == "authorization" for name, _ in request.headers)
    (profile,) = plan.profiles
    assert profile.preset == "bearer" and profile.secrets == {"access_token": "tok-123456789"}


def test_an_unresolved_base_url_stays_a_template_and_the_profile_is_pending():
    plan = postman([item(f"Item {i}", "{{baseUrl}}/products/" + str(i)) for i in range(50)])
    assert len(plan.requests) == 50
    assert all(r.url.startswith("{{ baseUrl }}/products/") for r in plan.requests)
    (profile,) = plan.profiles
    assert profile.base_url == "" and "--base-url" in profile.needs


def test_a_request_whose_body_holds_a_jwt_is_kept_without_it():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    plan = postman(
        [
            item(
                "Exchange",
                "https://api.shop.test/x",
                "POST",
                body={"mode": "raw", "raw": f'{{"t": "{jwt}"}}'},
            )
        ]
    )
    (request,) = plan.requests
    assert jwt not in request.body and "{{ secret_value }}" in request.body


def test_empty_variables_stay_templates_and_are_listed():
    plan = postman(
        [item("Products", "https://api.shop.test/{{prefix}}/products")],
        variable=[{"key": "prefix", "value": ""}],
    )
    assert plan.requests[0].url == "/{{ prefix }}/products"
    assert any("prefix" in line for line in plan.unmapped)


# ------------------------------------------------------------------ the right auth per scheme


def test_basic_auth_gets_the_basic_preset():
    plan = postman(
        [item("Orders", "https://api.shop.test/orders")],
        auth={
            "type": "basic",
            "basic": [{"key": "username", "value": "ann"}, {"key": "password", "value": "s3cret-pw"}],
        },
    )
    (profile,) = plan.profiles
    assert (profile.preset, profile.vars["username"], profile.secrets) == (
        "basic",
        "ann",
        {"password": "s3cret-pw"},
    )


@pytest.mark.parametrize(("where", "placement"), [("header", "header"), ("query", "query")])
def test_api_keys_get_the_api_key_preset(where, placement):
    plan = postman(
        [item("Orders", "https://api.shop.test/orders")],
        auth={
            "type": "apikey",
            "apikey": [
                {"key": "key", "value": "x-api-key"},
                {"key": "value", "value": "k-abcdef123456"},
                {"key": "in", "value": where},
            ],
        },
    )
    (profile,) = plan.profiles
    assert profile.preset == "api-key"
    assert profile.vars["placement"] == placement and profile.vars["key_name"] == "x-api-key"
    assert profile.secrets == {"api_key": "k-abcdef123456"}


def test_custom_key_header_and_authorization_scheme_words_become_api_keys():
    plan = postman(
        [
            item("A", "https://a.test/x", header=[{"key": "x-goog-api-key", "value": "AIzaSyA-1234567890"}]),
            item("B", "https://b.test/x", header=[{"key": "Authorization", "value": "api_key abc123def456"}]),
        ]
    )
    found = {p.base_url: p for p in plan.profiles}
    a, b = found["https://a.test"], found["https://b.test"]
    assert (a.preset, a.vars["key_name"], a.secrets) == (
        "api-key",
        "x-goog-api-key",
        {"api_key": "AIzaSyA-1234567890"},
    )
    assert (b.preset, b.vars["key_name"], b.vars["prefix"]) == ("api-key", "Authorization", "api_key")
    assert all(not r.headers for r in plan.requests)


def test_an_oauth2_block_with_only_a_token_is_a_pasted_bearer_token():
    plan = postman(
        [item("Me", "https://api.shop.test/me")],
        auth={
            "type": "oauth2",
            "oauth2": [
                {"key": "accessToken", "value": "at-9876543210"},
                {"key": "addTokenTo", "value": "header"},
            ],
        },
    )
    (profile,) = plan.profiles
    assert (profile.preset, profile.base_url, profile.secrets) == (
        "bearer",
        "https://api.shop.test",
        {"access_token": "at-9876543210"},
    )


def test_curl_basic_credentials_with_client_credentials_grant_is_client_secret_basic():
    plan = parse_text(
        "curl -u 'cid:csecret' -d grant_type=client_credentials https://auth.shop.test/oauth/token", "x.sh"
    )
    (profile,) = plan.profiles
    assert profile.preset == "oauth2-client-credentials"
    assert profile.vars["client_id"] == "cid" and profile.vars.get("client_auth") == "client_secret_basic"
    assert profile.secrets == {"client_secret": "csecret"}
    assert plan.skipped  # the token request itself is listed, not silently gone


def test_curl_client_secret_in_the_data_goes_to_the_keychain_never_the_body():
    plan = parse_text(
        "curl https://auth.shop.test/token -d grant_type=client_credentials -d client_id=cid "
        "-d client_secret=sec-77",
        "x.sh",
    )
    (profile,) = plan.profiles
    assert profile.secrets == {"client_secret": "sec-77"} and profile.vars["client_id"] == "cid"
    assert all("sec-77" not in json.dumps(r.summary()) for r in plan.requests)


def test_curl_json_body_secret_fields_become_templates():
    plan = parse_text(
        "curl https://api.shop.test/login -H 'Content-Type: application/json' "
        """--json '{"user": "ann", "password": "hunter2!"}'""",
        "x.sh",
    )
    (request,) = plan.requests
    assert "hunter2!" not in request.body and "{{ password }}" in request.body
    assert plan.secret_variables[request.profile] == {"password": "hunter2!"}  # a keychain secret variable


def test_openapi_open_id_connect_is_an_authorization_code_profile_with_discovery():
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "Id", "version": "1"},
        "servers": [{"url": "https://api.id.test"}],
        "components": {
            "securitySchemes": {
                "oidc": {
                    "type": "openIdConnect",
                    "openIdConnectUrl": "https://login.id.test/realms/x/.well-known/openid-configuration",
                }
            }
        },
        "security": [{"oidc": []}],
        "paths": {"/me": {"get": {"operationId": "me"}}},
    }
    plan = parse_text(json.dumps(doc), "id.json")
    profile = next(p for p in plan.profiles if p.preset == "oauth2-authorization-code")
    assert profile.base_url == "https://login.id.test/realms/x"
    assert "--set client_id" in profile.needs


# ------------------------------------------------------------------ secrets


@pytest.mark.parametrize("ref", ["$OPENAI_API_KEY", "${OPENAI_API_KEY}", "%OPENAI_API_KEY%"])
def test_shell_variables_become_env_references(ref):
    plan = parse_text(f'curl https://api.openai.test/v1/models -H "Authorization: Bearer {ref}"', "x.sh")
    (profile,) = plan.profiles
    assert profile.secret_refs == {"access_token": "env:OPENAI_API_KEY"} and not profile.secrets


@pytest.mark.parametrize("placeholder", ["YOUR-TOKEN", "<token>", "xxxxxxxx", "YOUR_API_KEY"])
def test_placeholders_are_pending_inputs_never_stored(placeholder):
    plan = parse_text(f"curl https://api.shop.test/me -H 'Authorization: Bearer {placeholder}'", "x.sh")
    (profile,) = plan.profiles
    assert not profile.secrets and "--secret access_token" in profile.needs


def test_a_binary_har_body_is_never_saved_as_text():
    har = {
        "log": {
            "entries": [
                {
                    "request": {
                        "method": "POST",
                        "url": "https://up.shop.test/upload",
                        "headers": [],
                        "postData": {
                            "mimeType": "application/octet-stream",
                            "text": "\x00\x01PK\x03\x04 api_key=abc ann@shop.test",
                        },
                    }
                }
            ]
        }
    }
    plan = parse_text(json.dumps(har), "x.har")
    (request,) = plan.requests
    assert request.body is None


# ------------------------------------------------------------------ variables, environments, folders


def test_postman_path_variables_become_request_variables():
    plan = postman(
        [
            {
                "name": "Get",
                "request": {
                    "method": "GET",
                    "url": {
                        "raw": "https://api.shop.test/products/:id",
                        "host": ["api", "shop", "test"],
                        "path": ["products", ":id"],
                        "variable": [{"key": "id", "value": "42"}],
                    },
                },
            }
        ]
    )
    (request,) = plan.requests
    assert request.url == "/products/{{ id }}"
    assert plan.variables[request.profile] == {"id": "42"}


def test_postman_folders_and_scripts():
    plan = postman(
        [
            {
                "name": "Payments",
                "item": [
                    {
                        **item("Refund", "https://api.shop.test/refunds", "POST"),
                        "event": [
                            {"listen": "prerequest", "script": {"exec": ["pm.environment.set('x', 1)"]}}
                        ],
                    }
                ],
            }
        ]
    )
    (request,) = plan.requests
    assert request.folder == "Payments" and request.title == "Refund"
    assert any("pre-request script" in line and "Refund" in line for line in plan.unmapped)


def test_insomnia_sub_environments_are_named_variable_sets():
    doc = {
        "_type": "export",
        "__export_format": 4,
        "resources": [
            {"_id": "wrk_1", "_type": "workspace", "name": "Shop"},
            {
                "_id": "env_1",
                "_type": "environment",
                "parentId": "wrk_1",
                "name": "Base",
                "data": {"version": "v1"},
            },
            {
                "_id": "env_2",
                "_type": "environment",
                "parentId": "env_1",
                "name": "Staging",
                "data": {"host": "https://staging.shop.test"},
            },
            {
                "_id": "env_3",
                "_type": "environment",
                "parentId": "env_1",
                "name": "Prod",
                "data": {"host": "https://shop.test"},
            },
            {
                "_id": "req_1",
                "_type": "request",
                "parentId": "wrk_1",
                "name": "List",
                "method": "GET",
                "url": "{{ _.host }}/{{ _.version }}/items",
            },
        ],
    }
    plan = parse_text(json.dumps(doc), "x.json")
    (request,) = plan.requests
    assert request.url == "{{ host }}/v1/items"
    envs = plan.environments[request.profile]
    assert envs == {"Staging": {"host": "https://staging.shop.test"}, "Prod": {"host": "https://shop.test"}}
    assert plan.profiles[0].base_url == "https://staging.shop.test"


# ------------------------------------------------------------------ bruno


BRU = """meta {
  name: Create item
  type: http
  seq: 1
  tags: [
    smoke
    regression
  ]
}

post {
  url: {{host}}/items/:id
  body: formUrlEncoded
  auth: inherit
}

params:path {
  id: '''
    42
  '''
}

body:form-urlencoded {
  @description('''the item's name''')
  name: Widget
  colour: red @contentType(text/plain)
}

settings {
  encodeUrl: true
}

docs {
  Creates an item.
}
"""


def test_bruno_current_language_and_form_bodies(tmp_path):
    root = tmp_path / "shop"
    (root / "environments").mkdir(parents=True)
    (root / "bruno.json").write_text('{"name": "Shop", "version": "1"}')
    (root / "collection.bru").write_text(
        "auth {\n  mode: basic\n}\n\nauth:basic {\n  username: ann\n  password: {{pw}}\n}\n"
    )
    (root / "environments" / "Local.bru").write_text(
        "vars {\n  host: http://localhost:8080\n}\nvars:secret [\n  pw\n]\n"
    )
    (root / "environments" / "Prod.bru").write_text("vars {\n  host: https://shop.test\n}\n")
    (root / "Items").mkdir()
    (root / "Items" / "Create item.bru").write_text(BRU)
    plan = read_plan(str(root))
    (request,) = plan.requests
    assert request.folder == "Items" and request.body_type == "form"
    assert request.form == [("name", "Widget"), ("colour", "red")]
    assert request.url == "{{ host }}/items/{{ id }}"
    assert plan.variables[request.profile] == {"id": "42"}
    assert set(plan.environments[request.profile]) == {"Local", "Prod"}
    (profile,) = plan.profiles
    assert profile.preset == "basic" and profile.vars["username"] == "ann"
    assert profile.base_url == "http://localhost:8080"


def test_a_single_bru_file_with_current_syntax(tmp_path):
    path = tmp_path / "one.bru"
    path.write_text(BRU.replace("{{host}}", "https://shop.test"))
    plan = read_plan(str(path))
    assert [r.title for r in plan.requests] == ["Create item"]


# ------------------------------------------------------------------ openapi


def test_openapi_refs_required_parameters_servers_and_form_bodies():
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Shop", "version": "1"},
        "servers": [{"url": "https://api.shop.test"}],
        "components": {
            "parameters": {
                "Limit": {
                    "name": "limit",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "integer", "default": 10},
                }
            },
            "requestBodies": {
                "Login": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["user"],
                                "properties": {"user": {"type": "string", "example": "ann"}},
                            }
                        }
                    }
                }
            },
        },
        "paths": {
            "/items": {
                "get": {"operationId": "listItems", "parameters": [{"$ref": "#/components/parameters/Limit"}]}
            },
            "/login": {
                "servers": [{"url": "https://auth.shop.test"}],
                "post": {"operationId": "login", "requestBody": {"$ref": "#/components/requestBodies/Login"}},
            },
        },
    }
    plan = parse_text(json.dumps(doc), "shop.json")
    found = {r.title: r for r in plan.requests}
    assert found["listItems"].url.endswith("/items?limit={{ limit }}")
    assert plan.variables[found["listItems"].profile]["limit"] == "10"
    assert found["login"].url.startswith("https://auth.shop.test/login") or found["login"].url == "/login"
    assert found["login"].body_type == "form" and found["login"].form == [("user", "ann")]


def test_swagger_2_is_one_line():
    with pytest.raises(InputError) as err:
        parse_text('{"swagger": "2.0", "info": {"title": "x"}, "paths": {}}', "old.json")
    assert "\n" not in str(err.value) and "2.0" in str(err.value)


# ------------------------------------------------------------------ har


def test_har_static_assets_are_skipped_with_a_count_and_each_origin_is_a_profile():
    def entry(url, mime="application/json", method="GET"):
        return {
            "request": {"method": method, "url": url, "headers": []},
            "response": {"content": {"mimeType": mime}},
        }

    har = {
        "log": {
            "entries": [
                entry("https://app.shop.test/api/items"),
                entry("https://app.shop.test/logo.png", "image/png"),
                entry("https://cdn.shop.test/app.js", "application/javascript"),
                entry("https://api.pay.test/v1/charges", method="POST"),
            ]
        }
    }
    plan = parse_text(json.dumps(har), "x.har")
    assert len(plan.requests) == 2 and len(plan.skipped) == 2
    assert any("2 static assets" in line for line in plan.unmapped)
    assert {p.name for p in plan.profiles} == {"app.shop.test", "api.pay.test"}
    everything = read_plan_all(json.dumps(har))
    assert len(everything.requests) == 4


def read_plan_all(text):
    return parse_text(text, "x.har", keep_all=True)


# ------------------------------------------------------------------ yaml


def _bomb(levels: int, fan: int) -> str:
    lines = ["type: collection.insomnia.rest/5.0", "name: bomb", "l0: &a0 [" + ",".join(["lol"] * fan) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * fan) + "]")
    lines += ["environments:", "  name: base", f"  data: {{v: *a{levels}}}", "collection:"]
    lines += ["  - name: r", "    url: http://127.0.0.1/x", "    method: GET"]
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_in_one_line_under_a_memory_cap(tmp_path):
    """80 aliases (far under any alias count limit) standing for 10**8 strings: refused before anything
    walks them. Run in a child capped at 512 MB, so a regression fails instead of eating the machine."""
    import subprocess
    import sys

    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(8, 10))
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (512 * 1024 * 1024, 512 * 1024 * 1024))\n"
        "from workbench.core.errors import InputError\n"
        "from workbench.core.importers import read_plan\n"
        "try:\n"
        f"    read_plan({str(path)!r})\n"
        "except InputError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 3, run.stderr[-500:]
    assert "alias" in run.stdout and "\n" not in run.stdout.strip()


def test_a_yaml_file_with_a_few_shared_anchors_still_imports():
    plan = parse_text(_bomb(2, 3), "ok.yaml")
    assert [r.title for r in plan.requests] == ["r"]


def test_a_basic_auth_token_request_is_client_credentials_and_its_bearer_requests_use_it():
    basic = {
        "type": "basic",
        "basic": [{"key": "username", "value": "cid"}, {"key": "password", "value": "sec-1"}],
    }
    token = item(
        "Get token",
        "https://api.pay.test/v1/oauth2/token",
        "POST",
        auth=basic,
        body={"mode": "urlencoded", "urlencoded": [{"key": "grant_type", "value": "client_credentials"}]},
    )
    order = item(
        "Create order",
        "https://api.pay.test/v2/orders",
        "POST",
        header=[{"key": "Authorization", "value": "Bearer {{access_token}}"}],
    )
    plan = postman([token, order])
    (profile,) = plan.profiles
    assert (profile.name, profile.preset) == ("shop", "oauth2-client-credentials")
    assert profile.vars["client_id"] == "cid" and profile.vars["client_auth"] == "client_secret_basic"
    assert profile.vars["token_path"] == "/v1/oauth2/token" and profile.secrets == {"client_secret": "sec-1"}
    assert sorted(r.title for r in plan.requests) == ["Create order", "Get token"]
