"""Per-component progress while diffusers loads a pipeline.

``DiffusionPipeline.from_pretrained`` walks the pipeline's components (text encoders, UNet,
VAE…) through ``diffusers.utils.logging.tqdm`` with the description "Loading pipeline
components...". diffusers has no callback for it, so while :func:`component_progress` is active
that one iterable is counted on the calling thread and each component reports its share; every
other use of the progress bar, and every other thread, goes to diffusers' own object untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from diffusers.utils import logging as diffusers_logging

from t2ia_desktop.core.generation.phases import PhaseSink

COMPONENTS_DESCRIPTION = "Loading pipeline components"


class _CountingTqdm:
    """Stands in for ``diffusers.utils.logging.tqdm`` while a pipeline loads."""

    def __init__(self, original, sink: PhaseSink, phase: str) -> None:
        self._original = original
        self._sink = sink
        self._phase = phase
        self._thread = threading.get_ident()

    def __call__(self, *args, **kwargs):
        description = str(kwargs.get("desc", ""))
        if (threading.get_ident() != self._thread or not args
                or not description.startswith(COMPONENTS_DESCRIPTION)):
            return self._original(*args, **kwargs)
        return self._count(list(args[0]))

    def _count(self, items: list) -> Iterator:
        total = max(len(items), 1)
        for done, item in enumerate(items):
            self._sink(self._phase, done / total)
            yield item
        self._sink(self._phase, 1.0)

    def __getattr__(self, name: str):  # set_lock, get_lock…
        return getattr(self._original, name)


@contextmanager
def component_progress(sink: PhaseSink | None, phase: str) -> Iterator[None]:
    """Report ``phase`` with the share of pipeline components loaded so far."""
    if sink is None:
        yield
        return
    original = diffusers_logging.tqdm
    diffusers_logging.tqdm = _CountingTqdm(original, sink, phase)
    try:
        yield
    finally:
        diffusers_logging.tqdm = original
