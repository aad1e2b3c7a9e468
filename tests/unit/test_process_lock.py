"""The lock between workbench processes (core/process_lock.py), exercised with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workbench.core.storage.process_lock import LockHeld, ProcessLock

ROOT = Path(__file__).resolve().parents[2]

HOLDER = r"""
import sys, time
from workbench.core.storage.process_lock import ProcessLock
lock = ProcessLock(sys.argv[1], timeout=5)
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def start_holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_lock_another_process_holds_times_out_then_is_free_once_it_lets_go(tmp_path):
    path = tmp_path / "p.lock"
    holder = start_holder(path, 1.0)
    try:
        started = time.monotonic()
        with pytest.raises(LockHeld):
            ProcessLock(path, timeout=0.2).acquire()
        assert 0.2 <= time.monotonic() - started < 0.9  # waited its timeout, not the holder's
        with ProcessLock(path, timeout=10) as lock:  # waits for the holder's release
            assert lock.held
    finally:
        holder.wait(10)


def test_a_holder_killed_with_sigkill_leaves_no_stale_lock(tmp_path):
    path = tmp_path / "p.lock"
    holder = start_holder(path, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    assert path.exists()  # the file stays; the kernel dropped the lock with the process
    with ProcessLock(path, timeout=1) as lock:
        assert lock.held


def test_two_threads_of_one_process_exclude_each_other(tmp_path):
    path = tmp_path / "p.lock"
    inside = 0
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(20):
            with ProcessLock(path, timeout=10):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.001)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most == 1


def test_a_folder_in_the_locks_place_is_an_error_not_a_hang(tmp_path):
    (tmp_path / "p.lock").mkdir()
    with pytest.raises(IsADirectoryError):
        ProcessLock(tmp_path / "p.lock", timeout=5).acquire()


def test_release_is_idempotent_and_the_lock_can_be_taken_again(tmp_path):
    lock = ProcessLock(tmp_path / "p.lock", timeout=1)
    lock.acquire()
    with pytest.raises(RuntimeError):
        lock.acquire()
    lock.release()
    lock.release()
    assert not lock.held
    with lock:
        assert lock.held
    assert not lock.held
