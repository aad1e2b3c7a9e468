"""`workbench login` / `token` / `profile rm` against a certified OpenID provider: what holds today.

Each test registers its own client at the session's oidc-provider, creates a profile with the
CLI, and runs the real CLI in subprocesses; tokens land in a real Secret Service.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import run_cli
from tests.oidc.conftest import add_profile, login

pytestmark = pytest.mark.usefixtures("keychain")


def test_login_with_pkce_state_and_nonce_then_refresh_rotates(oidc_server, browser):
    client = oidc_server.register()
    add_profile("app", oidc_server.issuer, client, "--set", "scope=openid offline_access")
    run = login("app", browser)
    print(run.stderr)
    print(json.dumps(browser.pages(), indent=1)[:6000])
    assert run.returncode == 0, run.stderr
