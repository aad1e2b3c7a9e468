"""Entry script PyInstaller freezes: the same `workbench` command as the installed console script."""

import sys

from workbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
