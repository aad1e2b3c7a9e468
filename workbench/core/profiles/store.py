"""The profile store: the profile files under one directory, read, written atomically and listed."""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ProfileError, ProfileExistsError, StorageError
from workbench.core.profiles.catalog import PresetCatalog, display_path
from workbench.core.profiles.frozen import thaw
from workbench.core.profiles.presets import Problem
from workbench.core.redact import redact
from workbench.core.storage import paths
from workbench.core.storage.toml_locator import format_field, located_message, parse_toml

if TYPE_CHECKING:
    from workbench.core.storage.vault import Vault
from workbench.core.profiles.profile import (
    MAX_PROFILE_BYTES,
    PROFILE_NAME_RE,
    TOKEN_SECRET_NAMES,
    Profile,
    build_profile,
    validate_profile_name,
)

# --------------------------------------------------------------------------- the store


class ProfileStore:
    """The profiles under one directory (default `$WORKBENCH_HOME/profiles`)."""

    def __init__(self, *, presets: PresetCatalog, directory: Path | None = None) -> None:
        self.presets = presets
        self._directory = directory

    @property
    def directory(self) -> Path:
        if self._directory is None:
            return paths.profiles_dir()
        self._directory.mkdir(parents=True, exist_ok=True)
        return self._directory

    def path_for(self, name: str) -> Path:
        return self.directory / f"{validate_profile_name(name)}.toml"

    # ------------------------------------------------------------------ reading

    def names(self) -> builtins.list[str]:
        # Only regular files (or links to one): a folder, FIFO or dangling link named *.toml is not a profile.
        return sorted(
            p.stem for p in self.directory.glob("*.toml") if PROFILE_NAME_RE.match(p.stem) and p.is_file()
        )

    def exists(self, name: str) -> bool:
        return self.path_for(name).is_file()

    def get(self, name: str) -> Profile:
        path = self.path_for(name)
        if not path.is_file():
            raise ProfileError(f"no profile named '{name}' (see `workbench profile list`)")
        return self.parse_file(path, expected_name=name)

    def list(self) -> builtins.list[Profile]:
        """Every valid profile; broken files are skipped (see `problems`)."""
        return [p for p in self._scan() if isinstance(p, Profile)]

    def problems(self) -> builtins.list[ProfileError]:
        """One error per profile file that does not load."""
        return [p for p in self._scan() if isinstance(p, ProfileError)]

    def _scan(self) -> Iterator[Profile | ProfileError]:
        for name in self.names():
            try:
                yield self.get(name)
            except ProfileError as exc:
                yield exc

    def parse_file(self, path: str | Path, *, expected_name: str | None = None) -> Profile:
        """Read and validate a profile file (not necessarily in the store). Errors name file, line, field."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            raise ProfileError(f"{display_path(path)}: cannot read ({reason})") from None
        if len(raw) > MAX_PROFILE_BYTES:
            raise ProfileError(f"{display_path(path)}: too large for a profile file ({len(raw)} bytes)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProfileError(f"{display_path(path)}: not UTF-8 text") from None
        return self._parse(text, lambda: display_path(path), expected_name)

    def parse_text(self, text: str, *, source: str = "<stdin>", expected_name: str | None = None) -> Profile:
        return self._parse(text, lambda: source, expected_name)

    def _parse(self, text: str, shown: Callable[[], str], expected_name: str | None) -> Profile:
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError):
            data = parse_toml(text, shown(), ProfileError)  # raises the located message
        try:
            return build_profile(data, self.presets, expected_name=expected_name)
        except Problem as problem:
            raise ProfileError(located_message(shown(), text, problem.path, problem.message)) from None

    def export_text(self, name: str) -> str:
        return self.get(name).to_toml()

    # ------------------------------------------------------------------ writing

    def build(
        self,
        name: str,
        *,
        preset: str,
        base_url: str,
        vars: Mapping[str, str],
        secret_names: Iterable[str],
        settings: Mapping[str, Any] | None = None,
        override: Mapping[str, Any] | None = None,
        secret_refs: Mapping[str, str] | None = None,
        pending: bool = False,
    ) -> Profile:
        """A validated Profile that is not saved yet (errors name the field, as for a file).
        `pending`: required inputs (and the base URL) may be missing; the profile says which."""
        validate_profile_name(name)
        data: dict[str, Any] = {
            "name": name,
            "preset": preset,
            "base_url": base_url,
            "secret_names": list(secret_names),
            "vars": dict(vars),
        }
        if settings:
            data["settings"] = dict(settings)
        if override:
            data["override"] = thaw(override)
        if secret_refs:
            data["secret_refs"] = dict(secret_refs)
        if pending:
            data["pending"] = True
        try:
            return build_profile(data, self.presets)
        except Problem as problem:
            raise ProfileError(
                f"{redact(format_field(problem.path))}: {redact(problem.message)}",
                field=format_field(problem.path) if problem.path else "",
            ) from None

    def create(
        self,
        name: str,
        *,
        preset: str,
        base_url: str,
        vars: Mapping[str, str],
        secret_names: Iterable[str],
        settings: Mapping[str, Any] | None = None,
        override: Mapping[str, Any] | None = None,
    ) -> Profile:
        """Build, refuse an existing name, save."""
        profile = self.build(
            name,
            preset=preset,
            base_url=base_url,
            vars=vars,
            secret_names=secret_names,
            settings=settings,
            override=override,
        )
        self._refuse_existing(name)
        self.save(profile)
        return profile

    def _refuse_existing(self, name: str) -> None:
        if self.exists(name):
            raise ProfileExistsError(name)

    def save(self, profile: Profile) -> None:
        """Write the profile file atomically (temp file in the same directory, then os.replace)."""
        text = profile.to_toml()
        if len(text.encode("utf-8")) > MAX_PROFILE_BYTES:
            # It would be written, then refused on every read: say so now.
            raise ProfileError(
                f"profile '{profile.name}' would be {len(text.encode('utf-8'))} bytes, over the "
                f"{MAX_PROFILE_BYTES // 1024} KiB a profile file may hold; shorten its vars or override"
            )
        # Re-reading what we write catches a writer bug before it reaches the disk.
        check = self.parse_text(text, source=f"profile '{profile.name}'", expected_name=profile.name)
        if check.to_data() != profile.to_data():
            raise ProfileError(
                f"internal error: profile '{profile.name}' does not survive a save; please report it"
            )
        atomic_write_text(self.path_for(profile.name), text)

    def import_text(self, text: str, *, source: str = "<stdin>") -> Profile:
        profile = self.parse_text(text, source=source)
        self._refuse_existing(profile.name)
        self.save(profile)
        return profile

    def remove(self, name: str, *, vault: Vault | None = None) -> tuple[str, ...]:
        """Delete the profile file; with `vault`, also its vault entries and its token state file.

        A profile file that no longer loads can still be removed (its declared
        secret names are read best-effort). Returns the vault entry names deleted.
        """
        path = self.path_for(name)
        if not path.is_file():
            raise ProfileError(f"no profile named '{name}' (see `workbench profile list`)")
        names: tuple[str, ...] = ()
        if vault is not None:
            try:
                names = self.get(name).all_secret_names
            except ProfileError:
                names = tuple(dict.fromkeys(_declared_secret_names(path) + TOKEN_SECRET_NAMES))
            vault.delete_profile(name, names)
        path.unlink()

        # The state file is only metadata (expiry, fingerprints): a leftover does no harm, and a
        # failure here must not report a remove that already happened as failed.
        with contextlib.suppress(OSError, StorageError):
            (paths.state_dir() / f"{name}.json").unlink()
        return names


def _declared_secret_names(path: Path) -> tuple[str, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    names = data.get("secret_names", [])
    if not isinstance(names, list):
        return ()
    return tuple(n for n in names if isinstance(n, str) and re.match(r"^[A-Za-z0-9_.-]{1,64}\Z", n))


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
