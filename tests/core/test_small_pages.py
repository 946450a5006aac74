"""Stroke scratch buffers are allocated without numpy's huge-page advice, which is restored
afterwards (also when the block fails)."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.document.small_pages import huge_page_advice, small_pages


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

