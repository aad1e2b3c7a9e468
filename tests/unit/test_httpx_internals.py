"""What core/net/client.py takes from below httpx's public API, checked against the installed
httpx and httpcore, so that a release that moves them fails here (pyproject.toml bounds httpx
above; raise the bound only with this file passing on the new release):

* `httpx.HTTPTransport._pool`, an `httpcore.ConnectionPool` whose `_network_backend` we wrap
  so every socket read and write shares the request's one overall deadline;
* `httpx.Response._content`: an answer read (and bounded) by hand is handed over as if
  `response.read()` had read it, and httpx's own `read()` (in an auth flow) then reads it
  from memory."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import httpcore
import httpx
from packaging.requirements import Requirement

from workbench.core.net.client import deadline_transport, read_answer

ROOT = Path(__file__).resolve().parents[2]


def _declared(name: str) -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return next(r for r in map(Requirement, project["dependencies"]) if r.name.lower() == name)


def test_the_installed_httpx_and_httpcore_are_within_the_declared_bounds():
    for name in ("httpx", "httpcore"):
        requirement = _declared(name)
        assert any(s.operator == "<" for s in requirement.specifier), f"{name} has no upper bound"
        assert requirement.specifier.contains(version(name)), f"{name} {version(name)} not in {requirement}"


def test_httpx_transport_still_holds_an_httpcore_pool_with_a_replaceable_network_backend():
    plain = httpx.HTTPTransport()
    assert isinstance(plain._pool, httpcore.ConnectionPool)
    assert isinstance(plain._pool._network_backend, httpcore.NetworkBackend)
    wrapped = deadline_transport(verify_tls=False)
    backend = wrapped._pool._network_backend
    assert isinstance(backend, httpcore.NetworkBackend) and type(backend).__name__ == "DeadlineBackend"
    plain.close()
    wrapped.close()


def test_content_set_by_hand_is_what_read_and_iter_bytes_return_afterwards():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, content=iter([b"Token ", b"has expired"]))

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        response = client.send(client.build_request("GET", "https://api.example.com/"), stream=True)
        assert (
            read_answer(response, 1024, url="https://api.example.com/", what="test") == b"Token has expired"
        )
        assert response.read() == b"Token has expired"  # what httpx's auth flow calls next
        assert b"".join(response.iter_bytes()) == b"Token has expired"
        assert response.content == b"Token has expired"
