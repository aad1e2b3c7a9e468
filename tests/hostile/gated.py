"""Run `workbench ARGS` once a start gate opens, so racing processes reach their writes together.

Used by tests/hostile: `python -m tests.hostile.gated GATE_FILE ARGS...` imports the CLI and the
keyring backend first (start-up takes longer than the races it is meant to provoke), then waits
until GATE_FILE exists and runs the command as `python -m workbench ARGS` would.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> int:
    gate, argv = sys.argv[1], sys.argv[2:]
    import keyring

    from workbench.cli import main as workbench_main

    keyring.get_keyring()  # the backend's import and entry-point scan, before the gate
    deadline = time.monotonic() + 60
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            print("gated: the gate never opened", file=sys.stderr)
            return 99
        time.sleep(0.002)
    sys.argv = ["workbench", *argv]
    return workbench_main()


if __name__ == "__main__":
    sys.exit(main())
