"""Profiles and presets: what a provider account is, as data.

Owns: the profile file (`profile`: git-friendly TOML, validation, no secret values), presets
(`presets`: a provider's token dance described as TOML, validated on load) and secret
references (`secret_refs`: `env:`/`cmd:` sources resolved instead of stored).

May import: `core` top-level modules, `storage`, `net.origins`. Never Qt, never the engine.
"""
