"""What a browser login asks for besides the protocol's own parameters, and where it comes back.

Authorization parameters real providers need (OIDC Core §3.1.2.1: `prompt`, `login_hint`,
`max_age`, `acr_values`; provider-specific ones such as Google's `access_type=offline` or
Microsoft's `domain_hint`) come from the profile's settings of those names, its
`authorization_params` setting (`K=V&K2=V2`) and `workbench login --param K=V`, in that order
(a later one replaces an earlier one of the same name). The parameters the login sets itself
cannot be given this way. `offline_access` goes with `prompt=consent` (OIDC Core §11) unless a
`prompt` was given.

`redirect_uri_to_register` is the redirect URI a user registers with the provider (shown by
`profile show` and the GUI's profile editor): RFC 8252 §7.3 has the server ignore the port of a
loopback redirect, so without a fixed `redirect_port` it is `http://127.0.0.1/callback`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from workbench.core.errors import InputError
from workbench.core.oauth.loopback import CALLBACK_PATH, LOOPBACK_HOST

# Profile settings sent under their own name when set.
NAMED_SETTINGS = ("prompt", "login_hint", "max_age", "acr_values")
EXTRA_SETTING = "authorization_params"
# What the login sets itself: given again, the login would break or answer someone else.
RESERVED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "scope",
)
MAX_PARAMS = 32
MAX_VALUE = 2000


@dataclass(frozen=True)
class AuthorizationParams:
    """The extra parameters of one login, checked. `max_age` is kept for the id_token check."""

    pairs: tuple[tuple[str, str], ...]
    max_age: int | None = None

    def get(self, name: str) -> str | None:
        return dict(self.pairs).get(name)


def parse_param(text: str) -> tuple[str, str]:
    """One `--param K=V` (split on the first `=`)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InputError(
            f"--param expects K=V, got '{text[:60]}'", hint="e.g. --param login_hint=alice@example.com"
        )
    return name.strip(), value


def authorization_params(
    vars_: Mapping[str, str], given: Mapping[str, str] | None = None, *, scope: str = ""
) -> AuthorizationParams:
    """The extra parameters of a login: the profile's settings, then `given` (`--param`)."""
    chosen: dict[str, str] = {}
    for name in NAMED_SETTINGS:
        value = (vars_.get(name) or "").strip()
        if value:
            chosen[name] = value
    raw = (vars_.get(EXTRA_SETTING) or "").strip()
    if raw:
        try:
            pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_PARAMS)
        except ValueError:
            raise InputError(
                f"the setting {EXTRA_SETTING} is not K=V&K2=V2 ('{raw[:60]}')",
                hint="e.g. access_type=offline&domain_hint=contoso.com",
            ) from None
        for name, value in pairs:
            _check_name(name, f"{EXTRA_SETTING}: {name}")
            chosen[name] = value
    for name, value in (given or {}).items():
        _check_name(name, f"--param {name}")
        chosen[name] = value
    for name in NAMED_SETTINGS:
        _check_name(name, name)
    if len(chosen) > MAX_PARAMS or any(len(v) > MAX_VALUE for v in chosen.values()):
        raise InputError(
            f"too many or too long authorization parameters (at most {MAX_PARAMS} of {MAX_VALUE} characters)"
        )
    max_age: int | None = None
    if "max_age" in chosen:
        text = chosen["max_age"].strip()
        if not text.isdigit():
            raise InputError(f"max_age '{text[:20]}' is not a whole number of seconds")
        max_age = int(text)
    if "offline_access" in scope.split() and "prompt" not in chosen:
        # OIDC Core §11: offline_access is only honoured with prompt=consent.
        chosen["prompt"] = "consent"
    return AuthorizationParams(pairs=tuple(chosen.items()), max_age=max_age)


def _check_name(name: str, where: str) -> None:
    if name in RESERVED:
        raise InputError(
            f"{where}: the login sets it itself",
            hint="scope is the profile's `scope` setting" if name == "scope" else "",
        )
    if not name or any(c in name for c in "&=#\r\n ") or len(name) > 100:
        raise InputError(f"{where}: not a parameter name")


def redirect_uri_to_register(vars_: Mapping[str, str]) -> str:
    """The redirect URI to register with the provider for a browser login."""
    port = (vars_.get("redirect_port") or "").strip()
    host = f"{LOOPBACK_HOST}:{port}" if port else LOOPBACK_HOST
    return f"http://{host}{CALLBACK_PATH}"


def redirect_uri_note(vars_: Mapping[str, str]) -> str:
    if (vars_.get("redirect_port") or "").strip():
        return "the login listens on this port"
    return "each login uses a free port, which servers ignore for loopback redirects (RFC 8252 §7.3)"


__all__ = [
    "RESERVED",
    "AuthorizationParams",
    "authorization_params",
    "parse_param",
    "redirect_uri_note",
    "redirect_uri_to_register",
]
