"""Token placement as a profile setting (issue 21 item 5), through the real command line against a
real loopback server: a header with the scheme the profile names (or none), or a query parameter
with the name it names; `call`, `snippet` and the history follow it, and a query-placed token is
never written down."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import one_line_error, run_cli
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain

TOKEN = "opaqueTOK42"  # short and plain: nothing but our own care keeps it out of records


class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, dict[str, list[str]], str | None]]] = []
    token: ClassVar[str] = TOKEN  # the one token the API takes

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        auth = self.headers.get("Authorization")
        type(self).seen.append((parts.path, query, auth))
        token = type(self).token
        ok = {
            "/query": query.get("access_token") == [token] and auth is None,
            "/named": query.get("key") == [token] and auth is None and "access_token" not in query,
            "/jwt": auth == f"JWT {token}",
            "/bare": auth == token,
            "/bearer": auth == f"Bearer {token}",
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
def api() -> Iterator[str]:
    _Api.seen = []
    _Api.token = TOKEN
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def pasted(secret_service, workbench_home, api) -> Iterator[str]:
    """A pasted-token profile `p` on the loopback API."""
    add = run_cli(
        "profile", "add", "p", "--preset", "bearer", "--base-url", api, "--secret", "access_token=@env:TOK",
        env={"TOK": TOKEN},
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    yield "p"
    Vault().delete_profile("p", ["access_token"])


def test_a_query_placed_token_goes_in_the_url_and_nowhere_on_record(pasted, workbench_home):
    assert run_cli("call", "p", "/bearer").returncode == 0  # the preset's way first
    placed = run_cli("profile", "set", "p", "--set", "token_placement=query")
    assert placed.returncode == 0, placed.stderr
    assert "setting token_placement" in placed.stderr
    run = run_cli("call", "p", "/query?page=2")
    assert run.returncode == 0, run.stderr
    _path, query, auth = _Api.seen[-1]
    assert query == {"page": ["2"], "access_token": [TOKEN]} and auth is None

    snippet = run_cli("snippet", "p", "GET", "/query")
    assert snippet.returncode == 0 and TOKEN not in snippet.stdout
    assert "access_token=$(workbench token p)" in snippet.stdout

    history = run_cli("history", "--json")
    assert history.returncode == 0 and "/query" in history.stdout
    files = "".join(p.read_text(errors="replace") for p in workbench_home.rglob("*") if p.is_file())
    assert TOKEN not in history.stdout + run.stdout + run.stderr + files


def test_the_parameter_name_is_the_profiles(pasted):
    run_cli("profile", "set", "p", "--set", "token_placement=query", "--set", "token_parameter=key")
    run = run_cli("call", "p", "/named")
    assert run.returncode == 0, run.stderr
    shown = run_cli("profile", "show", "p")
    assert "token_parameter" in shown.stdout and "key" in shown.stdout


def test_the_header_scheme_is_the_profiles_or_none_and_empty_brings_the_presets_back(pasted):
    assert run_cli("profile", "set", "p", "--set", "token_scheme=JWT").returncode == 0
    assert run_cli("call", "p", "/jwt").returncode == 0
    assert run_cli("token", "p", "--format", "header").stdout.strip() == f"Authorization: JWT {TOKEN}"
    assert run_cli("profile", "set", "p", "--set", "token_scheme=none").returncode == 0
    assert run_cli("call", "p", "/bare").returncode == 0
    assert run_cli("profile", "set", "p", "--set", "token_scheme=").returncode == 0
    assert run_cli("call", "p", "/bearer").returncode == 0


@pytest.mark.parametrize(
    ("assignment", "words"),
    [
        ("token_placement=body", 'token_placement: must be "header" (the default) or "query"'),
        ("token_parameter=a b", "token_parameter: must be a query parameter name"),
        ("token_scheme=Two words", "token_scheme: must be one word"),
    ],
)
def test_a_bad_setting_is_one_line_and_changes_nothing(pasted, assignment, words):
    run = run_cli("profile", "set", "p", "--set", assignment)
    assert run.returncode != 0
    assert words in one_line_error(run)
    assert run_cli("call", "p", "/bearer").returncode == 0


def test_add_takes_the_settings_too(secret_service, workbench_home, api):
    add = run_cli(
        "profile", "add", "q", "--preset", "bearer", "--base-url", api, "--secret", "access_token=@env:TOK",
        "--set", "token_placement=query", env={"TOK": TOKEN},
    )  # fmt: skip
    try:
        assert add.returncode == 0, add.stderr
        assert run_cli("call", "q", "/query").returncode == 0
    finally:
        Vault().delete_profile("q", ["access_token"])


def test_a_query_placed_token_is_not_in_the_error_of_a_failed_call(secret_service, workbench_home):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    add = run_cli(
        "profile", "add", "gone", "--preset", "bearer", "--base-url", f"http://127.0.0.1:{port}",
        "--secret", "access_token=@env:TOK", "--set", "token_placement=query", env={"TOK": TOKEN},
    )  # fmt: skip
    try:
        assert add.returncode == 0, add.stderr
        run = run_cli("call", "gone", "/query")
        assert run.returncode != 0 and TOKEN not in run.stderr + run.stdout
        history = run_cli("history", "--json")
        assert TOKEN not in history.stdout
    finally:
        Vault().delete_profile("gone", ["access_token"])


def test_probe_sends_each_variant_where_the_profile_puts_its_token(secret_service, workbench_home, api):
    import jwt

    valid = jwt.encode({"sub": "ann", "exp": 4_000_000_000}, "k" * 32, algorithm="HS256")
    _Api.token = valid  # probes need a JWT to vary
    try:
        add = run_cli(
            "profile", "add", "pq", "--preset", "bearer", "--base-url", api,
            "--secret", "access_token=@env:TOK", "--set", "token_placement=query", env={"TOK": valid},
        )  # fmt: skip
        assert add.returncode == 0, add.stderr
        assert run_cli("request", "save", "pq", "me", "GET", "/query").returncode == 0
        run = run_cli("probe", "pq", "--request", "me", "--json")
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        assert report["baseline_status"] == 200
        sent = [(query.get("access_token"), auth) for path, query, auth in _Api.seen if path == "/query"]
        assert len(sent) > 1 and all(q is not None and a is None for q, a in sent)
    finally:
        Vault().delete_profile("pq", ["access_token"])
