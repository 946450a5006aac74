"""The emphasis parser: A1111 syntax, escapes, round trips, never failing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from t2ia_desktop.core.generation.prompt_weights import (
    EMPHASIS,
    has_emphasis,
    parse_prompt,
    plain_text,
)


def escape(text: str) -> str:
    """``text`` with its brackets and backslashes escaped, so it parses to itself."""
    return "".join("\\" + c if c in "()[]\\" else c for c in text)


def format_prompt(chunks: list[tuple[str, float]]) -> str:
    """Chunks written back in the syntax (``(text:weight)`` for weights other than 1)."""
    return "".join(escape(text) if weight == 1.0 else f"({escape(text)}:{weight!r})"
                   for text, weight in chunks)


plain_chars = st.text(alphabet=st.characters(blacklist_characters="\\()[]:"), min_size=1)


@pytest.mark.parametrize(("text", "expected"), [
    ("a cat", [("a cat", 1.0)]),
    ("a (cat)", [("a ", 1.0), ("cat", EMPHASIS)]),
    ("((cat))", [("cat", EMPHASIS * EMPHASIS)]),
    ("[cat] dog", [("cat", 1 / EMPHASIS), (" dog", 1.0)]),
    ("(a cat:1.4), dog", [("a cat", 1.4), (", dog", 1.0)]),
    ("(a (b:2) c)", [("a ", EMPHASIS), ("b", 2 * EMPHASIS), (" c", EMPHASIS)]),
    (r"\(x\) \[y\] \\", [(r"(x) [y] \ ".rstrip(), 1.0)]),
    ("(open to the end", [("open to the end", EMPHASIS)]),
    ("x) y]", [("x) y]", 1.0)]),
    ("time: 3pm (a:b)", [("time: 3pm ", 1.0), ("a:b", EMPHASIS)]),
    ("(:1.2)", []),
    ("", []),
])
def test_examples(text, expected):
    parsed = parse_prompt(text)
    assert [t for t, _ in parsed] == [t for t, _ in expected]
    assert [w for _, w in parsed] == pytest.approx([w for _, w in expected])


@given(plain_chars)
def test_text_without_syntax_is_itself(text):
    assert parse_prompt(text) == [(text, 1.0)]
    assert not has_emphasis(text)
    assert plain_text(text) == text


@given(st.text(min_size=1))
def test_escaped_text_parses_to_itself(text):
    assert parse_prompt(escape(text)) == [(text, 1.0)]


@given(st.lists(st.tuples(st.text(min_size=1, max_size=12),
                          st.integers(1, 300).map(lambda i: i / 100)), max_size=6))
def test_format_then_parse_round_trips(chunks):
    merged: list[tuple[str, float]] = []
    for text, weight in chunks:
        if merged and merged[-1][1] == weight:
            merged[-1] = (merged[-1][0] + text, weight)
        else:
            merged.append((text, weight))
    assert parse_prompt(format_prompt(chunks)) == merged


@given(st.text())
def test_any_text_parses_to_a_subsequence_of_itself(text):
    pieces = parse_prompt(text)
    remaining = iter(text)
    assert all(char in remaining for char in "".join(p for p, _ in pieces))
    assert all(weight != 0 for _, weight in pieces)
    assert all(piece for piece, _ in pieces)
