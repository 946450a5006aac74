"""Allocate large scratch arrays on ordinary (4 KiB) pages.

numpy asks the kernel for transparent huge pages on every allocation of 4 MiB or more
(``madvise(MADV_HUGEPAGE)``). For a stroke's full-layer scratch buffers (coverage and the layer
as it was before the stroke, 64 + 64 MiB at 4096²), written a tile at a time, that moves the
cost to the first touch of each 2 MiB page: the kernel zeroes (and sometimes compacts memory
for) a whole huge page inside one brush segment, 5–6 ms against the segment's 0.3 ms: the
slow segments of the stroke benchmark. On small pages the first touch of a tile costs
microseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

try:  # numpy's switch for its huge-page advice (private but stable since numpy 1.20)
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # pragma: no cover - numpy 1.x
    try:
        from numpy.core.multiarray import _set_madvise_hugepage
    except ImportError:
        _set_madvise_hugepage = None


@contextmanager
def small_pages() -> Iterator[None]:
    """Arrays allocated inside this block are not advised onto huge pages."""
    if _set_madvise_hugepage is None:
        yield
        return
    previous = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(previous)


__all__ = ["small_pages"]
