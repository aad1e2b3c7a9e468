"""A Google service-account JSON key file → a profile of the `google-service-account` preset.

The file (what the Cloud console's "Create key" downloads) is recognised by `"type":
"service_account"`. Its `private_key` goes to the keychain, `client_email`, `private_key_id`,
`token_uri`, `project_id` and `client_id` to the profile's vars; nothing else of the file is
kept (the whole JSON is never stored). The profile mints through the JWT bearer grant (RFC 7523
§2.1): an RS256 assertion with iss = sub = client_email, aud = token_uri, kid = private_key_id.

A file that is damaged in a way that matters (no client_email, a private_key that is not a
usable PEM private key, a token_uri that is not an https URL) is one `InputError` line that
never quotes the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from workbench.core.errors import InputError, KeyFormatError
from workbench.core.importers.common import slug
from workbench.core.importers.model import ImportPlan, ProfilePlan
from workbench.core.jose.keys import load_private_key
from workbench.core.net.origins import is_loopback_host, origin_of

PRESET = "google-service-account"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
# Other Google credential files people confuse with a key file: each gets its own words.
_OTHER_TYPES = {
    "authorized_user": "a user's credentials (gcloud auth application-default login)",
    "external_account": "a workload identity federation configuration",
    "impersonated_service_account": "an impersonation configuration",
    "gdch_service_account": "a Google Distributed Cloud credential",
}
# The vars taken from the file (everything else in it is left behind).
_VARS = ("client_email", "private_key_id", "token_uri", "project_id", "client_id")


def sniff(document: Any) -> bool:
    return isinstance(document, Mapping) and document.get("type") == "service_account"


def other_google_credential(document: Any) -> str | None:
    """What a Google credential file that is not a service-account key is, or None."""
    if isinstance(document, Mapping) and isinstance(document.get("type"), str):
        return _OTHER_TYPES.get(document["type"])
    return None


def not_a_key_line(document: Any, source: str) -> str:
    """Why `document` is not a service-account key, in one line."""
    other = other_google_credential(document)
    if other is not None:
        return (
            f'{source}: {other} ("type": "{document["type"]}"), not a service-account key; '
            "download a JSON key of the service account (Cloud console: IAM → Service accounts → Keys)"
        )
    return f'{source}: not a Google service-account key (its "type" is not "service_account")'


def _text(document: Mapping[str, Any], name: str, source: str, *, required: bool = True) -> str:
    value = document.get(name)
    if value is None or value == "":
        if required:
            raise InputError(f"{source}: the service-account key has no {name}; download a new key")
        return ""
    if not isinstance(value, str):
        raise InputError(f"{source}: {name} must be text in a service-account key")
    return value.strip()


def _private_key(document: Mapping[str, Any], source: str) -> str:
    pem = _text(document, "private_key", source)
    try:
        key = load_private_key(pem)
    except KeyFormatError:
        # Never the exception's words: they may quote part of the key.
        raise InputError(
            f"{source}: private_key is not a usable PEM private key (damaged, truncated or edited?); "
            "download a new key"
        ) from None
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(key, rsa.RSAPrivateKey):
        raise InputError(f"{source}: private_key is not an RSA key, which Google's RS256 assertions need")
    return pem if pem.endswith("\n") else pem + "\n"


def _token_uri(document: Mapping[str, Any], source: str) -> str:
    uri = _text(document, "token_uri", source, required=False) or GOOGLE_TOKEN_URI
    parts = urlsplit(uri)
    plain_ok = parts.scheme == "http" and is_loopback_host(parts.hostname)
    if not origin_of(uri) or (parts.scheme != "https" and not plain_ok):
        raise InputError(f"{source}: token_uri '{uri[:80]}' is not an https URL")
    return uri


def parse(document: Any, source: str) -> ImportPlan:
    if not sniff(document):
        raise InputError(not_a_key_line(document, source))
    email = _text(document, "client_email", source)
    if "@" not in email:
        raise InputError(f"{source}: client_email '{email[:80]}' is not a service account's e-mail address")
    private_key = _private_key(document, source)
    token_uri = _token_uri(document, source)
    variables = {name: _text(document, name, source, required=False) for name in _VARS}
    variables.update(client_email=email, token_uri=token_uri)
    profile = ProfilePlan(
        name=slug(email.split("@", 1)[0], "service-account"),
        preset=PRESET,
        # Where its credentials go: the token endpoint's origin (Google APIs are other origins:
        # call them with their full URL and add them to allowed_origins).
        base_url=origin_of(token_uri),
        source="service-account key",
        vars={k: v for k, v in variables.items() if v},
        secrets={"private_key": private_key},
    )
    return ImportPlan(format="service-account", source=source, profiles=[profile])


__all__ = ["PRESET", "not_a_key_line", "other_google_credential", "parse", "sniff"]
