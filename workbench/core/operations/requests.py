"""Request operations: render a request (templates filled) before it is sent or copied."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from workbench.core.engine.flows import resolve_url, template_context
from workbench.core.errors import InputError
from workbench.core.redact import REDACTED
from workbench.core.request.bodies import build_body
from workbench.core.request.codegen import curl_command
from workbench.core.request.saved import SavedRequestStore, render_saved
from workbench.core.request.templating import TemplateRenderer, TemplateVars, VaultSecretSource

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.profiles.profile import Profile


@dataclass(frozen=True)
class RenderedRequest:
    """An API request ready for `TokenEngine.call` (the engine adds the token)."""

    profile: str
    method: str
    target: str  # the path or URL as typed; the engine resolves it against the base URL
    url: str  # the resolved URL (for display)
    headers: tuple[tuple[str, str], ...]
    content: bytes | None = field(repr=False)
    templated: bool = False


# --------------------------------------------------------------------------- requests


def guess_content_type(content: bytes) -> str:
    try:
        json.loads(content)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


def render_request(
    ctx: AppContext,
    profile: Profile,
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]] = (),
    body: str = "",
    body_type: str = "auto",
    form: Sequence[tuple[str, str]] = (),
    file: str = "",
) -> RenderedRequest:
    """The request the user described, with its body rendered when it holds ``{{ }}`` / ``{% %}``
    (sandboxed Jinja2; `secrets.NAME` reads the vault, so run it off the GUI thread).

    `body_type` is one of `request.bodies.BODY_TYPES` ("json" is checked to be JSON once
    rendered and sent as application/json, "form"/"multipart" are built from `form`, "binary"
    sends `file`), or "auto": the text as typed, its Content-Type guessed. A Content-Type the
    user typed wins (except multipart's, whose boundary must match)."""

    method = method.strip().upper() or "GET"
    target = target.strip()
    if not target:
        raise InputError("type a path (e.g. /api/echo) or a URL to send the request to")

    if REDACTED in target or any(REDACTED in value for _name, value in headers):
        raise InputError(
            f"the request still holds '{REDACTED}' (a value history did not record)",
            hint="type the real value in its place before sending",
        )
    templated = False
    renderer_context: dict[str, Any] | None = None

    def render(text: str, label: str) -> str:
        nonlocal templated, renderer_context
        if "{{" not in text and "{%" not in text:
            return text

        if renderer_context is None:
            source = VaultSecretSource(ctx.vault, profile.name, refs=profile.secret_refs)
            renderer_context = template_context(profile, secrets=source)
            renderer_context["vars"] = TemplateVars(renderer_context["vars"], profile=profile.name)
        templated = True
        return TemplateRenderer(clock=ctx.clock).render(
            text, renderer_context, field=label, where="request body"
        )

    out = list(headers)
    content: bytes | None = None
    content_type: str | None = None
    if body_type == "auto":
        if body.strip():
            content = render(body, "body").encode()
            content_type = guess_content_type(content)
    else:
        built = build_body(
            body_type,
            text=render(body, "body") if body_type in ("json", "raw") else "",
            pairs=[(render(k, "form"), render(v, f"form.{k}")) for k, v in form],
            file=file,
        )
        content, content_type = built.content, built.content_type
        if body_type == "multipart":
            out = [(k, v) for k, v in out if k.lower() != "content-type"]
    if content_type is not None and not any(k.lower() == "content-type" for k, _ in out):
        out.append(("Content-Type", content_type))
    return RenderedRequest(
        profile=profile.name,
        method=method,
        target=target,
        url=resolve_url(profile, target),
        headers=tuple(out),
        content=content,
        templated=templated,
    )


# A request as typed in a front end: method, path or URL, headers, body.
RequestSpec = tuple[str, str, list[tuple[str, str]], str]


def api_request(
    ctx: AppContext, profile: Profile, typed: RequestSpec | None, saved_name: str | None = None
) -> tuple[RequestSpec, str]:
    """The request "Copy curl" (the Token tab) writes: one to the API, not to where tokens
    come from, and where it came from in words. Reads saved requests and may read the vault
    (their templates): run it off the GUI thread.

    In order: `typed`, the request the user wrote in the Request tab for this profile; a saved
    request of the profile (`saved_name`, the one selected, else the first), its templates
    filled as `snippet` fills them; the first of the profile's `[settings] allowed_origins` (where
    its API lives when the base URL is the sign-in server, an OAuth issuer); the base URL."""
    if typed is not None and typed[1].strip():
        return typed, "the Request tab"
    requests = SavedRequestStore().load(profile.name).requests
    name = saved_name if saved_name in requests else next(iter(requests), None)
    if name is not None:
        # Its secret variables stay in the keychain (`<NAME from the keychain>`), as `snippet` writes them.
        rendered = render_saved(ctx, profile.name, name, reveal_secrets=False)
        body = rendered.content.decode("utf-8", "replace") if rendered.content else ""
        return (rendered.method, rendered.target, list(rendered.headers.items()), body), (
            f"saved request '{requests[name].title or name}'"
        )
    listed = [str(o) for o in profile.settings.get("allowed_origins") or ()]
    if listed:
        return ("GET", listed[0].rstrip("/") + "/", [], ""), "the profile's first allowed origin"
    return ("GET", "", [], ""), "the base URL: no API request yet (write one in the Request tab or save one)"


def with_query_param(url: str, name: str, value: str) -> str:
    """`url` with its `name` query parameter set to `value` (any of that name replaced)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode([*kept, (name, value)])))


def clipboard_text(
    what: str,
    profile: Profile,
    token: str,
    spec: RequestSpec | None,
    *,
    token_type: str | None = None,
    dpop_proof: str | None = None,
) -> str:
    """The text to copy: the bare token, an auth header line (as `workbench token --format
    header` prints it), or a curl command (with a DPoP token: its fresh `DPoP` proof header).
    A profile that sends its token in a query parameter (`token_placement = "query"`) copies
    `NAME=TOKEN` for the header and puts it in the curl command's URL, as calls send it."""
    if what == "token":
        return token
    placing = profile.token_spec
    in_query = placing.placement == "query" and dpop_proof is None
    header, value = placing.authorization(token, token_type)
    if what == "header":
        return f"{header}={quote(token, safe='')}" if in_query else f"{header}: {value}"
    method, path, headers, body = spec or ("GET", "", [], "")
    url = resolve_url(profile, path) if path else profile.base_url
    if in_query:
        return curl_command(method, with_query_param(url, header, token), list(headers), body or None)
    all_headers = [(header, value), *[(k, v) for k, v in headers if k.lower() != header.lower()]]
    if dpop_proof is not None:
        all_headers.append(("DPoP", dpop_proof))
    return curl_command(method, url, all_headers, body or None)
