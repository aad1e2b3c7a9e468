"""Reading a small user-named file: one reader, one set of one-line errors.

Used for secrets given as `K=@FILE`, profile files (`profile import`) and collections
(`workbench import`): a missing file, a folder, a device or FIFO, or a file over its
budget is one clear `InputError` naming the file, never a hang or a traceback.
"""

from __future__ import annotations

import stat
from pathlib import Path

from workbench.core.errors import InputError


def size_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def read_small_file(path: Path, limit: int, label: str, *, what: str, not_regular_hint: str = "") -> bytes:
    """A regular file's bytes, at most `limit`; one clear InputError for anything else.

    `label` names the file as the user gave it, `what` says what it should have been
    ("a secret", "a profile file"), `not_regular_hint` is added to the "not a regular file" line.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{label}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{label}: not a regular file{not_regular_hint}")
    if info.st_size > limit:
        raise InputError(f"{label}: larger than {size_text(limit)}; that is not {what}")
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > limit:
        raise InputError(f"{label}: larger than {size_text(limit)}; that is not {what}")
    return data
