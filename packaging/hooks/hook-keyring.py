"""PyInstaller hook for keyring.

keyring discovers its backends through the `keyring.backends` entry points of its
installed metadata and imports `PYTHON_KEYRING_BACKEND` by dotted name at run time;
static analysis sees neither. Without this hook a frozen app silently falls back to
`keyring.backends.fail.Keyring` even where the installed app finds the Secret Service.
"""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata

datas = copy_metadata("keyring")
# Backends that cannot be imported on the build platform (Windows' on Linux, say) are
# skipped by collect_submodules with a warning: each platform builds its own bundle.
hiddenimports = collect_submodules("keyring.backends")
