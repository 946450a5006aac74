"""Stroke scratch buffers are allocated without numpy's huge-page advice, which is restored
afterwards (also when the block fails)."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.document import small_pages as pages
from t2ia_desktop.core.document.small_pages import small_pages


def huge_page_advice() -> bool | None:
    """Whether numpy advises huge pages now (None where numpy has no such switch)."""
    switch = pages._set_madvise_hugepage
    if switch is None:
        return None
    current = switch(True)
    switch(current)
    return bool(current)


def test_small_pages_turns_the_advice_off_and_back():
    before = huge_page_advice()
    if before is None:
        pytest.skip("this numpy has no huge-page switch")
    with small_pages():
        assert huge_page_advice() is False
        with small_pages():  # nested blocks keep it off
            assert huge_page_advice() is False
        assert huge_page_advice() is False
    assert huge_page_advice() == before
    with pytest.raises(RuntimeError), small_pages():
        raise RuntimeError("boom")
    assert huge_page_advice() == before

