"""Which of the Token tab's buttons are enabled, and what each one's tooltip says: a pure
function of the profile's abilities and what is under way (no Qt), so a new button or a new
reason is one entry here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.operations import TokenFacts

ACTION_TEXT = {"mint": "Minting", "refresh": "Refreshing", "copy": "Getting a token", "verify": "Verifying"}
BUTTONS = (
    "mint",
    "refresh",
    "paste",
    "verify",
    "copy_token",
    "copy_header",
    "copy_curl",
    "inspect",
    "auto_refresh",
)


@dataclass(frozen=True)
class ButtonState:
    enabled: bool
    tooltip: str


def _state(ok: bool, why_not: str, tip: str) -> ButtonState:
    return ButtonState(ok, tip if ok else why_not)


def button_states(
    facts: TokenFacts | None,
    title: str,
    *,
    busy: str | None,
    has_token: bool,
    needs_login: bool,
    expired: bool = False,
) -> dict[str, ButtonState]:
    """One `ButtonState` per name in `BUTTONS`. `facts` None: no profile selected; `busy`: the
    action under way ("mint", "refresh", "copy", "verify"); `needs_login`: a login profile
    without a token (only the browser can give it one); `expired`: the token shown has expired.
    A pasted-token profile (`facts.pasted`) has "paste" where others have Mint and Refresh,
    and nothing to copy once its token expired (nothing renews it). An "auto_refresh" tooltip
    of "" keeps the checkbox's own."""
    if facts is None:
        off = ButtonState(False, "Select or create a profile first")
        return {name: off for name in BUTTONS} | {"auto_refresh": ButtonState(False, "")}
    wait = f"Wait for the {ACTION_TEXT.get(busy or '', 'current request').lower()} (or Cancel)"
    waiting = busy is not None
    copy_why = wait if waiting else "No token yet: Log in first"
    copy_ok = not waiting and not needs_login
    # A slow Mint, Refresh or Verify does not take away the valid token on screen: it is copied
    # as it is (the call under way may replace it later; the event says so).
    copy_shown = waiting and busy != "copy" and has_token and not expired
    shown_tip = f" (the token shown: still valid while the {ACTION_TEXT.get(busy or '', '').lower()} runs)"
    if facts.pasted and not waiting and (expired or not has_token):
        copy_ok = False
        copy_why = (
            "The pasted token expired: paste a new one (Ctrl+Shift+P)"
            if expired
            else "No token yet: paste one (Ctrl+Shift+P)"
        )
    renewable = facts.can_mint or facts.can_refresh
    return {
        "mint": _state(
            facts.can_mint and not waiting,
            wait
            if waiting
            else f"{title} hands out no new tokens by itself: paste a new pair (Edit…) or Refresh",
            "Obtain a new token from the long-lived credentials",
        ),
        "refresh": _state(
            facts.can_refresh and not waiting and not needs_login,
            wait
            if waiting
            else "No token yet: Log in first"
            if needs_login
            else f"{title} has no refresh: Mint obtains a new token",
            "Exchange the refresh token for a new access token",
        ),
        "paste": _state(
            facts.pasted and not waiting,
            wait if waiting else f"{title} obtains its tokens itself",
            "Paste a new token for this profile (Ctrl+Shift+P); it is kept in the keychain",
        ),
        "verify": _state(
            facts.can_verify and has_token and not waiting,
            wait
            if waiting
            else "No token to verify yet: paste one first"
            if facts.pasted
            else "No token to verify yet: Mint or Refresh first"
            if facts.can_verify
            else f"{title} offers no check and no key to verify its tokens with (decode it in the Inspector)",
            "Check the token's signature with the provider's keys, or ask the provider",
        ),
        # A login profile's token comes only from the browser: a copy cannot renew one.
        "copy_token": _state(
            copy_ok or copy_shown,
            copy_why,
            "Copy the token"
            + (shown_tip if copy_shown else " (renewed first if needed)")
            + "; the clipboard clears itself",
        ),
        "copy_header": _state(
            copy_ok or copy_shown,
            copy_why,
            (
                f"Copy '{facts.header}=…' (the query parameter)"
                if facts.placement == "query"
                else f"Copy '{facts.header}: …'"
            )
            + (shown_tip if copy_shown else " (renewed first if needed)"),
        ),
        "copy_curl": _state(
            copy_ok or copy_shown,
            copy_why,
            "Copy a curl command for the API with the token"
            + (shown_tip if copy_shown else " (renewed first if needed)"),
        ),
        "inspect": _state(has_token, "No token to inspect yet", "Open this token in the Inspector"),
        "auto_refresh": ButtonState(renewable, "" if renewable else f"{title} cannot renew tokens by itself"),
    }


__all__ = ["ACTION_TEXT", "BUTTONS", "ButtonState", "button_states"]
