"""Profiles: one provider account each, as a git-friendly TOML file with no secret values.

``$WORKBENCH_HOME/profiles/<name>.toml``::

    name = "tm-uat"
    preset = "true-markets"
    base_url = "https://api.uat.truemarkets.co/v1/auth"
    secret_names = ["private_key"]

    [vars]
    key_id = "4c1e…"

    [settings]            # optional: refresh_lead (s), timeout (s), verify_tls, allowed_origins,
                          # token_placement ("header" | "query"), token_parameter, token_scheme,
                          # tls_ca_file (a PEM of the only certificates its TLS trusts: a CA, or a
                          # server's self-signed certificate)
    [override]            # optional: deep-merged into the preset

Secret values live in the vault under the names in `secret_names`. Files are written
atomically (temp file + `os.replace`) in a stable key order, so they diff cleanly.
Errors name the file, the line and the field:
``profiles/foo.toml line 4: base_url: must start with http:// or https://``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.core.errors import InputError, PresetError, ProfileError
from workbench.core.net.origins import validate_origin
from workbench.core.profiles.catalog import PresetCatalog
from workbench.core.profiles.frozen import freeze, thaw
from workbench.core.profiles.presets import Preset, PresetFieldError, Problem, TokenSpec, unknown_key_message
from workbench.core.profiles.secret_refs import parse_ref
from workbench.core.storage.toml_locator import FieldPath
from workbench.core.storage.toml_writer import dumps_toml

if TYPE_CHECKING:
    pass

PROFILE_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
RESERVED_PROFILE_PREFIX = "_workbench"
TOP_LEVEL_KEYS = (
    "name",
    "preset",
    "base_url",
    "secret_names",
    "vars",
    "settings",
    "override",
    "secret_refs",
    "pending",
)
# How the profile's calls carry its token, over the preset's `[token]`: in a header (its
# scheme: `token_scheme`, "" for the token alone) or a query parameter (`token_parameter`).
TOKEN_SETTINGS = ("token_placement", "token_parameter", "token_scheme")
SETTINGS_KEYS = ("refresh_lead", "timeout", "verify_tls", "allowed_origins", "tls_ca_file", *TOKEN_SETTINGS)
SETTABLE_PLACEMENTS = ("header", "query")
DEFAULT_TOKEN_PARAMETER = "access_token"  # noqa: S105 - a parameter's name (RFC 6750 §2.3)
_QUERY_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,64}\Z")
_AUTH_SCHEME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}\Z")  # an RFC 9110 token
# Stored by the engine for every profile, whatever its preset says.
TOKEN_SECRET_NAMES = ("access_token", "refresh_token")
# What `workbench login` keeps besides the token pair (presets with `[oauth]`; never sent anywhere).
LOGIN_SECRET_NAMES = ("id_token",)
MAX_PROFILE_BYTES = 256 * 1024


def validate_profile_name(name: str) -> str:
    """Return `name` if it is safe as a file name and keychain key; else ProfileError saying why."""
    if not isinstance(name, str) or not name:
        raise ProfileError("a profile name must not be empty", field="name")
    if "/" in name or "\\" in name or os.sep in name:
        raise ProfileError(f"profile name '{name}' must not contain path separators", field="name")
    if ".." in name:
        raise ProfileError(f"profile name '{name}' must not contain '..'", field="name")
    if name.startswith("."):
        raise ProfileError(f"profile name '{name}' must not start with '.'", field="name")
    if len(name) > 64:
        raise ProfileError(f"profile name '{name[:20]}…' is longer than 64 characters", field="name")
    if not PROFILE_NAME_RE.match(name):
        raise ProfileError(
            f"profile name '{name}' may only use letters, digits, '.', '_' and '-'", field="name"
        )
    if name.lower().startswith(RESERVED_PROFILE_PREFIX):
        # The vault keeps signing keys that belong to no profile under this name (operations/forge.py).
        raise ProfileError(
            f"profile names starting with '{RESERVED_PROFILE_PREFIX}' are reserved", field="name"
        )
    return name


def validate_base_url(value: str) -> str:
    """Raise Problem-style ValueError text for a base URL we cannot use."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces")
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        # Escape sequences would reach the terminal through `profile list`.
        raise ValueError("must not contain control characters")
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValueError("has no host name")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError("has an invalid port") from None
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    if "@" in parts.netloc:
        raise ValueError(
            "must not hold a user name or password (user:pass@host); secrets belong in the vault (--secret)"
        )
    return value


@dataclass(frozen=True)
class Profile:
    name: str
    preset_name: str
    base_url: str
    vars: Mapping[str, str] = field(hash=False)
    secret_names: tuple[str, ...]
    settings: Mapping[str, Any] = field(hash=False)
    override: Mapping[str, Any] = field(hash=False, repr=False)
    preset: Preset = field(repr=False)  # already merged with `override`
    # Secrets read from elsewhere at each use, never stored: name → "env:VAR" | "cmd:COMMAND"
    # (core/secret_refs.py). A name here is not in `secret_names` (those live in the keychain).
    secret_refs: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Created by an import that could not fill every required input: `missing_required()` names
    # them, `token`/`call` refuse in one line, `profile set` completes it (and clears the flag).
    pending: bool = False

    def var(self, name: str) -> str:
        """A var's value, falling back to the preset input's default."""
        if name in self.vars:
            return self.vars[name]
        spec = self.preset.input(name)
        if spec is not None and spec.kind == "var" and spec.default is not None:
            return spec.default
        raise ProfileError(f"profile '{self.name}' has no value for var '{name}'")

    @property
    def all_secret_names(self) -> tuple[str, ...]:
        """Every vault entry this profile may own: declared names, the preset's secret inputs, tokens."""
        names = [*self.secret_names, *(i.name for i in self.preset.secret_inputs), *TOKEN_SECRET_NAMES]
        if self.preset.data.get("oauth") is not None:
            names += LOGIN_SECRET_NAMES
        return tuple(dict.fromkeys(names))

    @property
    def token_spec(self) -> TokenSpec:
        """How this profile's token is sent: the preset's `[token]` with `{{ vars.NAME }}` filled in
        from the profile (the api-key preset's header, query parameter or cookie name and prefix),
        then the profile's own `token_placement`, `token_parameter` and `token_scheme` settings.
        Every sender reads it here: calls, `snippet`, the copied header and curl, the GUI."""
        return with_token_settings(self.preset.token.resolved(self.var), self.settings)

    def missing_required(self) -> list[str]:
        """Required inputs this profile lacks: `base_url` (a pending one may have none), vars
        without a value and secrets without a name."""
        missing = [] if self.base_url else ["base_url"]
        for spec in self.preset.inputs:
            if not spec.required:
                continue
            if spec.kind == "var" and spec.name not in self.vars and spec.default is None:
                missing.append(spec.name)
            provided = spec.name in self.secret_names or spec.name in self.secret_refs
            if spec.kind == "secret" and not provided:
                missing.append(spec.name)
        return missing

    def to_data(self) -> dict[str, Any]:
        """The file's content, in its stable order (secret names only, never values)."""
        data: dict[str, Any] = {
            "name": self.name,
            "preset": self.preset_name,
            "base_url": self.base_url,
            "secret_names": list(self.secret_names),
            "vars": dict(sorted(self.vars.items())),
        }
        if self.settings:
            data["settings"] = {k: self.settings[k] for k in SETTINGS_KEYS if k in self.settings}
        if self.override:
            data["override"] = thaw(self.override)
        if self.secret_refs:
            data["secret_refs"] = dict(sorted(self.secret_refs.items()))
        if self.pending:
            data["pending"] = True
        return data

    def pending_message(self) -> str:
        """The one line `token` and `call` answer for a pending profile."""
        return f"profile '{self.name}' is pending: it still needs {self.missing_flags()}"

    def pending_hint(self) -> str:
        return f"complete it with `workbench profile set {self.name} {self.missing_flags()}`"

    def missing_flags(self) -> str:
        """The `profile set` options that complete this profile: `--base-url URL --set client_id=…`."""
        flags = []
        for name in self.missing_required():
            spec = self.preset.input(name)
            if name == "base_url":
                flags.append("--base-url URL")
            elif spec is not None and spec.kind == "secret":
                flags.append(f"--secret {name}")
            else:
                flags.append(f"--set {name}=…")
        return " ".join(flags)

    def to_toml(self) -> str:
        return dumps_toml(self.to_data())


def with_token_settings(spec: TokenSpec, settings: Mapping[str, Any]) -> TokenSpec:
    """`spec` placed as the profile's token settings say (absent ones keep the preset's)."""
    placement = settings.get("token_placement")
    parameter = settings.get("token_parameter")
    scheme = settings.get("token_scheme")
    if placement is None and parameter is None and scheme is None:
        return spec
    if placement == "query" or (placement is None and spec.placement == "query"):
        name = parameter or (spec.header if spec.placement == "query" else DEFAULT_TOKEN_PARAMETER)
        return replace(spec, placement="query", header=name)
    header = spec.header if spec.placement == "header" else "Authorization"
    return replace(spec, placement="header", header=header, scheme=spec.scheme if scheme is None else scheme)


def split_token_settings(assignments: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str | None]]:
    """`--set K=V` pairs → (the preset's vars, the token settings every profile takes). An empty
    value removes a token setting (the preset's own way again); `token_scheme=none` sends the
    token without a scheme."""
    vars_: dict[str, str] = {}
    settings: dict[str, str | None] = {}
    for key, value in assignments.items():
        if key not in TOKEN_SETTINGS:
            vars_[key] = value
        elif not value.strip():
            settings[key] = None
        elif key == "token_scheme" and value.strip().lower() == "none":
            settings[key] = ""
        else:
            settings[key] = value.strip()
    return vars_, settings


def _token_setting(key: str, value: Any, path: FieldPath) -> str:
    if not isinstance(value, str):
        raise Problem(path, "must be a string")
    if key == "token_placement" and value not in SETTABLE_PLACEMENTS:
        raise Problem(path, 'must be "header" (the default) or "query"')
    if key == "token_parameter" and not _QUERY_NAME.match(value):
        raise Problem(
            path, "must be a query parameter name (letters, digits, '.', '_', '~', '-'), like access_token"
        )
    if key == "token_scheme" and value and not _AUTH_SCHEME.match(value):
        raise Problem(path, 'must be one word such as Bearer, Token or JWT ("" or none: the token alone)')
    return value


# --------------------------------------------------------------------------- validation


def _incomplete(
    preset: Preset, vars_: Mapping[str, str], secret_names: Iterable[str], refs: Mapping[str, str]
) -> bool:
    names = set(secret_names) | set(refs)
    return any(
        spec.required
        and (
            (spec.kind == "var" and spec.default is None and spec.name not in vars_)
            or (spec.kind == "secret" and spec.name not in names)
        )
        for spec in preset.inputs
    )


def build_profile(
    data: Mapping[str, Any], presets: PresetCatalog, *, expected_name: str | None = None
) -> Profile:
    """Validate parsed profile data. Raises Problem (with a field path) for any problem."""
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise Problem((key,), unknown_key_message(key, TOP_LEVEL_KEYS))
    for key in ("name", "preset", "base_url"):
        if key not in data:
            raise Problem((), f"missing required key '{key}'")

    name = data["name"]
    if not isinstance(name, str):
        raise Problem(("name",), "must be a string")
    try:
        validate_profile_name(name)
    except ProfileError as exc:
        raise Problem(("name",), str(exc)) from None
    if expected_name is not None and name != expected_name:
        raise Problem(("name",), f"'{name}' does not match the file name ('{expected_name}.toml')")

    preset_name = data["preset"]
    if not isinstance(preset_name, str):
        raise Problem(("preset",), "must be a string")
    try:
        base_preset = presets.get(preset_name)
    except PresetError as exc:
        raise Problem(("preset",), str(exc)) from None

    pending = data.get("pending", False)
    if not isinstance(pending, bool):
        raise Problem(("pending",), "must be true or false")
    base_url = data["base_url"]
    if not isinstance(base_url, str):
        raise Problem(("base_url",), "must be a string")
    if base_url or not pending:
        try:
            validate_base_url(base_url)
        except ValueError as exc:
            raise Problem(("base_url",), str(exc)) from None

    override = data.get("override", {})
    if not isinstance(override, Mapping):
        raise Problem(("override",), "must be a table ([override])")
    try:
        preset = base_preset.merged(override)
    except PresetFieldError as exc:
        # merged() names the field relative to the preset; point at it under [override].
        raise Problem(("override", *exc.path), exc.detail) from None

    raw_vars = data.get("vars", {})
    if not isinstance(raw_vars, Mapping):
        raise Problem(("vars",), "must be a table ([vars])")
    var_specs = {i.name: i for i in preset.var_inputs}
    secret_specs = {i.name: i for i in preset.secret_inputs}
    vars_: dict[str, str] = {}
    for key, value in raw_vars.items():
        if key not in var_specs:
            if key in secret_specs:
                raise Problem(
                    ("vars", key), "is a secret input: its value belongs in the vault, not in this file"
                )
            raise Problem(
                ("vars", key), f"preset '{preset.name}' has no var '{key}' ({_inputs_summary(preset)})"
            )
        if not isinstance(value, str):
            raise Problem(("vars", key), "must be a string (quote it)")
        vars_[key] = value
    for spec in var_specs.values():
        if spec.required and spec.default is None and spec.name not in vars_ and not pending:
            raise Problem(("vars",), f"missing '{spec.name}', required by preset '{preset.name}'")

    raw_secrets = data.get("secret_names", [])
    if not isinstance(raw_secrets, list):
        raise Problem(("secret_names",), "must be an array of secret names")
    secret_names: list[str] = []
    allowed = set(secret_specs) | set(TOKEN_SECRET_NAMES)
    for i, item in enumerate(raw_secrets):
        if not isinstance(item, str):
            raise Problem(("secret_names", i), "must be a string")
        if item not in allowed:
            if item in var_specs:
                raise Problem(("secret_names",), f"'{item}' is a var of preset '{preset.name}', not a secret")
            raise Problem(
                ("secret_names",),
                f"preset '{preset.name}' has no secret '{item}' ({_inputs_summary(preset)})",
            )
        if item not in secret_names:
            secret_names.append(item)

    raw_settings = data.get("settings", {})
    if not isinstance(raw_settings, Mapping):
        raise Problem(("settings",), "must be a table ([settings])")
    settings: dict[str, Any] = {}
    for key, value in raw_settings.items():
        path: FieldPath = ("settings", key)
        if key not in SETTINGS_KEYS:
            raise Problem(path, unknown_key_message(key, SETTINGS_KEYS))
        if key == "verify_tls":
            if not isinstance(value, bool):
                raise Problem(path, "must be true or false")
        elif key == "allowed_origins":
            value = _allowed_origins(value, path)
        elif key in TOKEN_SETTINGS:
            value = _token_setting(key, value, path)
        elif key == "tls_ca_file":
            if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\0"):
                raise Problem(path, "must be the path of a PEM file of certificates")
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise Problem(path, "must be a number of seconds")
        elif key == "refresh_lead" and value < 0:
            raise Problem(path, "must not be negative")
        elif key == "timeout" and value <= 0:
            raise Problem(path, "must be more than 0")
        settings[key] = value

    secret_refs = _secret_refs(data.get("secret_refs", {}), secret_specs, var_specs, secret_names, preset)

    return Profile(
        name=name,
        preset_name=preset_name,
        base_url=base_url,
        vars=MappingProxyType(vars_),
        secret_names=tuple(secret_names),
        settings=MappingProxyType(settings),
        override=freeze(override),
        preset=preset,
        secret_refs=MappingProxyType(secret_refs),
        pending=pending and (not base_url or _incomplete(preset, vars_, secret_names, secret_refs)),
    )


def _secret_refs(
    raw: Any, secret_specs: Mapping[str, Any], var_specs: Mapping[str, Any], stored: list[str], preset: Preset
) -> dict[str, str]:
    """`[secret_refs]`: each key one of the preset's secrets (not also stored), each value a reference."""

    if not isinstance(raw, Mapping):
        raise Problem(("secret_refs",), "must be a table ([secret_refs])")
    refs: dict[str, str] = {}
    for key, value in raw.items():
        path: FieldPath = ("secret_refs", key)
        if key not in secret_specs:
            what = f"'{key}' is a var, not a secret" if key in var_specs else f"preset has no secret '{key}'"
            raise Problem(path, f"{what} ({_inputs_summary(preset)})")
        if key in stored:
            raise Problem(path, "is also in secret_names (the keychain); keep one of the two")
        if not isinstance(value, str):
            raise Problem(path, "must be a string: env:VAR or cmd:COMMAND")
        try:
            refs[key] = str(parse_ref(value, secret=key))
        except InputError as exc:
            raise Problem(path, str(exc)) from None
    return refs


def _allowed_origins(value: Any, path: FieldPath) -> list[str]:
    if not isinstance(value, list):
        raise Problem(path, 'must be a list of origins, like ["https://api.example.com"]')
    try:
        return list(dict.fromkeys(validate_origin(item) for item in value))
    except ValueError as exc:
        raise Problem(path, str(exc)) from None


def _inputs_summary(preset: Preset) -> str:
    flags = [f"--{'set' if i.kind == 'var' else 'secret'} {i.name}" for i in preset.inputs]
    return "its inputs: " + (", ".join(flags) if flags else "none")
