"""What the Request tab's "Sent headers" table lists: the effective headers of the request drafted.

:func:`sent_header_rows` is a pure function of the draft (its headers, body type and body), the
profile and the token it holds: the user's headers, the Content-Type a body gets, and where the
engine puts the token (a header with the profile's scheme, `DPoP` for a DPoP token, or a query
parameter), plus the `DPoP` proof header a DPoP token goes out with. Each row is (name, value,
note): the note, shown on hover, says who adds the row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.engine.wire import CallPlan
from workbench.core.jose.dpop import is_dpop
from workbench.core.request.bodies import content_type_for

if TYPE_CHECKING:
    from workbench.core.engine.types import TokenResult
    from workbench.core.profiles.profile import Profile

MASK = "•" * 12
# The DPoP proof row: a proof binds one request (htm, htu, iat, jti, ath), so it is made per attempt.
DPOP_PROOF_SHOWN = "a fresh proof, signed with the profile's DPoP key for each attempt"
DPOP_PROOF_NOTE = "added by the engine when sent (RFC 9449): method, URL, time and the token's hash"

Row = tuple[str, str, str]


def sent_header_rows(
    headers: list[tuple[str, str]],
    body_type: str,
    body: str,
    *,
    profile: Profile | None,
    held: TokenResult | None,
    reveal: bool,
    timeout: float,
) -> tuple[list[Row], bool]:
    """(rows, whether the token goes in the query) for the draft; `held` is the profile's token
    now (None: one is obtained when sent), shown only when `reveal`, else masked with its length."""
    if body_type == "multipart":  # its boundary must match the body: a typed one is not sent
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
    rows: list[Row] = [(name, value, "") for name, value in headers]
    kind = content_type_for(body_type)
    has_body = body_type not in ("json", "raw") or bool(body.strip())
    if kind and has_body and not any(k.lower() == "content-type" for k, _ in headers):
        multipart = body_type == "multipart"
        note = "from the body type" + ("; the boundary is chosen when sent" if multipart else "")
        rows.append(("Content-Type", kind + ("; boundary=…" if multipart else ""), note))
    if profile is None:
        return rows, False
    plan = CallPlan.for_profile(profile, timeout)
    header, scheme, placement = plan.header, plan.scheme, plan.placement
    token = held.access_token if held is not None else None
    if held is not None and placement == "header":
        scheme = profile.token_spec.scheme_for(held.token_type)  # a DPoP token: `DPoP`, never Bearer
    if token and reveal:
        shown = f"{scheme} {token}".strip()
    elif token:
        shown = f"{scheme} {MASK} ({len(token)} characters)".strip()
    else:
        shown = f"{scheme} <the access token, obtained when you send>".strip()
    note = "added by the engine; a fresh token if this one expires first"
    typed = [r for r in rows if r[0].lower() == header.lower()]
    in_query = placement == "query"
    if in_query:  # the profile's token_placement: in the URL, not a header
        shown, typed = shown.removeprefix(scheme).strip(), []
        header, note = f"?{header}=", "added to the URL's query by the engine (token_placement)"
    rows = [r for r in rows if r[0].lower() != header.lower()]
    if typed:
        note = f"the profile's token wins: your {header} header ({len(typed)}) is not sent"
    rows.append((header, shown, note))
    if held is not None and is_dpop(held.token_type):  # RFC 9449: a proof beside the token
        rows = [r for r in rows if r[0].lower() != "dpop"]
        rows.append(("DPoP", DPOP_PROOF_SHOWN, DPOP_PROOF_NOTE))
    return rows, in_query


__all__ = ["DPOP_PROOF_NOTE", "DPOP_PROOF_SHOWN", "MASK", "sent_header_rows"]
