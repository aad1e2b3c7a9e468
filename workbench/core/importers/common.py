"""Helpers every importer shares: variables and templates, names, URLs, and turning auth into profiles.

Source formats write variables as `{{name}}` (Postman, Bruno) or `{{ _.name }}` (Insomnia's
Nunjucks). Saved requests use the workbench's Jinja2 templates, so every text that crosses
over goes through `Variables.translate`: a known, non-secret variable is substituted; a secret
or unknown one stays a template (`{{ name }}`) and is listed as not mapped; literal `{{`, `{%`
and `{#` in the source are escaped so they reach the wire unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.core.errors import InputError

# The one origin rule (None: not an absolute http(s) URL with a real host, e.g. a template in it).
from workbench.core.net.origins import origin_or_none as origin_of
from workbench.core.redact import looks_like_credential, redact

if TYPE_CHECKING:
    pass

MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_NAME = 64

# `{{ name }}`, `{{$guid}}`, `{{ _.name }}`, `{{process.env.X}}`: what a source variable looks like.
_SOURCE_VAR = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NUNJUCKS_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)
_IDENT = re.compile(r"[^A-Za-z0-9_]")
ABSOLUTE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw(or)?d|api[-_]?key|apikey|credential|private|session)")

# Postman/Bruno dynamic variables the workbench's template helpers can stand in for.
_DYNAMIC = {
    "$guid": "{{ uuid() }}",
    "$randomUUID": "{{ uuid() }}",
    "$timestamp": "{{ now() }}",
}
# Headers the client computes itself (or a browser added): not stored, listed once per import.
MANAGED_HEADERS = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "keep-alive", "te"}
)
# Headers that carry credentials by their nature, whatever their value looks like.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "apikey", "x-auth-token"}
)


def escape_literal(text: str) -> str:
    """Text that renders to itself under Jinja2 (source text may hold `{{`, `{%`, `{#`)."""
    if "{" not in text:
        return text
    return re.sub(r"\{([{%#])", lambda m: "{{ '{" + m.group(1) + "' }}", text)


def template_name(name: str) -> str:
    """A source variable name as a Jinja2 identifier (`api-host` → `api_host`, `1st` → `_1st`)."""
    ident = _IDENT.sub("_", name.strip()) or "_"
    return "_" + ident if ident[0].isdigit() else ident


def looks_secret(name: str, value: str = "") -> bool:
    """A variable or header that would put a credential in a file."""
    if name.lower() in CREDENTIAL_HEADERS or _SECRET_NAME.search(name):
        return True
    return bool(value) and looks_like_credential(value)


@dataclass
class Variables:
    """Name → value from the source (collection, folder, environment), and which are secret."""

    values: dict[str, str] = field(default_factory=dict)
    secret: set[str] = field(default_factory=set)
    problems: dict[str, str] = field(default_factory=dict)  # message key → message (ordered, unique)
    # Names that stay `{{ name }}` templates because an environment (a named variable set) gives
    # them their value; `resolve` still uses the default environment's value (for auth).
    keep: set[str] = field(default_factory=set)

    def add(self, name: str, value: Any, *, secret: bool = False) -> None:
        if not isinstance(name, str) or not name:
            return
        text = value if isinstance(value, str) else "" if value is None else _scalar(value)
        self.values[name] = text
        if secret or looks_secret(name, text):
            self.secret.add(name)
        else:
            self.secret.discard(name)

    def child(self) -> Variables:
        """A copy for a folder or a request (its own variables shadow the parent's)."""
        return Variables(dict(self.values), set(self.secret), self.problems, self.keep)

    def note(self, message: str) -> None:
        self.problems.setdefault(message, message)

    def resolve(self, text: str, *, nunjucks: bool = False) -> str:
        """Every known variable substituted, secrets included (for auth values headed to the vault).

        Unknown ones are left as they are; the caller checks `unresolved`.
        """

        def sub(match: re.Match[str]) -> str:
            name = _source_name(match.group(1), nunjucks)
            if name in self.values:
                return (
                    self.resolve(self.values[name], nunjucks=nunjucks)
                    if "{{" in self.values[name]
                    else (self.values[name])
                )
            return match.group(0)

        return _SOURCE_VAR.sub(sub, text) if "{{" in text else text

    def translate(self, text: str, where: str, *, nunjucks: bool = False, depth: int = 0) -> str:
        """Source text → workbench template (see the module docstring). Problems are noted, not raised."""
        if nunjucks and "{%" in text:
            for tag in _NUNJUCKS_TAG.findall(text):
                self.note(
                    f"{where}: Insomnia template tag {redact(tag)[:60]} has no equivalent; kept as text"
                )
        out: list[str] = []
        pos = 0
        for match in _SOURCE_VAR.finditer(text):
            out.append(escape_literal(text[pos : match.start()]))
            pos = match.end()
            raw = match.group(1)
            name = _source_name(raw, nunjucks)
            if name in _DYNAMIC:
                out.append(_DYNAMIC[name])
            elif name.startswith("$"):
                self.note(f"{where}: dynamic variable {{{{{name}}}}} has no equivalent; left undefined")
                out.append("{{ " + template_name(name) + " }}")
            elif name in self.keep:
                out.append("{{ " + template_name(name) + " }}")
            elif name in self.values and name not in self.secret and self.values[name] != "":
                value = self.values[name]
                out.append(
                    self.translate(value, where, nunjucks=nunjucks, depth=depth + 1)
                    if ("{{" in value and depth < 5)
                    else escape_literal(value)
                )
            elif name in self.secret:
                self.note(
                    f"{where}: variable '{name}' holds a secret; its value is not stored in a file "
                    f"(define {template_name(name)} under [vars] of the saved requests, "
                    "or use the profile's auth)"
                )
                out.append("{{ " + template_name(name) + " }}")
            else:
                empty = "an empty value" if self.values.get(name) == "" else "no value"
                self.note(
                    f"variable '{name}' has {empty} in the source; left as the template "
                    f"{{{{ {template_name(name)} }}}} (give it under [vars] or an environment)"
                )
                out.append("{{ " + template_name(name) + " }}")
        out.append(escape_literal(text[pos:]))
        return "".join(out)


def _source_name(raw: str, nunjucks: bool) -> str:
    name = raw.strip()
    if nunjucks and name.startswith("_."):
        name = name[2:]
    if name.startswith("process.env."):
        name = name[len("process.env.") :]
    return name


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unresolved(text: str) -> bool:
    return bool(_SOURCE_VAR.search(text))


def slug(text: str, fallback: str = "imported") -> str:
    """A profile or saved-request name: letters, digits, '.', '_' and '-' (at most 64)."""
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-._").lower()
    value = re.sub(r"-{2,}", "-", value)
    return (value or fallback)[:MAX_NAME].rstrip("-._") or fallback


def unique(name: str, taken: set[str]) -> str:
    candidate = name
    n = 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def content_type(headers: Iterable[tuple[str, str]]) -> str | None:
    """The first Content-Type header's value; None when there is none."""
    return next((value for name, value in headers if name.lower() == "content-type"), None)


def without_content_type(
    headers: Iterable[tuple[str, str]], *, json_only: bool = False
) -> list[tuple[str, str]]:
    """`headers` less Content-Type (only a JSON one with `json_only`): the client sets it for the body."""
    return [
        (name, value)
        for name, value in headers
        if name.lower() != "content-type" or (json_only and "json" not in value.lower())
    ]


def relative_to(url: str, origin: str) -> str:
    """The part of `url` after `origin` (a path starting with '/'), or `url` itself for another origin."""
    if origin_of(url) != origin:
        return url
    if url.startswith(origin):  # the usual case: no userinfo, the scheme in lower case
        rest = url[len(origin) :]
    else:
        parts = urlsplit(url)
        rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    return rest if rest.startswith("/") else "/" + rest


def text_of(value: Any) -> str:
    """A scalar from a parsed document as text ("" for missing / null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return _scalar(value)
    return ""


def as_map(value: Any) -> Mapping[str, Any]:
    """`value` if it is a mapping, else an empty one (parsed documents may hold anything anywhere)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def decode_text(data: bytes, source: str, what: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text, so not {what}") from None


# --------------------------------------------------------------------------- secret values

_SHELL_VAR = re.compile(
    r"^\$([A-Za-z_][A-Za-z0-9_]*)$|^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$|^%([A-Za-z_][A-Za-z0-9_]*)%$"
)
_PLACEHOLDER = re.compile(
    r"""(?ix)^(
        <[^<>]*> | \[[^\[\]]*\] | \{[A-Za-z_ -]+\}        # <token>  [API KEY]  {YOUR_KEY}
      | your[-_ .]?.* | my[-_ .]?(api[-_ .]?)?(key|token|secret|password).*
      | x{3,}.* | \*{3,}.* | \.{3,} | …
      | (api[-_ ]?)?(key|token|secret)[-_ ]?(here|goes[-_ ]?here)
      | change[-_ ]?me | replace[-_ ]?(me|this) | insert[-_ ].* | todo | tbd | placeholder | example
      | (access|api|auth|bearer|client|secret|app)[-_]?(token|key|secret|id)
      | [A-Z][A-Z0-9]*(_[A-Z0-9]+)*_(KEY|TOKEN|SECRET|PASSWORD|ID)
    )$""",
)


def secret_kind(value: str) -> tuple[str, str]:
    """How a credential found in a source is kept: ("value", v) to the keychain, ("env", VAR) as
    an `env:VAR` reference (a shell variable in a copied curl), or ("pending", why) as an input
    the profile still needs (empty, a template with no value, or a placeholder like YOUR-TOKEN)."""
    text = value.strip()
    if not text:
        return "pending", "empty"
    if unresolved(text) or "{%" in text:
        return "pending", "a variable with no value"
    shell = _SHELL_VAR.match(text)
    if shell:
        return "env", next(g for g in shell.groups() if g)
    if _PLACEHOLDER.match(text):
        return "pending", f"a placeholder ({text[:24]})"
    return "value", text


__all__ = [
    "MAX_IMPORT_BYTES",
    "Variables",
    "decode_text",
    "escape_literal",
    "looks_secret",
    "origin_of",
    "secret_kind",
    "slug",
    "template_name",
    "text_of",
    "unresolved",
]
