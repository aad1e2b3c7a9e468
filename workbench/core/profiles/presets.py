"""Presets: one provider's token dance, described as data (TOML), validated on load.

The schema is documented in `resources/presets/README.md`. Shipped presets live in
`resources/presets/`; a user's own go in `$WORKBENCH_HOME/presets/` and win over a
shipped one with the same name. A profile may override any part of its preset under
`[override]`; `Preset.merged` deep-merges that (tables merge key by key, everything
else, lists included, is replaced) and validates the result again.

Errors are `PresetError`s whose message names the file, the line where we can find
it, and the field: ``presets/foo.toml line 12: mint.response.access_token: must be a string``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from workbench.core.errors import PresetFieldError as PresetFieldError  # defined in the error tree
from workbench.core.profiles.frozen import deep_merge, freeze, thaw
from workbench.core.profiles.grant_tables import assertion_problem, choices_problem
from workbench.core.redact import redact
from workbench.core.storage.toml_locator import FieldPath, format_field

PRESET_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\Z")
# Input names end up in templates (`vars.key_id`) and in keychain entry names, so keep them plain.
INPUT_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")

INPUT_KINDS = ("var", "secret")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
SECTIONS = ("token", "mint", "refresh", "verify", "errors", "oauth")
REQUEST_SECTIONS = ("mint", "refresh", "verify")

TOP_LEVEL_KEYS: dict[str, str] = {
    "name": "string",
    "title": "string",
    "summary": "string",
    "base_url_example": "string",
    "inputs": "array of tables",
    "token": "table",
    "mint": "table",
    "refresh": "table",
    "verify": "table",
    "errors": "table",
    "oauth": "table",
}
REQUIRED_TOP_LEVEL = ("name", "title")
_MERGED_CACHE_SIZE = 64
INPUT_KEYS = ("name", "kind", "label", "required", "multiline", "default", "help", "choices", "choose_from")
TOKEN_KEYS = (
    "header",
    "scheme",
    "sliding_header",
    "rotates_refresh_token",
    "refresh_token_lifetime",
    "jwks_url",
    "verify_secret",
    "expired_markers",
    "placement",
    "value",
)
TOKEN_PLACEMENTS = ("header", "query", "cookie")
# `[token]` header / scheme / placement may name a profile var: `{{ vars.key_name }}` (api-key).
_VAR_REF = re.compile(r"\{\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
REQUEST_KEYS = (
    "method",
    "path",
    "headers",
    "json",
    "form",
    "basic_auth",
    "auth",
    "retry_on_clock_skew",
    "client_auth",
    "response",
    "assertion",
    "exchange",
)
RESPONSE_KEYS = (
    "access_token",
    "refresh_token",
    "expires_in",
    "expires_at",
    "token_type",
    "success",
    "scope",
    "id_token",
)
ERRORS_KEYS = ("message", "type")
OAUTH_KEYS = ("grant", "discovery")
OAUTH_GRANTS = ("authorization_code", "device_code")


class Problem(Exception):
    """A validation failure at a field path; turned into a PresetError/ProfileError with file and line."""

    def __init__(self, path: FieldPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class PresetInput:
    name: str
    kind: Literal["var", "secret"]
    label: str
    required: bool = True
    multiline: bool = False
    default: str | None = None
    help: str = ""
    # A var that takes one of a few values (a form offers them as a list; "" may be one of them).
    choices: tuple[str, ...] = ()
    choose_from: str = ""  # "profiles": the value names another profile (the editor offers a list)

    @property
    def flag(self) -> str:
        """How the CLI takes this input: `--set key_id=…` or `--secret private_key=@FILE`."""
        if self.kind == "var":
            return f"--set {self.name}=…"
        return f"--secret {self.name}=@FILE" if self.multiline else f"--secret {self.name}=…"


@dataclass(frozen=True)
class TokenSpec:
    """The preset's `[token]` table, read once when the preset is built (defaults filled in).

    `scheme` may be empty: the token is then sent bare. `refresh_token_lifetime` is seconds.
    """

    header: str = "Authorization"
    scheme: str = "Bearer"
    sliding_header: str | None = None
    rotates_refresh_token: bool = False
    refresh_token_lifetime: float | None = None
    jwks_url: str | None = None
    verify_secret: str | None = None
    expired_markers: tuple[str, ...] = ()
    # Where the token goes: a header (`header`, `scheme`), a query parameter or a cookie named `header`.
    placement: str = "header"
    # A credential the preset builds from the profile's inputs, with no request (basic, api-key):
    # a template such as `{{ secrets.api_key }}`. None: the token is minted, refreshed or pasted.
    value: str | None = None

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None) -> TokenSpec:
        """Build from an already validated `[token]` table (absent: every default)."""
        if not table:
            return cls()
        lifetime = table.get("refresh_token_lifetime")
        return cls(
            header=str(table.get("header") or "Authorization"),
            scheme=str(table["scheme"]) if "scheme" in table else "Bearer",
            sliding_header=str(table["sliding_header"]) if table.get("sliding_header") else None,
            rotates_refresh_token=bool(table.get("rotates_refresh_token")),
            refresh_token_lifetime=float(lifetime) if lifetime is not None else None,
            jwks_url=str(table["jwks_url"]) if table.get("jwks_url") else None,
            verify_secret=str(table["verify_secret"]) if table.get("verify_secret") else None,
            expired_markers=tuple(str(m) for m in table.get("expired_markers") or () if m),
            placement=str(table.get("placement") or "header"),
            value=str(table["value"]) if table.get("value") else None,
        )

    def resolved(self, var: Callable[[str], str]) -> TokenSpec:
        """This spec with `{{ vars.NAME }}` in header, scheme and placement filled in by `var`."""
        if "{{" not in self.header + self.scheme + self.placement:
            return self

        def fill(text: str) -> str:
            return _VAR_REF.sub(lambda m: var(m.group(1)), text).strip()

        placement = fill(self.placement).lower() or "header"
        return replace(
            self,
            header=fill(self.header) or "Authorization",
            scheme=fill(self.scheme),
            placement=placement if placement in TOKEN_PLACEMENTS else "header",
        )

    def authorization(self, token: str, token_type: str | None = None) -> tuple[str, str]:
        """(header name, header value) a request carries the token in: `Authorization: Bearer …`
        (for a query parameter or a cookie, the header value is the bare token); a DPoP token
        (`token_type` DPoP, RFC 9449 §7.1) as `Authorization: DPoP …`, never Bearer."""
        if self.placement != "header":
            return self.header, token
        scheme = self.scheme_for(token_type)
        return self.header, f"{scheme} {token}" if scheme else token

    def scheme_for(self, token_type: str | None) -> str:
        """The scheme before a token of `token_type` in its header: the profile's, except a DPoP
        token in `Authorization`, which is always `DPoP` (RFC 9449 §7.1)."""
        if (
            token_type is not None
            and token_type.strip().lower() == "dpop"
            and self.header.lower() == "authorization"
        ):
            return "DPoP"
        return self.scheme


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    summary: str
    base_url_example: str
    inputs: tuple[PresetInput, ...]
    data: Mapping[str, Any] = field(repr=False, hash=False)
    source: Path | None = None
    token: TokenSpec = field(default_factory=TokenSpec, repr=False, hash=False)
    # Presets merged with a profile's [override], by the override's canonical JSON: a profile
    # re-read from disk finds its merged preset here instead of merging and validating again.
    _merged: dict[str, Preset] = field(
        default_factory=dict, init=False, repr=False, hash=False, compare=False
    )

    def can_mint(self) -> bool:
        return "mint" in self.data

    def can_refresh(self) -> bool:
        return "refresh" in self.data

    def can_verify(self) -> bool:
        """True when the provider offers a remote check (`[verify]`)."""
        return "verify" in self.data

    def can_verify_locally(self) -> bool:
        """True when `[token]` names a key to check signatures with: a JWKS URL or a shared secret."""
        return bool(self.token.jwks_url or self.token.verify_secret)

    def section(self, name: str) -> Mapping[str, Any] | None:
        if name not in SECTIONS:
            raise ValueError(f"unknown preset section {name!r} (known: {', '.join(SECTIONS)})")
        value = self.data.get(name)
        return value if isinstance(value, Mapping) else None

    def input(self, name: str) -> PresetInput | None:
        for item in self.inputs:
            if item.name == name:
                return item
        return None

    @property
    def var_inputs(self) -> tuple[PresetInput, ...]:
        return tuple(i for i in self.inputs if i.kind == "var")

    @property
    def secret_inputs(self) -> tuple[PresetInput, ...]:
        return tuple(i for i in self.inputs if i.kind == "secret")

    def merged(self, override: Mapping[str, Any]) -> Preset:
        """This preset with a profile's `[override]` deep-merged in (validated again).

        Raises PresetError naming the offending field (its path is relative to the
        preset, i.e. what sits under `[override]` in the profile).
        """
        if not override:
            return self
        key = json.dumps(thaw(override), sort_keys=True, default=repr)
        cached = self._merged.get(key)
        if cached is not None:
            return cached
        if "name" in override and override["name"] != self.name:
            raise PresetFieldError(
                ("name",),
                "a profile cannot rename its preset; set `preset` instead of overriding `name`",
                where="name",
            )
        data = deep_merge(thaw(self.data), override)
        try:
            merged = build_preset(data, source=self.source)
        except Problem as problem:
            raise PresetFieldError(problem.path, problem.message, where=format_field(problem.path)) from None
        if len(self._merged) >= _MERGED_CACHE_SIZE:
            self._merged.clear()
        self._merged[key] = merged
        return merged


# --------------------------------------------------------------------------- helpers


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def unknown_key_message(key: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    # A "key" may be a secret pasted on the wrong side of '=': never echo a credential-looking one.
    return f"unknown key '{redact(key)}' ({hint}known: {', '.join(known)})"


def _expect_str(value: Any, path: FieldPath, *, non_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise Problem(path, f"must be a string, not {_type_name(value)}")
    if non_empty and not value.strip():
        raise Problem(path, "must not be empty")
    return value


def _expect_bool(value: Any, path: FieldPath) -> bool:
    if not isinstance(value, bool):
        raise Problem(path, f"must be true or false, not {_type_name(value)}")
    return value


def _expect_table(value: Any, path: FieldPath) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Problem(path, f"must be a table, not {_type_name(value)}")
    return value


def _expect_str_list(value: Any, path: FieldPath) -> list[str]:
    if not isinstance(value, list | tuple):
        raise Problem(path, f"must be an array of strings, not {_type_name(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise Problem((*path, i), f"must be a string, not {_type_name(item)}")
    return list(value)


def _check_keys(table: Mapping[str, Any], known: Sequence[str], path: FieldPath) -> None:
    for key in table:
        if key not in known:
            raise Problem((*path, key), unknown_key_message(key, known))


# --------------------------------------------------------------------------- validation


def _validate_input(raw: Any, path: FieldPath) -> PresetInput:
    table = _expect_table(raw, path)
    _check_keys(table, INPUT_KEYS, path)
    if "name" not in table:
        raise Problem(path, "missing required key 'name'")
    name = _expect_str(table["name"], (*path, "name"))
    if not INPUT_NAME_RE.match(name):
        raise Problem(
            (*path, "name"), f"'{name}' is not a valid input name (letters, digits, _; not first a digit)"
        )
    if "kind" not in table:
        raise Problem(path, f"missing required key 'kind' (one of: {', '.join(INPUT_KINDS)})")
    kind = _expect_str(table["kind"], (*path, "kind"))
    if kind not in INPUT_KINDS:
        raise Problem((*path, "kind"), f"'{kind}' is not an input kind (one of: {', '.join(INPUT_KINDS)})")
    label = _expect_str(table.get("label", name), (*path, "label"))
    required = _expect_bool(table.get("required", True), (*path, "required"))
    multiline = _expect_bool(table.get("multiline", False), (*path, "multiline"))
    default: str | None = None
    if "default" in table:
        if kind == "secret":
            raise Problem(
                (*path, "default"), "only var inputs may have a default (a secret belongs in the vault)"
            )
        default = _expect_str(table["default"], (*path, "default"))
    help_text = _expect_str(table.get("help", ""), (*path, "help"))
    choose_from = table.get("choose_from", "")
    if (wrong := choices_problem(choose_from)) is not None:
        raise Problem((*path, "choose_from"), wrong)
    choices: tuple[str, ...] = ()
    if "choices" in table:
        if kind == "secret":
            raise Problem((*path, "choices"), "only var inputs may have choices")
        choices = tuple(dict.fromkeys(_expect_str_list(table["choices"], (*path, "choices"))))
        if not choices:
            raise Problem((*path, "choices"), "must list at least one value")
        if default is not None and default not in choices:
            raise Problem((*path, "default"), f"'{default}' is not one of its choices")
    return PresetInput(
        name=name,
        kind="var" if kind == "var" else "secret",
        label=label,
        required=required,
        multiline=multiline,
        default=default,
        help=help_text,
        choices=choices,
        choose_from=choose_from,
    )


def _validate_extraction(value: Any, path: FieldPath) -> None:
    text = _expect_str(value, path, non_empty=True)
    if text.startswith("@"):
        if text != "@jwt":
            raise Problem(
                path, f'\'{text}\' is not a known extractor (use "@jwt", "header:Name" or a dotted path)'
            )
        return
    if text.startswith("header:"):
        if not text[len("header:") :].strip():
            raise Problem(path, "'header:' needs a header name, e.g. \"header:Authorization\"")
        return
    if any(not part.strip() for part in text.split(".")) or text != text.strip():
        raise Problem(path, f"'{text}' is not a dotted path (e.g. \"data.accessToken\")")


def _validate_request(section: str, raw: Any) -> None:
    path: FieldPath = (section,)
    table = _expect_table(raw, path)
    _check_keys(table, REQUEST_KEYS, path)
    if "method" in table:
        method = _expect_str(table["method"], (*path, "method"))
        if method.upper() not in HTTP_METHODS:
            raise Problem((*path, "method"), f"'{method}' is not an HTTP method ({', '.join(HTTP_METHODS)})")
    if "path" not in table:
        raise Problem(
            path, "missing required key 'path' (joined to the profile's base_url, or an absolute URL)"
        )
    _expect_str(table["path"], (*path, "path"), non_empty=True)
    if "headers" in table:
        headers = _expect_table(table["headers"], (*path, "headers"))
        for key, value in headers.items():
            _expect_str(value, (*path, "headers", key))
    if "json" in table and "form" in table:
        raise Problem((*path, "form"), "a request has either `json` or `form`, not both")
    if "json" in table:
        _expect_str(table["json"], (*path, "json"), non_empty=True)
    if "form" in table:
        form = _expect_table(table["form"], (*path, "form"))
        for key, value in form.items():
            _expect_str(value, (*path, "form", key))
    if "basic_auth" in table:
        pair = _expect_str_list(table["basic_auth"], (*path, "basic_auth"))
        if len(pair) != 2:
            raise Problem((*path, "basic_auth"), "must be [user_template, password_template]")
    if "assertion" in table and (found := assertion_problem(table["assertion"], table)) is not None:
        raise Problem((*path, "assertion", *found[0]), found[1])
    for flag in ("auth", "retry_on_clock_skew", "client_auth", "exchange"):
        if flag in table:
            _expect_bool(table[flag], (*path, flag))
    if "response" in table:
        response = _expect_table(table["response"], (*path, "response"))
        _check_keys(response, RESPONSE_KEYS, (*path, "response"))
        for key, value in response.items():
            _validate_extraction(value, (*path, "response", key))
    if section in ("mint", "refresh"):
        answer = table.get("response")
        if not isinstance(answer, Mapping) or "access_token" not in answer:
            where: FieldPath = (*path, "response") if isinstance(answer, Mapping) else path
            raise Problem(where, f"missing required key 'access_token' in [{section}.response]")


def _validate_token(raw: Any, secret_names: set[str]) -> None:
    path: FieldPath = ("token",)
    table = _expect_table(raw, path)
    _check_keys(table, TOKEN_KEYS, path)
    for key in ("header", "sliding_header"):
        if key in table:
            _expect_str(table[key], (*path, key), non_empty=True)
    if "scheme" in table:
        _expect_str(table["scheme"], (*path, "scheme"))  # may be empty: token sent bare
    if "jwks_url" in table:
        _expect_str(table["jwks_url"], (*path, "jwks_url"), non_empty=True)
    if "rotates_refresh_token" in table:
        _expect_bool(table["rotates_refresh_token"], (*path, "rotates_refresh_token"))
    if "refresh_token_lifetime" in table:
        value = table["refresh_token_lifetime"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise Problem((*path, "refresh_token_lifetime"), "must be a positive number of seconds")
    if "verify_secret" in table:
        name = _expect_str(table["verify_secret"], (*path, "verify_secret"), non_empty=True)
        if name not in secret_names:
            known = ", ".join(sorted(secret_names)) or "none"
            raise Problem(
                (*path, "verify_secret"), f"'{name}' is not a secret input of this preset ({known})"
            )
    if "expired_markers" in table:
        _expect_str_list(table["expired_markers"], (*path, "expired_markers"))
    for key in ("header", "scheme", "placement"):
        text = table.get(key)
        if isinstance(text, str) and ("{{" in text or "{%" in text) and _VAR_REF.sub("", text).count("{") > 0:
            raise Problem((*path, key), "may hold only `{{ vars.NAME }}` templates")
    if "placement" in table:
        placement = _expect_str(table["placement"], (*path, "placement"), non_empty=True)
        if "{{" not in placement and placement not in TOKEN_PLACEMENTS:
            raise Problem((*path, "placement"), f"must be one of {', '.join(TOKEN_PLACEMENTS)}")
    if "value" in table:
        _expect_str(table["value"], (*path, "value"), non_empty=True)


def _validate_oauth(raw: Any) -> None:
    """`[oauth]`: an interactive OAuth login (`workbench login`); see resources/presets/README.md."""
    path: FieldPath = ("oauth",)
    table = _expect_table(raw, path)
    _check_keys(table, OAUTH_KEYS, path)
    if "grant" in table:
        grant = _expect_str(table["grant"], (*path, "grant"), non_empty=True)
        if grant not in OAUTH_GRANTS:
            raise Problem((*path, "grant"), f"'{grant}' is not a login grant ({', '.join(OAUTH_GRANTS)})")
    if "discovery" in table:
        _expect_bool(table["discovery"], (*path, "discovery"))


def _validate_errors(raw: Any) -> None:
    path: FieldPath = ("errors",)
    table = _expect_table(raw, path)
    _check_keys(table, ERRORS_KEYS, path)
    for key in ERRORS_KEYS:
        if key in table:
            for i, item in enumerate(_expect_str_list(table[key], (*path, key))):
                _validate_extraction(item, (*path, key, i))


def build_preset(data: Mapping[str, Any], *, source: Path | None) -> Preset:
    """Validate parsed preset data and build the Preset. Raises Problem."""
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise Problem((key,), unknown_key_message(key, TOP_LEVEL_KEYS))
    for key in REQUIRED_TOP_LEVEL:
        if key not in data:
            raise Problem((), f"missing required key '{key}'")
    name = _expect_str(data["name"], ("name",), non_empty=True)
    if not PRESET_NAME_RE.match(name):
        raise Problem(("name",), f"'{name}' is not a valid preset name (letters, digits, . _ -; at most 64)")
    title = _expect_str(data["title"], ("title",), non_empty=True)
    summary = _expect_str(data.get("summary", ""), ("summary",))
    example = _expect_str(data.get("base_url_example", ""), ("base_url_example",))

    raw_inputs = data.get("inputs", [])
    if not isinstance(raw_inputs, list | tuple):
        raise Problem(("inputs",), f"must be an array of tables ([[inputs]]), not {_type_name(raw_inputs)}")
    inputs: list[PresetInput] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_inputs):
        item = _validate_input(raw, ("inputs", i))
        if item.name in seen:
            raise Problem(("inputs", i, "name"), f"input '{item.name}' is declared twice")
        seen.add(item.name)
        inputs.append(item)

    secret_names = {i.name for i in inputs if i.kind == "secret"}
    if "token" in data:
        _validate_token(data["token"], secret_names)
    for section in REQUEST_SECTIONS:
        if section in data:
            _validate_request(section, data[section])
    if "errors" in data:
        _validate_errors(data["errors"])
    if "oauth" in data:
        _validate_oauth(data["oauth"])
    _reject_datetimes(data, ())

    return Preset(
        name=name,
        title=title,
        summary=summary,
        base_url_example=example,
        inputs=tuple(inputs),
        data=freeze(data),
        source=source,
        token=TokenSpec.from_table(data.get("token")),
    )


def _reject_datetimes(value: Any, path: FieldPath) -> None:
    """TOML dates/times have no meaning in a preset; catching them here keeps every value writable."""
    import datetime as _dt

    if isinstance(value, _dt.date | _dt.time):
        raise Problem(path, "dates and times are not valid here (quote it to make it a string)")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _reject_datetimes(v, (*path, k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _reject_datetimes(v, (*path, i))
