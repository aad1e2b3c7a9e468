"""The file keyring of tests/faults with a real Secret Service's latency (~30–40 ms a call,
/work/shared/ENV-NOTES.md), so races open the windows they open on a desktop.

``PYTHON_KEYRING_BACKEND=tests.hostile.slow_keyring.SlowFileKeyring``; ``WB_TEST_KEYRING_LATENCY``
seconds per call (default 0.03). The wait is outside the file's lock, as a D-Bus round trip is.
"""

from __future__ import annotations

import os
import time

from tests.faults.file_keyring import FileKeyring


class SlowFileKeyring(FileKeyring):
    def _wait(self) -> None:
        time.sleep(float(os.environ.get("WB_TEST_KEYRING_LATENCY", "0.03")))

    def get_password(self, service: str, username: str) -> str | None:
        self._wait()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._wait()
        super().delete_password(service, username)
