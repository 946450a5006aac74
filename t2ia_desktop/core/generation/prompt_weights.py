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
    reader = _EmphasisReader(text)
    position = 0
    while position < len(text):
        position = reader.read(position)
    return _merged(reader.finish())


class _EmphasisReader:
    """Literal runs of a prompt, each weighed by the brackets around it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces: list[list] = []  # [text, weight], one per literal run, merged at the end
        self.round_open: list[int] = []  # index in pieces where each open "(" starts
        self.square_open: list[int] = []

    def read(self, position: int) -> int:
        """Read what starts at ``position``; return where the next thing starts."""
        text, char = self.text, self.text[position]
        if char == "\\" and position + 1 < len(text) and text[position + 1] in _ESCAPABLE:
            self._literal(text[position + 1])
            return position + 2
        if char == "(":
            self.round_open.append(len(self.pieces))
        elif char == "[":
            self.square_open.append(len(self.pieces))
        elif char == ":" and self.round_open:
            return self._weight_or_colon(position)
        elif char == ")" and self.round_open:
            self._weigh(self.round_open.pop(), EMPHASIS)
        elif char == "]" and self.square_open:
            self._weigh(self.square_open.pop(), 1 / EMPHASIS)
        else:
            special = _SPECIAL.search(text, position + 1)
            end = special.start() if special else len(text)
            self._literal(text[position:end])
            return end
        return position + 1

    def finish(self) -> list[list]:
        """The pieces, with brackets never closed weighing the rest of the prompt."""
        for start in self.round_open:
            self._weigh(start, EMPHASIS)
        for start in self.square_open:
            self._weigh(start, 1 / EMPHASIS)
        self.round_open, self.square_open = [], []
        return self.pieces

    def _weight_or_colon(self, position: int) -> int:
        match = _WEIGHT.match(self.text, position)
        if match:  # "(text:1.4)": the factor closes the bracket
            self._weigh(self.round_open.pop(), float(match.group(1)))
            return match.end()
        self._literal(":")
        return position + 1

    def _weigh(self, start: int, factor: float) -> None:
        for piece in self.pieces[start:]:
            piece[1] *= factor

    def _literal(self, characters: str) -> None:
        self.pieces.append([characters, 1.0])


def _merged(pieces: list[list]) -> list[Chunk]:
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
