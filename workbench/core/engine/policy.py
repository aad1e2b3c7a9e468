"""The engine's two timing policies: when to renew a token early, and how to retry a token request.

`RefreshAhead` decides how long before expiry a token counts as "needs renewal":
by default the smaller of 60 s and 10 % of the token's lifetime; a
profile's `refresh_lead` setting or the engine's `default_lead` override that.

`RetryPolicy` bounds retries of a token-endpoint request that failed for a reason
worth retrying (429, 5xx, timeouts, connection errors): a few attempts with
jittered exponential backoff, honouring the provider's `Retry-After` up to a cap.
Credential errors (400/401/403) are never retried blindly.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.profiles.profile import Profile

DEFAULT_MAX_LEAD = 60.0
DEFAULT_LEAD_FRACTION = 0.10

DEFAULT_ATTEMPTS = 3
DEFAULT_BASE_DELAY = 0.25
DEFAULT_MAX_DELAY = 2.0
DEFAULT_RETRY_AFTER_CAP = 5.0
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def setting_float(profile: Profile, key: str) -> float | None:
    """A profile setting read as seconds (`refresh_lead`, `timeout`): numbers and numeric
    strings, never booleans; anything else is unset."""
    value = profile.settings.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class RefreshAhead:
    """How early to renew. `default_lead` (seconds), when set, replaces the computed default."""

    default_lead: float | None = None
    max_lead: float = DEFAULT_MAX_LEAD
    fraction: float = DEFAULT_LEAD_FRACTION

    def lead(self, lifetime: float | None, override: float | None = None) -> float:
        if override is not None:
            return max(0.0, float(override))
        if self.default_lead is not None:
            return max(0.0, float(self.default_lead))
        if lifetime is None or lifetime <= 0:
            return self.max_lead
        return min(self.max_lead, self.fraction * lifetime)

    def renew_at(
        self, expires_at: float | None, lifetime: float | None, override: float | None = None
    ) -> float | None:
        """Server time from which the token should be renewed; None when its expiry is unknown."""
        if expires_at is None:
            return None
        return expires_at - self.lead(lifetime, override)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = DEFAULT_ATTEMPTS
    base_delay: float = DEFAULT_BASE_DELAY
    max_delay: float = DEFAULT_MAX_DELAY
    retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP

    def is_retryable_status(self, status: int) -> bool:
        return status in RETRYABLE_STATUSES

    def delay(
        self, attempt: int, retry_after: float | None = None, *, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        A provider's `Retry-After` wins (capped, so a hostile or confused server cannot park
        us for an hour); otherwise exponential backoff with "equal jitter" (half fixed, half
        random) so concurrent processes that failed together do not retry in lockstep.
        """
        if retry_after is not None and retry_after >= 0:
            return min(float(retry_after), self.retry_after_cap)
        backoff = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempt - 1))
        r = (rng or _rng).random()
        return backoff / 2 + r * backoff / 2


_rng = random.Random()  # noqa: S311 - jitter, not cryptography


_DELTA_SECONDS = re.compile(r"\d+(\.\d+)?")


def _http_date(value: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_retry_after(
    value: str | None, *, now: float | None = None, date: str | None = None
) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds, or an HTTP date on the *server's* clock.

    A date is measured against the same answer's `Date` header when there is one (both are
    the server's clock, so local clock skew cancels out), else against `now`, the server
    time the caller's `Clock` knows. None when unreadable, or when a date has nothing to be
    measured against.
    """
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    base = _http_date(date) if date else None
    if base is None:
        base = now
    if base is None:
        return None
    return max(0.0, when - base)
