"""Entry point of the frozen app: the same command line as ``t2ia-desktop`` from a venv."""

import multiprocessing

from t2ia_desktop.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not start the app again
    raise SystemExit(main())
