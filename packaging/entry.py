"""Entry script PyInstaller freezes: the same `workbench` command as the installed console script."""

import sys

if __name__ == "__main__":
    if sys.argv[1:] == ["--version"]:
        # The one answer that needs nothing but the version: no argparse, no command modules
        # (a frozen start is measured against a minimal window's; see tests/bench). Same text
        # as `workbench.cli`'s --version action, which tests/packaging checks against this.
        from workbench import __version__

        sys.stdout.write(f"workbench {__version__}\n")
        sys.exit(0)

    from workbench.cli import main

    sys.exit(main())
