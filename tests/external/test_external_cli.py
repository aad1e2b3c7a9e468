"""The integrated CLI, from the outside, against strict emulators written from the seeds.

Nothing here uses workbench.sandbox or workbench's own code: profiles are made with
`workbench profile add` exactly as the CLI contract documents each preset's inputs,
every command runs as a real subprocess, and the emulators (tests/external/emulators.py)
check what reaches the wire. Secrets live in a file keyring OUTSIDE WORKBENCH_HOME, so
the "no secret bytes under WORKBENCH_HOME" scan is meaningful.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from tests.external.emulators import ApiKeySliding, MarkeTiger3D, PaymentsGate, TokenOfTrust, TrueMarkets

ROOT = Path(__file__).resolve().parents[2]
TOKEN_JSON_KEYS = {"access_token", "token_type", "expires_at", "expires_in", "obtained_by"}
DECODE_KEYS = [
    "header",
    "payload",
    "alg",
    "signature_valid",
    "expires_at",
    "issued_at",
    "expired",
    "warnings",
]


class Cli:
    def __init__(self, home: Path, keyring_file: Path) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "WORKBENCH_HOME": str(home),
            "PYTHON_KEYRING_BACKEND": "tests.faults.file_keyring.FileKeyring",
            "WB_TEST_KEYRING_FILE": str(keyring_file),
            "PYTHONPATH": str(ROOT),
        }
        self.secrets: list[str] = []  # every secret/token value seen: none may land in home

    def __call__(
        self, *args: str, ok: bool = True, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            input=stdin,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if ok:
            assert proc.returncode == 0, (args, proc.stderr)
        return proc

    def fails(self, *args: str, **kw: object) -> str:
        """Runs a command that must fail: non-zero exit, one `workbench: error:` line."""
        proc = self(*args, ok=False, **kw)  # type: ignore[arg-type]
        assert proc.returncode != 0, (args, proc.stdout)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("workbench: error: ")]
        assert len(errors) == 1, proc.stderr
        return errors[0]

    def token_json(self, *args: str) -> dict[str, object]:
        out = json.loads(self(*args, "--json").stdout)
        assert set(out) == TOKEN_JSON_KEYS, out
        self.secrets.append(str(out["access_token"]))
        return out

    def assert_home_clean(self) -> None:
        blobs = [p.read_bytes() for p in self.home.rglob("*") if p.is_file()]
        for value in self.secrets:
            assert value and len(value) >= 8
            for blob in blobs:
                assert value.encode() not in blob, f"a secret/token ({value[:12]}...) is under WORKBENCH_HOME"


@pytest.fixture
def cli(workbench_home: Path, tmp_path: Path) -> Iterator[Cli]:
    runner = Cli(workbench_home, tmp_path / "keyring.json")
    yield runner
    runner.assert_home_clean()


def _exp(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["exp"])


# ====================================================================== true-markets
def test_true_markets_keygen_mint_cache_refresh_rotation_decode_and_skew(cli: Cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    cli("keygen", "--alg", "ES256", "--out", str(keys))
    private = keys / "private.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    jwk = json.loads((keys / "public.jwk.json").read_text())
    # RFC 7638 thumbprint of an EC key: SHA-256 over {"crv","kty","x","y"}, base64url.
    import base64
    import hashlib

    canon = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    assert (
        jwk["kid"] == base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).rstrip(b"=").decode()
    )
    cli.secrets.append(private.read_text().splitlines()[1])

    with TrueMarkets() as tm:
        tm.offset = 100  # the provider's clock is 100 s ahead: signed timestamps must follow it
        key_id = tm.register((keys / "public.pem").read_bytes())
        cli(
            "profile",
            "add",
            "tm",
            "--preset",
            "true-markets",
            "--base-url",
            tm.base_url,
            "--set",
            f"key_id={key_id}",
            "--secret",
            f"private_key=@{private}",
        )

        first = cli.token_json("token", "tm")
        assert first["obtained_by"] == "mint" and first["token_type"] == "Bearer"
        assert tm.calls.get("mint", 0) >= 1
        # expires_in from the provider is a date-time; the CLI reports whole seconds and an ISO time.
        assert isinstance(first["expires_in"], int) and 800 <= first["expires_in"] <= 1000
        assert str(first["expires_at"]).endswith("Z")
        assert tm.valid_access(str(first["access_token"]))

        bare = cli("token", "tm").stdout
        assert bare == f"{first['access_token']}\n", "second process: cached token, bare, one line"

        mints = tm.calls["mint"]
        refreshed = cli.token_json("token", "tm", "--refresh")
        assert refreshed["obtained_by"] == "refresh" and tm.calls["refresh"] == 1
        assert refreshed["access_token"] != first["access_token"]
        # Rotation: the spent refresh token is gone; the next refresh must use the new one.
        again = cli.token_json("token", "tm", "--refresh")
        assert again["obtained_by"] == "refresh" and tm.calls["refresh"] == 2
        assert tm.calls["mint"] == mints

        minted = cli.token_json("token", "tm", "--mint")
        # A new process starts from the clock offset the last one learnt: no rejected probe.
        assert minted["obtained_by"] == "mint" and tm.calls["mint"] - mints == 1

        # decode against the provider's JWKS at the ORIGIN (not under /v1/auth).
        token = str(minted["access_token"])
        out = json.loads(
            cli("decode", token, "--jwks", f"{tm.origin}/.well-known/jwks.json", "--json").stdout
        )
        assert list(out)[:8] == DECODE_KEYS
        assert out["signature_valid"] is True and out["alg"] == "ES256" and out["expired"] is False
        assert out["header"]["kid"] == tm.kid and out["payload"]["sub"] == key_id
        assert out["expires_at"].endswith("Z") and out["issued_at"].endswith("Z")
        assert isinstance(out["warnings"], list)
        piped = json.loads(cli("decode", "-", "--json", stdin=token + "\n").stdout)
        assert piped["signature_valid"] is None and piped["payload"] == out["payload"]

        # call: a path relative to the base URL, and an absolute URL on the same origin.
        rel = json.loads(cli("call", "tm", "GET", "/accounts?x=1", "-H", "X-Trace: abc").stdout)
        assert rel["headers"]["authorization"] == f"Bearer {token}" and rel["headers"]["x-trace"] == "abc"
        assert rel["query"] == "x=1"
        assert rel["path"] in ("/v1/auth/accounts", "/accounts")
        absolute = json.loads(
            cli("call", "tm", "POST", f"{tm.origin}/gateway/orders", "--json-body", '{"qty": 2}').stdout
        )
        assert absolute["path"] == "/gateway/orders" and absolute["body"] == {"qty": 2}
        assert absolute["headers"]["content-type"].startswith("application/json")

        # A key that did not sign it: the result, then exit 1 (decode --help).
        assert cli("decode", token, "--key", str(keys / "public.pem"), ok=False).returncode == 1

        # The API refuses the token and the provider no longer knows the refresh token: the
        # one re-obtain falls back to a mint, and the one retry succeeds.
        tm.revoked.add(token)
        tm.refresh_tokens.clear()
        before = dict(tm.calls)
        echoed = json.loads(cli("call", "tm", "GET", f"{tm.origin}/gateway/me").stdout)
        assert echoed["path"] == "/gateway/me"
        assert tm.calls["mint"] - before["mint"] == 1 and tm.calls["refresh"] - before["refresh"] == 1

        # A wrong key_id is the provider's 401: one line, non-zero, nothing stored lost.
        cli("profile", "set", "tm", "--set", "key_id=00000000-0000-0000-0000-000000000000")
        line = cli.fails("token", "tm", "--mint")
        assert "unknown key_id" in line
        cli("profile", "set", "tm", "--set", f"key_id={key_id}")
        assert cli.token_json("token", "tm", "--mint")["obtained_by"] == "mint"
    # One probe for the first mint; changing key_id makes the stored state (and its learnt offset)
    # another profile's, so each of the two mints after `profile set` probes once.
    assert tm.rejected_skew == 3


def test_a_new_process_uses_the_provider_clock_offset_the_last_one_learnt(cli: Cli, tmp_path: Path) -> None:
    """The provider's clock is 100 s ahead and its tokens live 120 s: expiry and signed
    timestamps follow the provider's clock in every process, not only the one that saw `Date`."""
    keys = tmp_path / "keys"
    cli("keygen", "--alg", "ES256", "--out", str(keys))
    with TrueMarkets(access_lifetime=120) as tm:
        tm.offset = 100
        key_id = tm.register((keys / "public.pem").read_bytes())
        cli(
            "profile",
            "add",
            "tm",
            "--preset",
            "true-markets",
            "--base-url",
            tm.base_url,
            "--set",
            f"key_id={key_id}",
            "--secret",
            f"private_key=@{keys / 'private.pem'}",
        )
        first = cli.token_json("token", "tm")
        assert first["obtained_by"] == "mint" and tm.rejected_skew == 1
        cached = cli.token_json("token", "tm")
        assert cached["obtained_by"] == "cache" and cached["access_token"] == first["access_token"]
        # Seconds left on the provider's clock (a process on the local clock said ~219).
        assert 100 <= int(str(cached["expires_in"])) <= 120, cached
        assert cli.token_json("token", "tm", "--mint")["obtained_by"] == "mint"
        assert tm.rejected_skew == 1, "the new process signed with the local clock first"


def test_call_in_a_new_process_judges_expiry_on_the_provider_clock(cli: Cli, tmp_path: Path) -> None:
    """Tokens live 3 s on a provider 100 s ahead: 3.5 s after a mint, `call` (a new process)
    renews before sending; on the local clock the token would look ~100 s from expiry and be
    sent, refused with a 401, and sent again."""
    keys = tmp_path / "keys"
    cli("keygen", "--alg", "ES256", "--out", str(keys))
    with TrueMarkets(access_lifetime=3) as tm:
        tm.offset = 100
        key_id = tm.register((keys / "public.pem").read_bytes())
        cli(
            "profile", "add", "tm", "--preset", "true-markets", "--base-url", tm.base_url,
            "--set", f"key_id={key_id}", "--secret", f"private_key=@{keys / 'private.pem'}",
        )  # fmt: skip
        assert cli.token_json("token", "tm")["obtained_by"] == "mint"
        time.sleep(3.5)
        cli("call", "tm", "GET", "/api/echo")
        assert tm.calls["api"] == 1, "call sent a token that had expired on the provider's clock"


# ====================================================================== marketiger3d
def test_marketiger3d_pasted_pair_refresh_with_both_tokens_and_rotation(cli: Cli, tmp_path: Path) -> None:
    with MarkeTiger3D() as mt:
        access, refresh = mt.login(access_lifetime=-5)  # already expired when pasted
        cli.secrets += [access, refresh]
        refresh_file = tmp_path / "refresh.txt"
        refresh_file.write_text(refresh + "\n")
        cli(
            "profile",
            "add",
            "mt",
            "--preset",
            "marketiger3d",
            "--base-url",
            mt.base_url,
            "--secret",
            f"access_token={access}",
            "--secret",
            f"refresh_token=@{refresh_file}",
        )

        got = cli.token_json("token", "mt")
        assert got["obtained_by"] == "refresh" and mt.calls["refresh"] == 1
        sent = json.loads(next(e for e in mt.log if e["path"] == "/v2/Auth/RefreshToken")["raw"])
        assert sent == {"accessToken": access, "refreshToken": refresh}
        # No expiry field: the JWT's exp gives expires_at/expires_in.
        assert isinstance(got["expires_in"], int) and 800 <= got["expires_in"] <= 900

        rotated = cli.token_json("token", "mt", "--refresh")
        assert (
            rotated["obtained_by"] == "refresh" and mt.calls["refresh"] == 2
        )  # the NEW refresh token worked

        # 401 on the API: re-obtain once (refresh) and retry once.
        mt.revoked.add(str(rotated["access_token"]))
        before = mt.calls["refresh"]
        echoed = json.loads(cli("call", "mt", "/v2/Projects").stdout)
        assert mt.calls["refresh"] == before + 1 and echoed["path"] == "/v2/Projects"

        # The provider's envelope error reaches the user in one line.
        mt.pairs.clear()
        line = cli.fails("token", "mt", "--refresh")
        assert "Invalid or expired refresh token" in line


# ====================================================================== token-of-trust
def test_token_of_trust_mint_verify_and_expired_401_mints_and_retries(cli: Cli) -> None:
    with TokenOfTrust() as tot:
        cli.secrets += [tot.api_key, tot.secret_key]
        cli(
            "profile",
            "add",
            "tot",
            "--preset",
            "token-of-trust",
            "--base-url",
            tot.base_url,
            "--set",
            f"app_domain={tot.app_domain}",
            "--secret",
            f"api_key={tot.api_key}",
            "--secret",
            "secret_key=@env:TOT_SECRET",
            env={"TOT_SECRET": tot.secret_key},
        )
        mint = next(e for e in tot.log if e["method"] == "POST") if tot.log else None
        assert mint is None, "profile add must not call the provider"

        got = cli.token_json("token", "tot")
        assert got["obtained_by"] == "mint" and got["expires_in"] in range(880, 901)
        assert tot.calls["mint"] == 1
        assert cli.token_json("token", "tot")["obtained_by"] == "cache" and tot.calls["mint"] == 1
        # No refresh for this provider: --refresh either says so or mints again (never a cached token).
        forced = cli("token", "tot", "--refresh", "--json", ok=False)
        if forced.returncode == 0:
            assert json.loads(forced.stdout)["obtained_by"] == "mint" and tot.calls["mint"] == 2
            got = json.loads(forced.stdout)
            cli.secrets.append(str(got["access_token"]))
        else:
            assert forced.stderr.startswith("workbench: error: ") and tot.calls["mint"] == 1

        header = cli("token", "tot", "--format", "header").stdout
        assert header == f"Authorization: Bearer {got['access_token']}\n"
        cred = json.loads(cli("token", "tot", "--format", "exec-credential").stdout)
        assert cred["apiVersion"] == "client.authentication.k8s.io/v1" and cred["kind"] == "ExecCredential"
        assert cred["status"]["token"] == got["access_token"]
        assert cred["status"]["expirationTimestamp"].endswith("Z")

        # "Token has expired" (server side, before the local expiry) → mint once and retry once.
        tot.revoked.add(str(got["access_token"]))
        mints = tot.calls["mint"]
        out = json.loads(cli("call", "tot", "GET", "/api/accounts").stdout)
        assert out["path"] == "/api/accounts" and tot.calls["mint"] == mints + 1
        fresh = cli.token_json("token", "tot")
        assert fresh["access_token"] != got["access_token"]

        # A 401 that a fresh token does not cure: exactly one re-obtain, one retry, then an error.
        api_before, mints_before = tot.calls["api"], tot.calls["mint"]
        proc = cli("call", "tot", "GET", "/always-401", ok=False)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr
        assert tot.calls["api"] - api_before == 2 and tot.calls["mint"] - mints_before == 1

        # exec: the child alone sees the token.
        code = "import os; print(os.environ['WORKBENCH_TOKEN']); print(os.environ['WORKBENCH_AUTHORIZATION'])"
        child = cli("exec", "tot", "--", sys.executable, "-c", code).stdout.splitlines()
        token = cli("token", "tot").stdout.strip()
        assert child == [token, f"Bearer {token}"]
        assert (
            cli("exec", "tot", "--", sys.executable, "-c", "import sys; sys.exit(7)", ok=False).returncode
            == 7
        )

        # history: the calls are listed, no token.
        hist = cli("history", "tot", "--json").stdout
        rows = json.loads(hist)
        assert any("/api/accounts" in json.dumps(r) for r in rows)
        assert token not in hist and tot.secret_key not in hist


# ====================================================================== api-key-sliding
def test_api_key_sliding_unpinned_body_and_response_header_replaces_token(cli: Cli) -> None:
    with ApiKeySliding() as sl:
        cli.secrets += [sl.api_key, sl.client_secret]
        cli(
            "profile",
            "add",
            "sl",
            "--preset",
            "api-key-sliding",
            "--base-url",
            sl.base_url,
            "--secret",
            "api_key=@-",
            "--secret",
            f"client_secret={sl.client_secret}",
            stdin=sl.api_key + "\n",
        )
        got = cli.token_json("token", "sl")
        assert got["obtained_by"] == "mint" and 3500 <= int(got["expires_in"]) <= 3600  # type: ignore[call-overload]
        # HS256 with the client secret: verifiable locally.
        out = json.loads(
            cli("decode", str(got["access_token"]), "--secret", sl.client_secret, "--json").stdout
        )
        assert out["signature_valid"] is True and out["alg"] == "HS256"

        cli("call", "sl", "GET", "/reports")
        assert len(sl.slid) == 1
        slid = cli.token_json("token", "sl")
        assert slid["access_token"] == sl.slid[0] and slid["obtained_by"] in ("response-header", "cache")
        cli.secrets.append(sl.slid[0])
        last = sl.log[-1]
        assert last["headers"]["authorization"] == f"Bearer {got['access_token']}"
        cli("call", "sl", "GET", "/reports")
        assert sl.log[-1]["headers"]["authorization"] == f"Bearer {sl.slid[0]}"
        assert sl.calls["mint"] == 1


def test_api_key_sliding_header_without_scheme_is_taken_too(cli: Cli) -> None:
    """The seed's own sample stores `response.headers.get('Authorization')` as the token and
    sends `Bearer ${currentToken}`: a bare JWT in the header must work as well as `Bearer …`."""

    class BareHeader(ApiKeySliding):
        def api_headers(self, token: str) -> dict[str, str]:
            new = self.token()
            self.slid.append(new)
            return {"Authorization": new}

    with BareHeader() as sl:
        cli.secrets += [sl.api_key, sl.client_secret]
        cli(
            "profile",
            "add",
            "sl",
            "--preset",
            "api-key-sliding",
            "--base-url",
            sl.base_url,
            "--secret",
            f"api_key={sl.api_key}",
            "--secret",
            f"client_secret={sl.client_secret}",
        )
        cli("call", "sl", "/x")
        cli("call", "sl", "/y")
        assert sl.log[-1]["headers"]["authorization"] == f"Bearer {sl.slid[0]}"
        cli.secrets += sl.slid


# ====================================================================== paymentsgate
def test_paymentsgate_refresh_sends_refresh_token_and_bearer_access(cli: Cli) -> None:
    with PaymentsGate() as pg:
        access, refresh = pg.login(access_lifetime=-5)  # already expired when pasted
        cli.secrets += [access, refresh]
        cli(
            "profile",
            "add",
            "pg",
            "--preset",
            "paymentsgate",
            "--base-url",
            pg.base_url,
            "--secret",
            f"access_token={access}",
            "--secret",
            f"refresh_token={refresh}",
        )
        got = cli.token_json("token", "pg")
        assert got["obtained_by"] == "refresh" and got["expires_in"] in range(3590, 3601)
        req = next(e for e in pg.log if e["path"] == "/auth/token/refresh")
        assert json.loads(req["raw"]) == {"refresh_token": refresh}
        assert req["headers"]["authorization"] == f"Bearer {access}"
        # Rotation: the second refresh presents the new pair (and the new access token as Bearer).
        assert cli.token_json("token", "pg", "--refresh")["obtained_by"] == "refresh"
        assert pg.calls["refresh"] == 2


# ====================================================================== profiles
def test_profile_list_show_export_import_set_rm(cli: Cli, tmp_path: Path) -> None:
    with TokenOfTrust() as tot:
        cli.secrets += [tot.api_key, tot.secret_key]
        cli(
            "profile",
            "add",
            "tot",
            "--preset",
            "token-of-trust",
            "--base-url",
            tot.base_url,
            "--set",
            "app_domain=wrong.example",
            "--secret",
            f"api_key={tot.api_key}",
            "--secret",
            f"secret_key={tot.secret_key}",
        )
        assert "Invalid credentials" in cli.fails("token", "tot")
        cli("profile", "set", "tot", "--set", f"app_domain={tot.app_domain}")
        assert cli.token_json("token", "tot")["obtained_by"] == "mint"

        listed = json.loads(cli("profile", "list", "--json").stdout)
        assert [p["name"] for p in listed] == ["tot"]
        shown = cli("profile", "show", "tot").stdout
        assert tot.app_domain in shown and tot.secret_key not in shown and tot.api_key not in shown
        exported = cli("profile", "export", "tot").stdout
        assert tot.secret_key not in exported and tot.base_url in exported
        f = tmp_path / "tot2.toml"
        f.write_text(exported)
        cli("profile", "rm", "tot")
        assert json.loads(cli("profile", "list", "--json").stdout) == []
        assert "tot" in cli.fails("token", "tot")
        cli("profile", "import", str(f))
        assert [p["name"] for p in json.loads(cli("profile", "list", "--json").stdout)] == ["tot"]
        # The secrets went with `rm`: an imported profile needs them again, and says so in one line.
        cli.fails("token", "tot")
        cli(
            "profile",
            "set",
            "tot",
            "--secret",
            f"api_key={tot.api_key}",
            "--secret",
            f"secret_key={tot.secret_key}",
        )
        assert cli.token_json("token", "tot")["obtained_by"] == "mint"


def test_bad_input_is_one_line_and_nonzero(cli: Cli) -> None:
    cli.fails("profile", "add", "x", "--preset", "no-such-preset", "--base-url", "http://127.0.0.1:9")
    cli.fails("token", "missing")
    cli.fails("decode", "not-a-jwt")
    cli.fails("call", "missing", "GET", "/x")
    with TokenOfTrust() as tot:
        cli(
            "profile",
            "add",
            "tot",
            "--preset",
            "token-of-trust",
            "--base-url",
            tot.base_url,
            "--set",
            f"app_domain={tot.app_domain}",
            "--secret",
            f"api_key={tot.api_key}",
            "--secret",
            f"secret_key={tot.secret_key}",
        )
        cli.secrets += [tot.api_key, tot.secret_key]
        line = cli.fails("call", "tot", "GET", "http://127.0.0.2:1/elsewhere")  # another origin
        assert "origin" in line.lower()
        cli.fails("call", "tot", "GET", "/x", "--json-body", "{not json")
        cli.fails("profile", "add", "tot", "--preset", "token-of-trust", "--base-url", tot.base_url)


def test_api_key_sliding_header_signed_with_another_secret_is_not_adopted(cli: Cli) -> None:
    """Seed 003 signs every token with the client secret: a header token that does not verify
    with it (a proxy's, a forged one) never replaces the stored token."""

    class ForeignHeader(ApiKeySliding):
        def api_headers(self, token: str) -> dict[str, str]:
            foreign = self.hs_token(3600, key=b"not-the-client-secret-" + b"x" * 16, sub=self.api_key)
            self.slid.append(foreign)
            return {"Authorization": f"Bearer {foreign}"}

    with ForeignHeader() as sl:
        cli.secrets += [sl.api_key, sl.client_secret]
        cli(
            "profile",
            "add",
            "sl",
            "--preset",
            "api-key-sliding",
            "--base-url",
            sl.base_url,
            "--secret",
            f"api_key={sl.api_key}",
            "--secret",
            f"client_secret={sl.client_secret}",
        )
        minted = cli.token_json("token", "sl")
        cli("call", "sl", "/x")
        cli.secrets += sl.slid
        after = cli.token_json("token", "sl")
        assert after["access_token"] == minted["access_token"]
        assert after["obtained_by"] == "cache"
        cli("call", "sl", "/y")
        assert sl.calls.get("mint") == 1
