"""`workbench jwt sign`, `jwt encrypt` and `decode --decrypt-key` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import jwt
import pytest

from tests.integration.conftest import ROOT, add_profile, one_line_error, run_cli
from workbench.core.jose import keys


@pytest.fixture
def key_dir(tmp_path):
    out = tmp_path / "keys"
    pair = keys.generate_key_pair("ES256")
    keys.write_key_files(pair, out)
    return out, pair


def test_sign_with_a_key_file_typed_claims_and_relative_times(key_dir, workbench_home):
    out, pair = key_dir
    run = run_cli(
        "jwt", "sign", "--key", str(out / "private.pem"), "--sub", "alice", "--aud", "api", "--iss", "me",
        "--exp", "15m", "--jti", "auto", "--claim", "n=42", "--claim", "admin=true", "--claim", 'roles=["a"]',
        "--header", "typ=at+jwt",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    token = run.stdout.strip()
    claims = jwt.decode(
        token, pair.private_key.public_key(), algorithms=["ES256"], audience="api", issuer="me"
    )
    assert (claims["n"], claims["admin"], claims["roles"], claims["exp"] - claims["iat"]) == (
        42,
        True,
        ["a"],
        900,
    )
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "typ": "at+jwt", "kid": pair.kid}


def test_sign_reads_the_payload_from_stdin_and_prints_json(key_dir, workbench_home):
    out, pair = key_dir
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "jwt", "sign", "--key", str(out / "private.pem"),
         "--format", "json", "--iat", "none", "-"],
        input='{"sub": "from-stdin", "scope": "read"}', capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["payload"] == {"sub": "from-stdin", "scope": "read"}
    assert shown["header"]["kid"] == pair.kid and shown["jwk"]["kid"] == pair.kid
    assert jwt.decode(shown["token"], pair.private_key.public_key(), algorithms=["ES256"]) == shown["payload"]


def test_hmac_secrets_from_env_file_base64_and_prompt(tmp_path, workbench_home):
    secret = "correct horse battery staple, long enough"
    env = {"HMAC": secret}
    from_env = run_cli("jwt", "sign", "--secret", "@env:HMAC", "--sub", "e", env=env)
    assert jwt.decode(from_env.stdout.strip(), secret, algorithms=["HS256"])["sub"] == "e"
    (tmp_path / "s.txt").write_text(secret + "\n")
    from_file = run_cli("jwt", "sign", "--secret", f"@{tmp_path / 's.txt'}", "--alg", "HS384", "--sub", "f")
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):  # PyJWT agrees: 41 bytes is short for HS384
        assert jwt.decode(from_file.stdout.strip(), secret, algorithms=["HS384"])["sub"] == "f"
    assert "shorter than HS384's hash" in from_file.stderr
    raw = os.urandom(32)
    env64 = {"B64": __import__("base64").b64encode(raw).decode()}
    from_b64 = run_cli("jwt", "sign", "--secret", "@env:B64", "--secret-base64", "--sub", "b", env=env64)
    assert jwt.decode(from_b64.stdout.strip(), raw, algorithms=["HS256"])["sub"] == "b"
    asked = subprocess.run(
        [sys.executable, "-m", "workbench", "jwt", "sign", "--alg", "HS256", "--sub", "p"],
        input=secret + "\n", capture_output=True, text=True, cwd=ROOT, timeout=60,
        start_new_session=True,  # no controlling terminal: getpass reads the secret from stdin
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert jwt.decode(asked.stdout.strip(), secret, algorithms=["HS256"])["sub"] == "p"
    assert secret not in asked.stdout + asked.stderr + from_env.stderr


def test_with_the_payload_on_stdin_the_secret_is_not_asked_for_there(workbench_home):
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "jwt", "sign", "--alg", "HS256", "-"],
        input='{"sub": "x"}', capture_output=True, text=True, cwd=ROOT, timeout=60,
        start_new_session=True,  # no controlling terminal: getpass would read stdin
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("workbench: error: the payload comes from stdin, so the secret cannot")
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--secret", "@env:SHORT"], "the HMAC secret is 5 bytes; HS256 needs at least 32"),
        (["--secret", "@env:LONG", "--header", 'crit=["exp"]', "--header", "exp=1"], "crit lists 'exp'"),
        (["--secret", "@env:LONG", "--alg", "RS256"], "cannot sign RS256"),
        (["--secret", "@env:LONG", "--alg", "none"], "alg none makes an unsigned token"),
        (["--secret", "@env:LONG", "--exp", "soon"], "exp 'soon' is not a time"),
        (["--secret", "@env:LONG", "--claim", "novalue"], "--claim 'novalue' is not K=V"),
        (["--secret", "@env:NOPE"], "@env:NOPE: that environment variable is not set"),
        (["--key", "keychain:../x"], "key name '../x' may only use"),
        (["--key", "/nonexistent/key.pem"], "/nonexistent/key.pem: no such file"),
        (["--new-key", "ES256", "--secret", "@env:LONG"], "--new-key makes the signing key"),
    ],
)
def test_bad_sign_input_is_one_line(args, expected, workbench_home):
    run = run_cli("jwt", "sign", *args, env={"SHORT": "short", "LONG": "x" * 40})
    assert run.returncode != 0
    assert expected in one_line_error(run)


def test_a_payload_that_is_not_json_is_one_line(tmp_path, workbench_home):
    (tmp_path / "p.json").write_text("[1, 2]")
    run = run_cli("jwt", "sign", "--secret", "@env:LONG", str(tmp_path / "p.json"), env={"LONG": "x" * 40})
    assert "is an array, not a JSON object" in one_line_error(run)


def test_a_short_secret_signs_with_allow_weak_and_says_so(workbench_home):
    run = run_cli("jwt", "sign", "--secret", "@env:S", "--allow-weak", env={"S": "short"})
    assert run.returncode == 0 and "warning: the HMAC secret is 5 bytes" in run.stderr
    assert jwt.decode(run.stdout.strip(), options={"verify_signature": False})["iat"] > 0


def test_alg_none_with_allow_none(workbench_home):
    run = run_cli("jwt", "sign", "--alg", "none", "--allow-none", "--sub", "x")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith(".") and jwt.get_unverified_header(run.stdout.strip())["alg"] == "none"


def test_sign_encrypt_then_decode_opens_and_verifies_the_nested_token(key_dir, tmp_path, workbench_home):
    out, _pair = key_dir
    recipient = tmp_path / "recipient"
    keys.write_key_files(keys.generate_key_pair("RS256"), recipient)
    signed = run_cli("jwt", "sign", "--key", str(out / "private.pem"), "--sub", "nested", "--exp", "5m")
    token_file = tmp_path / "token.txt"
    token_file.write_text(signed.stdout)
    sealed = run_cli(
        "jwt", "encrypt", "--key", str(recipient / "public.pem"), "--format", "json", str(token_file)
    )
    assert sealed.returncode == 0, sealed.stderr
    shown = json.loads(sealed.stdout)
    assert shown["header"]["alg"] == "RSA-OAEP-256" and shown["header"]["cty"] == "JWT"

    decoded = run_cli(
        "decode", shown["token"], "--decrypt-key", str(recipient / "private.pem"),
        "--key", str(out / "public.pem"), "--json",
    )  # fmt: skip
    assert decoded.returncode == 0, decoded.stderr
    assert '"signature_valid": true' in decoded.stdout and "nested" in decoded.stdout
    human = run_cli("decode", shown["token"], "--decrypt-key", str(recipient / "private.pem"),
                    "--key", str(out / "public.pem"))  # fmt: skip
    assert "Nested token (decrypted)" in human.stdout and "valid (EC P-256 key)" in human.stdout

    wrong = run_cli("decode", shown["token"], "--decrypt-key", str(out / "private.pem"))
    assert "cannot be used" in one_line_error(wrong) or "cannot open" in one_line_error(wrong)


def test_encrypt_with_a_shared_key_dir_and_decode_with_its_oct_jwk(tmp_path, workbench_home):
    secret = os.urandom(32)
    k = keys.b64url_encode(secret)
    (tmp_path / "oct.json").write_text(json.dumps({"kty": "oct", "k": k}))
    (tmp_path / "claims.json").write_text('{"sub": "dir"}')
    sealed = run_cli(
        "jwt", "encrypt", "--secret", "@env:K", "--secret-base64", "--alg", "dir", "--enc", "A128CBC-HS256",
        str(tmp_path / "claims.json"), env={"K": k},
    )  # fmt: skip
    assert sealed.returncode == 0, sealed.stderr
    decoded = run_cli("decode", sealed.stdout.strip(), "--decrypt-key", str(tmp_path / "oct.json"), "--json")
    assert json.loads(decoded.stdout)["payload"] == {"sub": "dir"}


@pytest.mark.keychain
def test_a_new_key_kept_in_the_keychain_signs_again_later(secret_service, workbench_home):
    name = f"issuer-{uuid.uuid4().hex[:8]}"
    made = run_cli("jwt", "sign", "--new-key", "ES384", "--key", f"keychain:{name}", "--format", "json")
    assert made.returncode == 0, made.stderr
    first = json.loads(made.stdout)
    assert f"kept in the keychain as '{name}'" in made.stderr
    again = run_cli("jwt", "sign", "--key", f"keychain:{name}", "--format", "json")
    second = json.loads(again.stdout)
    assert first["header"]["kid"] == second["header"]["kid"] and second["header"]["alg"] == "ES384"
    public = keys.load_public_key(json.dumps(second["jwk"]))
    jwt.decode(second["token"], public, algorithms=["ES384"])
    taken = run_cli("jwt", "sign", "--new-key", "ES256", "--key", f"keychain:{name}")
    assert f"already holds a key named '{name}'" in one_line_error(taken)
    missing = run_cli("jwt", "sign", "--key", "keychain:never-made")
    assert "no signing key named 'never-made'" in one_line_error(missing)


@pytest.mark.keychain
def test_sign_with_a_profiles_key_slot(secret_service, sandbox, workbench_home):
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore
    from workbench.core.storage.vault import Vault

    vault = Vault()
    name = f"tm-{uuid.uuid4().hex[:8]}"
    add_profile(ProfileStore(presets=PresetCatalog.load_default()), vault, sandbox, "true-markets", name)
    pem = vault.load(name, "private_key")
    try:
        run = run_cli("jwt", "sign", "--profile", name, "--sub", "slot")
        assert run.returncode == 0, run.stderr
        public = keys.load_private_key(pem).public_key()
        assert jwt.decode(run.stdout.strip(), public, algorithms=["ES256"])["sub"] == "slot"
        assert jwt.get_unverified_header(run.stdout.strip())["kid"] == keys.public_jwk(public)["kid"]
        no_slot = run_cli("jwt", "sign", "--profile", "nope-not-there")
        assert "nope-not-there" in one_line_error(no_slot)
    finally:
        vault.delete_profile(name, ["private_key", "access_token", "refresh_token"])
