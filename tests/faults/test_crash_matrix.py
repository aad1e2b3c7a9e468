"""Crash at every keychain write of a rotating refresh: the profile is never bricked.

For each N and each of "before"/"after", `workbench token NAME --refresh` (long tokens,
stored in parts) dies at its N-th keychain write (`FaultKeyring`). Then, as the next
process would: `workbench token NAME` and `workbench token NAME --refresh` either work or
say clearly that the refresh token is gone (the provider rotated it and we died before
storing its successor: the one loss nothing can prevent), and `workbench profile set NAME
--secret refresh_token` with a fresh pair from the provider always recovers. "Bricked"
means anything else: an error that names neither, or a profile `profile set` cannot fix.
"""

from __future__ import annotations

import keyring
import pytest

from tests.faults.fault_keyring import Crash, FaultKeyring
from tests.faults.rotating import RotatingProvider
from workbench import cli


@pytest.fixture
def provider():
    with RotatingProvider(token_length=1500) as p:
        yield p


@pytest.fixture
def backend():
    previous = keyring.get_keyring()
    fault = FaultKeyring()
    keyring.set_keyring(fault)
    yield fault
    keyring.set_keyring(previous)


def workbench(capsys, *argv: str) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    _out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, err


def fresh_profile(capsys, monkeypatch, provider, name: str) -> None:
    _access, refresh = provider.issue()
    monkeypatch.setenv("WB_RT", refresh)
    code, err = workbench(
        capsys, "profile", "add", name, "--preset", "oauth2-refresh-token", "--base-url", provider.url,
        "--secret", "refresh_token=@env:WB_RT",
    )  # fmt: skip
    assert code == 0, err
    code, err = workbench(capsys, "token", name, "--refresh")  # both tokens now long, stored in parts
    assert code == 0, err


def says_refresh_token_is_gone(err: str, name: str) -> bool:
    lines = err.strip().splitlines()
    return (
        len(lines) == 1
        and "the refresh token is not valid" in lines[0]
        and f"workbench profile set {name} --secret refresh_token" in lines[0]
    )


def test_a_crash_at_any_keychain_write_of_a_rotating_refresh_never_bricks_the_profile(
    capsys, monkeypatch, provider, backend, workbench_home
):
    name = "rot"
    fresh_profile(capsys, monkeypatch, provider, name)
    backend.arm(10**9)  # count the writes of one clean rotating refresh
    assert workbench(capsys, "token", name, "--refresh")[0] == 0
    total = backend.writes
    backend.disarm()
    assert total >= 9  # check-write, new refresh token, new access token: parts + manifests + old parts

    tried = works = lost = bricked = 0
    failures: list[str] = []
    for when in ("before", "after"):
        for n in range(1, total + 1):
            tried += 1
            rotations = provider.rotations
            backend.arm(n, when)
            try:
                cli.main(["token", name, "--refresh"])
            except Crash:
                pass
            capsys.readouterr()
            if not backend.crashed:  # ended before its n-th write: only a broken profile does that
                failures.append(f"write {n} {when}: the refresh made fewer writes than a clean one")
            backend.disarm()
            rotated = provider.rotations > rotations
            plain_code, plain_err = workbench(capsys, "token", name)
            code, err = workbench(capsys, "token", name, "--refresh")
            if code == 0 and plain_code == 0:
                works += 1
            elif says_refresh_token_is_gone(err, name) and (
                plain_code == 0 or says_refresh_token_is_gone(plain_err, name)
            ):
                lost += 1
                if not rotated:  # lost although the provider never rotated it: our fault
                    failures.append(f"write {n} {when}: refresh token lost before the provider rotated it")
            else:
                bricked += 1
                failures.append(
                    f"write {n} {when}: token → {plain_err.strip()!r}; --refresh → {err.strip()!r}"
                )
            # A fresh pair from the provider always recovers the profile.
            _access, refresh = provider.issue()
            monkeypatch.setenv("WB_RT", refresh)
            set_code, set_err = workbench(
                capsys, "profile", "set", name, "--secret", "refresh_token=@env:WB_RT"
            )
            after_code, after_err = workbench(capsys, "token", name, "--refresh")
            if set_code != 0 or after_code != 0:
                bricked += 1
                failures.append(f"write {n} {when}: profile set did not recover: {set_err!r} {after_err!r}")
    print(
        f"\nREPORT crash matrix: {tried} crash points ({total} keychain writes × before/after), "
        f"{works} next token worked, {lost} refresh token lost (provider rotated, we died before storing), "
        f"{bricked} bricked"
    )
    assert bricked == 0 and not failures, "\n".join(failures)
    assert works > 0
    # Only a death between the provider's rotation and the switch to the new refresh token loses it:
    # the new refresh token's parts and its manifest (the switch), before or after each.
    assert 0 < lost <= 6


def test_a_keychain_that_refuses_the_rotated_token_says_it_was_not_saved_and_set_recovers(
    capsys, monkeypatch, provider, backend, workbench_home
):
    name = "rot"
    fresh_profile(capsys, monkeypatch, provider, name)
    backend.arm(10**9)
    assert workbench(capsys, "token", name, "--refresh")[0] == 0
    total = backend.writes
    check_writes = 0
    # The writes of the pre-refresh check come first; fail from the first write after them.
    for n in range(1, total + 1):
        backend.arm(n, fail=True)
        code, err = workbench(capsys, "token", name, "--refresh")
        backend.disarm()
        if "not refreshing" in err:  # refused before the provider call: nothing lost
            check_writes = n
            assert workbench(capsys, "token", name, "--refresh")[0] == 0
            continue
        assert code == 1
        line = err.strip().splitlines()[-1]
        if "could not be saved" in line:
            assert "kept" not in line
            assert "the provider no longer accepts the old one" in line
            assert f"`workbench profile set {name} --secret refresh_token`" in line
            _access, refresh = provider.issue()
            monkeypatch.setenv("WB_RT", refresh)
            assert workbench(capsys, "profile", "set", name, "--secret", "refresh_token=@env:WB_RT")[0] == 0
            assert workbench(capsys, "token", name, "--refresh")[0] == 0
            break
    else:
        pytest.fail("no write failure reached the rotated refresh token")
    assert check_writes >= 1


def _tamper_first_part(backend: FaultKeyring, user: str) -> None:
    from workbench.core.storage.vault import SERVICE

    manifest = backend.workbench_entries()[user]
    generation = manifest.rsplit(":g", 1)[1]
    backend.set_password(SERVICE, f"{user}#{generation}.0", "damaged by another program")


def test_a_damaged_cached_access_token_is_a_cache_miss(
    capsys, monkeypatch, provider, backend, workbench_home
):
    fresh_profile(capsys, monkeypatch, provider, "rot")
    _tamper_first_part(backend, "rot/access_token")
    rotations = provider.rotations
    code, err = workbench(capsys, "token", "rot")
    assert code == 0, err
    assert provider.rotations == rotations + 1  # obtained anew, not an error
    assert workbench(capsys, "token", "rot")[0] == 0
    assert provider.rotations == rotations + 1  # and stored intact again


def test_a_damaged_refresh_token_says_how_to_store_it_again(
    capsys, monkeypatch, provider, backend, workbench_home
):
    fresh_profile(capsys, monkeypatch, provider, "rot")
    _tamper_first_part(backend, "rot/refresh_token")
    code, err = workbench(capsys, "token", "rot", "--refresh")
    assert code == 1
    assert err.strip() == (
        "workbench: error: the stored value of 'rot/refresh_token' is damaged (checksum mismatch); "
        "store it again with `workbench profile set rot --secret refresh_token`"
    )
    _access, refresh = provider.issue()
    monkeypatch.setenv("WB_RT", refresh)
    assert workbench(capsys, "profile", "set", "rot", "--secret", "refresh_token=@env:WB_RT")[0] == 0
    assert workbench(capsys, "token", "rot", "--refresh")[0] == 0
