"""Prompt emphasis in the syntax artists already type (as in AUTOMATIC1111's web UI).

- ``(word)`` multiplies the attention to ``word`` by 1.1, ``((word))`` by 1.21;
- ``[word]`` divides it by 1.1;
- ``(word:1.4)`` sets the factor to 1.4 (``(a cat:0.5)`` weakens);
- ``\\(``, ``\\)``, ``\\[``, ``\\]`` and ``\\\\`` are the characters themselves.

An opened bracket that is never closed weighs everything after it; a closing bracket with no
opening one is an ordinary character. Parsing never fails.
"""

from __future__ import annotations

import re

EMPHASIS = 1.1
"""The factor of one pair of round brackets (and the divisor of one pair of square ones)."""

Chunk = tuple[str, float]

_ESCAPABLE = "()[]\\"
_WEIGHT = re.compile(r":\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*\)")
_SPECIAL = re.compile(r"[\\()\[\]:]")


def parse_prompt(text: str) -> list[Chunk]:
    """The prompt's text in pieces, each with its weight; neighbours of equal weight merged
    and empty pieces dropped (``[]`` for an empty prompt)."""
    pieces: list[list] = []  # [text, weight], one per literal run, merged at the end
    round_open: list[int] = []  # index in pieces where each open "(" starts
    square_open: list[int] = []

    def weigh(start: int, factor: float) -> None:
        for piece in pieces[start:]:
            piece[1] *= factor

    def literal(characters: str) -> None:
        pieces.append([characters, 1.0])

    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text) and text[position + 1] in _ESCAPABLE:
            literal(text[position + 1])
            position += 2
            continue
        if char == "(":
            round_open.append(len(pieces))
        elif char == "[":
            square_open.append(len(pieces))
        elif char == ":" and round_open:
            match = _WEIGHT.match(text, position)
            if match:
                weigh(round_open.pop(), float(match.group(1)))
                position = match.end()
                continue
            literal(char)
        elif char == ")" and round_open:
            weigh(round_open.pop(), EMPHASIS)
        elif char == "]" and square_open:
            weigh(square_open.pop(), 1 / EMPHASIS)
        else:
            special = _SPECIAL.search(text, position + 1)
            end = special.start() if special else len(text)
            literal(text[position:end])
            position = end
            continue
        position += 1
    for start in round_open:  # never closed: weighs the rest of the prompt
        weigh(start, EMPHASIS)
    for start in square_open:
        weigh(start, 1 / EMPHASIS)

    merged: list[Chunk] = []
    for piece_text, weight in pieces:
        if not piece_text:
            continue
        if merged and merged[-1][1] == weight:
            merged[-1] = (merged[-1][0] + piece_text, weight)
        else:
            merged.append((piece_text, weight))
    return merged


def has_emphasis(text: str | None) -> bool:
    """Whether any part of ``text`` weighs other than 1."""
    return bool(text) and any(weight != 1.0 for _, weight in parse_prompt(text))


def plain_text(text: str | None) -> str | None:
    """``text`` without its emphasis syntax (escapes resolved); None stays None."""
    if text is None:
        return None
    return "".join(piece for piece, _ in parse_prompt(text))


def escape(text: str) -> str:
    """``text`` with its brackets and backslashes escaped, so it parses to itself."""
    return "".join("\\" + c if c in _ESCAPABLE else c for c in text)


def format_prompt(chunks: list[Chunk]) -> str:
    """Write chunks back in the syntax (``(text:weight)`` for weights other than 1)."""
    parts = []
    for text, weight in chunks:
        parts.append(escape(text) if weight == 1.0 else f"({escape(text)}:{weight!r})")
    return "".join(parts)
