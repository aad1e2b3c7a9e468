"""Presets are data: the shipped files load, user presets win, and a bad file says where it is wrong."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from workbench.core.errors import PresetError
from workbench.core.profiles.catalog import PresetCatalog, load_preset_file, parse_preset_text
from workbench.core.storage import paths
from workbench.core.storage.toml_locator import find_line

SHIPPED = sorted(p.stem for p in paths.presets_dir().glob("*.toml"))

MINIMAL = textwrap.dedent(
    """\
    name = "acme"
    title = "Acme"
    summary = "test provider"
    base_url_example = "https://acme.test"

    [[inputs]]
    name = "client_id"
    kind = "var"

    [[inputs]]
    name = "client_secret"
    kind = "secret"

    [token]
    header = "Authorization"
    scheme = "Bearer"

    [mint]
    path = "/token"
    json = '{"id": {{ vars.client_id | tojson }}}'

    [mint.response]
    access_token = "access_token"
    expires_in = "expires_in"

    [errors]
    message = ["error.message"]
    """
)


def write_user_preset(home: Path, text: str, name: str = "acme") -> Path:
    path = home / "presets" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problem_of(text: str, file_name: str = "acme") -> str:
    with pytest.raises(PresetError) as info:
        parse_preset_text(text, display=f"presets/{file_name}.toml", source=Path(f"/x/{file_name}.toml"))
    return str(info.value)


# --------------------------------------------------------------------------- shipped presets


def test_every_shipped_preset_loads_cleanly():
    catalog = PresetCatalog.load_default()
    assert catalog.problems == {}
    assert catalog.names() == SHIPPED
    assert {"true-markets", "marketiger3d", "token-of-trust", "api-key-sliding", "paymentsgate"} <= set(
        SHIPPED
    )
    assert {"oauth2-client-credentials", "oauth2-refresh-token"} <= set(SHIPPED)


@pytest.mark.parametrize(
    ("preset", "vars_", "secrets"),
    [
        ("true-markets", ["key_id"], ["private_key"]),
        ("marketiger3d", [], ["access_token", "refresh_token"]),
        ("paymentsgate", [], ["access_token", "refresh_token"]),
        ("token-of-trust", ["app_domain"], ["api_key", "secret_key"]),
        ("api-key-sliding", [], ["api_key", "client_secret"]),
    ],
)
def test_shipped_presets_ask_for_the_inputs_the_cli_contract_names(preset, vars_, secrets):
    p = PresetCatalog.load_default().get(preset)
    assert [i.name for i in p.inputs if i.kind == "var" and i.required] == vars_
    assert [i.name for i in p.inputs if i.kind == "secret" and i.required] == secrets


def test_capabilities_follow_the_sections_present():
    catalog = PresetCatalog.load_default()
    tm, tot, mt = catalog.get("true-markets"), catalog.get("token-of-trust"), catalog.get("marketiger3d")
    assert (tm.can_mint(), tm.can_refresh(), tm.can_verify()) == (True, True, False)
    assert (tot.can_mint(), tot.can_refresh(), tot.can_verify()) == (True, False, True)
    assert (mt.can_mint(), mt.can_refresh()) == (False, True)
    assert tm.section("mint") is not None and tm.section("verify") is None
    with pytest.raises(ValueError):
        tm.section("nonsense")


def test_a_private_key_input_is_multiline_and_asks_for_a_file():
    spec = PresetCatalog.load_default().get("true-markets").input("private_key")
    assert spec is not None and spec.multiline
    assert spec.flag == "--secret private_key=@FILE"


def test_preset_data_is_read_only():
    preset = PresetCatalog.load_default().get("true-markets")
    with pytest.raises(TypeError):
        preset.data["mint"]["path"] = "/evil"  # type: ignore[index]
    assert isinstance(preset.data["errors"]["message"], tuple)


def test_unknown_preset_names_the_known_ones_and_a_close_match():
    with pytest.raises(PresetError) as info:
        PresetCatalog.load_default().get("true-market")
    message = str(info.value)
    assert "unknown preset 'true-market'" in message
    assert "did you mean 'true-markets'" in message
    for name in SHIPPED:
        assert name in message


# --------------------------------------------------------------------------- user presets


def test_a_user_preset_adds_a_sixth_provider(workbench_home):
    write_user_preset(workbench_home, MINIMAL)
    catalog = PresetCatalog.load_default()
    assert "acme" in catalog.names()
    acme = catalog.get("acme")
    assert acme.source == workbench_home / "presets" / "acme.toml"
    assert [(i.name, i.kind, i.required) for i in acme.inputs] == [
        ("client_id", "var", True),
        ("client_secret", "secret", True),
    ]


def test_a_user_preset_wins_over_the_shipped_one_with_the_same_name(workbench_home):
    shipped = (paths.presets_dir() / "paymentsgate.toml").read_text()
    write_user_preset(
        workbench_home, shipped.replace('title = "PaymentsGate"', 'title = "PG (mine)"'), "paymentsgate"
    )
    assert PresetCatalog.load_default().get("paymentsgate").title == "PG (mine)"


def test_a_broken_user_preset_hides_nothing_else_and_explains_itself(workbench_home):
    write_user_preset(workbench_home, MINIMAL.replace('kind = "secret"', 'kind = "secrt"'))
    catalog = PresetCatalog.load_default()
    assert catalog.names() == SHIPPED
    with pytest.raises(PresetError, match=r"^presets/acme\.toml line 12: inputs #2\.kind: 'secrt' is not"):
        catalog.get("acme")


def test_a_preset_is_parsed_when_first_asked_for_and_only_that_one(workbench_home, monkeypatch):
    """`workbench token NAME` needs its profile's preset alone: the catalogue parses that file, and a
    broken file beside it costs nothing until the list is asked for."""
    from workbench.core.profiles import catalog as catalog_module

    write_user_preset(workbench_home, MINIMAL.replace('kind = "secret"', 'kind = "secrt"'))
    parsed: list[str] = []
    real = catalog_module.load_preset_file
    monkeypatch.setattr(
        catalog_module, "load_preset_file", lambda path: (parsed.append(path.stem), real(path))[1]
    )
    catalog = PresetCatalog.load_default()
    assert catalog.get("paymentsgate").name == "paymentsgate" and "paymentsgate" in catalog
    assert parsed == ["paymentsgate"]  # once, and no other file
    assert "acme" not in catalog and parsed == ["paymentsgate", "acme"]  # broken: not a preset
    assert catalog.names() == SHIPPED and sorted(parsed) == sorted([*SHIPPED, "acme"])


def test_a_broken_user_override_does_not_fall_back_to_the_shipped_preset(workbench_home):
    write_user_preset(workbench_home, "name = 'paymentsgate'\n", "paymentsgate")
    catalog = PresetCatalog.load_default()
    assert "paymentsgate" not in catalog.names()
    with pytest.raises(PresetError, match=r"presets/paymentsgate\.toml: .*missing required key 'title'"):
        catalog.get("paymentsgate")


def test_the_file_name_must_match_the_preset_name(workbench_home):
    path = write_user_preset(workbench_home, MINIMAL, "other")
    with pytest.raises(
        PresetError, match=r"presets/other\.toml line 1: name: 'acme' must match the file name"
    ):
        load_preset_file(path)


# --------------------------------------------------------------------------- validation messages


def test_invalid_toml_names_the_file_and_line():
    message = problem_of(MINIMAL.replace('title = "Acme"', 'title = "Acme'))
    assert re.match(r"presets/acme\.toml line 2: not valid TOML: .* \(column \d+\)$", message), message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('summary = "test provider"', 'sumary = "x"'),
            r"line 3: sumary: unknown key 'sumary' \(did you mean 'summary'",
        ),
        (('title = "Acme"', "title = 3"), r"line 2: title: must be a string, not a number"),
        (('kind = "var"', 'kind = "variable"'), r"line 8: inputs #1\.kind: 'variable' is not an input kind"),
        (
            ('kind = "secret"', 'kind = "secret"\ndefault = "x"'),
            r"line 13: inputs #2\.default: only var inputs",
        ),
        (
            ('name = "client_secret"', 'name = "client_id"'),
            r"line 11: inputs #2\.name: input 'client_id' is declared twice",
        ),
        (('path = "/token"', 'method = "POST"'), r"line 18: mint: missing required key 'path'"),
        (('method = "FETCH"', None), None),
        (
            ('access_token = "access_token"', "access_token = 7"),
            r"line 23: mint\.response\.access_token: must be a string",
        ),
        (
            ('access_token = "access_token"', 'token = "x"'),
            r"line 23: mint\.response\.token: unknown key 'token'",
        ),
        (
            ('expires_in = "expires_in"', 'expires_in = "@body"'),
            r"line 24: mint\.response\.expires_in: '@body' is not a known",
        ),
        (
            ('expires_in = "expires_in"', 'expires_in = "data..exp"'),
            r"line 24: mint\.response\.expires_in: 'data\.\.exp' is not a dotted path",
        ),
        (
            ('access_token = "access_token"', 'refresh_token = "r"'),
            r"line 22: mint\.response: missing required key 'access_token'",
        ),
        (
            ('scheme = "Bearer"', 'scheme = "Bearer"\nverify_secret = "client_id"'),
            r"line 17: token\.verify_secret: 'client_id' is not a secret input",
        ),
        (
            ('scheme = "Bearer"', 'scheme = "Bearer"\nrefresh_token_lifetime = -5'),
            r"line 17: token\.refresh_token_lifetime: must be a positive",
        ),
        (("[errors]", "[eror]"), r"line 26: eror: unknown key 'eror' \(did you mean 'errors'"),
        (
            ('message = ["error.message"]', 'message = "error.message"'),
            r"line 27: errors\.message: must be an array of strings",
        ),
        (
            ("json = '{\"id\": {{ vars.client_id | tojson }}}'", 'json = "{}"\nform = { a = "b" }'),
            r"line 21: mint\.form: a request has either",
        ),
        (('header = "Authorization"', "header = 1979-05-27"), r"line 15: token\.header: must be a string"),
    ],
)
def test_semantic_errors_name_the_file_line_and_field(change, expected):
    old, new = change
    if new is None:  # an HTTP method nobody knows
        text = MINIMAL.replace('path = "/token"', 'path = "/token"\nmethod = "FETCH"')
        expected = r"line 20: mint\.method: 'FETCH' is not an HTTP method"
    else:
        assert old in MINIMAL
        text = MINIMAL.replace(old, new, 1)
    message = problem_of(text)
    assert re.match(r"^presets/acme\.toml " + expected, message), message


def test_missing_top_level_keys_are_named():
    assert problem_of('title = "x"\n').endswith("(file): missing required key 'name'")


def test_a_verify_section_needs_no_access_token_extraction():
    text = MINIMAL + '\n[verify]\nmethod = "GET"\npath = "/token"\nauth = true\n'
    assert parse_preset_text(text, display="x").can_verify()


# --------------------------------------------------------------------------- override


def test_an_override_deep_merges_tables_and_replaces_lists():
    preset = PresetCatalog.load_default().get("token-of-trust")
    merged = preset.merged(
        {
            "mint": {"path": "/v2/token", "response": {"expires_at": "data.expiresAt"}},
            "token": {"expired_markers": ["gone"]},
        }
    )
    assert merged.data["mint"]["path"] == "/v2/token"
    assert merged.data["mint"]["response"]["expires_at"] == "data.expiresAt"
    assert merged.data["mint"]["response"]["access_token"] == "token"  # untouched keys stay
    assert merged.data["mint"]["method"] == "POST"
    assert merged.data["token"]["expired_markers"] == ("gone",)
    assert merged.token.expired_markers == ("gone",)
    assert preset.token.expired_markers == ("Token has expired",)
    assert preset.data["mint"]["path"] == "/api/internal/auth/token"  # the original is not changed


def test_the_token_table_is_read_once_into_a_typed_spec_and_a_merge_is_not_redone():
    preset = PresetCatalog.load_default().get("true-markets")
    assert preset.token.jwks_url and preset.token.rotates_refresh_token
    assert preset.token.authorization("t") == ("Authorization", "Bearer t")
    bare = PresetCatalog.load_default().get("token-of-trust").merged({"token": {"scheme": ""}})
    assert bare.token.authorization("t") == ("Authorization", "t")
    # A profile re-read from disk gets the merged preset it had, not a new merge and validation.
    override = {"token": {"header": "X-Token"}}
    assert preset.merged(override) is preset.merged({"token": {"header": "X-Token"}})
    assert preset.merged(override).token.header == "X-Token"


def test_an_override_can_add_inputs_and_sections():
    preset = PresetCatalog.load_default().get("paymentsgate")
    merged = preset.merged({"verify": {"method": "GET", "path": "/auth/me", "auth": True}})
    assert merged.can_verify() and not preset.can_verify()


def test_an_invalid_override_is_rejected_with_the_field():
    preset = PresetCatalog.load_default().get("true-markets")
    with pytest.raises(PresetError, match=r"^mint\.response\.access_token: must be a string"):
        preset.merged({"mint": {"response": {"access_token": 5}}})
    with pytest.raises(PresetError, match="cannot rename its preset"):
        preset.merged({"name": "other"})


# --------------------------------------------------------------------------- line finder


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("mint", "response", "expires_in"), 42),
        (("inputs", 1, "multiline"), 16),
        (("inputs", 1, "nothing_here"), 12),
        (("mint", "headers", "Content-Type"), 29),
        (("mint", "json"), 30),
        (("refresh", "json"), 49),
        (("errors", "type", 0), 59),
        (("nowhere",), None),
    ],
)
def test_the_line_finder_points_at_keys_tables_and_array_entries(path, line):
    text = (paths.presets_dir() / "true-markets.toml").read_text()
    assert find_line(text, path) == line
