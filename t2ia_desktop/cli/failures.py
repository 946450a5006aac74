"""The command line's one error funnel: whatever stops a command ends as exit status 2 and one
line on stderr that says what went wrong and what to do — never a traceback.

- The app's own errors (:class:`T2IAError`) are written for the artist already.
- An ``OSError`` (a full disk, a read-only or missing folder, a folder where a file should be,
  a permission) is named by its file and its cause, with what to change.
- A closed pipe (``t2ia-desktop conditions | head -1``) ends quietly, as other tools do.
- Anything else is a bug: one line that says so, and the traceback in the log file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
from pathlib import Path

PROG = "t2ia-desktop"
BROKEN_PIPE_STATUS = 141
"""What a shell reports for a command ended by SIGPIPE (128 + 13)."""

OS_ADVICE = {
    errno.ENOSPC: "no space left on the disk; free some space or choose another folder",
    errno.EDQUOT: "the disk quota is used up; free some space or choose another folder",
    errno.EROFS: "the disk is read-only; choose another folder",
    errno.EACCES: "permission denied; choose a folder you can write to, or change its "
                  "permissions",
    errno.EPERM: "not permitted; choose another folder, or change its permissions",
    errno.EISDIR: "is a folder; name a file (in that folder, if you meant it)",
    errno.ENOTDIR: "a part of that path is a file, not a folder; check the path",
    errno.ENOENT: "no such file or folder; check the path",
    errno.EEXIST: "already exists; choose another name",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter one",
    errno.EFBIG: "the file is too large for this disk's file system; choose another disk",
    errno.ELOOP: "too many symbolic links (a link that points to itself?); check the path",
    errno.EMFILE: "too many open files; close some programs and try again",
    errno.EIO: "the disk could not be read or written; check the disk and try again",
}


def fail(message: str, status: int = 2) -> int:
    """Write ``message`` as the one error line; return ``status``. A closed stderr is
    not an error of its own."""
    one_line = " ".join(message.splitlines())  # whatever the message quotes
    line = f"{PROG}: error: {one_line}"
    with contextlib.suppress(OSError, ValueError):
        print(printable(line), file=sys.stderr, flush=True)
    return status


def os_error_message(error: OSError, named: bool = True) -> str:
    """``error`` in the artist's words: the file (unless not ``named``: the caller says
    which), what happened, what to do."""
    advice = OS_ADVICE.get(error.errno or -1)
    if advice is None:
        reason = error.strerror or str(error) or type(error).__name__
        advice = f"{reason[:1].lower()}{reason[1:]}"
    if not named:
        return advice
    where = error.filename
    if where is None:
        return advice[:1].upper() + advice[1:]
    return f"{printable(where)}: {advice}"


def printable(name: object) -> str:
    """``name`` (a path, maybe with bytes that are not UTF-8) as text any terminal shows."""
    text = os.fsdecode(name) if isinstance(name, (str, bytes, os.PathLike)) else str(name)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def quiet_broken_pipe() -> int:
    """Stop writing to a reader that went away (``| head``): nothing more is flushed to the
    closed pipe, so Python's exit writes no second error either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return BROKEN_PIPE_STATUS


def unexpected(error: BaseException, command: str) -> int:
    """A failure the app did not foresee: one line, the details in the log file. torch's
    allocation failures outside a job (in a detector, say) are told as running out of memory."""
    if "torch" in sys.modules:  # only then can it be torch's
        from t2ia_desktop.engine.oom import is_out_of_memory

        if is_out_of_memory(error):
            return fail(f"{command} ran out of memory ({_first_line(error)}); close other "
                        "programs, or use a smaller picture")
    summary = f"{type(error).__name__}: {_first_line(error)}"
    log = _log_traceback(error, command)
    where = f"the details are in {log}" if log else "run it again to see whether it repeats"
    return fail(f"{command} failed unexpectedly ({summary}); {where}. Please report it.")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else "no message"
    return (line[:200] + "…") if len(line) > 200 else line


def _log_traceback(error: BaseException, command: str) -> Path | None:
    """Append the traceback to the app's log; the file, or None where it cannot be written."""
    try:
        from t2ia_desktop.core.paths import log_dir

        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "t2ia-desktop-cli.log"
        with path.open("a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(f"--- {PROG} {command}: {type(error).__name__}\n")
            log.write("".join(traceback.format_exception(error)))
        return path
    except Exception:  # the log is a help, never a second failure
        return None
