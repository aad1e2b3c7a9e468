"""Issue 17 items 4 and 18: a login's network has one deadline, and a stray request to its
callback does not end it.

Item 4: drip-fed discovery or JWKS kept `login --timeout 10` running past 40 s (each byte came
well within the per-read timeout). Now `--timeout` bounds the whole login, and every OAuth
request has the profile's overall deadline, discovery and JWKS included.
Item 18: any local process could abort a login with one GET to the callback carrying a wrong
or no `state`. Such a request is answered 400 and the login keeps waiting for the right one.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.hostile.conftest import fake_jwt, oauth_issuer
from tests.hostile.server import Reply

DISCOVERY = "/.well-known/openid-configuration"


def _login_url(running) -> tuple[str, dict[str, str]]:
    line = running.wait_for(lambda ln: "/authorize?" in ln)
    url = line[line.index("http") :].split()[0]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return query["redirect_uri"], query


def test_drip_fed_discovery_cannot_outlast_the_login_timeout(cli, provider, add_profile):
    provider.route(
        DISCOVERY,
        Reply(200, [("Content-Type", "application/json")], b'{"issuer": "' + b"x" * 400 + b'"}', drip=0.1),
    )
    add_profile("sso", "oauth2-authorization-code", provider.url, sets={"client_id": "cli", "scope": "read"})
    run = cli("login", "sso", "--no-browser", "--timeout", "4", timeout=30)
    line = run.error_line()
    assert run.elapsed < 8, (run.elapsed, line)
    assert "4 s" in line or "did not answer" in line, line


def test_a_drip_fed_jwks_cannot_outlast_the_login_timeout(live, provider, add_profile):
    oauth_issuer(
        provider,
        token_reply=Reply.json(
            {
                "access_token": fake_jwt(),
                "id_token": fake_jwt({"aud": "cli"}),
                "token_type": "Bearer",
                "expires_in": 60,
            }
        ),
    )
    provider.route(
        "/jwks",
        Reply(200, [("Content-Type", "application/json")], b'{"keys": [' + b" " * 400 + b"]}", drip=0.1),
    )
    add_profile(
        "sso", "oauth2-authorization-code", provider.url, sets={"client_id": "cli", "scope": "openid"}
    )
    running = live("login", "sso", "--no-browser", "--timeout", "6")
    redirect, query = _login_url(running)
    # The browser's page waits for the login's outcome (issue 18): here, a failure, not "Signed in".
    page = httpx.get(redirect, params={"state": query["state"], "code": "c0de"}, timeout=30)
    assert page.status_code == 400 and "Signed in" not in page.text
    run = running.finish(timeout=40)
    assert run.returncode not in (0, None), run.stderr
    assert run.elapsed < 10, (run.elapsed, run.stderr)
    assert "Traceback" not in run.stderr


def test_a_callback_with_the_wrong_state_is_refused_and_the_login_goes_on(live, provider, add_profile):
    oauth_issuer(provider)
    add_profile("sso", "oauth2-authorization-code", provider.url, sets={"client_id": "cli", "scope": "read"})
    running = live("login", "sso", "--no-browser", "--timeout", "20")
    redirect, query = _login_url(running)
    assert httpx.get(redirect, params={"state": "forged", "code": "evil"}).status_code == 400
    assert httpx.get(redirect, params={"code": "evil"}).status_code == 400
    assert httpx.get(redirect).status_code == 400
    assert running.proc.poll() is None  # still waiting
    assert httpx.get(redirect, params={"state": query["state"], "code": "c0de"}).status_code == 200
    run = running.finish()
    assert run.returncode == 0, run.stderr
    exchange = [s for s in provider.seen if s.path == "/token"]
    assert len(exchange) == 1 and b"code=c0de" in exchange[0].body
