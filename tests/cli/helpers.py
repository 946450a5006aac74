"""Running the command line in-process, and reading its one-line errors, for the CLI tests."""

from __future__ import annotations

from pathlib import Path

from t2ia_desktop.cli.main import main

PREFIX = "t2ia-desktop: error: "
"""How every error line on stderr starts."""


def run_cli(argv: list[str]) -> int:
    """``main(argv)``'s exit status, whether it returns it or argparse raises SystemExit."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return 0 if exit_.code is None else int(exit_.code)


def one_error_line(capsys) -> str:
    """The message of the one error line the command wrote (no traceback, nothing else)."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(PREFIX), lines[0]
    assert "Traceback" not in captured.err + captured.out
    return lines[0][len(PREFIX):]


def generate_args(files, *extra: str, model: str | None = None, out: Path | None = None):
    """``generate`` arguments for the ``files`` fixture's model and output, then ``extra``."""
    return [
        "generate", "--model", model or str(files.model), "--prompt", "a lighthouse",
        "--width", "64", "--height", "64", "--steps", "2",
        "--out", str(out or files.out), *extra,
    ]
