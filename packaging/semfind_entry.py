"""Entry point of the standalone build (PyInstaller runs this file, not the package)."""

import multiprocessing

if __name__ == "__main__":
    # The daemon's extraction worker is a spawned process: in a frozen build it re-runs this
    # executable, and freeze_support() turns that run into the worker.
    multiprocessing.freeze_support()
    from semfind.app.cli import main

    main()
