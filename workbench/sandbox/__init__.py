"""Local emulators of every preset's provider, on one loopback HTTP port (demo mode and tests).

    with Sandbox() as sb:
        profiles = sb.demo_profiles()   # preset → {"base_url", "vars", "secrets"}

Importable without Qt, httpx or PyJWT, and quick to start (EC and HMAC keys only).
The server is imported on first use of `Sandbox` / `FAULT_KINDS`, so the package's
submodules (emulators, tokens, http) never import it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.sandbox.server import FAULT_KINDS, Sandbox


def __getattr__(name: str) -> Any:
    if name in ("FAULT_KINDS", "Sandbox"):
        from workbench.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FAULT_KINDS", "Sandbox"]
