"""Copy-as-code: the same request as a command line (or a short program) the user can paste.

Every argument is quoted with `shlex.quote`, so values with spaces, quotes,
`$`, backticks or newlines reach curl exactly as they are and nothing in them
runs. The caller decides what goes in: the GUI offers a redacted variant
(`RequestSpec.redacted`-style values) and a real one behind an explicit action.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from workbench.core.engine.flows import resolve_url
from workbench.core.jose.dpop import DPOP_KEY_SECRET, TOKEN_TYPE
from workbench.core.jose.x509 import CLIENT_CERT_SECRET

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile

# Headers curl adds on its own or that describe the body it computes itself.
_CURL_MANAGED = frozenset({"content-length", "host"})


def curl_command(
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | str | None = None,
    *,
    multiline: bool = False,
) -> str:
    """`curl -X METHOD URL -H 'K: V' ... --data-raw BODY`, shell-quoted.

    Binary bodies that are not UTF-8 cannot be written on a command line; they are
    decoded with replacement characters (the command then says so in a comment).
    `multiline` puts each option on its own line with `\\` continuations.
    """
    parts: list[str] = ["curl", "-X", shlex.quote(method.upper()), shlex.quote(url)]
    for name, value in headers:
        if name.lower() in _CURL_MANAGED:
            continue
        parts.extend(["-H", shlex.quote(f"{name}: {value}")])
    lossy = False
    if body is not None and body != b"" and body != "":
        if isinstance(body, bytes):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = body.decode("utf-8", errors="replace")
                lossy = True
        else:
            text = body
        parts.extend(["--data-raw", shlex.quote(text)])
    if multiline:
        # Pair each option with its argument: "curl -X POST URL \\\n  -H '...' \\\n  --data-raw '...'"
        lines = [" ".join(parts[:4])]
        rest = parts[4:]
        for i in range(0, len(rest), 2):
            lines.append("  " + " ".join(rest[i : i + 2]))
        command = " \\\n".join(lines)
    else:
        command = " ".join(parts)
    if lossy:
        command += "  # body was not UTF-8; non-text bytes were replaced"
    return command


# --------------------------------------------------------------------------- snippets
#
# One request model, four writers (the way Insomnia and Bruno feed one HAR-like request to
# httpsnippet). The token is never written into a snippet: shell snippets call
# `$(workbench token NAME)` where it is needed; code reads the environment variable
# WORKBENCH_TOKEN, which `workbench exec NAME -- CMD` sets for its child only.

SNIPPET_LANGS = ("curl", "httpie", "python", "fetch")
TOKEN_ENV = "WORKBENCH_TOKEN"  # noqa: S105 - the variable's name, not a secret


# Placeholder files for a client certificate and its key: workbench never writes the key out.
CERT_FILE = "client-cert.pem"
KEY_FILE = "client-key.pem"
MTLS_NOTE = (
    f"mutual TLS: the profile presents a client certificate; {CERT_FILE} and {KEY_FILE} stand for "
    "your copies of it and its key (workbench keeps the key in the keychain and never writes it out)"
)


@dataclass(frozen=True)
class SnippetRequest:
    """What a snippet sends. `headers` never hold the token; `token_header` and `token_scheme` place it."""

    profile: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    token_header: str = "Authorization"  # noqa: S105 - a header name
    token_scheme: str = "Bearer"  # noqa: S105 - a scheme word
    dpop: bool = False  # the profile's tokens are DPoP-bound: each request needs a fresh proof
    # The api-key preset may send the token as a query parameter instead of a header (its name).
    token_query: str = ""
    # Mutual TLS (RFC 8705): the profile presents a client certificate, whose key lives only in the
    # keychain: a snippet names placeholder files for it. `ca_file`: the profile's own trust anchor.
    client_cert: bool = False
    ca_file: str = ""

    @property
    def token_prefix(self) -> str:
        """What precedes the token in its header: `Bearer `, or `name=` for a cookie."""
        if not self.token_scheme:
            return ""
        return self.token_scheme if self.token_scheme.endswith("=") else self.token_scheme + " "

    def plain_headers(self) -> list[tuple[str, str]]:
        """The headers to write out: without the token header and the ones the client computes itself."""
        skip = {*([] if self.token_query else [self.token_header.lower()]), *_CURL_MANAGED}
        return [(k, v) for k, v in self.headers if k.lower() not in skip]

    def body_text(self) -> tuple[str | None, bool]:
        """(text, lossy): the body as text; non-UTF-8 bytes are replaced and `lossy` says so."""
        if self.body is None or self.body == b"":
            return None, False
        try:
            return self.body.decode("utf-8"), False
        except UnicodeDecodeError:
            return self.body.decode("utf-8", errors="replace"), True


def _dq(text: str) -> str:
    """`text` inside shell double quotes, with nothing in it expanded."""
    return "".join("\\" + ch if ch in '"$`\\' else ch for ch in text)


def _shell_token_header(req: SnippetRequest, sep: str) -> str:
    prefix = req.token_prefix
    # The profile name is [A-Za-z0-9._-] (validated), so it needs no quoting inside $( ).
    return f'"{_dq(req.token_header)}{sep}{_dq(prefix)}$(workbench token {req.profile})"'


def _proof_command(req: SnippetRequest) -> list[str]:
    return ["workbench", "dpop-proof", req.profile, req.method.upper(), req.url]


def _shell_proof_header(req: SnippetRequest, sep: str) -> str:
    # Inside $( ) the shell parses anew: the single-quoted URL stays one word.
    command = " ".join(shlex.quote(part) for part in _proof_command(req))
    return f'"DPoP{sep}$({command})"'


def _shell_url(req: SnippetRequest) -> str:
    """The URL, with the token as a query parameter when the profile sends it so."""
    if not req.token_query:
        return shlex.quote(req.url)
    joiner = "&" if "?" in req.url else "?"
    name = quote(req.token_query, safe="")
    return f'"{_dq(req.url)}{joiner}{_dq(name)}=$(workbench token {req.profile})"'


def _curl(req: SnippetRequest) -> str:
    parts = [
        "curl",
        "-X",
        shlex.quote(req.method.upper()),
        _shell_url(req),
    ]
    if not req.token_query:
        parts += ["-H", _shell_token_header(req, ": ")]
    if req.dpop:
        parts += ["-H", _shell_proof_header(req, ": ")]
    for name, value in req.plain_headers():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if req.client_cert:
        parts += ["--cert", CERT_FILE, "--key", KEY_FILE]
    if req.ca_file:
        parts += ["--cacert", shlex.quote(req.ca_file)]
    text, lossy = req.body_text()
    if text is not None:
        parts += ["--data-raw", shlex.quote(text)]
    lines = [" ".join(parts[:4])] + ["  " + " ".join(parts[i : i + 2]) for i in range(4, len(parts), 2)]
    return (
        _shell_notes(req)
        + " \\\n".join(lines)
        + ("\n# body was not UTF-8; non-text bytes were replaced" if lossy else "")
    )


def _shell_notes(req: SnippetRequest) -> str:
    return f"# {MTLS_NOTE}\n" if req.client_cert else ""


def _httpie(req: SnippetRequest) -> str:
    # --ignore-stdin: in a script or CI stdin is not a terminal, and HTTPie would read it as the body.
    parts = ["http", "--ignore-stdin", shlex.quote(req.method.upper()), _shell_url(req)]
    if not req.token_query:
        parts.append(_shell_token_header(req, ":"))
    if req.dpop:
        parts.append(_shell_proof_header(req, ":"))
    for name, value in req.plain_headers():
        parts.append(shlex.quote(f"{name}:{value}"))
    if req.client_cert:
        parts += [f"--cert={CERT_FILE}", f"--cert-key={KEY_FILE}"]
    if req.ca_file:
        parts.append("--verify=" + shlex.quote(req.ca_file))
    text, lossy = req.body_text()
    if text is not None:
        parts.append("--raw=" + shlex.quote(text))
    lines = [" ".join(parts[:4])] + ["  " + p for p in parts[4:]]
    return (
        _shell_notes(req)
        + " \\\n".join(lines)
        + ("\n# body was not UTF-8; non-text bytes were replaced" if lossy else "")
    )


def _python(req: SnippetRequest) -> str:
    prefix = req.token_prefix
    headers = [f"    {k!r}: {v!r}," for k, v in req.plain_headers()]
    if not req.token_query:
        headers.append(
            f"    {req.token_header!r}: {prefix!r} + token,"
            if prefix
            else f"    {req.token_header!r}: token,"
        )
    proof = []
    if req.dpop:
        headers.append("    'DPoP': proof,")
        proof = [
            "# A fresh DPoP proof (RFC 9449) of the profile's key for this request, with its token's hash:",
            f"proof = subprocess.run({_proof_command(req)!r}, capture_output=True, text=True, check=True)"
            ".stdout.strip()",
        ]
    lines = [
        f"# Run with: workbench exec {req.profile} -- python this_file.py",
        "import os",
        *(["import subprocess"] if req.dpop else []),
        "",
        "import httpx",
        "",
        f"token = os.environ[{TOKEN_ENV!r}]  # set by `workbench exec`; never written here",
        *proof,
        "headers = {",
        *headers,
        "}",
        "response = httpx.request(",
        f"    {req.method.upper()!r},",
        f"    {req.url!r},",
        "    headers=headers,",
        *([f"    params={{{req.token_query!r}: token}},"] if req.token_query else []),
        *([f"    cert=({CERT_FILE!r}, {KEY_FILE!r}),  # {MTLS_NOTE}"] if req.client_cert else []),
        *([f"    verify={req.ca_file!r},"] if req.ca_file else []),
    ]
    if req.body is not None and req.body != b"":
        text, lossy = req.body_text()
        lines.append(f"    content={req.body!r}," if lossy else f"    content={text!r}.encode(),")
    lines += [")", "print(response.status_code)", "print(response.text)"]
    return "\n".join(lines)


def _js(text: str) -> str:
    return json.dumps(text)  # a valid JavaScript string literal (ASCII-only, so U+2028 is escaped too)


def _fetch(req: SnippetRequest) -> str:
    prefix = req.token_prefix
    token_expr = f"{_js(prefix)} + token" if prefix else "token"
    proof = []
    if req.dpop:
        args = ", ".join(_js(part) for part in _proof_command(req)[1:])
        proof = [
            'import { execFileSync } from "node:child_process";',
            "// A fresh DPoP proof (RFC 9449) of the profile's key for this request, with its token's hash:",
            f'const proof = execFileSync("workbench", [{args}], {{ encoding: "utf8" }}).trim();',
        ]
    url = _js(req.url)
    if req.token_query:
        joiner = "&" if "?" in req.url else "?"
        url = f"{url} + {_js(joiner + quote(req.token_query, safe='') + '=')} + encodeURIComponent(token)"
    tls = []
    if req.client_cert or req.ca_file:
        # Node's fetch (undici) presents a client certificate or trusts a CA through a dispatcher.
        connect = [
            *(
                [f"cert: readFileSync({_js(CERT_FILE)})", f"key: readFileSync({_js(KEY_FILE)})"]
                if req.client_cert
                else []
            ),
            *([f"ca: readFileSync({_js(req.ca_file)})"] if req.ca_file else []),
        ]
        tls = [
            'import { readFileSync } from "node:fs";',
            'import { Agent } from "undici";',
            *([f"// {MTLS_NOTE}"] if req.client_cert else []),
            f"const dispatcher = new Agent({{ connect: {{ {', '.join(connect)} }} }});",
        ]
    lines = [
        f"// Run with: workbench exec {req.profile} -- node this_file.mjs",
        *tls,
        *proof,
        f"const token = process.env.{TOKEN_ENV}; // set by `workbench exec`; never written here",
        f"const response = await fetch({url}, {{",
        f"  method: {_js(req.method.upper())},",
        *(["  dispatcher,"] if tls else []),
        "  headers: {",
        *(f"    {_js(k)}: {_js(v)}," for k, v in req.plain_headers()),
        *([] if req.token_query else [f"    {_js(req.token_header)}: {token_expr},"]),
        *(['    "DPoP": proof,'] if req.dpop else []),
        "  },",
    ]
    text, lossy = req.body_text()
    if text is not None:
        lines.append(f"  body: {_js(text)},")
    lines += ["});", "console.log(response.status);", "console.log(await response.text());"]
    if lossy:
        lines.append("// body was not UTF-8; non-text bytes were replaced")
    return "\n".join(lines)


def snippet_request(
    profile: Profile,
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
) -> SnippetRequest:
    """The request for `profile` (its base URL joined, its token's header and scheme) as a snippet model."""

    token = profile.token_spec
    cookie = token.placement == "cookie"
    dpop = (
        DPOP_KEY_SECRET in profile.secret_names
        and token.placement == "header"
        and token.header.lower() == "authorization"
    )
    return SnippetRequest(
        profile=profile.name,
        method=method,
        url=resolve_url(profile, target),
        headers=tuple(h for h in headers if h[0].lower() != "dpop") if dpop else tuple(headers),
        body=body,
        token_header="Cookie" if cookie else token.header,
        token_scheme=TOKEN_TYPE if dpop else f"{token.header}=" if cookie else token.scheme,
        token_query=token.header if token.placement == "query" else "",
        dpop=dpop,
        client_cert=CLIENT_CERT_SECRET in profile.secret_names,
        ca_file=str(profile.settings.get("tls_ca_file") or ""),
    )


_WRITERS = {"curl": _curl, "httpie": _httpie, "python": _python, "fetch": _fetch}


def snippet(request: SnippetRequest, lang: str = "curl") -> str:
    """The request as `lang` code (see SNIPPET_LANGS); the token by reference only."""
    writer = _WRITERS.get(lang)
    if writer is None:
        raise ValueError(f"unknown snippet language {lang!r} (known: {', '.join(SNIPPET_LANGS)})")
    return writer(request)


__all__ = ["SNIPPET_LANGS", "TOKEN_ENV", "SnippetRequest", "curl_command", "snippet", "snippet_request"]
