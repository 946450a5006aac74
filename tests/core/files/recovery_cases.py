"""Damaged recovery folders for the property tests (tests/core/files/test_recovery.py and
tests/ui/window/test_crash_recovery.py): descriptions of any shape, documents in every state."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from hypothesis import strategies as st

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.files.project import save_project
from t2ia_desktop.core.files.recovery import RecoveryInfo

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
BAD_TIMES = ["1700000000", [1_700_000_000], 1e300, math.nan, math.inf, -math.inf, -5, 0, True,
             10**400, {"t": 1}, None]
DESCRIPTION_KEYS = st.fixed_dictionaries(
    {}, optional={"name": JSON, "original": JSON, "saved_at": JSON | st.sampled_from(BAD_TIMES)})


def sketch() -> Document:
    document = Document.with_sketch_layer(64, 48)
    document.sketch_layer().pixels[10:20, 5:40, 3] = 255
    return document


INFO_FILES = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda value: json.dumps(value).encode(), st.one_of(JSON, DESCRIPTION_KEYS)),
    st.builds(lambda text, cut: text.encode()[:cut],
              st.just(json.dumps({"name": "n", "original": "/o.t2ia", "saved_at": 1.7e9})),
              st.integers(0, 50)),
    st.just(b"[" * 100_000 + b"]" * 100_000),
    st.just(b" " * 70_000 + b"{}"),
    st.sampled_from(["folder", "missing"]),
)
DOCUMENTS = st.sampled_from(["described", "undescribed", "truncated", "garbage", "empty",
                             "folder", "missing"])


def recovery_documents(folder: Path) -> dict[str, bytes]:
    """A session document of each state (by name) as bytes, made in ``folder``."""
    save_project(sketch(), folder / "described.t2ia",
                 recovery=RecoveryInfo("sea.t2ia", None, 1.7e9, described=True).to_json())
    save_project(sketch(), folder / "undescribed.t2ia")
    described = (folder / "described.t2ia").read_bytes()
    return {"described": described, "undescribed": (folder / "undescribed.t2ia").read_bytes(),
            "truncated": described[:len(described) // 2], "garbage": os.urandom(300),
            "empty": b""}


def put(path: Path, content: bytes | str) -> None:
    """Write ``content`` at ``path``: bytes, "folder" (a folder in its place) or "missing"."""
    if content == "folder":
        path.mkdir()
        (path / "inside").write_bytes(b"x")
    elif content != "missing":
        path.write_bytes(content)
