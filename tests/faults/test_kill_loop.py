"""`kill -9` at random moments of a rotating refresh, over a real gnome-keyring: never bricked.

Each round starts `workbench token NAME --refresh` (long tokens, stored in parts in the
Secret Service), kills it with SIGKILL at a random point of a clean run's duration, then
checks the profile as the next process would. A round ends in one of:

* intact: the next `token --refresh` works (the kill came before the provider rotated,
  or after the new refresh token was stored);
* refresh token lost: the provider had rotated and the process died before the switch to
  the new one was written (the one window nothing can close: the new token existed only
  in the killed process). The next run says so and names `profile set`, which recovers;
* bricked: anything else. Must never happen.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.faults.conftest import ROOT
from tests.faults.rotating import RotatingProvider
from workbench.core.storage.vault import Vault

pytestmark = pytest.mark.keychain

ROUNDS = int(os.environ.get("WB_KILL_ROUNDS", "30"))


@pytest.fixture
def own_secret_service(monkeypatch):
    """A Secret Service of this test's own. Thirty SIGKILLs of its clients mid-conversation is
    more than gnome-keyring reliably takes after a whole suite's traffic (seen: the daemon dies,
    D-Bus starts a locked one, and every later keychain test would fail); a fresh daemon keeps
    this test about our vault, and the session's daemon out of harm's way."""
    import keyring

    from tests import keychain

    if not keychain.available():
        pytest.skip("gnome-keyring/dbus-daemon not installed (apt-get install gnome-keyring dbus)")
    service = keychain.start()
    for key, value in service.env.items():
        monkeypatch.setenv(key, value)
    keyring.set_keyring(keyring.core.load_keyring("keyring.backends.SecretService.Keyring"))
    yield service
    service.stop()


def test_kill_9_during_rotating_refreshes_never_bricks_a_profile(own_secret_service, workbench_home):
    name = f"kill-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "WORKBENCH_HOME": str(workbench_home)}

    def workbench(*argv: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workbench", *argv],
            capture_output=True, text=True, cwd=ROOT, env={**env, **(extra or {})}, timeout=120,
        )  # fmt: skip

    rng = random.Random(int(os.environ.get("WB_KILL_SEED", "8")))
    vault = Vault()
    with RotatingProvider(token_length=1500) as provider:
        _access, refresh = provider.issue()
        add = workbench(
            "profile", "add", name, "--preset", "oauth2-refresh-token", "--base-url", provider.url,
            "--secret", "refresh_token=@env:WB_RT", extra={"WB_RT": refresh},
        )  # fmt: skip
        assert add.returncode == 0, add.stderr
        started = time.monotonic()
        first = workbench("token", name, "--refresh")
        clean = time.monotonic() - started
        assert first.returncode == 0, first.stderr

        intact = lost = bricked = killed_mid_run = 0
        problems: list[str] = []
        try:
            for round_no in range(ROUNDS):
                rotations = provider.rotations
                proc = subprocess.Popen(
                    [sys.executable, "-m", "workbench", "token", name, "--refresh"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env,
                )  # fmt: skip
                time.sleep(rng.uniform(0.3, 1.0) * clean)
                if proc.poll() is None:
                    killed_mid_run += 1
                    proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=60)
                rotated = provider.rotations > rotations
                after = workbench("token", name, "--refresh")
                if after.returncode == 0:
                    intact += 1
                    continue
                line = after.stderr.strip().splitlines()[-1] if after.stderr.strip() else ""
                stored = vault.load(name, "refresh_token")
                if (
                    rotated
                    and "the refresh token is not valid" in line
                    and f"workbench profile set {name} --secret refresh_token" in line
                    and stored is not None
                    and not provider.is_valid(stored)
                ):
                    lost += 1
                else:
                    bricked += 1
                    problems.append(f"round {round_no}: {after.stderr.strip()!r}")
                _access, fresh = provider.issue()
                fix = workbench(
                    "profile", "set", name, "--secret", "refresh_token=@env:WB_RT", extra={"WB_RT": fresh}
                )
                again = workbench("token", name, "--refresh")
                if fix.returncode != 0 or again.returncode != 0:
                    bricked += 1
                    problems.append(
                        f"round {round_no}: profile set did not recover: {fix.stderr!r} {again.stderr!r}"
                    )
        finally:
            workbench("profile", "rm", name)
    print(
        f"\nREPORT kill -9 loop: {ROUNDS} rounds ({killed_mid_run} killed mid-run, clean run {clean:.2f} s), "
        f"{intact} intact, {lost} refresh tokens lost (killed after the provider rotated, before the new "
        f"one was stored), {bricked} bricked"
    )
    assert bricked == 0, "\n".join(problems)
