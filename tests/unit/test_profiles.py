"""Profiles: TOML files without secret values, validated with located messages, and `profile` commands.

The command tests run `workbench.commands.profile.run` in-process on a MemoryKeyring;
tests/integration/test_cli_profile.py runs the real CLI against a real Secret Service.
"""

from __future__ import annotations

import io
import json
import math
import textwrap
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keyring.backends import fail

from tests.fakes import BrokenKeyring, memory_vault, sample_inputs, vault_entries
from workbench.cli import build_parser
from workbench.commands import profile as profile_cmd
from workbench.core.context import AppContext
from workbench.core.errors import InputError, PresetError, ProfileError, VaultError
from workbench.core.net.origins import origin_of
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.profile import validate_profile_name
from workbench.core.profiles.store import ProfileStore
from workbench.core.storage.toml_writer import dumps_toml
from workbench.core.storage.vault import Vault

PRESETS = PresetCatalog.load_default()
ALL_PRESETS = PRESETS.names()


@pytest.fixture
def store() -> ProfileStore:
    return ProfileStore(presets=PresetCatalog.load_default())


@pytest.fixture
def vault_and_backend():
    return memory_vault()


@pytest.fixture
def ctx(vault_and_backend) -> AppContext:
    return AppContext(vault=vault_and_backend[0])


def cli(ctx: AppContext, *argv: str) -> int:
    args = build_parser().parse_args(["profile", *argv])
    return profile_cmd.run(args, ctx)


def add_argv(name: str, preset: str, *, tag: str = "x") -> list[str]:
    inputs = sample_inputs(PRESETS.get(preset), tag=tag)
    return ["add", name, "--preset", preset, "--base-url", "https://api.example.test/v1", *inputs.flags()]


def write_profile(home: Path, name: str, text: str) -> Path:
    path = home / "profiles" / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def all_bytes_under(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in root.rglob("*") if p.is_file()]


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["prod", "tm-uat", "a.b_c-1", "X" * 64, "9lives"])
def test_plain_profile_names_are_accepted(name):
    assert validate_profile_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("a/b", "path separators"),
        ("a\\b", "path separators"),
        ("..", "'..'"),
        ("a..b", "'..'"),
        (".hidden", "start with '.'"),
        ("x" * 65, "longer than 64"),
        ("sp ace", "letters, digits"),
        ("naïve", "letters, digits"),
        ("a:b", "letters, digits"),
        ("prod\n", "letters, digits"),
    ],
)
def test_unsafe_profile_names_are_refused_with_the_reason(name, why):
    with pytest.raises(ProfileError, match=why):
        validate_profile_name(name)


# --------------------------------------------------------------------------- files


def test_a_created_profile_is_a_stable_readable_toml_file(store, workbench_home):
    store.create(
        "tm",
        preset="true-markets",
        base_url="https://api.uat.truemarkets.co/v1/auth",
        vars={"key_id": "4c1e"},
        secret_names=["private_key"],
        settings={"timeout": 5, "refresh_lead": 30},
    )
    text = (workbench_home / "profiles" / "tm.toml").read_text()
    assert text == textwrap.dedent(
        """\
        name = "tm"
        preset = "true-markets"
        base_url = "https://api.uat.truemarkets.co/v1/auth"
        secret_names = ["private_key"]

        [vars]
        key_id = "4c1e"

        [settings]
        refresh_lead = 30
        timeout = 5
        """
    )
    loaded = store.get("tm")
    assert loaded.preset.name == "true-markets"
    assert origin_of(loaded.base_url) == "https://api.uat.truemarkets.co"
    assert loaded.settings == {"refresh_lead": 30, "timeout": 5}


def test_saving_again_gives_identical_bytes_and_leaves_no_temp_files(store, workbench_home):
    profile = store.create(
        "p", preset="paymentsgate", base_url="https://pg.test", vars={}, secret_names=["access_token"]
    )
    path = workbench_home / "profiles" / "p.toml"
    before = path.read_bytes()
    store.save(store.get("p"))
    store.save(profile)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["p.toml"]


def test_creating_over_an_existing_profile_is_refused(store):
    store.create("p", preset="paymentsgate", base_url="https://pg.test", vars={}, secret_names=[])
    with pytest.raises(ProfileError, match="already exists") as info:
        store.create("p", preset="paymentsgate", base_url="https://pg.test", vars={}, secret_names=[])
    assert "workbench profile rm p" in info.value.hint


def test_a_missing_profile_points_to_profile_list(store):
    with pytest.raises(ProfileError, match=r"no profile named 'nope' \(see `workbench profile list`\)"):
        store.get("nope")


def test_var_falls_back_to_the_preset_default(store):
    profile = store.create(
        "oa",
        preset="oauth2-client-credentials",
        base_url="https://auth.test",
        vars={"client_id": "cid"},
        secret_names=["client_secret"],
    )
    assert profile.var("client_id") == "cid"
    assert profile.var("token_path") == "/oauth/token"
    with pytest.raises(ProfileError, match="no value for var 'nope'"):
        profile.var("nope")


# --------------------------------------------------------------------------- validation messages


GOOD = """\
name = "foo"
preset = "true-markets"
secret_names = ["private_key"]
base_url = "https://api.test/v1/auth"

[vars]
key_id = "k"
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'base_url = "https://api.test/v1/auth"',
            'base_url = "ftp://x"',
            "line 4: base_url: must start with http",
        ),
        (
            'base_url = "https://api.test/v1/auth"',
            'base_url = "https://"',
            "line 4: base_url: has no host name",
        ),
        ('preset = "true-markets"', 'preset = "nope"', "line 2: preset: unknown preset 'nope'"),
        ('name = "foo"', 'name = "bar"', "line 1: name: 'bar' does not match the file name"),
        ('key_id = "k"', "key_id = 5", "line 7: vars.key_id: must be a string (quote it)"),
        ('key_id = "k"', 'key_id = "k"\nprivate_key = "pem"', "line 8: vars.private_key: is a secret input"),
        (
            'key_id = "k"',
            'key_id = "k"\nregion = "eu"',
            "line 8: vars.region: preset 'true-markets' has no var",
        ),
        ('key_id = "k"', "", "line 6: vars: missing 'key_id', required by preset 'true-markets'"),
        (
            '["private_key"]',
            '["private_key", "api_key"]',
            "line 3: secret_names: preset 'true-markets' has no secret",
        ),
        ('["private_key"]', '["key_id"]', "line 3: secret_names: 'key_id' is a var"),
        ('name = "foo"', 'name = "foo"\ncolour = "red"', "line 2: colour: unknown key 'colour'"),
        (
            'key_id = "k"',
            'key_id = "k"\n[settings]\ntimeout = 0',
            "line 9: settings.timeout: must be more than 0",
        ),
        (
            'key_id = "k"',
            'key_id = "k"\n[settings]\nrefresh_lead = -1',
            "line 9: settings.refresh_lead: must not",
        ),
        (
            'key_id = "k"',
            'key_id = "k"\n[settings]\nverify_tls = "no"',
            "line 9: settings.verify_tls: must be true",
        ),
        ('key_id = "k"', 'key_id = "k"\n[settings]\nretries = 3', "line 9: settings.retries: unknown key"),
        (
            'key_id = "k"',
            'key_id = "k"\n[override.mint.response]\naccess_token = 5',
            "line 9: override.mint.response.access_token: must be a string",
        ),
        (
            'key_id = "k"',
            'key_id = "k"\n[override]\nname = "x"',
            "line 9: override.name: a profile cannot rename",
        ),
        ('key_id = "k"', 'key_id = "k"\n[override]\nfoo = 1', "line 9: override.foo: unknown key 'foo'"),
    ],
)
def test_profile_file_errors_name_the_file_line_and_field(store, workbench_home, old, new, expected):
    assert old in GOOD
    write_profile(workbench_home, "foo", GOOD.replace(old, new, 1))
    with pytest.raises(ProfileError) as info:
        store.get("foo")
    assert str(info.value).startswith(f"profiles/foo.toml {expected}"), str(info.value)


def test_the_design_example_message_is_exact(store, workbench_home):
    write_profile(workbench_home, "foo", GOOD.replace("https://api.test/v1/auth", "api.test"))
    with pytest.raises(ProfileError) as info:
        store.get("foo")
    assert str(info.value) == "profiles/foo.toml line 4: base_url: must start with http:// or https://"


def test_invalid_toml_in_a_profile_names_the_line(store, workbench_home):
    write_profile(workbench_home, "foo", GOOD.replace('key_id = "k"', "key_id = k"))
    with pytest.raises(ProfileError, match=r"^profiles/foo\.toml line 7: not valid TOML: "):
        store.get("foo")


def test_a_profile_override_changes_the_preset_it_runs_with(store, workbench_home):
    write_profile(
        workbench_home,
        "foo",
        GOOD + '\n[override.token]\nscheme = "JWT"\n\n[override.mint]\npath = "/v2/api-key/token"\n',
    )
    profile = store.get("foo")
    assert profile.preset.data["token"]["scheme"] == "JWT"
    assert profile.preset.data["mint"]["path"] == "/v2/api-key/token"
    assert profile.preset.data["mint"]["retry_on_clock_skew"] is True
    assert PresetCatalog.load_default().get("true-markets").data["token"]["scheme"] == "Bearer"
    assert "[override.token]" in store.export_text("foo")


def test_list_skips_a_broken_file_and_reports_it(store, workbench_home):
    store.create("good", preset="paymentsgate", base_url="https://pg.test", vars={}, secret_names=[])
    write_profile(workbench_home, "bad", "name = 'bad'\n")
    assert [p.name for p in store.list()] == ["good"]
    assert [str(e) for e in store.problems()] == ["profiles/bad.toml: (file): missing required key 'preset'"]


# --------------------------------------------------------------------------- TOML writer

_keys = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8)
_scalars = (
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
)
_values = st.recursive(
    _scalars | st.lists(_scalars, max_size=4),
    lambda inner: (
        st.dictionaries(_keys, inner, max_size=4)
        | st.lists(st.dictionaries(_keys, inner, max_size=3), max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6))
def test_the_toml_writer_round_trips_through_tomllib(data):
    assert tomllib.loads(dumps_toml(data)) == data


def test_the_toml_writer_keeps_templates_readable_and_exact():
    template = '{% set ts = now() %}\n{\n  "key_id": {{ vars.key_id | tojson }}\n}\n'
    text = dumps_toml({"json": template, "quote_end": "it's'", "cr": "a\r\nb", "inf": math.inf})
    assert "json = '''\n{% set ts" in text
    assert tomllib.loads(text) == {"json": template, "quote_end": "it's'", "cr": "a\r\nb", "inf": math.inf}


# --------------------------------------------------------------------------- profile add


def test_add_stores_secrets_in_the_vault_and_only_names_in_the_file(
    ctx, vault_and_backend, workbench_home, capsys
):
    pem = workbench_home.parent / "key.pem"
    pem.write_text(
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
    )
    assert (
        cli(
            ctx,
            "add",
            "tm",
            "--preset",
            "true-markets",
            "--base-url",
            "https://api.test/v1/auth",
            "--set",
            "key_id=abc",
            "--secret",
            f"private_key=@{pem}",
        )
        == 0
    )
    _, backend = vault_and_backend
    assert vault_entries(backend) == {"tm/private_key": pem.read_text()[:-1]}  # final newline dropped
    text = (workbench_home / "profiles" / "tm.toml").read_text()
    assert 'secret_names = ["private_key"]' in text
    assert "BEGIN PRIVATE KEY" not in text
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "profile 'tm' created (preset true-markets)\n"


def test_add_splits_on_the_first_equals_sign_only(ctx, vault_and_backend):
    cli(
        ctx,
        "add",
        "tot",
        "--preset",
        "token-of-trust",
        "--base-url",
        "https://tot.test",
        "--set",
        "app_domain=a=b.com",
        "--secret",
        "api_key=pk==",
        "--secret",
        "secret_key=sk=1=2",
    )
    vault = vault_and_backend[0]
    assert vault.load("tot", "api_key") == "pk=="
    assert vault.load("tot", "secret_key") == "sk=1=2"
    assert ctx.profiles.get("tot").vars == {"app_domain": "a=b.com"}


def test_add_fills_var_defaults_from_the_preset(ctx):
    cli(
        ctx,
        "add",
        "oa",
        "--preset",
        "oauth2-client-credentials",
        "--base-url",
        "https://auth.test",
        "--set",
        "client_id=cid",
        "--secret",
        "client_secret=s",
        "--set",
        "scope=read",
    )
    assert dict(ctx.profiles.get("oa").vars) == {
        "client_id": "cid",
        "client_auth": "client_secret_basic",
        "token_path": "/oauth/token",
        "scope": "read",
        "audience": "",
        "resource": "",
        "mtls_bound_tokens": "auto",
        "introspection_endpoint": "",
    }


def test_add_reads_a_secret_from_stdin(ctx, vault_and_backend, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("tok-from-stdin\n"))
    cli(
        ctx,
        "add",
        "pg",
        "--preset",
        "paymentsgate",
        "--base-url",
        "https://pg.test",
        "--secret",
        "access_token=@-",
        "--secret",
        "refresh_token=r",
    )
    assert vault_and_backend[0].load("pg", "access_token") == "tok-from-stdin"


def test_add_takes_a_literal_at_sign_when_doubled(ctx, vault_and_backend):
    cli(
        ctx,
        "add",
        "pg",
        "--preset",
        "paymentsgate",
        "--base-url",
        "https://pg.test",
        "--secret",
        "access_token=@@not-a-file",
        "--secret",
        "refresh_token=r",
    )
    assert vault_and_backend[0].load("pg", "access_token") == "@not-a-file"


def test_add_names_every_missing_input_and_the_flag_to_use(ctx):
    with pytest.raises(InputError) as info:
        cli(ctx, "add", "tm", "--preset", "true-markets", "--base-url", "https://api.test/v1/auth")
    assert str(info.value) == "true-markets needs --set key_id=… and --secret private_key=@FILE"
    with pytest.raises(InputError) as info:
        cli(
            ctx,
            "add",
            "tot",
            "--preset",
            "token-of-trust",
            "--base-url",
            "https://t.test",
            "--set",
            "app_domain=x",
        )
    assert str(info.value) == "token-of-trust needs --secret api_key=… and --secret secret_key=…"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--set", "region=eu"],
            r"true-markets has no input 'region' \(its inputs: --set key_id=…, --secret private_key",
        ),
        (["--secret", "api_key=1"], "true-markets has no input 'api_key'"),
        (
            ["--set", "private_key=x"],
            "'private_key' is a secret of true-markets: pass it with --secret private_key=…",
        ),
        (
            ["--secret", "key_id=x"],
            "'key_id' is a plain setting of true-markets: pass it with --set key_id=…",
        ),
        (["--set", "key_id=again"], "--set key_id is given twice"),
        (["--set", "novalue"], "--set expects NAME=VALUE, got 'novalue'"),
    ],
)
def test_add_refuses_inputs_the_preset_does_not_have(ctx, extra, message):
    argv = [
        "add",
        "tm",
        "--preset",
        "true-markets",
        "--base-url",
        "https://api.test/v1/auth",
        "--set",
        "key_id=k",
        "--secret",
        "private_key=pem",
        *extra,
    ]
    with pytest.raises(InputError, match=message):
        cli(ctx, *argv)
    assert not ctx.profiles.exists("tm")


def test_add_refuses_a_missing_secret_file(ctx, vault_and_backend):
    with pytest.raises(InputError, match=r"--secret private_key=@/no/such.pem: no such file"):
        cli(
            ctx,
            "add",
            "tm",
            "--preset",
            "true-markets",
            "--base-url",
            "https://a.test",
            "--set",
            "key_id=k",
            "--secret",
            "private_key=@/no/such.pem",
        )
    assert vault_and_backend[1].entries() == {}


def test_add_never_echoes_a_malformed_secret(ctx):
    with pytest.raises(InputError) as info:
        cli(
            ctx,
            "add",
            "pg",
            "--preset",
            "paymentsgate",
            "--base-url",
            "https://pg.test",
            "--secret",
            "=eyJhbGciOiJIUzI1NiJ9.e30.sig",
        )
    assert "eyJ" not in str(info.value)


def test_add_refuses_unknown_presets_and_existing_profiles(ctx):
    with pytest.raises(
        PresetError, match=r"unknown preset 'nope' .*known: api-key, api-key-sliding, basic, bearer"
    ):
        cli(ctx, *add_argv("p", "paymentsgate")[:3], "nope", "--base-url", "https://x.test")
    cli(ctx, *add_argv("p", "paymentsgate"))
    with pytest.raises(ProfileError, match="already exists") as info:
        cli(ctx, *add_argv("p", "paymentsgate"))
    assert "profile rm p" in info.value.hint


def test_add_validates_the_base_url_before_storing_any_secret(ctx, vault_and_backend):
    argv = add_argv("p", "paymentsgate")
    argv[argv.index("--base-url") + 1] = "pg.test"
    with pytest.raises(ProfileError, match="base_url: must start with http:// or https://"):
        cli(ctx, *argv)
    assert vault_and_backend[1].entries() == {}


def test_a_vault_failure_leaves_no_profile_file(workbench_home):
    ctx = AppContext(vault=Vault(BrokenKeyring()))
    with pytest.raises(VaultError):
        cli(ctx, *add_argv("p", "paymentsgate"))
    assert not (workbench_home / "profiles" / "p.toml").exists()


def test_a_failed_profile_write_removes_the_secrets_it_stored(ctx, vault_and_backend, monkeypatch):
    def refuse(self, profile):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ProfileStore, "save", refuse)
    with pytest.raises(OSError):
        cli(ctx, *add_argv("p", "paymentsgate"))
    assert vault_and_backend[1].entries() == {}


def test_add_without_a_keychain_warns_once_and_writes_no_secret(workbench_home, tmp_path, capsys):
    ctx = AppContext(vault=Vault(fail.Keyring()))
    cli(ctx, *add_argv("p", "paymentsgate", tag="nokeychain"))
    err = capsys.readouterr().err
    assert err.count("No usable OS keychain") == 1
    assert "profile 'p' created" in err
    assert ctx.vault.load("p", "access_token") == "S3CRET-paymentsgate-access_token-nokeychain-value"
    assert not any(b"S3CRET" in data for _, data in all_bytes_under(tmp_path))


# --------------------------------------------------------------------------- every preset


@pytest.mark.parametrize("preset", ALL_PRESETS)
def test_a_profile_from_every_preset_round_trips_through_export_and_import(
    preset, ctx, vault_and_backend, workbench_home, monkeypatch, capsys
):
    cli(ctx, *add_argv("p1", preset))
    capsys.readouterr()
    original = ctx.profiles.get("p1")
    cli(ctx, "export", "p1")
    exported = capsys.readouterr().out
    assert "S3CRET" not in exported
    assert tomllib.loads(exported)["secret_names"] == [i.name for i in original.preset.secret_inputs]

    cli(ctx, "rm", "p1")
    assert vault_and_backend[1].entries() == {}
    monkeypatch.setattr("sys.stdin", io.StringIO(exported))
    cli(ctx, "import", "-")
    imported = ctx.profiles.get("p1")
    assert imported.to_data() == original.to_data()
    assert imported.preset == original.preset
    err = capsys.readouterr().err
    assert "profile 'p1' imported" in err
    if original.secret_names:
        assert f"not in the vault yet: {', '.join(original.secret_names)}" in err


def test_no_secret_value_reaches_any_file_under_workbench_home(
    ctx, vault_and_backend, workbench_home, capsys
):
    stored: list[tuple[str, str, str]] = []
    for i, preset in enumerate(ALL_PRESETS):
        cli(ctx, *add_argv(f"p{i}", preset, tag=f"t{i}"))
        stored += [
            (f"p{i}", k, v) for k, v in sample_inputs(PRESETS.get(preset), tag=f"t{i}").secrets.items()
        ]
        cli(ctx, "show", f"p{i}")
        cli(ctx, "export", f"p{i}")
    cli(ctx, "list")
    cli(ctx, "list", "--json")
    out = capsys.readouterr()
    files = all_bytes_under(workbench_home)
    assert len(files) >= len(ALL_PRESETS)
    for profile, name, secret in stored:
        assert vault_and_backend[0].load(profile, name) == secret
        assert secret not in out.out and secret not in out.err
        leaks = [str(path) for path, data in files if secret.encode() in data]
        assert leaks == [], f"{secret} found in {leaks}"
    assert len(vault_entries(vault_and_backend[1])) == len(stored)


# --------------------------------------------------------------------------- list, show, rm, import


def test_list_prints_a_table_and_json(ctx, capsys):
    cli(ctx, *add_argv("b", "paymentsgate"))
    cli(ctx, *add_argv("a", "true-markets"))
    capsys.readouterr()
    cli(ctx, "list")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "PRESET", "BASE_URL"]
    assert [line.split()[:2] for line in lines[1:]] == [["a", "true-markets"], ["b", "paymentsgate"]]
    cli(ctx, "list", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert listed[0] == {
        "name": "a",
        "preset": "true-markets",
        "base_url": "https://api.example.test/v1",
        "vars": {"key_id": "var-key_id-x"},
        "secret_names": ["private_key"],
    }


def test_list_with_no_profiles_prints_nothing_on_stdout(ctx, capsys):
    cli(ctx, "list")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no profiles yet" in captured.err


def test_list_warns_about_a_broken_profile_file(ctx, workbench_home, capsys):
    cli(ctx, *add_argv("good", "paymentsgate"))
    write_profile(
        workbench_home, "bad", GOOD.replace('name = "foo"', 'name = "bad"').replace("https://", "ftp://")
    )
    capsys.readouterr()
    cli(ctx, "list")
    captured = capsys.readouterr()
    assert "good" in captured.out and "bad" not in captured.out
    assert "workbench: warning: profiles/bad.toml line 4: base_url: must start with http" in captured.err


def test_show_says_which_secrets_are_stored_without_showing_them(ctx, vault_and_backend, capsys):
    cli(ctx, *add_argv("tm", "true-markets"))
    vault_and_backend[0].store("tm", "access_token", "eyJcached")
    capsys.readouterr()
    cli(ctx, "show", "tm")
    out = capsys.readouterr().out
    assert "preset:    true-markets (True Markets)" in out
    assert 'key_id  "var-key_id-x"' in out
    assert "private_key    stored" in out
    assert "access_token   stored (cached by the engine)" in out
    assert "refresh_token  missing (obtained on first use)" in out
    assert "S3CRET" not in out and "eyJcached" not in out


def test_rm_deletes_file_secrets_tokens_and_state(ctx, vault_and_backend, workbench_home):
    cli(ctx, *add_argv("tm", "true-markets"))
    cli(ctx, *add_argv("other", "paymentsgate"))
    vault = vault_and_backend[0]
    vault.store("tm", "access_token", "a" * 3000)  # chunked
    vault.store("tm", "refresh_token", "r")
    state = workbench_home / "state" / "tm.json"
    state.parent.mkdir(exist_ok=True)
    state.write_text("{}")
    cli(ctx, "rm", "tm")
    assert not ctx.profiles.exists("tm")
    assert not state.exists()
    assert all(user.startswith("other/") for user in vault_entries(vault_and_backend[1]))
    with pytest.raises(ProfileError, match="no profile named 'tm'"):
        cli(ctx, "rm", "tm")


def test_rm_also_removes_a_profile_whose_file_no_longer_loads(ctx, vault_and_backend, workbench_home):
    cli(ctx, *add_argv("tm", "true-markets"))
    path = workbench_home / "profiles" / "tm.toml"
    path.write_text(path.read_text().replace("true-markets", "gone-preset"))
    cli(ctx, "rm", "tm")
    assert not path.exists()
    assert vault_and_backend[1].entries() == {}


def test_import_refuses_to_overwrite_and_validates(ctx, workbench_home, tmp_path):
    cli(ctx, *add_argv("tm", "true-markets"))
    exported = ctx.profiles.export_text("tm")
    src = tmp_path / "tm.toml"
    src.write_text(exported)
    with pytest.raises(ProfileError, match="already exists"):
        cli(ctx, "import", str(src))
    src.write_text(exported.replace('name = "tm"', 'name = "tm2"').replace("https://", "http//"))
    with pytest.raises(ProfileError, match=rf"^{src} line 3: base_url: must start with"):
        cli(ctx, "import", str(src))
    with pytest.raises(InputError, match="no such file"):
        cli(ctx, "import", str(tmp_path / "missing.toml"))


def test_profiles_and_presets_are_hashable_values(store):
    a = store.create("a", preset="paymentsgate", base_url="https://pg.test", vars={}, secret_names=[])
    again = store.get("a")
    assert a == again
    assert len({a, again, a.preset, again.preset}) == 2
