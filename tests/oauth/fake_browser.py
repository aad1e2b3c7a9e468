"""A `$BROWSER` stand-in that plays the user: opens the URL, answers the consent page, follows
the redirect back to `workbench login`'s loopback listener.

Behaviour comes from the environment (inherited through `workbench login`):
  FAKE_BROWSER_MODE   approve (default) | deny | forge-state | swap-challenge
  FAKE_BROWSER_LOG    a file; one JSON line per page: {"step", "url", "status", "text"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

MODE = os.environ.get("FAKE_BROWSER_MODE", "approve")
LOG = os.environ.get("FAKE_BROWSER_LOG")


def log(step: str, url: str, response: httpx.Response | None) -> None:
    if not LOG:
        return
    entry = {
        "step": step,
        "url": url,
        "status": response.status_code if response else None,
        "text": response.text[:2000] if response is not None else "",
    }
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def replace_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, value if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def main(url: str) -> int:
    if MODE == "swap-challenge":
        # An intermediary swaps the PKCE challenge: the code can then not be redeemed by our verifier.
        other = base64.urlsafe_b64encode(hashlib.sha256(b"not-the-verifier").digest()).rstrip(b"=").decode()
        url = replace_param(url, "code_challenge", other)
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        page = client.get(url)
        log("authorize", url, page)
        form = re.search(r"<form[^>]*action=['\"]([^'\"]+)['\"][^>]*>(.*?)</form>", page.text, re.S)
        if page.status_code != 200 or form is None:
            return 2
        fields = dict(
            re.findall(r"<input[^>]*name=['\"]([^'\"]+)['\"][^>]*value=['\"]([^'\"]*)['\"]", form.group(2))
        )
        fields["decision"] = "deny" if MODE == "deny" else "approve"
        answer = client.post(urljoin(url, form.group(1)), data=fields)
        log("decide", url, answer)
        target = answer.headers.get("location")
        if answer.status_code not in (302, 303) or not target:
            return 3
        if MODE == "forge-state":
            target = replace_param(target, "state", "forged-by-an-attacker")
        final = client.get(target)
        log("callback", target, final)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
