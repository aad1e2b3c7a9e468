"""Local emulators of every preset's provider, on one loopback HTTP port (demo mode and tests).

    with Sandbox() as sb:
        profiles = sb.demo_profiles()   # preset → {"base_url", "vars", "secrets"}

Importable without Qt, httpx or PyJWT, and quick to start (EC and HMAC keys only).
"""

from workbench.sandbox.server import FAULT_KINDS, Sandbox

__all__ = ["FAULT_KINDS", "Sandbox"]
