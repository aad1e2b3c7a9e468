"""The lower half of the Token tab: the Details rows and the token's header and claims.

:class:`TokenDetails` shows what it is handed (a token, the profile's token facts, the
renewal time, the clock); it starts nothing and keeps no state of its own. A new row is one
``QLabel`` in :meth:`TokenDetails._build_rows` and one line in the ``show_*`` method that
fills it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from workbench.core.durations import humanize_duration
from workbench.core.oauth.grants import short_token_type
from workbench.core.operations import sender_binding
from workbench.gui.inspector_text import claim_meaning, relative, short
from workbench.gui.widgets import humanize_seconds

if TYPE_CHECKING:
    from workbench.core.engine.schedule import AutoRenewal
    from workbench.core.engine.types import TokenResult
    from workbench.core.operations import TokenFacts

# Claims worth a line in the summary, in this order; the rest follow.
SUMMARY_CLAIMS = ("sub", "iss", "aud", "scope", "scopes", "client_id", "iat", "nbf", "exp", "jti")
TIME_CLAIMS = {"iat", "nbf", "exp", "auth_time"}
CLAIM_CHARS = 160  # a claim's value in the list (its tooltip has up to 2000)
# The Obtained row: how the token shown was obtained.
OBTAINED_HOW = {
    "mint": "minted",
    "refresh": "refreshed",
    "cache": "stored earlier",
    "response-header": "from a response header",
}


def local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def renewal_text(
    result: TokenResult | None, renew_at: float | None, auto_refresh: AutoRenewal, now: float
) -> str:
    """The Renewal row: when the token is renewed, by auto-refresh (where it stands: core's
    `auto_renewal`) or on its next use."""
    if result is None or renew_at is None:
        return "—" if result is None else "not by time (its expiry is unknown)"
    left = renew_at - now
    if auto_refresh.phase != "off":
        if auto_refresh.phase == "scheduled":
            return f"refreshes in {humanize_seconds(left)} (auto-refresh)"
        return auto_renewal_text(auto_refresh)
    return (
        f"on use after {humanize_seconds(left)} (auto-refresh off)"
        if left > 0
        else "on next use (auto-refresh off)"
    )


def auto_renewal_text(status: AutoRenewal) -> str:
    """The countdown line's words for where auto-refresh stands (core's `auto_renewal`):
    "refreshing…" only while a renewal is under way, never while it waits."""
    seconds = status.seconds
    return {
        "off": "",
        "scheduled": f"refreshes in {humanize_seconds(seconds)}",
        "renewing": "refreshing…",
        "backoff": f"auto-refresh: retrying in {humanize_duration(seconds, parts=2)} · {status.why}",
        "waiting": f"auto-refresh failed; tries again in {humanize_duration(seconds, parts=2)}",
        "due": "refreshing…",
        "stuck": "auto-refresh: due, but this profile cannot renew its token by itself",
    }[status.phase]


def pasted_renewal_text(result: TokenResult | None, now: float) -> str:
    """A pasted token is never renewed by the app: say what the user does, and when."""
    if result is None:
        return "paste a token: Paste a new token… (Ctrl+Shift+P)"
    if result.expires_at is None:
        return "not renewed: paste a new token when the API stops taking this one"
    if result.expires_at <= now:
        return "expired: paste a new token (Ctrl+Shift+P)"
    return f"not renewed: paste a new token within {humanize_seconds(result.expires_at - now)}"


def refresh_token_text(result: TokenResult | None, facts: TokenFacts, now: float) -> str:
    """The Refresh token row: its own countdown and what the provider says of it."""
    if facts.pasted:
        return "none (a pasted token)"
    if not facts.can_refresh:
        return "not used by this provider (mint again)"
    parts = []
    if result is not None and result.refresh_token_expires_at:
        left = result.refresh_token_expires_at - now
        parts.append("expired" if left <= 0 else f"expires in {humanize_seconds(left)}")
    if facts.refresh_token_lifetime:
        parts.append(f"lives {humanize_duration(facts.refresh_token_lifetime, parts=2)}")
    if facts.rotates_refresh_token:
        parts.append("rotates on every refresh")
    return ", ".join(parts) or "lifetime not stated by the provider"


class TokenDetails(QSplitter):
    """Details (left) and header and claims (right), side by side; the divider stays where
    the user put it whatever profile is shown."""

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.setObjectName("detailsSplitter")
        details = QGroupBox("Details")
        self.form = QFormLayout(details)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self._build_rows()
        details_scroll = QScrollArea()
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        details_scroll.setWidget(details)
        details_scroll.setMinimumWidth(200)

        claims_box = QGroupBox("Header and claims")
        cl = QVBoxLayout(claims_box)
        self.claims = QTreeWidget()
        self.claims.setHeaderLabels(["Claim", "Value"])
        self.claims.setRootIsDecorated(False)
        self.claims.setAlternatingRowColors(True)
        self.claims.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.claims.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.claims.setColumnWidth(0, 110)
        cl.addWidget(self.claims)
        claims_box.setMinimumWidth(160)

        self.addWidget(details_scroll)
        self.addWidget(claims_box)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 2)
        self.setChildrenCollapsible(False)
        self.setSizes([420, 580])  # proportions: Qt scales them to the width on first layout

    def _build_rows(self) -> None:
        self.expires_label = self.add_row("Expires")
        self.obtained_label = self.add_row("Obtained")
        self.issued_label = self.add_row("Issued as")
        self.form.setRowVisible(self.issued_label, False)
        self.bound_label = self.add_row("Bound to")  # a sender-constrained token (DPoP, mTLS)
        self.form.setRowVisible(self.bound_label, False)
        self.lifetime_label = self.add_row("Lifetime")
        self.renews_label = self.add_row("Renewal")
        self.refresh_label = self.add_row("Refresh token")
        self.verify_label = self.add_row("Verification")
        self.verify_label.setObjectName("verification")

    def add_row(self, title: str) -> QLabel:
        """A Details row: wrapped, selectable, and without a say in the divider's position."""
        label = QLabel()
        label.setWordWrap(True)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow(title, label)
        return label

    # -- filling ----------------------------------------------------------------------------------
    def show_token(self, result: TokenResult | None, *, pasted: bool = False) -> None:
        """The rows that change only with the token: expiry, how it was obtained, lifetime."""
        if result is None:
            for label in (self.expires_label, self.obtained_label, self.lifetime_label):
                label.setText("—")
            self.form.setRowVisible(self.issued_label, False)
            self.form.setRowVisible(self.bound_label, False)
            return
        self.expires_label.setText(
            local_time(result.expires_at) if result.expires_at else "unknown (used until a 401)"
        )
        how = "pasted" if pasted else OBTAINED_HOW.get(result.obtained_by, result.obtained_by)
        self.obtained_label.setText(f"{how}, {local_time(result.issued_at)}" if result.issued_at else how)
        issued = result.issued_token_type  # a token exchange's answer says what it issued (RFC 8693)
        self.issued_label.setText(f"{short_token_type(issued)} (token exchange)" if issued else "")
        self.form.setRowVisible(self.issued_label, bool(issued))
        bound = sender_binding(result)
        # A thumbprint (43 characters, no break) would not wrap: its start here, all of it on hover.
        self.bound_label.setText(re.sub(r"\S{24,}", lambda m: m.group()[:12] + "…", bound or ""))
        self.bound_label.setToolTip(bound or "")
        self.form.setRowVisible(self.bound_label, bound is not None)
        self.lifetime_label.setText(
            humanize_duration(result.lifetime, parts=2) if result.lifetime else "unknown"
        )

    def show_times(
        self,
        result: TokenResult | None,
        facts: TokenFacts | None,
        renew_at: float | None,
        *,
        auto_refresh: AutoRenewal,
        now: float,
    ) -> None:
        """The rows that change with the clock: renewal and the refresh token's own countdown."""
        if facts is None:
            self.renews_label.setText("—")
            self.refresh_label.setText("—")
            return
        if facts.pasted:
            self.renews_label.setText(pasted_renewal_text(result, now))
        else:
            self.renews_label.setText(renewal_text(result, renew_at, auto_refresh, now))
        self.refresh_label.setText(refresh_token_text(result, facts, now))

    def show_claims(self, result: TokenResult | None, now: float) -> None:
        self.claims.clear()
        if result is None or not result.access_token:
            return
        jwt = result.jwt  # read once by the engine, from the provider's answer
        if jwt is None:  # opaque tokens are fine: there is simply nothing to show
            QTreeWidgetItem(self.claims, ["(opaque token)", "not a JWT: no claims to show"])
            return
        header, payload = jwt.header, jwt.claims
        for key in ("alg", "typ", "kid"):
            if key in header:
                row = QTreeWidgetItem(self.claims, [f"header.{key}", short(header[key], CLAIM_CHARS)])
                row.setToolTip(0, claim_meaning(key, header=True)[1])
        ordered = [k for k in SUMMARY_CLAIMS if k in payload] + [
            k for k in payload if k not in SUMMARY_CLAIMS
        ]
        for key in ordered:
            value = payload[key]
            if key in TIME_CLAIMS and isinstance(value, int | float):
                text = f"{local_time(float(value))} · {relative(float(value) - now)}"
                item = QTreeWidgetItem(self.claims, [key, text])
                item.setToolTip(1, str(value))
                item.setData(1, Qt.ItemDataRole.UserRole, float(value))  # `tick_claims` keeps it current
            else:
                item = QTreeWidgetItem(self.claims, [key, short(value, CLAIM_CHARS)])
                item.setToolTip(1, short(value, 2000))
            item.setToolTip(0, claim_meaning(key)[1])  # what a registered claim is for

    def tick_claims(self, now: float) -> None:
        """The time claims' "in 1 min" / "7 s ago" follow the clock (the rest stays as drawn)."""
        for row in range(self.claims.topLevelItemCount()):
            item = self.claims.topLevelItem(row)
            if item is None:
                continue
            when = item.data(1, Qt.ItemDataRole.UserRole)
            if isinstance(when, float):
                text = f"{local_time(when)} · {relative(when - now)}"
                if item.text(1) != text:
                    item.setText(1, text)


__all__ = ["OBTAINED_HOW", "TokenDetails", "pasted_renewal_text", "refresh_token_text", "renewal_text"]
