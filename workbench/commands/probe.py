"""`workbench probe NAME --request SAVED [--json]`: send the token variants an API must refuse.

From the profile's current valid token, make the variants (expired, not yet valid, wrong
audience, wrong issuer, alg none, signature stripped, another key, HS256 with the public
key), send each to the saved request on the profile's own origin, and report which ones
the API wrongly accepted. Exit status: 0 when every variant was refused, 1 when the API
accepted at least one (or could not be probed).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.commands.jwt import read_key_file, read_secret
from workbench.core.jose.forge import decode_secret
from workbench.core.operations import KeyChoice
from workbench.core.operations.probe import probe_api

if TYPE_CHECKING:
    from workbench.core.context import AppContext
    from workbench.core.operations.probe import ProbeReport


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser (imported at parse time: keep module-level imports light)."""
    pr = sub.add_parser(
        "probe",
        help=summary("probe"),
        description=(
            "Attack probes for your own API. From the profile's valid token, make the variants an API "
            "must refuse and send each to the saved request (the profile's own origin only). The claim "
            "variants (expired, not yet valid, wrong aud, wrong iss) keep the original signature unless "
            "you give the issuer's key (--key or --secret), which re-signs them so only the claim check "
            "is tested. The HS256-with-the-public-key variant needs the issuer's public key "
            "(--public-key, or the public half of --key)."
        ),
        epilog="Exit status: 0 when the API refused every variant; 1 when it accepted one (a finding) or "
        "could not be probed.\n\n"
        "examples:\n"
        "  workbench probe staging --request me\n"
        "  workbench probe staging --request me --secret @env:API_HS256_SECRET --json\n"
        "  workbench probe staging --request me --public-key issuer.pub.pem\n",
    )
    pr.add_argument("name", metavar="NAME", help="the profile whose API is probed")
    pr.add_argument(
        "--request", required=True, metavar="SAVED", help="the saved request to send the variants to"
    )
    keys = pr.add_mutually_exclusive_group()
    keys.add_argument(
        "--key", metavar="FILE|keychain:NAME", help="the issuer's private key (re-signs claim variants)"
    )
    keys.add_argument("--secret", metavar="S", help="the issuer's HMAC secret: @env:VAR, @FILE, @prompt")
    pr.add_argument("--secret-base64", action="store_true", help="the secret is base64 (or base64url)")
    pr.add_argument(
        "--public-key", metavar="FILE", help="the issuer's public key (PEM/JWK), for the HS256 variant"
    )
    pr.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    choice = None
    if args.key is not None:
        if args.key.startswith("keychain:"):
            choice = KeyChoice(keychain=args.key[len("keychain:") :])
        else:
            text, source = read_key_file(args.key)
            choice = KeyChoice(text=text, source=source)
    elif args.secret is not None:
        choice = KeyChoice(secret=decode_secret(read_secret(args.secret), base64=args.secret_base64))
    public_text = None
    if args.public_key is not None:
        public_text, _ = read_key_file(args.public_key, "--public-key")
    report = probe_api(ctx, args.name, args.request, issuer_key=choice, public_key_text=public_text)
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_report(report))
    if report.accepted:
        sys.stdout.flush()
        codes = ", ".join(r.code for r in report.accepted)
        print(
            f"workbench: the API accepted {len(report.accepted)} token(s) it must refuse: {codes}",
            file=sys.stderr,
        )
        return 1
    return 0


def render_report(report: ProbeReport) -> str:
    lines = [f"{report.method} {report.url}", f"valid token: HTTP {report.baseline_status} (baseline)", ""]
    width = max(len(r.title) for r in report.results)
    for r in report.results:
        if r.status is None:
            verdict = f"skipped: {r.note}" if r.note else "skipped"
        elif r.accepted:
            verdict = f"HTTP {r.status}  ACCEPTED — the API must refuse this"
        else:
            verdict = f"HTTP {r.status}  refused"
        lines.append(f"{r.title.ljust(width)}  {verdict}")
    lines.append("")
    signed = {
        r.signed_with for r in report.results if r.code in ("expired", "wrong-issuer") and r.signed_with
    }
    if signed:
        lines.append(f"claim variants signed with: {', '.join(sorted(signed))}")
    return "\n".join(lines) + "\n"
