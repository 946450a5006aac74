"""Whether detector weights are on this machine, without loading torch or downloading."""

from __future__ import annotations

import os
from pathlib import Path

ANNOTATORS_REPO = "lllyasviel/Annotators"


def annotator_files_present(files: tuple[str, ...]) -> bool:
    """All of ``files`` are in the T2IA_ANNOTATORS folder or in the Hugging Face cache."""
    setting = os.environ.get("T2IA_ANNOTATORS", "").strip()
    if setting and all((Path(setting).expanduser() / f).is_file() for f in files):
        return True
    from huggingface_hub import try_to_load_from_cache

    return all(isinstance(try_to_load_from_cache(ANNOTATORS_REPO, f), str) for f in files)
