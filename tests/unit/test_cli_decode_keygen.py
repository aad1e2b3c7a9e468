"""`workbench decode` and `workbench keygen` as a user runs them."""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys

import jwt
import pytest

from workbench import cli
from workbench.commands import keygen
from workbench.core.context import AppContext
from workbench.core.errors import ProfileError
from workbench.core.jose import keys

RFC_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
RFC_JWK = {
    "kty": "oct",
    "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
}
SECRET = "decode-test-secret-with-32-bytes-or-more"
CONTRACT_KEYS = [
    "header",
    "payload",
    "alg",
    "signature_valid",
    "expires_at",
    "issued_at",
    "expired",
    "warnings",
]


def workbench(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def assert_one_line_error(proc, *fragments: str) -> None:
    assert proc.returncode == 1, proc
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("workbench: error: ")
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def jwk_file(tmp_path):
    path = tmp_path / "rfc.jwk.json"
    path.write_text(json.dumps(RFC_JWK))
    return path


# --------------------------------------------------------------------------- decode


def test_decode_json_of_the_rfc_example_verified_with_its_jwk_file(jwk_file):
    proc = workbench("decode", RFC_TOKEN, "--key", str(jwk_file), "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert list(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS  # contract first; added keys after
    assert data["signature_valid"] is True
    assert data["expired"] is True
    assert data["expires_at"] == "2011-03-22T18:43:00Z"
    assert data["payload"]["iss"] == "joe"
    assert [w["code"] for w in data["warnings"]] == ["expired"]


@pytest.mark.parametrize(
    ("args", "stdin", "fragments"),
    [
        (["decode", "abc"], None, ["not a JWT", "found no dots"]),
        (["decode", "a.b.c"], None, ["header segment is not valid base64url"]),
        (["decode", "bm90IGpzb24.eyJ4IjoxfQ.c2ln"], None, ["the header is not valid JSON"]),
        (["decode", "-"], "", ["no token on stdin"]),
        (["decode", "-"], "x" * 200_000, ["larger than 64 KiB"]),
        (
            ["decode", RFC_TOKEN, "--key", "/nonexistent/key.pem"],
            None,
            ["no such key file: /nonexistent/key.pem"],
        ),
        (
            ["decode", RFC_TOKEN, "--secret", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----"],
            None,
            ["never used as an HMAC secret"],
        ),
        (["decode", RFC_TOKEN, "--jwks", '{"keys": 1}'], None, ['no "keys" list']),
        (["decode", RFC_TOKEN, "--jwks", "http://127.0.0.1:9/jwks.json"], None, ["could not fetch the JWKS"]),
    ],
)
def test_decode_bad_input_is_one_line_on_stderr_and_exit_1(args, stdin, fragments):
    proc = workbench(*args, stdin=stdin)
    assert_one_line_error(proc, *fragments)
    assert proc.stdout == ""


def test_decode_with_the_wrong_secret_prints_the_result_then_fails():
    token = jwt.encode({"sub": "x"}, SECRET, algorithm="HS256")
    proc = workbench("decode", token, "--secret", "not-the-right-secret-but-long-enough-32", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["signature_valid"] is False
    assert proc.stderr.splitlines() == [
        "workbench: signature is not valid: the signature does not match the HMAC secret"
    ]


def test_decode_reads_a_bearer_header_value_from_stdin():
    token = jwt.encode({"sub": "from-stdin", "exp": 4102444800}, SECRET, algorithm="HS256")
    proc = workbench("decode", "-", "--secret", SECRET, "--json", stdin=f"Bearer {token}\n")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (
        data["payload"]["sub"] == "from-stdin"
        and data["signature_valid"] is True
        and data["expired"] is False
    )


def test_decode_does_not_import_network_keychain_or_qt_modules():
    code = (
        "import sys; from workbench import cli;"
        f"rc = cli.main(['decode', {RFC_TOKEN!r}, '--json']);"
        "heavy = [m for m in ('httpx', 'keyring', 'PySide6', 'jwt', 'cryptography') if m in sys.modules];"
        "assert rc == 0 and not heavy, heavy"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_decode_human_output_tells_the_story(capsys, jwk_file):
    assert cli.main(["decode", RFC_TOKEN, "--key", str(jwk_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Header\n{\n")
    assert '"iss": "joe"' in out
    assert "alg        HS256" in out
    assert "signature  valid (oct JWK)" in out
    assert "expires    2011-03-22 18:43:00 UTC (" in out and "ago) — EXPIRED" in out
    assert "! expired" in out


def test_decode_human_output_without_a_key_and_with_warnings(capsys):
    token = jwt.encode({"sub": "x"}, SECRET, algorithm="HS256", headers={"kid": "../../keys/prod"})
    assert cli.main(["decode", token]) == 0
    out = capsys.readouterr().out
    assert "signature  not checked (no key given: use --secret, --key or --jwks)" in out
    assert "expires    never (no exp claim)" in out
    assert "! no-exp" in out and "! suspicious-kid" in out


def test_decode_escapes_terminal_tricks_in_claims(capsys):
    token = jwt.encode({"name": "evil\u202etxt.exe", "bell": "\x07\x1b[31m"}, SECRET, algorithm="HS256")
    cli.main(["decode", token])
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\x1b" not in out and "\x07" not in out
    assert "\\u202e" in out and "\\u001b" in out


def test_decode_with_a_secret_file_and_a_jwks_file(tmp_path, capsys):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n")
    token = jwt.encode({"sub": "x"}, SECRET, algorithm="HS256")
    assert cli.main(["decode", token, "--secret", f"@{secret_file}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signature_valid"] is True

    pair = keys.generate_key_pair("ES256")
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [pair.public_jwk()]}))
    signed = jwt.encode({"sub": "y"}, pair.private_key, algorithm="ES256", headers={"kid": pair.kid})
    assert cli.main(["decode", signed, "--jwks", str(jwks_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signature_valid"] is True


def test_decode_alg_none_with_a_key_fails(capsys):
    token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."
    assert cli.main(["decode", token, "--secret", SECRET, "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["signature_valid"] is False
    assert [w["code"] for w in data["warnings"]][:1] == ["alg-none"]
    assert "unsigned" in captured.err


# --------------------------------------------------------------------------- keygen


def test_keygen_out_writes_a_0600_private_key_and_the_thumbprint_kid(tmp_path):
    out = tmp_path / "tm-key"
    proc = workbench("keygen", "--alg", "ES256", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((out / "private.pem").stat().st_mode) == 0o600
    jwk = json.loads((out / "public.jwk.json").read_text())
    assert jwk["kid"] == keys.jwk_thumbprint(jwk)
    assert f"kid {jwk['kid']}" in proc.stdout.splitlines()
    assert f"wrote {out / 'private.pem'} (private key, PKCS#8, mode 0600)" in proc.stdout
    private = keys.load_private_key((out / "private.pem").read_bytes())
    assert keys.public_jwk(private)["kid"] == jwk["kid"]
    assert (out / "public.pem").read_bytes() == keys.public_pem(private)
    # A second run never overwrites the key.
    again = workbench("keygen", "--out", str(out))
    assert_one_line_error(again, "already exists")
    assert (
        keys.load_private_key((out / "private.pem").read_bytes()).private_numbers()
        == private.private_numbers()
    )


@pytest.mark.parametrize("alg", ["ES384", "EdDSA"])
def test_keygen_without_out_prints_the_private_key_and_the_public_parts(capsys, alg):
    assert cli.main(["keygen", "--alg", alg]) == 0
    out = capsys.readouterr().out
    private_pem = out[: out.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----\n")]
    public_pem = out[
        len(private_pem) : out.index("-----END PUBLIC KEY-----") + len("-----END PUBLIC KEY-----\n")
    ]
    jwk = json.loads(out[len(private_pem) + len(public_pem) :])
    private = keys.load_private_key(private_pem)
    assert keys.public_pem(private).decode() == public_pem
    assert jwk == keys.public_jwk(private, alg=alg)


def test_keygen_rs256_jwk_is_an_rsa_key(tmp_path):
    assert cli.main(["keygen", "--alg", "RS256", "--out", str(tmp_path)]) == 0
    jwk = json.loads((tmp_path / "public.jwk.json").read_text())
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["e"] == "AQAB"


@pytest.fixture
def memory_context(workbench_home):
    from workbench.core.storage.vault import MemoryKeyring, Vault

    ctx = AppContext(vault=Vault(MemoryKeyring()))
    ctx.profiles.create(
        "tm",
        preset="true-markets",
        base_url="https://api.uat.truemarkets.co/v1/auth",
        vars={"key_id": "0b1f2e9c-6c44-4e1f-9c39-5f0b4d5c2a11"},
        secret_names=["private_key"],
    )
    ctx.profiles.create(
        "pg",
        preset="paymentsgate",
        base_url="https://api.example.com",
        vars={},
        secret_names=["access_token", "refresh_token"],
    )
    return ctx


def keygen_args(**kw) -> argparse.Namespace:
    return argparse.Namespace(**{"alg": "ES256", "out": None, "profile": None, **kw})


def test_keygen_profile_stores_the_private_key_in_the_vault_and_prints_only_public_parts(
    memory_context, capsys
):
    assert keygen.run(keygen_args(profile="tm"), memory_context) == 0
    captured = capsys.readouterr()
    stored = memory_context.vault.load("tm", "private_key")
    assert stored.startswith("-----BEGIN PRIVATE KEY-----")
    assert "PRIVATE KEY" not in captured.out
    jwk = json.loads(captured.out[captured.out.index("{") :])
    assert keys.public_jwk(keys.load_private_key(stored))["kid"] == jwk["kid"]
    assert "stored the private key in profile 'tm'" in captured.err


def test_keygen_profile_and_out_do_both(memory_context, tmp_path, capsys):
    assert keygen.run(keygen_args(profile="tm", out=str(tmp_path / "k")), memory_context) == 0
    assert (
        memory_context.vault.load("tm", "private_key").encode()
        == (tmp_path / "k" / "private.pem").read_bytes()
    )
    assert "stored the private key in profile 'tm' (private_key)" in capsys.readouterr().out


def test_keygen_refuses_an_unknown_profile_or_one_without_a_private_key(memory_context):
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        keygen.run(keygen_args(profile="nope"), memory_context)
    with pytest.raises(ProfileError, match="takes no private_key"):
        keygen.run(keygen_args(profile="pg"), memory_context)
    assert memory_context.vault.load("pg", "private_key") is None


@pytest.mark.keychain
def test_keygen_profile_key_survives_the_process_in_the_real_keychain(secret_service, workbench_home):
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore
    from workbench.core.storage.vault import Vault

    ProfileStore(presets=PresetCatalog.load_default()).create(
        "tm-real",
        preset="true-markets",
        base_url="https://api.uat.truemarkets.co/v1/auth",
        vars={"key_id": "0b1f2e9c-6c44-4e1f-9c39-5f0b4d5c2a11"},
        secret_names=["private_key"],
    )
    proc = workbench("keygen", "--profile", "tm-real", env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    jwk = json.loads(proc.stdout[proc.stdout.index("{") :])
    vault = Vault()
    try:
        stored = vault.load("tm-real", "private_key")
        assert stored is not None
        assert keys.public_jwk(keys.load_private_key(stored))["kid"] == jwk["kid"]
    finally:
        vault.delete("tm-real", "private_key")


def test_keygen_profile_refuses_when_there_is_no_keychain_to_keep_the_key(workbench_home, tmp_path):
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore

    ProfileStore(presets=PresetCatalog.load_default()).create(
        "tm",
        preset="true-markets",
        base_url="https://api.uat.truemarkets.co/v1/auth",
        vars={"key_id": "0b1f2e9c-6c44-4e1f-9c39-5f0b4d5c2a11"},
        secret_names=["private_key"],
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = workbench("keygen", "--profile", "tm", "--out", str(tmp_path / "k"), env=env)
    assert_one_line_error(proc, "no usable OS keychain", "--out DIR alone")
    assert proc.stdout == ""
    assert not (tmp_path / "k").exists()  # refused before anything was generated or written


def test_decode_verifies_against_a_jwks_url_over_loopback_http():
    from tests.unit.test_jwtinspect import _JwksServer

    pair = keys.generate_key_pair("ES256")
    token = jwt.encode(
        {"sub": "z", "exp": 4102444800}, pair.private_key, algorithm="ES256", headers={"kid": pair.kid}
    )
    stranger = keys.generate_key_pair("ES256")
    forged = jwt.encode({"sub": "z"}, stranger.private_key, algorithm="ES256", headers={"kid": pair.kid})
    body = json.dumps({"keys": [pair.public_jwk()]}).encode()
    with _JwksServer({"/.well-known/jwks.json": (200, body)}) as server:
        url = server.url + "/.well-known/jwks.json"
        good = workbench("decode", token, "--jwks", url, "--json")
        bad = workbench("decode", forged, "--jwks", url)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["signature_valid"] is True
    assert bad.returncode == 1
    assert "signature  INVALID — the signature does not match the EC P-256 key kid" in bad.stdout
    assert bad.stderr.startswith("workbench: signature is not valid: ")


# --------------------------------------------------------------------------- JOSE beyond JSON JWTs


def _rfc7520():
    from pathlib import Path

    return json.loads((Path(__file__).parents[1] / "fixtures" / "rfc7520.json").read_text(encoding="utf-8"))


def test_decode_json_verifies_the_rfc7520_text_payload_and_gives_it_as_a_string():
    vectors = _rfc7520()
    proc = workbench(
        "decode", vectors["jws"]["HS256"], "--jwks", json.dumps(vectors["keys"]["oct"]), "--json"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert data["payload"] == vectors["payload"]
    assert data["payload_format"] == "text"
    assert data["signature_valid"] is True
    assert data["expires_at"] is None and data["expired"] is None


def test_decode_prints_a_text_payload_and_verifies_it():
    vectors = _rfc7520()
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = workbench(
        "decode", vectors["jws"]["ES512"], "--key", json.dumps(vectors["keys"]["ec_public"]), env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "Payload (text, not JSON)" in proc.stdout
    assert "dangerous business, Frodo" in proc.stdout
    assert "signature  valid (EC P-521 key" in proc.stdout
    assert "expires    unknown (the payload holds no claims)" in proc.stdout


def test_decode_shows_a_jwe_header_and_exits_0():
    vectors = _rfc7520()
    proc = workbench("decode", vectors["nesting"]["encrypted"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("JWE (encrypted)")
    assert '"cty": "JWT"' in proc.stdout
    assert "only its recipient's private key can open it" in proc.stdout
    data = json.loads(workbench("decode", vectors["nesting"]["encrypted"], "--json").stdout)
    assert data["type"] == "JWE" and data["payload"] is None and data["header"]["enc"] == "A128GCM"


def test_decode_shows_a_nested_token_indented():
    vectors = _rfc7520()
    secret = "nested-outer-secret-0123456789abcdef"
    outer = jwt.api_jws.encode(
        vectors["nesting"]["signed"].encode(), secret, algorithm="HS256", headers={"cty": "JWT"}
    )
    proc = workbench("decode", outer, "--secret", secret)
    assert proc.returncode == 0, proc.stderr
    assert "Nested token (decoded, its signature not checked)" in proc.stdout
    assert '\n      "iss": "hobbiton.example",\n' in proc.stdout
    assert "Payload (a nested token, decoded below)" in proc.stdout
    assert "\n    alg        PS256\n" in proc.stdout
