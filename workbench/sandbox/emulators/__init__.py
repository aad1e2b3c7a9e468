"""The emulated providers, one module each, written strictly to each provider's API documentation.

Each emulator owns a URL prefix, a route table, its own error body style and its own
token format. They are deliberately strict, like the real services: wrong field names,
wrong types, unknown fields, a wrong Content-Type, a bad signature, a timestamp outside
the window or a rotated refresh token are all refused with the provider's own kind of
error body. The shapes chosen where the seeds leave room are documented in each module.

Registering an emulator: write a module here whose `EMULATOR` is its `Provider` subclass
(see `base`), and add the module's name to `EMULATOR_MODULES`; that one line is all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.sandbox.emulators.base import Provider

# The sandbox hosts these, in this order (their keys and URL prefixes must be unique).
EMULATOR_MODULES: tuple[str, ...] = (
    "true_markets",
    "marketiger3d",
    "token_of_trust",
    "api_key_sliding",
    "paymentsgate",
    "oauth2",
    "authorization_server",
    "fapi_issuer",
    "google",
)


def emulator_classes() -> tuple[type[Provider], ...]:
    """The `EMULATOR` class of every module in `EMULATOR_MODULES`."""
    from workbench.sandbox.emulators.base import Provider

    classes: list[type[Provider]] = []
    for name in EMULATOR_MODULES:
        cls = importlib.import_module(f"{__name__}.{name}").EMULATOR
        if not (isinstance(cls, type) and issubclass(cls, Provider)):
            raise TypeError(f"{__name__}.{name}.EMULATOR is not a Provider subclass")
        classes.append(cls)
    return tuple(classes)


__all__ = ["EMULATOR_MODULES", "emulator_classes"]
