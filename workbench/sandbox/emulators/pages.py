"""The HTML pages of the sandbox's authorization servers: consent, device code, refusals."""

from __future__ import annotations

import html

from workbench.sandbox.http import Response

_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


# The consent page's and the device page's answer: the form field `decision`.
DECISION_BUTTONS = (
    "<button name='decision' value='approve'>Approve</button>"
    "<button name='decision' value='deny'>Deny</button>"
)


def page(title: str, body: str) -> Response:
    text = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:3em auto}"
        "button{font-size:1.1em;margin-right:1em;padding:.4em 1.2em}"
        "input{font-size:1.4em;letter-spacing:.15em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(200, text.encode("utf-8"), "text/html; charset=utf-8", [*_NO_STORE])


__all__ = ["DECISION_BUTTONS", "page"]
