"""Non-secret token metadata, one JSON file per profile: `$WORKBENCH_HOME/state/<profile>.json`.

The token values themselves live in the vault (`access_token`, `refresh_token` under
the profile). This file says what we know *about* them: when the access token
expires, how it was obtained, and a fingerprint (`redact.fingerprint`) so metadata
is only trusted for the token it was written for — another process may have put a
different token in the vault since. Never a token value in here.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from workbench.core.engine.policy import RefreshAhead, setting_float
from workbench.core.redact import fingerprint

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile

ObtainedBy = Literal["cache", "mint", "refresh", "response-header"]
STATE_VERSION = 1


@dataclass(frozen=True)
class TokenState:
    """What is known about a profile's stored access token (all times: server-clock Unix seconds)."""

    access_fingerprint: str | None = None
    expires_at: float | None = None
    issued_at: float | None = None
    lifetime: float | None = None
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret
    obtained_by: ObtainedBy = "cache"
    refresh_fingerprint: str | None = None
    refresh_token_expires_at: float | None = None
    updated_at: float | None = None
    # Which profile the tokens were obtained for (`profile_identity`): the vault is keyed by
    # profile *name* only, so a same-named profile of another WORKBENCH_HOME, or an earlier
    # profile of that name, may have left tokens there that belong to another provider.
    profile_key: str | None = None
    # Seconds the provider's clock was ahead of ours (`Clock.offset`) when this was written, so
    # a new process compares `expires_at` (server time) and signs timestamps on the server's
    # clock before it has seen a `Date` header of its own.
    clock_offset: float | None = None
    # OAuth: the scope the server granted (RFC 6749 §5.1: its `scope`, else what was asked for),
    # and when it refused the stored refresh token with invalid_grant (that token is dropped and
    # never sent again; a new login is needed).
    granted_scope: str | None = None
    refresh_refused_at: float | None = None
    # Token exchange (RFC 8693 §2.2.1): the `issued_token_type` of the answer, as the server said.
    issued_token_type: str | None = None

    def with_(self, **changes: Any) -> TokenState:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = STATE_VERSION
        return data

    @classmethod
    def from_json(cls, data: object) -> TokenState | None:
        """Tolerant reader: unknown keys are ignored, wrong types dropped; not an object → None."""
        if not isinstance(data, dict):
            return None
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if value is None:
                continue
            if f.name in (
                "access_fingerprint",
                "refresh_fingerprint",
                "token_type",
                "profile_key",
                "granted_scope",
                "issued_token_type",
            ):
                if isinstance(value, str):
                    kwargs[f.name] = value
            elif f.name == "obtained_by":
                if value in ("cache", "mint", "refresh", "response-header"):
                    kwargs[f.name] = cast(ObtainedBy, value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                if math.isfinite(value):  # an older version may have written Infinity
                    kwargs[f.name] = float(value)
        return cls(**kwargs)


def profile_identity(preset_name: str, base_url: str, variables: Mapping[str, str]) -> str:
    """A short tag of what a profile's tokens are for: its preset, base URL and settings (no secrets)."""
    document = json.dumps(
        [preset_name, base_url.strip().rstrip("/"), sorted((str(k), str(v)) for k, v in variables.items())],
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(document.encode()).hexdigest()[:16]


def profile_key(profile: Profile) -> str:
    """`profile_identity` of a profile: what its state file must say to be trusted for it."""
    return profile_identity(profile.preset_name, profile.base_url, profile.vars)


# ------------------------------------------------------------------ the stored-token trust rule
# One rule, used by the engine (`stored.StoredTokens`) and by the CLI's cold cache hit
# (`token_cache.fresh_stored_token`), which must never serve a token the engine would not.


def trusted_state(state: TokenState | None, profile: Profile) -> TokenState | None:
    """`state` if it was written for `profile` (its `profile_key` matches, or it predates keys);
    None for no state or one written for another profile of the same name (other base URL,
    preset or settings: the vault is keyed by name only)."""
    if state is None or state.profile_key not in (None, profile_key(profile)):
        return None
    return state


def describes(state: TokenState, access: str) -> bool:
    """The state was written for this access token (fingerprint): another process may have
    put a different token in the vault since, and then the metadata is not its."""
    return state.access_fingerprint is not None and state.access_fingerprint == fingerprint(access)


def renewal_time(state: TokenState, profile: Profile, policy: RefreshAhead) -> float | None:
    """Server time from which the token `state` describes must be renewed (the profile's
    `refresh_lead` setting over the policy); None when its expiry is unknown."""
    return policy.renew_at(state.expires_at, state.lifetime, setting_float(profile, "refresh_lead"))


class StateStore:
    """Reads and atomically writes `<dir>/<profile>.json`. Profile names are validated by the caller."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    @property
    def directory(self) -> Path:
        return self._dir

    def path(self, profile: str) -> Path:
        return self._dir / f"{profile}.json"

    def load(self, profile: str) -> TokenState | None:
        try:
            text = self.path(profile).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            # Unreadable, not UTF-8, or a folder in its place: it is only metadata, start afresh.
            return None
        try:
            return TokenState.from_json(json.loads(text))
        except ValueError:
            # A torn or hand-edited file: treat as "nothing known"; it is only metadata.
            return None

    def save(self, profile: str, state: TokenState) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        target = self.path(profile)
        fd, tmp = tempfile.mkstemp(prefix=f".{profile}.", suffix=".tmp", dir=self._dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state.to_json(), fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def delete(self, profile: str) -> None:
        try:
            self.path(profile).unlink()
        except FileNotFoundError:
            pass
