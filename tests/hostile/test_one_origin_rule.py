"""Issue 19 "one rule each: origins/loopback": one module says what an origin is and which hosts
are loopback; every caller uses it. There were five origin helpers with different rules and two
`is_loopback_host`, one of which took any host starting with "127." (so `http://127.evil.example`
passed as loopback and got plain http and credentials).

Loopback is exactly `localhost`, a canonical dotted IPv4 in 127.0.0.0/8, or `::1`. Everything a
resolver or a URL parser might read differently is *not* loopback (the safe side: plain http to
it is refused or warned about, and it is another origin)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hostile.conftest import oauth_issuer
from tests.hostile.server import Reply

ROOT = Path(__file__).resolve().parents[2]

HOSTILE_HOSTS = [
    "127.evil.example",
    "127.0.0.1.evil.example",
    "localhost.evil",
    "localhost.evil.example",
    "evil-localhost",
    "foo.localhost",  # RFC 6761 says loopback, but the system resolver may ask DNS
    "[::ffff:127.0.0.1]",  # IPv4-mapped: a dual-stack socket reaches 127.0.0.1, a parser may not agree
    "::ffff:127.0.0.1",
    "0x7f.1",
    "0x7f000001",
    "2130706433",
    "127.1",
    "0177.0.0.1",
    "127.0.0.1.",
    "l\u043ecalhost",  # Cyrillic o
    "\u217cocalhost",  # small roman numeral fifty
    "localhost\u3002evil",
    "127\u30020\u30020\u30021",
    "",
    "[]",
]

LOOPBACK_HOSTS = ["localhost", "LOCALHOST", "127.0.0.1", "127.5.6.7", "::1", "[::1]", "[0:0:0:0:0:0:0:1]"]


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_hostile_host_is_not_loopback(host):
    from workbench.core.net.origins import is_loopback_host

    assert is_loopback_host(host) is False


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_a_real_loopback_host_is_loopback(host):
    from workbench.core.net.origins import is_loopback_host

    assert is_loopback_host(host) is True


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("HTTPS://API.Example.COM/v1?x=1", "https://api.example.com"),
        ("https://api.example.com:443/", "https://api.example.com"),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080"),
        ("http://[::1]:9/", "http://[::1]:9"),
        ("https://user:pw@api.example.com/", "https://api.example.com"),
        ("https://api.example.com\\@evil.example/", "https://evil.example"),
        ("https://b\u00fccher.example/", "https://xn--bcher-kva.example"),
        ("ftp://api.example.com/", ""),
        ("https://api.example.com:99999/", ""),
        ("/relative/path", ""),
        ("https:///no-host", ""),
    ],
)
def test_origin_of_is_the_origin_the_client_connects_to(url, origin):
    from workbench.core.net.origins import origin_of

    assert origin_of(url) == origin


def test_a_look_alike_host_is_another_origin():
    from workbench.core.net.origins import origin_of

    assert origin_of("https://api.examp\u04cfe.com") != origin_of("https://api.example.com")


def test_no_other_module_has_its_own_origin_or_loopback_rule():
    offenders = []
    for path in (ROOT / "workbench").rglob("*.py"):
        if path.parts[-3:] == ("core", "net", "origins.py") or "sandbox" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"def (origin_of|is_loopback_host|_origin)\b",
            r"startswith\(\s*[\"']127\.",
            r"def origin\(",
        ):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_discovery_naming_plain_http_on_a_127_lookalike_is_refused(cli, provider, add_profile):
    oauth_issuer(provider)
    provider.route(
        "/.well-known/openid-configuration",
        Reply.json(
            {
                "issuer": provider.url,
                "authorization_endpoint": "http://127.evil.example/authorize",
                "token_endpoint": provider.url + "/token",
            }
        ),
    )
    add_profile("sso", "oauth2-authorization-code", provider.url, sets={"client_id": "cli", "scope": "read"})
    run = cli("login", "sso", "--no-browser", "--timeout", "3")
    line = run.error_line()
    assert "not loopback" in line, line
    assert "127.evil.example/authorize" not in run.stderr.replace(line, "")
