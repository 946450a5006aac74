"""Which base family a T2I-Adapter was trained for, read from its configuration.

The TencentARC adapters say it in ``adapter_type``: ``full_adapter_xl`` for SDXL, ``full_adapter``
and ``light_adapter`` for SD1.x. The paper's "generalizes to fine-tuned models of the same base"
is why only the family is compared, never the checkpoint: an SDXL adapter works with any SDXL
fine-tune. An adapter of the other family would fail deep in the UNet with a tensor-size error;
here it is refused first, with what to do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.checkpoints import FAMILY_NAMES

ADAPTER_TYPE_FAMILIES = {"full_adapter_xl": "sdxl", "full_adapter": "sd15",
                         "light_adapter": "sd15"}


def adapter_family(config: Mapping) -> str | None:
    """``sdxl`` or ``sd15`` from an adapter's config; None for a type not known here."""
    return ADAPTER_TYPE_FAMILIES.get(str(config.get("adapter_type", "full_adapter")))


def local_adapter_config(location: str) -> dict | None:
    """The adapter's config.json from its folder or the hub cache; None where it is not on
    this machine yet (it is checked once loaded) or unreadable (loading will say why)."""
    folder = Path(location).expanduser()
    try:
        if folder.is_dir():
            return json.loads((folder / "config.json").read_text(encoding="utf-8"))
        from diffusers import T2IAdapter

        return dict(T2IAdapter.load_config(location, local_files_only=True))
    except (OSError, ValueError):
        return None


def check_adapter_family(location: str, family: str, condition: str,
                         config: Mapping | None = None) -> None:
    """Refuse an adapter trained for another family than the model's, naming both."""
    config = config if config is not None else local_adapter_config(location)
    found = None if config is None else adapter_family(config)
    if found is None or found == family:
        return
    raise BadInput(
        f"The {condition} adapter {location} is an {FAMILY_NAMES[found]} adapter, but the model "
        f"is {FAMILY_NAMES[family]}: adapters work only with models of the family they were "
        f"trained for. Choose an {FAMILY_NAMES[family]} adapter for this layer (or clear its "
        f"adapter to use the default), or switch the model family to {found}."
    )
