"""Probe your own API: send the token variants it must refuse, report the ones it accepted.

`workbench probe NAME --request SAVED` and the Inspector's probe table. Opt-in by nature
(nothing sends probes unless the user asks for this operation) and confined to the
profile's own origin: the saved request must target ``origin_of(profile.base_url)``,
not another origin its ``allowed_origins`` lists, and there is no override. The probes
carry forged credentials; they go nowhere the profile's own API is not.

First the profile's current valid token is sent (the baseline): if the API refuses it,
nothing is learnt from the variants and the probe stops with one line saying so. Then
each variant (`jose.probes`) is sent once, without the engine's "renew on 401" (a 401
is the answer we hope for) and without adopting any token the answer hands back. A
variant counts as *accepted* when its status is a 2xx, as the baseline's was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.engine import flows
from workbench.core.engine.wire import CallPlan
from workbench.core.errors import InputError, ProviderError, WorkbenchError
from workbench.core.jose import probes
from workbench.core.net.client import make_client, send_bounded
from workbench.core.net.origins import OriginError, origin_of
from workbench.core.operations.requests import with_query_param
from workbench.core.request.saved import render_saved

if TYPE_CHECKING:
    import httpx

    from workbench.core.context import AppContext
    from workbench.core.operations.forge import KeyChoice

PROBE_MAX_BYTES = 1024 * 1024  # the answers are only looked at for their status


@dataclass(frozen=True)
class ProbeResult:
    """One variant and the API's answer.

    Attributes:
        code / title / signed_with: the variant (see `jose.probes.Variant`).
        status: the HTTP status (None when skipped or the request failed).
        accepted: True when the API answered 2xx: a finding.
        note: why skipped, or the network error, or "".
    """

    code: str
    title: str
    signed_with: str
    status: int | None
    accepted: bool
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.code,
            "title": self.title,
            "signed_with": self.signed_with,
            "status": self.status,
            "accepted": self.accepted,
            "note": self.note,
        }


@dataclass(frozen=True)
class ProbeReport:
    """What `probe_api` found: the baseline's status and every variant's answer."""

    profile: str
    request: str
    method: str
    url: str
    baseline_status: int
    results: tuple[ProbeResult, ...]

    @property
    def accepted(self) -> tuple[ProbeResult, ...]:
        return tuple(r for r in self.results if r.accepted)

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "request": self.request,
            "method": self.method,
            "url": self.url,
            "baseline_status": self.baseline_status,
            "accepted": [r.code for r in self.accepted],
            "results": [r.to_json() for r in self.results],
        }


def probe_api(
    ctx: AppContext,
    name: str,
    saved: str,
    *,
    issuer_key: KeyChoice | None = None,
    public_key_text: str | None = None,
    public_key_source: str = "--public-key",
) -> ProbeReport:
    """Send each variant of profile `name`'s valid token to its saved request `saved`.

    `issuer_key` (the key the API's tokens are signed with, when the user has it) signs the
    claim variants; `public_key_text` (PEM/JWK) enables the HS256-with-the-public-key variant.
    Network and vault: run off the GUI thread.
    """
    from workbench.core.operations.forge import resolve_signing_key

    profile = ctx.profiles.get(name)
    rendered = render_saved(ctx, name, saved)
    url = flows.resolve_url(profile, rendered.target)
    own = origin_of(profile.base_url)
    if not own or origin_of(url) != own:
        raise InputError(
            f"probes go only to profile '{name}''s own origin ({own or 'none'}); saved request '{saved}' "
            f"targets {origin_of(url) or 'a URL without a host'}",
            hint="save a request under the profile's base URL to probe it",
        )
    key = None
    if issuer_key is not None:
        key, _ = resolve_signing_key(ctx, issuer_key)
    public_pem = (
        probes.public_key_pem_from_text(public_key_text, source=public_key_source)
        if public_key_text is not None
        else None
    )
    token = ctx.engine.get_token(name).access_token
    variants = probes.make_variants(token, now=ctx.clock.now(), issuer_key=key, public_key_pem=public_pem)

    plan = CallPlan.for_profile(profile, default_timeout=10.0)
    headers = [(k, v) for k, v in rendered.headers.items() if k.lower() != plan.header.lower()]

    def own_origin_only(origin: str) -> None:
        # Checked again on the request as built, the one place a URL becomes a connection.
        if origin != own:
            raise OriginError(f"{name} probe: not sending forged tokens to {origin or 'that URL'}")

    with make_client(timeout=plan.timeout_seconds, verify_tls=plan.verify_tls) as client:

        def send(value: str) -> httpx.Response:
            # Each variant goes where the profile's calls put its token (a header, a query parameter).
            target, placed = url, [(plan.header, f"{plan.scheme} {value}".strip() if plan.scheme else value)]
            if plan.placement == "query":
                target, placed = with_query_param(url, plan.header, value), []
            elif plan.placement == "cookie":
                placed = [("Cookie", f"{plan.header}={value}")]
            return send_bounded(
                client,
                rendered.method,
                target,
                origin_check=own_origin_only,
                headers=[*headers, *placed],
                content=rendered.content,
                timeout=plan.timeout_seconds,
                max_bytes=PROBE_MAX_BYTES,
                what=f"{name} probe",
            )

        baseline = send(token).status_code
        if not 200 <= baseline < 300:
            raise ProviderError(
                f"the API refused profile '{name}''s valid token on saved request '{saved}' "
                f"(HTTP {baseline}); the probes need a request the valid token passes",
                hint=f"check it with `workbench call {name} --request {saved}`",
            )
        results = tuple(_send_variant(send, v) for v in variants)
    return ProbeReport(
        profile=name,
        request=saved,
        method=rendered.method,
        url=url,
        baseline_status=baseline,
        results=results,
    )


def _send_variant(send: Any, variant: Any) -> ProbeResult:
    if variant.token is None:
        return ProbeResult(
            variant.code, variant.title, variant.signed_with, None, False, variant.skipped or ""
        )
    try:
        status = send(variant.token).status_code
    except WorkbenchError as exc:  # a network failure, an answer over the budget
        return ProbeResult(variant.code, variant.title, variant.signed_with, None, False, str(exc))
    return ProbeResult(variant.code, variant.title, variant.signed_with, status, 200 <= status < 300)
