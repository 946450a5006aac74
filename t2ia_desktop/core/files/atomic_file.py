"""Writing a file atomically: into a temporary file beside it, flushed to disk, then renamed
over it, so that a crash or a failed write leaves the old file (or none), never half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb", *, encoding: str | None = None,
                 suffix: str = "") -> Iterator[IO[Any]]:
    """The stream to write ``path``'s new content to; it replaces ``path`` when the block ends
    well. On any error the temporary file is removed and the error goes on."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix,
                                         dir=target.parent)
    try:
        with os.fdopen(handle, mode, encoding=encoding) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
