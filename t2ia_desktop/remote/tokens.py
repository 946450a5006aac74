"""The server's bearer token: made at the first ``serve``, kept in a file only its owner reads."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.paths import data_dir

TOKEN_FILE = "server-token"


def default_token_path() -> Path:
    """Where ``serve`` keeps its token, and where a client on the same machine finds it."""
    return data_dir() / TOKEN_FILE


def ensure_token(path: Path) -> tuple[str, bool]:
    """The token in ``path``, or a new one written there (mode 0600); and whether it is new."""
    if path.is_file():
        return read_token(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another serve made it meanwhile
        return read_token(path), False
    with os.fdopen(handle, "w", encoding="ascii") as stream:
        stream.write(token + "\n")
    return token, True


def read_token(path: str | Path) -> str:
    """The token a file holds (its first line), or a :class:`BadInput` saying what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise BadInput(f"no token file at {path}; give --token-file with the server's token "
                       "(printed by its first `t2ia-desktop serve`)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read the token file {path} ({error})") from None
    token = text.splitlines()[0].strip() if text else ""
    if not 16 <= len(token) <= 512 or not token.isprintable() or " " in token:
        raise BadInput(f"the token file {path} does not hold a token (one line, 16 to 512 "
                       "characters, no spaces)")
    return token
