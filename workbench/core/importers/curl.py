"""A curl command line → one saved request (and a profile for its credential).

The line is split the way a POSIX shell would (`shlex`, with line continuations joined
first), then each option is looked up in one table, the way the big API clients do it
(no maintained Python curl parser exists). Options that change nothing the workbench
stores (`-s`, `-v`, `-L`, ...) are accepted quietly; any other option is listed as not
mapped, never dropped silently.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from workbench.core.errors import InputError
from workbench.core.importers.common import (
    content_type,
    escape_literal,
    origin_of,
    slug,
    without_content_type,
)
from workbench.core.importers.model import AuthSpec, BodyType, ImportPlan, RawRequest
from workbench.core.importers.plan import PlanBuilder

if TYPE_CHECKING:
    from workbench.core.profiles.catalog import PresetCatalog

# option → (canonical name, takes a value)
_OPTIONS: dict[str, tuple[str, bool]] = {
    "-X": ("method", True),
    "--request": ("method", True),
    "-H": ("header", True),
    "--header": ("header", True),
    "-d": ("data", True),
    "--data": ("data", True),
    "--data-ascii": ("data", True),
    "--data-raw": ("data-raw", True),
    "--data-binary": ("data-binary", True),
    "--data-urlencode": ("data-urlencode", True),
    "--json": ("json", True),
    "-u": ("user", True),
    "--user": ("user", True),
    "-F": ("form", True),
    "--form": ("form", True),
    "--form-string": ("form-string", True),
    "--oauth2-bearer": ("bearer", True),
    "--url": ("url", True),
    "-G": ("get", False),
    "--get": ("get", False),
    "-I": ("head", False),
    "--head": ("head", False),
    "-A": ("header:User-Agent", True),
    "--user-agent": ("header:User-Agent", True),
    "-e": ("header:Referer", True),
    "--referer": ("header:Referer", True),
    "-b": ("cookie", True),
    "--cookie": ("cookie", True),
}
# Options with no bearing on what is saved (output, verbosity, redirects, TLS/timeouts the profile owns).
_QUIET_FLAGS = frozenset(
    {
        "-s",
        "--silent",
        "-S",
        "--show-error",
        "-v",
        "--verbose",
        "-L",
        "--location",
        "-i",
        "--include",
        "-k",
        "--insecure",
        "--compressed",
        "-f",
        "--fail",
        "--fail-with-body",
        "-#",
        "--progress-bar",
        "-N",
        "--no-buffer",
        "--http1.1",
        "--http2",
        "-g",
        "--globoff",
    }
)
_QUIET_WITH_VALUE = frozenset(
    {"-o", "--output", "-m", "--max-time", "--connect-timeout", "-w", "--write-out"}
)


_ANSI_C = re.compile(r"(?<![\w'\"])\$'((?:[^'\\]|\\.)*)'")
_ANSI_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "v": "\v",
}


def _ansi_c(body: str) -> str:
    def escape(m: re.Match[str]) -> str:
        code = m.group(1)
        if code in _ANSI_ESCAPES:
            return _ANSI_ESCAPES[code]
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        return chr(int(code, 8))

    return re.sub(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|.)", escape, body)


def _strip_comments(text: str) -> str:
    """Leading `# …` lines (a snippet's markers) and blank lines are not part of the command."""
    text = text.lstrip()
    while text.startswith("#"):  # line by line, never splitting a large document whole
        end = text.find("\n")
        text = "" if end == -1 else text[end + 1 :].lstrip()
    return text


def sniff(text: str) -> bool:
    return bool(re.match(r"^\s*(\$\s*)?curl(\.exe)?\s", _strip_comments(text)))


def _tokens(text: str, source: str) -> list[str]:
    text = _strip_comments(text).strip()
    if text.startswith("$"):
        text = text[1:].lstrip()
    # A shell joins "\\\n" continuations before splitting; Windows copies use "^" (cmd) or "`" (PowerShell).
    text = re.sub(r"\\\r?\n", " ", text)
    # bash's ANSI-C quoting ($'tab\there'), which shlex does not know: decode it, quote it plainly.
    text = _ANSI_C.sub(lambda m: shlex.quote(_ansi_c(m.group(1))), text)
    try:
        tokens = shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        raise InputError(f"{source}: not a complete curl command ({exc}; check the quotes)") from None
    if not tokens or tokens[0] not in ("curl", "curl.exe"):
        raise InputError(f"{source}: not a curl command (it must start with `curl`)")
    # What follows a pipe, a redirection or a command separator is the shell's, not curl's.
    for index, token in enumerate(tokens):
        if token in ("|", ">", ">>", "&&", ";", "||", "2>", "2>&1") or token.startswith(("#", "# [END")):
            return tokens[1:index]
    return tokens[1:]


def parse(text: str, source: str, presets: PresetCatalog | None = None) -> ImportPlan:
    """Parse one curl command (see the module docstring)."""
    tokens = _tokens(text, source)
    method = ""
    urls: list[str] = []
    headers: list[tuple[str, str]] = []
    data: list[tuple[str, str]] = []  # (kind, value)
    forms: list[tuple[str, str]] = []
    user = ""
    bearer = ""
    as_get = head = False
    notes: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            urls.extend(tokens[i:])
            break
        value: str | None = None
        name = tok
        if tok.startswith("--") and "=" in tok and tok.split("=", 1)[0] in _OPTIONS:
            name, value = tok.split("=", 1)
        elif tok.startswith("-") and not tok.startswith("--") and len(tok) > 2 and tok[:2] in _OPTIONS:
            if _OPTIONS[tok[:2]][1]:
                name, value = tok[:2], tok[2:]  # -XPOST, -H'Accept: x'
        if name in _OPTIONS:
            kind, takes = _OPTIONS[name]
            if takes and value is None:
                if i >= len(tokens):
                    raise InputError(f"{source}: curl option {name} needs a value")
                value = tokens[i]
                i += 1
            v = value or ""
            if kind == "method":
                method = v.upper()
            elif kind == "header":
                header, sep, hvalue = v.partition(":")
                if not sep or not header.strip():
                    notes.append(f"curl -H '{header[:40]}' is not a 'Name: value' header; skipped")
                else:
                    headers.append((header.strip(), hvalue.strip()))
            elif kind.startswith("header:"):
                headers.append((kind.split(":", 1)[1], v))
            elif kind in ("data", "data-raw", "data-binary", "data-urlencode", "json"):
                data.append((kind, v))
            elif kind in ("form", "form-string"):
                forms.append((kind, v))
            elif kind == "user":
                user = v
            elif kind == "bearer":
                bearer = v
            elif kind == "url":
                urls.append(v)
            elif kind == "get":
                as_get = True
            elif kind == "head":
                head = True
            elif kind == "cookie":
                notes.append("curl -b/--cookie: cookies carry sessions; not stored")
            continue
        if tok in _QUIET_FLAGS:
            continue
        if tok in _QUIET_WITH_VALUE:
            i += 1
            continue
        if tok.startswith("-") and len(tok) > 1:
            notes.append(f"curl option {tok.split('=', 1)[0]} is not mapped; ignored")
            continue
        urls.append(tok)

    if not urls:
        raise InputError(f"{source}: the curl command has no URL")
    if len(urls) > 1:
        notes.append(f"curl command names {len(urls)} URLs; only the first was imported")
    url = urls[0]
    if "://" not in url:
        url = "http://" + url  # curl's own default
    if origin_of(url) is None:
        raise InputError(f"{source}: '{url.split('?', 1)[0][:80]}' is not an http(s) URL")

    body: str | None = None
    body_type: BodyType | None = None
    form_fields: list[tuple[str, str]] = []
    has_ct = content_type(headers) is not None
    if data:
        kinds = {k for k, _ in data}
        if "json" in kinds:
            body = "".join(v for _, v in data)
            body_type = "json"
            headers = without_content_type(headers)
            if not any(h.lower() == "accept" for h, _ in headers):
                headers.append(("Accept", "application/json"))
        else:
            pieces = []
            for kind, v in data:
                if v.startswith("@") and kind != "data-raw":
                    notes.append(f"curl data from a file ({v[:40]}) cannot be imported; the file is not read")
                    continue
                if kind == "data-urlencode":
                    key, sep, raw = v.partition("=")
                    pieces.append(urlencode({key: raw}) if sep else urlencode({"": v})[1:])
                else:
                    pieces.append(
                        v if kind in ("data-raw", "data-binary") else v.replace("\r", "").replace("\n", "")
                    )
            body = "&".join(pieces)
            ctype = content_type(headers) or ""
            if "json" in ctype.lower() or (not has_ct and _is_json(body)):
                body_type = "json"
                headers = without_content_type(headers) if "json" in ctype.lower() else headers
            elif has_ct:
                body_type = "text"
            else:
                body_type = "form"
        if as_get:
            sep = "&" if "?" in url else "?"
            url = url + sep + (body or "")
            body = None
            body_type = None
    elif forms:
        fields: list[tuple[str, str]] = []
        for kind, v in forms:
            key, sep, raw = v.partition("=")
            if not sep:
                notes.append(f"curl -F '{key[:40]}' has no '='; skipped")
            elif kind == "form" and raw.startswith(("@", "<")):
                notes.append(f"curl -F {key}: file uploads cannot be saved; field skipped")
            else:
                fields.append((key, raw))
        if fields:
            form_fields = [(escape_literal(k), escape_literal(v)) for k, v in fields]
            body_type = "multipart"
        headers = without_content_type(headers)

    if body_type == "form" and body is not None and as_get is False:
        # Keep urlencoded data readable and editable: key = value pairs (a template may go in a value).
        form_fields = [
            (escape_literal(k), escape_literal(v)) for k, v in parse_qsl(body, keep_blank_values=True)
        ]
    if not method:
        method = "HEAD" if head else "POST" if body is not None or form_fields else "GET"

    auth: AuthSpec | None = None
    given: dict[str, str] = dict(parse_qsl(body or "")) if body_type == "form" else dict(form_fields)
    if body_type == "json" and body:
        try:
            parsed = json.loads(body)
            given = (
                {k: str(v) for k, v in parsed.items() if isinstance(v, str)}
                if isinstance(parsed, dict)
                else {}
            )
        except ValueError:
            given = {}
    if bearer:
        auth = AuthSpec("bearer", where="curl --oauth2-bearer", token=bearer)
    elif user:
        username, _, password = user.partition(":")
        if given.get("grant_type") == "client_credentials":
            auth = AuthSpec(
                "oauth2",
                where="curl -u (client credentials)",
                grant_type="client_credentials",
                token_url=url.split("?", 1)[0],
                client_id=username,
                client_secret=password,
                scope=given.get("scope", ""),
                audience=given.get("audience", ""),
                client_auth="basic",
            )
        else:
            auth = AuthSpec("basic", where="curl -u", username=username, password=password)
    elif given.get("grant_type") == "client_credentials" and given.get("client_id"):
        auth = AuthSpec(
            "oauth2",
            where="curl --data (client credentials)",
            grant_type="client_credentials",
            token_url=url.split("?", 1)[0],
            client_id=given.get("client_id", ""),
            client_secret=given.get("client_secret", ""),
            scope=given.get("scope", ""),
            audience=given.get("audience", ""),
            client_auth="body",
        )
    builder = PlanBuilder("curl", source, _name_hint(url), presets)
    for note in notes:
        builder.note(note)
    if auth is not None and auth.kind == "oauth2":
        # The command *is* the token request: the profile is what we keep (the profile makes this
        # request itself, its secret in the keychain), listed rather than saved with a secret in it.
        builder.profile_for(auth, origin_of(url))
        builder.skip(f"{method.lower()} {_path_title(url)}", "the token request itself: its profile makes it")
        return builder.finish()
    body = None if body is None else escape_literal(body)
    builder.add_request(
        RawRequest(
            title=f"{method.lower()} {_path_title(url)}",
            method=method,
            url=escape_literal(url),
            headers=[(h, escape_literal(v)) for h, v in headers],
            body=None if body is None or form_fields else body,
            body_type=body_type,
            form=form_fields,
            auth=auth,
        )
    )
    return builder.finish()


def _is_json(text: str) -> bool:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def _name_hint(url: str) -> str:
    """`https://api.example.com/x` → "example" (a profile name the user recognises)."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or "curl"
    if host.replace(".", "").isdigit() or ":" in host:
        return host
    labels = host.split(".")
    if len(labels) > 2 and labels[0] in ("api", "www", "auth"):
        labels = labels[1:]
    return labels[0]


def _path_title(url: str) -> str:
    from urllib.parse import urlsplit

    path = urlsplit(url).path.strip("/")
    return slug(path, "root") if path else "root"
