"""The application context: the collaborators every front end (CLI, GUI, self-test) is built from.

One object, created once per process and passed down; nothing reaches for globals.
Each collaborator is built on first use so `workbench decode` never pays for keyring
or httpx imports it does not need.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from workbench.core.clock import Clock

if TYPE_CHECKING:
    from workbench.core.engine.token_engine import TokenEngine
    from workbench.core.profiles.catalog import PresetCatalog
    from workbench.core.profiles.store import ProfileStore
    from workbench.core.storage.vault import Vault


class AppContext:
    def __init__(self, *, clock: Clock | None = None, vault: Vault | None = None) -> None:
        self.clock = clock or Clock()
        if vault is not None:
            self.__dict__["vault"] = vault

    @cached_property
    def vault(self) -> Vault:
        from workbench.core.storage.vault import Vault

        return Vault()

    @cached_property
    def presets(self) -> PresetCatalog:
        from workbench.core.profiles.catalog import PresetCatalog

        return PresetCatalog.load_default()

    @cached_property
    def profiles(self) -> ProfileStore:
        from workbench.core.profiles.store import ProfileStore

        return ProfileStore(presets=self.presets)

    @cached_property
    def engine(self) -> TokenEngine:
        from workbench.core.engine.token_engine import TokenEngine

        return TokenEngine(profiles=self.profiles, vault=self.vault, clock=self.clock)

    def built_engine(self) -> TokenEngine | None:
        """The engine if something has built it already, else None (never builds it: an
        operation that only needs to tell a running engine about a change stays cheap)."""
        engine = self.__dict__.get("engine")
        return engine if engine is not None else None

    def close(self) -> None:
        engine = self.__dict__.get("engine")
        if engine is not None:
            engine.close()
