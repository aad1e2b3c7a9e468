"""`profile rm` after processes were killed mid-write removes every keychain entry of the profile.

Long tokens are stored in parts (a new generation, then the manifest switch, then the old
parts go: workbench.core vault docstring). A process killed at any keychain write of a
rotating refresh, or of `profile rm` itself, may leave parts no manifest names any more:
of the generation being written, or of the one being removed. `profile rm` says it removed
the profile's keychain entries; afterwards none may be left. Every kill point is tried:
``WB_TEST_KEYRING_DIE_AT=N`` ends the process at its N-th keychain write, before or after it
takes effect (tests/faults/file_keyring.py), as `kill -9` would.
"""

from __future__ import annotations

import os

import pytest

from tests.faults.rotating import RotatingProvider
from tests.hostile.keychain_file import profile_entries

KILLED = 137


@pytest.fixture
def provider():
    with RotatingProvider(token_length=2500) as p:  # three parts a token: removals can stop midway
        yield p


def _add(cli, provider, name: str) -> None:
    _access, refresh = provider.issue()
    add = cli(
        "profile", "add", name, "--preset", "oauth2-refresh-token", "--base-url", provider.url,
        "--secret", "refresh_token=@env:WB_RT", env={"WB_RT": refresh},
    )  # fmt: skip
    assert add.returncode == 0, add.stderr


def _die_at(n: int, when: str) -> dict[str, str]:
    return {"WB_TEST_KEYRING_DIE_AT": str(n), "WB_TEST_KEYRING_DIE_WHEN": when}


def _kill_points(cli, args: list[str], prepare) -> list[tuple[int, str]]:
    """(n, when) for every keychain write the command makes on a clean run."""
    name = prepare("count")
    total = 0
    while True:
        run = cli(*[a.replace("NAME", name) for a in args], env=_die_at(total + 1, "before"))
        if run.returncode != KILLED:
            break
        total += 1
        name = prepare(f"count{total}")
    assert total >= 4, "the command made fewer keychain writes than a store in parts takes"
    # Dying after write n leaves what dying before write n+1 does: "after" only for the last one.
    points = [(n, "before") for n in range(1, total + 1)] + [(total, "after")]
    if os.environ.get("WORKBENCH_HOSTILE_FULL"):
        return points
    # CI's time budget: the first and last two points and every third one between (each kind of
    # write: manifest, parts of each generation); WORKBENCH_HOSTILE_FULL=1 kills at every write.
    return [p for i, p in enumerate(points) if i < 2 or i >= len(points) - 2 or i % 3 == 0]


def test_rm_after_a_refresh_killed_at_any_keychain_write_leaves_no_entry(cli, provider, keyring_file):
    def prepare(tag: str) -> str:
        name = f"rf-{tag}"
        _add(cli, provider, name)
        first = cli("token", name, "--refresh")  # the stored tokens are a generation 2 and 1 now
        assert first.returncode == 0, first.stderr
        return name

    left: list[str] = []
    points = _kill_points(cli, ["token", "NAME", "--refresh"], prepare)
    for n, when in points:
        name = prepare(f"{n}-{when}")
        killed = cli("token", name, "--refresh", env=_die_at(n, when))
        assert killed.returncode in (KILLED, 0), killed.stderr  # 0: this run made fewer writes
        rm = cli("profile", "rm", name)
        assert rm.returncode == 0, rm.stderr
        remaining = profile_entries(keyring_file, name)
        if remaining:
            left.append(f"write {n} {when}: {len(remaining)} entries ({', '.join(sorted(remaining))})")
    print(f"\nREPORT rm after a killed refresh: {len(left)} of {len(points)} kill points left entries")
    assert not left, "\n".join(left)


def test_rm_killed_at_any_keychain_write_then_run_again_leaves_no_entry(cli, provider, keyring_file):
    def prepare(tag: str) -> str:
        name = f"rm-{tag}"
        _add(cli, provider, name)
        assert cli("token", name, "--refresh").returncode == 0
        return name

    left: list[str] = []
    points = _kill_points(cli, ["profile", "rm", "NAME"], prepare)
    for n, when in points:
        name = prepare(f"{n}-{when}")
        killed = cli("profile", "rm", name, env=_die_at(n, when))
        assert killed.returncode in (KILLED, 0), killed.stderr  # 0: this run made fewer writes
        again = cli("profile", "rm", name)
        assert again.returncode == 0 or "no profile named" in again.stderr, again.stderr
        remaining = profile_entries(keyring_file, name)
        if remaining:
            left.append(f"write {n} {when}: {len(remaining)} entries ({', '.join(sorted(remaining))})")
    print(f"\nREPORT rm killed, then rm again: {len(left)} of {len(points)} kill points left entries")
    assert not left, "\n".join(left)
