"""`workbench dpop-proof NAME METHOD URL [--nonce N] [--no-ath]`: a fresh DPoP proof (RFC 9449).

Prints the `DPoP` header's value for one request with the profile's DPoP key, for another tool:

    curl -H "Authorization: DPoP $(workbench token NAME)" \\
         -H "DPoP: $(workbench dpop-proof NAME GET https://api.example.com/me)" https://api.example.com/me

The proof carries `ath` (the hash of the access token `workbench token NAME` prints) when the
profile holds a DPoP token; `--no-ath` leaves it out (a proof for a token endpoint). A server's
nonce is not known to a new process: pass the `DPoP-Nonce` it answered with `--nonce`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.cli import summary
from workbench.core.operations.dpop import dpop_proof

if TYPE_CHECKING:
    from workbench.core.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this command's subparser (imported at parse time: keep module-level imports light)."""
    p = sub.add_parser(
        "dpop-proof",
        help=summary("dpop-proof"),
        description="Print a fresh DPoP proof (RFC 9449) of the profile's DPoP key for METHOD URL.",
        epilog="""examples:
  curl -H "Authorization: DPoP $(workbench token prod)" \\
       -H "DPoP: $(workbench dpop-proof prod GET https://api.example.com/me)" https://api.example.com/me
  workbench dpop-proof prod POST https://auth.example.com/token --no-ath --nonce "$NONCE"
""",
    )
    p.add_argument("name", metavar="NAME", help="the profile whose DPoP key signs the proof")
    p.add_argument("method", metavar="METHOD", help="the request's HTTP method (htm)")
    p.add_argument("url", metavar="URL", help="the request's full URL (htu: query and fragment are dropped)")
    p.add_argument("--nonce", metavar="N", help="the server's DPoP-Nonce to include")
    p.add_argument("--no-ath", action="store_true", help="no access-token hash (a proof for a token request)")


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    result = dpop_proof(ctx, args.name, args.method, args.url, nonce=args.nonce, ath=not args.no_ath)
    sys.stdout.write(result.proof + "\n")
    return 0
