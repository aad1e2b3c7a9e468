"""Reading the file keyring of tests/faults as the next process would, without the product's vault:
a stored value (reassembled from its parts when chunked) and the entries of one profile."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tests.faults.file_keyring import entries

_MANIFEST = re.compile(r"^chunks:(\d+):([0-9a-f]{64})(?::g(\d+))?\Z")


def profile_entries(path: Path, profile: str) -> dict[str, str]:
    """username → value of every keychain entry of `profile` (base entries and parts)."""
    return {user: value for user, value in entries(path).items() if user.startswith(f"{profile}/")}


def stored_value(path: Path, profile: str, name: str) -> str | None:
    """The value of `profile/name`, reassembled from its parts; None when absent or damaged."""
    found = entries(path)
    user = f"{profile}/{name}"
    head = found.get(user)
    match = _MANIFEST.match(head or "")
    if head is None or match is None:
        return head
    count, digest, generation = int(match.group(1)), match.group(2), match.group(3)
    prefix = f"{user}#{generation}." if generation is not None else f"{user}#"
    parts = [found.get(f"{prefix}{i}") for i in range(count)]
    if any(part is None for part in parts):
        return None
    value = "".join(parts)  # type: ignore[arg-type]
    return value if hashlib.sha256(value.encode()).hexdigest() == digest else None
