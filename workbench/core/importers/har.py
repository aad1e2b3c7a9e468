"""HAR 1.2 (HTTP Archive, as browsers' dev tools save it) → saved requests.

`log.entries[].request`: `method`, `url`, `headers[]`, `queryString[]`, `postData`
(`mimeType`, `text` or `params[]`). A bearer `Authorization` header becomes a pasted
token (`bearer` profile, the value to the keychain); cookies and other credential
headers are never stored and are listed. Responses are not imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.core.errors import InputError
from workbench.core.importers.common import (
    as_list,
    as_map,
    escape_literal,
    origin_of,
    slug,
    text_of,
    without_content_type,
)
from workbench.core.importers.model import BodyType, ImportPlan, RawRequest
from workbench.core.importers.plan import PlanBuilder

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog


def sniff(doc: Any) -> bool:
    return isinstance(doc, Mapping) and isinstance(doc.get("log"), Mapping) and "entries" in doc["log"]


# What a page loads by itself: skipped unless `--all` (the request is listed, with a count).
_STATIC_TYPES = re.compile(
    r"^(image|font|audio|video)/|^text/(css|javascript)|javascript|ecmascript|^application/(font|wasm)"
)
_STATIC_SUFFIX = re.compile(
    r"\.(png|jpe?g|gif|webp|avif|svg|ico|bmp|css|js|mjs|map|woff2?|ttf|otf|eot|mp4|webm|mp3|wav)$", re.I
)
_TEXT_TYPES = re.compile(r"^text/|json|xml|x-www-form-urlencoded|javascript|graphql|yaml|csv", re.I)


def _is_static(entry: Mapping[str, Any], url: str, method: str) -> bool:
    if method not in ("GET", "HEAD"):
        return False
    content = as_map(as_map(entry.get("response")).get("content"))
    mime = text_of(content.get("mimeType")).lower()
    rtype = text_of(entry.get("_resourceType")).lower()
    if rtype in ("image", "font", "stylesheet", "script", "media"):
        return True
    return bool(_STATIC_TYPES.search(mime) or _STATIC_SUFFIX.search(urlsplit(url).path))


def parse(
    doc: Any, source: str, presets: PresetCatalog | None = None, *, keep_all: bool = False
) -> ImportPlan:
    if not sniff(doc):
        raise InputError(f"{source}: not a HAR file (no log.entries)")
    entries = doc["log"]["entries"]
    if not isinstance(entries, list):
        raise InputError(f"{source}: damaged HAR file (log.entries is not a list)")
    first_url = ""
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("request"), Mapping):
            first_url = text_of(entry["request"].get("url"))
            break
    hint = (urlsplit(first_url).hostname or "har") if first_url else "har"
    builder = PlanBuilder("har", source, hint, presets, name_by_host=True)
    skipped = 0
    static = 0
    for index, entry in enumerate(entries):
        request = entry.get("request") if isinstance(entry, Mapping) else None
        if not isinstance(request, Mapping):
            raise InputError(f"{source}: damaged HAR file (entry #{index + 1} has no request)")
        url = text_of(request.get("url"))
        method = text_of(request.get("method")).upper() or "GET"
        if origin_of(url) is None:
            skipped += 1
            builder.skip(url[:60] or f"entry #{index + 1}", "not an http(s) request (data:, blob:, ws:)")
            continue
        if not keep_all and _is_static(entry, url, method):
            static += 1
            builder.skip(url[:80], "a static asset (image, font, CSS, JS); --all keeps them")
            continue
        headers = [
            (text_of(h.get("name")), text_of(h.get("value")))
            for h in (as_list(request.get("headers")))
            if isinstance(h, Mapping) and text_of(h.get("name"))
        ]
        body: str | None = None
        body_type: BodyType | None = None
        form: list[tuple[str, str]] = []
        post = request.get("postData")
        if isinstance(post, Mapping):
            mime = text_of(post.get("mimeType")).lower()
            params = post.get("params")
            if isinstance(params, list) and params and "form" in mime:
                for p in params:
                    if isinstance(p, Mapping):
                        if p.get("fileName"):
                            builder.note(
                                f"request #{index + 1}: form field '{text_of(p.get('name'))}' "
                                "uploads a file; not saved"
                            )
                            continue
                        form.append(
                            (escape_literal(text_of(p.get("name"))), escape_literal(text_of(p.get("value"))))
                        )
                body_type = "multipart" if "multipart" in mime else "form"
                headers = without_content_type(headers)
            elif text_of(post.get("text")) and (
                text_of(post.get("encoding")).lower() == "base64"
                or (mime and not _TEXT_TYPES.search(mime))
                or _binary(text_of(post.get("text")))
            ):
                builder.note(
                    f"request #{index + 1}: the body is binary ({mime or 'no type'}); not saved "
                    "(binary bodies are never saved as text)"
                )
            elif text_of(post.get("text")):
                body = escape_literal(text_of(post.get("text")))
                body_type = "json" if "json" in mime else "text"
                if body_type == "json":
                    headers = without_content_type(headers)
        path = urlsplit(url).path.strip("/")
        title = f"{method.lower()} {slug(path, 'root') if path else 'root'}"
        builder.add_request(
            RawRequest(
                title=title,
                method=method,
                url=escape_literal(url),
                headers=[(h, escape_literal(v)) for h, v in headers],
                body=body,
                body_type=body_type,
                form=form,
            )
        )
    if skipped:
        builder.note(f"{skipped} entries were not http(s) requests (data:, blob:, ws:); skipped")
    if static:
        builder.note(
            f"{static} static assets (images, fonts, CSS, JS) skipped; import with --all to keep them"
        )
    return builder.finish()


def _binary(text: str) -> bool:
    """Text a browser saved from a binary body: control characters or replacement characters."""
    sample = text[:4096]
    odd = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t") or ch == "\ufffd")
    return odd > max(2, len(sample) // 100)
