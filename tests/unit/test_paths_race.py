"""Two threads making the same data folder at once: neither reports it as "not a folder"."""

from __future__ import annotations

import threading
from pathlib import Path

from workbench.core.storage import paths


def test_a_folder_another_thread_creates_meanwhile_is_not_an_error(tmp_path, monkeypatch):
    target = tmp_path / "requests"
    real_exists = Path.exists

    def exists(self, *args, **kwargs):
        if self == target and not target.is_dir():
            target.mkdir()  # the other thread wins the race right here
        return real_exists(self, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists)
    paths._ensure_dir(target, "WORKBENCH_HOME's requests/ folder")
    assert target.is_dir()


def test_many_threads_creating_one_folder_all_succeed(tmp_path):
    target = tmp_path / "a" / "b"
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait()
        try:
            paths._ensure_dir(target, "WORKBENCH_HOME's b/ folder")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and target.is_dir()
