"""The preset catalogue: built-in presets and the user's preset files, parsed, validated and cached."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.core.errors import PresetError
from workbench.core.profiles.presets import Preset, Problem, build_preset
from workbench.core.storage import paths
from workbench.core.storage.toml_locator import located_message, parse_toml

# --------------------------------------------------------------------------- files, lines, messages


def display_path(path: Path) -> str:
    """A short, recognisable name for a file in messages (relative to WORKBENCH_HOME or the checkout)."""

    resolved = path.resolve()
    for root in (paths.workbench_home(), paths.resources_dir().parent):
        try:
            return str(resolved.relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


def parse_preset_text(text: str, *, display: str | None = None, source: Path | None = None) -> Preset:
    """Parse and validate one preset. `display` names it in errors (default: derived from `source`)."""

    def shown() -> str:  # resolving paths costs time; only errors need it
        if display is not None:
            return display
        return display_path(source) if source is not None else "<preset>"

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        data = parse_toml(text, shown(), PresetError)  # raises the located message
    try:
        preset = build_preset(data, source=source)
    except Problem as problem:
        raise PresetError(located_message(shown(), text, problem.path, problem.message)) from None
    if source is not None and source.stem != preset.name:
        raise PresetError(
            located_message(
                shown(), text, ("name",), f"'{preset.name}' must match the file name ('{source.stem}.toml')"
            )
        )
    return preset


def load_preset_file(path: Path) -> Preset:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PresetError(f"{display_path(path)}: not UTF-8 text") from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PresetError(f"{display_path(path)}: cannot read ({reason})") from None
    return parse_preset_text(text, source=path)


# --------------------------------------------------------------------------- catalog


class PresetCatalog:
    """Every preset this process knows, by name.

    Preset files are found when the catalogue is made and parsed when first asked for: a preset's
    name is its file's name, so `workbench token NAME` parses the one preset its profile uses, not
    every file (a fifth of a cached token's start-up, measured, went to parsing the others).
    Listing, iterating or reading `problems` parses them all.

    Attributes:
        problems: files that failed validation (name → PresetError). A broken user
            preset does not hide the others; asking for it by name raises its error.
    """

    def __init__(
        self,
        presets: Mapping[str, Preset],
        problems: Mapping[str, PresetError] | None = None,
        *,
        files: Mapping[str, Path] | None = None,
    ) -> None:
        self._presets = dict(presets)
        self._problems: dict[str, PresetError] = dict(problems or {})
        self._files = dict(files or {})  # name → the file that defines it, not parsed yet

    @classmethod
    def load_default(cls) -> PresetCatalog:
        return cls.load_dirs([paths.presets_dir(), paths.user_presets_dir()])

    @classmethod
    def load_dirs(cls, directories: Iterable[Path]) -> PresetCatalog:
        """Find `*.toml` in each directory in order; a later directory wins a name clash (and a
        broken override does not fall back to the file it overrides)."""
        files: dict[str, Path] = {}
        for directory in directories:
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.toml")):
                files[path.stem] = path
        return cls({}, files=files)

    def _parse(self, name: str) -> None:
        """Parse the file defining `name`, if it is still unparsed (idempotent: two threads asking
        at once both parse it and store the same outcome)."""
        path = self._files.get(name)
        if path is None:
            return
        try:
            self._presets[name] = load_preset_file(path)
        except PresetError as exc:
            self._problems[name] = exc
        self._files.pop(name, None)

    def _parse_all(self) -> None:
        for name in list(self._files):
            self._parse(name)

    @property
    def problems(self) -> dict[str, PresetError]:
        self._parse_all()
        return self._problems

    def names(self) -> list[str]:
        self._parse_all()
        return sorted(self._presets)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._parse(name)
        return name in self._presets

    def __iter__(self) -> Any:
        return iter(self._presets[n] for n in self.names())

    def get(self, name: str) -> Preset:
        self._parse(name)
        preset = self._presets.get(name)
        if preset is not None:
            return preset
        if name in self._problems:
            raise self._problems[name]
        known = ", ".join(self.names()) or "none"
        close = difflib.get_close_matches(name, self.names(), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise PresetError(f"unknown preset '{name}' ({hint}known: {known})")
