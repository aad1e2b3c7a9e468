"""Issue 20 through the real command line: pending profiles, the `basic` and `api-key` presets against
a real loopback server, `env:` references from a copied curl, and environments chosen with `--env`."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import files_text, one_line_error, run_cli
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SECRETS = ["access_token", "refresh_token", "client_secret", "api_key", "password"]
KEY = "k-live-7d1e9c55aa"


class _Checker(BaseHTTPRequestHandler):
    """200 when the request carries the expected credential where the path says, else 401."""

    disable_nagle_algorithm = True
    expected_basic = "Basic " + base64.b64encode(b"ann:s3cret pw").decode()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        cookies = dict(
            c.strip().split("=", 1) for c in (self.headers.get("Cookie") or "").split(";") if "=" in c
        )
        ok = {
            "/basic": self.headers.get("Authorization") == self.expected_basic,
            "/header": self.headers.get("X-Api-Key") == KEY,
            "/prefixed": self.headers.get("Authorization") == f"Token {KEY}",
            "/query": query.get("key") == [KEY],
            "/cookie": cookies.get("session_key") == KEY,
        }.get(parts.path, False)
        body = json.dumps({"ok": ok}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def checker() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Checker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def keychain(secret_service, workbench_home):
    yield
    vault = Vault()
    for path in (workbench_home / "profiles").glob("*.toml"):
        vault.delete_profile(path.stem, SECRETS)


def test_basic_preset_sends_http_basic(keychain, checker):
    add = run_cli("profile", "add", "b", "--preset", "basic", "--base-url", checker,
                  "--set", "username=ann", "--secret", "password=s3cret pw")  # fmt: skip
    assert add.returncode == 0, add.stderr
    run = run_cli("call", "b", "/basic")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"ok": True}


@pytest.mark.parametrize(
    ("path", "sets"),
    [
        ("/header", ["key_name=X-Api-Key"]),
        ("/prefixed", ["key_name=Authorization", "prefix=Token"]),
        ("/query", ["placement=query", "key_name=key"]),
        ("/cookie", ["placement=cookie", "key_name=session_key"]),
    ],
)
def test_api_key_preset_in_a_header_query_or_cookie(keychain, checker, path, sets):
    set_args = [a for s in sets for a in ("--set", s)]
    add = run_cli("profile", "add", "k", "--preset", "api-key", "--base-url", checker, *set_args,
                  "--secret", f"api_key={KEY}")  # fmt: skip
    assert add.returncode == 0, add.stderr
    run = run_cli("call", "k", path)
    assert run.returncode == 0, run.stderr
    snippet = run_cli("snippet", "k", "GET", path)
    assert snippet.returncode == 0 and KEY not in snippet.stdout
    assert "$(workbench token k)" in snippet.stdout


def test_an_imported_pending_profile_names_what_it_needs_until_profile_set_completes_it(
    keychain, workbench_home
):
    imported = run_cli("import", str(FIX / "openapi/clinic.yaml"))
    assert imported.returncode == 0, imported.stderr
    assert "pending" in imported.stdout
    listing = run_cli("profile", "list")
    assert "clinic-api-bearerauth" in listing.stdout
    line = next(x for x in listing.stdout.splitlines() if x.startswith("clinic-api-bearerauth "))
    assert "(pending: needs --secret access_token)" in line
    shown = run_cli("profile", "show", "clinic-api-oauth")
    assert "pending:" in shown.stdout and "--set client_id=…" in shown.stdout
    # Saved requests and snippets work on a pending profile.
    assert "getpatient" in run_cli("request", "list", "clinic-api-bearerauth").stdout
    snip = run_cli("snippet", "clinic-api-bearerauth", "--request", "getpatient")
    assert snip.returncode == 0 and "/v1/patients/p-100" in snip.stdout
    # token / call: one line naming the missing input.
    token = run_cli("token", "clinic-api-bearerauth")
    line = one_line_error(token)
    assert "pending" in line and "--secret access_token" in line
    call = run_cli("call", "clinic-api-bearerauth", "--request", "getpatient")
    assert one_line_error(call) == line
    done = run_cli("profile", "set", "clinic-api-bearerauth", "--secret", "access_token=opaque-tok-123")
    assert done.returncode == 0 and "is complete" in done.stderr
    assert "pending" not in (workbench_home / "profiles" / "clinic-api-bearerauth.toml").read_text()
    token = run_cli("token", "clinic-api-bearerauth")
    assert token.returncode == 0 and token.stdout.strip() == "opaque-tok-123"


def test_a_shell_variable_in_a_copied_curl_becomes_an_env_reference(keychain, workbench_home, tmp_path):
    command = tmp_path / "models.sh"
    command.write_text('curl https://api.openai.test/v1/models -H "Authorization: Bearer $OPENAI_API_KEY"\n')
    run = run_cli("import", str(command))
    assert run.returncode == 0, run.stderr
    profile = (workbench_home / "profiles" / "openai.toml").read_text()
    assert 'access_token = "env:OPENAI_API_KEY"' in profile
    token = run_cli("token", "openai", env={"OPENAI_API_KEY": "sk-test-from-env"})
    assert token.returncode == 0 and token.stdout.strip() == "sk-test-from-env"
    assert "sk-test-from-env" not in files_text(workbench_home)


def test_environments_are_chosen_with_env(keychain, workbench_home):
    run = run_cli("import", str(FIX / "bruno/pets"))
    assert run.returncode == 0, run.stderr
    assert "environments (--env NAME): Local, Prod" in run.stdout
    local = run_cli("snippet", "pet-clinic", "--request", "list-pets")
    prod = run_cli("snippet", "pet-clinic", "--request", "list-pets", "--env", "Prod")
    assert "https://pets.test/v3/pets" in local.stdout
    assert "https://pets.example.com/v3/pets" in prod.stdout
    listing = run_cli("request", "list", "pet-clinic", "--env", "Prod")
    assert "https://pets.example.com/v3/pets" in listing.stdout
    unknown = run_cli("snippet", "pet-clinic", "--request", "list-pets", "--env", "Staging")
    assert "no environment 'Staging' (known: Local, Prod)" in one_line_error(unknown)


def test_folders_and_titles_are_kept_in_request_list(keychain):
    run = run_cli("import", str(FIX / "postman/acme.postman_collection.json"))
    assert run.returncode == 0, run.stderr
    listing = run_cli("request", "list", "acme-api").stdout.splitlines()
    assert "Users/" in listing
    assert any(line.strip().startswith("list-users") and "(List users)" in line for line in listing)


def test_dry_run_and_import_agree(keychain):
    source = str(FIX / "insomnia/shop-v4.json")
    dry = run_cli("import", source, "--dry-run")
    real = run_cli("import", source)
    assert dry.returncode == real.returncode == 0

    # The same plan, line for line; only how to allow a withheld origin is worded for each.
    def plan(out: str) -> list[str]:
        return [line.split(" (its saved requests there are refused")[0] for line in out.splitlines()]

    assert plan(dry.stdout) == plan(real.stdout)
