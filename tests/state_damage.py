"""Hypothesis strategies that damage the app's state files, for the property tests of their
loaders: the bytes cut, flipped, spliced, replaced or nested 100 000 deep, and the JSON tree
with one value swapped for any other JSON value (wrong types, NaN, infinities, huge numbers,
deep nesting). ``T2IA_DAMAGE_EXAMPLES=N`` runs N random examples instead of the usual 150
fixed ones (a longer hunt)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DAMAGE = settings(max_examples=int(os.environ.get("T2IA_DAMAGE_EXAMPLES", "150")),
                  deadline=None, derandomize=not os.environ.get("T2IA_DAMAGE_EXAMPLES"),
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])

DEEP = "\x00deep\x00"
"""Stands for a deep nesting in a tree; :func:`dumps` writes it out (json.dumps could not)."""
DEPTHS = st.sampled_from([17, 100, 990, 5000, 100_000])
SPECIAL_NUMBERS = st.sampled_from([
    float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 10**300, -(10**300), 10**4000,
    2**63, 2**64, -1, 0, 0.5])
LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
          | SPECIAL_NUMBERS | st.just(DEEP) | st.just("../../outside.png") | st.just("/etc"))
JSON_VALUES = st.recursive(
    LEAVES, lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3), max_leaves=8)


def dumps(tree: Any, depth: int) -> str:
    """``tree`` as JSON text (NaN and infinities as Python writes them), each :data:`DEEP`
    written as ``depth`` nested lists."""
    return json.dumps(tree).replace(json.dumps(DEEP), "[" * depth + "]" * depth)


def paths(tree: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """The path (keys and indices) of every value in ``tree``, the root's ``()`` first."""
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from paths(value, (*prefix, index))


def replaced(tree: Any, path: tuple, value: Any) -> Any:
    """A copy of ``tree`` with the value at ``path`` replaced by ``value``."""
    if not path:
        return value
    changed = copy.deepcopy(tree)
    holder = changed
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return changed


@st.composite
def mutated(draw: st.DrawFn, tree: Any, under: tuple = ()) -> tuple[str, bool]:
    """``tree`` with one value at or under ``under`` replaced by any JSON value, as text, and
    whether that value nests deeply (past any file's limit: the whole file is set aside)."""
    choices = [path for path in paths(tree) if path[: len(under)] == under]
    path = draw(st.sampled_from(choices))
    value = draw(JSON_VALUES)
    return dumps(replaced(tree, path, value), draw(DEPTHS)), json.dumps(DEEP) in json.dumps(value)


def mutated_text(tree: Any, under: tuple = ()) -> st.SearchStrategy[str]:
    """The text of :func:`mutated` alone."""
    return mutated(tree, under).map(lambda found: found[0])


@st.composite
def damaged_bytes(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` cut short, with bytes changed, spliced or nested deeply, or replaced by
    random bytes."""
    kind = draw(st.sampled_from(["cut", "flip", "splice", "deep", "random"]))
    at = draw(st.integers(0, len(original)))
    if kind == "cut":
        return original[:at]
    if kind == "flip":
        damaged = bytearray(original)
        for position in draw(st.lists(st.integers(0, len(original) - 1), min_size=1,
                                      max_size=8)):
            damaged[position] = draw(st.integers(0, 255))
        return bytes(damaged)
    if kind == "splice":
        return original[:at] + draw(st.binary(min_size=1, max_size=24)) + original[at:]
    if kind == "deep":
        depth = draw(DEPTHS)
        return original[:at] + b"[" * depth + b"]" * depth + original[at:]
    return draw(st.binary(max_size=400))


def any_damage(original: bytes, tree: Any) -> st.SearchStrategy[bytes]:
    """Damaged bytes, or the tree with any one value swapped, as UTF-8."""
    return damaged_bytes(original) | mutated_text(tree).map(
        lambda text: text.encode("utf-8", "surrogatepass"))
