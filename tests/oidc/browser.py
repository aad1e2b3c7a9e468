"""A `$BROWSER` stand-in for the oidc-provider suite: plays the user on the provider's pages.

It opens the URL it is given, follows the provider's redirects, fills in the forms it finds
(login, consent, device code confirmation, sign-out) and, when the provider redirects to
another origin (our loopback listener), delivers that redirect and records the page it got.

Behaviour comes from the environment (inherited through `workbench login` / `logout`):
  FAKE_BROWSER_LOG    a file; one JSON line per page: {"step", "url", "status", "text", "error"}
  FAKE_BROWSER_MODE   approve (default) | deny (at consent, or abort on the device page)
                      | forge-iss (the redirect's `iss` is rewritten: a mix-up attack)
                      | forge-state (the redirect's `state` is rewritten)
  FAKE_BROWSER_USER   the user name typed at the login form (default alice; a login_hint wins)
  FAKE_BROWSER_GRANT  the scopes left ticked on the consent page (default: every one asked for)
"""

from __future__ import annotations

import json
import os
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

PASSWORD = "correct horse"
MODE = os.environ.get("FAKE_BROWSER_MODE", "approve")
LOG = os.environ.get("FAKE_BROWSER_LOG")
USER = os.environ.get("FAKE_BROWSER_USER", "alice")
GRANT = os.environ.get("FAKE_BROWSER_GRANT")


class Forms(HTMLParser):
    """Every <form> on a page: id, action, fields (inputs), buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self._current: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {
                "id": a.get("id", ""),
                "action": a.get("action", ""),
                "inputs": [],
                "buttons": [],
            }
            self.forms.append(self._current)
        elif self._current is not None and tag == "input" and a.get("name"):
            self._current["inputs"].append(a)  # type: ignore[union-attr]
        elif self._current is not None and tag == "button" and a.get("name"):
            self._current["buttons"].append(a)  # type: ignore[union-attr]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def log(step: str, url: str, response: httpx.Response | None, error: str = "") -> None:
    if not LOG:
        return
    entry = {
        "step": step,
        "url": url,
        "status": response.status_code if response is not None else None,
        "text": response.text[:3000] if response is not None else "",
        "error": error,
    }
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def replace_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, value if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def fill(form: dict[str, object]) -> list[tuple[str, str]]:
    """What the user submits on this form."""
    inputs: list[dict[str, str]] = form["inputs"]  # type: ignore[assignment]
    data: list[tuple[str, str]] = []
    form_id = form["id"]
    for field in inputs:
        name, value, kind = field["name"], field.get("value", ""), field.get("type", "text")
        if kind == "checkbox":
            ticked = value in GRANT.split() if GRANT is not None else "checked" in field
            if ticked:
                data.append((name, value))
        elif name == "login":
            data.append((name, value or USER))
        elif name == "password":
            data.append((name, PASSWORD))
        else:
            data.append((name, value))
    if form_id == "consent":
        data.append(("decision", "deny" if MODE == "deny" else "approve"))
    elif form_id == "op.deviceConfirmForm" and MODE == "deny":
        data.append(("abort", "yes"))
    elif form_id == "op.logoutForm":
        data.append(("logout", "yes"))
    return data


def deliver(target: str) -> None:
    """The provider sent the browser to our loopback listener: go there, as a browser would."""
    if MODE == "forge-iss":
        target = replace_param(target, "iss", "http://127.0.0.1:9/another-issuer")
    if MODE == "forge-state":
        target = replace_param(target, "state", "forged-by-an-attacker")
    try:
        with httpx.Client(timeout=30) as plain:
            page = plain.get(target)
    except httpx.HTTPError as exc:  # e.g. the listener closed the connection without a page
        log("callback", target, None, error=f"{type(exc).__name__}: {exc}")
        return
    log("callback", target, page)


def main(url: str) -> int:
    provider = origin(url)
    method, data = "GET", None
    step = "open"
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        for _ in range(30):
            if data is None:
                response = client.request(method, url)
            else:  # a list of pairs: repeated names (ticked scopes) stay repeated
                form = {"content-type": "application/x-www-form-urlencoded"}
                response = client.request(method, url, content=urlencode(data).encode(), headers=form)
            log(step, url, response)
            if response.is_redirect:
                target = urljoin(url, response.headers["location"])
                if origin(target) != provider:
                    deliver(target)
                    return 0
                method, data, url, step = "GET", None, target, "redirect"
                continue
            if response.status_code != 200:
                return 2
            parser = Forms()
            parser.feed(response.text)
            if not parser.forms:
                return 0  # a final page (device signed in, signed out, an error page)
            form = parser.forms[0]
            if step == "op.deviceConfirmForm" and MODE == "deny":
                return 0  # aborted: the provider shows its code form again; the user walks away
            data = fill(form)  # type: ignore[assignment]
            method, url, step = "POST", urljoin(url, str(form["action"])), str(form["id"]) or "form"
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
