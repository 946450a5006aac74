"""Building the diffusers scheduler an artist picked, from the model's own scheduler config."""

from __future__ import annotations

from typing import Any

import diffusers

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.sampling import SCHEDULERS_BY_ID


def make_scheduler(name: str, config: Any):
    """A fresh scheduler ``name`` (see core/sampling.py) configured like the model's.

    The model's config carries its noise schedule (betas, prediction type, offsets); the
    choice adds only its own options (Karras sigmas, trailing timesteps).
    """
    choice = SCHEDULERS_BY_ID.get(name)
    if choice is None:
        raise BadInput(f"unknown scheduler {name!r} (choose from {', '.join(SCHEDULERS_BY_ID)})")
    cls = getattr(diffusers, choice.class_name)
    return cls.from_config(config, **choice.options)
