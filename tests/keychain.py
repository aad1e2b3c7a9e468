"""Start a real, throwaway Secret Service (dbus session bus + gnome-keyring) for tests.

keyring picks its fail backend without a desktop session; a
gnome-keyring daemon on a private session bus, unlocked with a throwaway
password and a throwaway HOME, is a real backend that works headless.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass
class SecretService:
    env: dict[str, str]
    dbus_pid: int
    home: str

    def stop(self) -> None:
        for pid_name in ("dbus_pid",):
            try:
                os.kill(getattr(self, pid_name), signal.SIGTERM)
            except ProcessLookupError:
                pass
        subprocess.run(["pkill", "-f", f"gnome-keyring-daemon.*{self.home}"], check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def available() -> bool:
    return bool(shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon"))


def start() -> SecretService:
    home = tempfile.mkdtemp(prefix="wb-keychain-")
    env = {"HOME": home, "XDG_RUNTIME_DIR": home, "XDG_DATA_HOME": os.path.join(home, "data")}
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    ).stdout.split()
    address, pid = out[0], int(out[1])
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
        input="workbench-test",
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    # Wait until the secrets collection answers (the daemon starts asynchronously).
    probe = (
        "import keyring; keyring.set_password('wb-probe','p','1');"
        "assert keyring.get_password('wb-probe','p')=='1'"
    )
    import sys

    for _ in range(50):
        full_env = {**os.environ, **env}
        probe_run = subprocess.run([sys.executable, "-c", probe], env=full_env, capture_output=True)
        if probe_run.returncode == 0:
            break
        time.sleep(0.1)
    return SecretService(env=env, dbus_pid=pid, home=home)


def healthy(service: SecretService) -> bool:
    """The session's Secret Service still answers, unlocked (one short probe process)."""
    import sys

    probe = (
        "import keyring; keyring.set_password('wb-probe','p','1');"
        "assert keyring.get_password('wb-probe','p')=='1'"
    )
    try:
        run = subprocess.run(
            [sys.executable, "-c", probe], env={**os.environ, **service.env}, capture_output=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        return False
    return run.returncode == 0


def restart(service: SecretService) -> None:
    """Replace a dead or relocked Secret Service in place (same object, new bus and daemon).

    gnome-keyring-daemon occasionally dies under heavy load on a shared machine; D-Bus then
    activates a fresh, locked one and every later keychain test would fail for a reason that
    is not the product's. The test that saw it still fails; the ones after it get a live service.
    """
    service.stop()
    fresh = start()
    service.env.clear()
    service.env.update(fresh.env)
    service.dbus_pid, service.home = fresh.dbus_pid, fresh.home
    os.environ.update(fresh.env)
