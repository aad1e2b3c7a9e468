"""Requests a user writes: saved requests, templates and copy-as-code.

Owns: saved requests (`saved`: TOML beside the profiles), request templates (`templating`:
Jinja2 in a sandbox with a fixed set of helpers, under a time and size budget;
`template_bounds`: what a width, padding or join argument would build, refused before it is
built) and snippets for other tools (`codegen`).

May import: `core` top-level modules, `storage`, `profiles`, `jose`. Never Qt, never the engine.
"""
