"""Where things are kept on this machine.

Owns: the vault (`vault`: every secret value, in the OS keychain through `keyring`), request
history (`history`: SQLite, names and outcomes only), paths under `WORKBENCH_HOME` (`paths`),
the lock between processes (`process_lock`), small-file reading (`files`) and TOML writing and
error location (`toml_writer`, `toml_locator`).

May import: `core` top-level modules only. Never Qt.
"""
