"""The token the app uses for its server (Settings → Engine), kept in a file only its owner
reads, beside the settings but not in them (the settings file is shared in bug reports)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.paths import data_dir
from t2ia_desktop.remote.tokens import read_token

CLIENT_TOKEN_FILE = "server-client-token"


def client_token_path() -> Path:
    return data_dir() / CLIENT_TOKEN_FILE


def saved_token(path: Path | None = None) -> str:
    """The saved token, "" when none was saved (a damaged file reads as none)."""
    path = path or client_token_path()
    if not path.is_file():
        return ""
    try:
        return read_token(path)
    except BadInput:
        return ""


def save_token(token: str, path: Path | None = None) -> None:
    """Keep ``token`` (mode 0600, replaced in one step); an empty token removes the file."""
    path = path or client_token_path()
    token = token.strip()
    if not token:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    if not 16 <= len(token) <= 512 or not token.isprintable() or " " in token:
        raise BadInput("a server token is one line of 16 to 512 characters without spaces, "
                       "as `t2ia-desktop serve` printed it")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="ascii") as stream:
        stream.write(token + "\n")
    os.replace(temporary, path)
