"""Fuzzing the loaders: a damaged project or OpenRaster file either loads or raises BadInput.

Three kinds of damage: bytes of the file flipped, cut, dropped or repeated (the zip container
breaks); entries damaged inside a sound zip (the PNGs and the XML break); and the manifest's
JSON tree with a value swapped for any other JSON value (the validation is tested).
"""

from __future__ import annotations

import functools
import json
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.ora import export_ora, import_ora
from t2ia_desktop.core.files.project import load_project, save_project
from tests.builders import four_layers

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    save_project(four_layers(), folder / "a.t2ia", {"steps": 3})
    export_ora(four_layers(), folder / "a.ora")
    return {"t2ia": (folder / "a.t2ia").read_bytes(), "ora": (folder / "a.ora").read_bytes()}


def load(kind: str, path: Path) -> None:
    """Load, and check that what loads is a sound document; BadInput is the other outcome."""
    try:
        document = load_project(path)[0] if kind == "t2ia" else import_ora(path)
    except BadInput as error:
        refusal = str(error)
    else:
        refusal = None
    if refusal is not None:
        assert refusal
        assert "\n" not in refusal.strip()
        return
    assert isinstance(document, Document)
    for layer in document.layers:
        assert layer.pixels.shape == (document.height, document.width, 4)
        assert layer.pixels.dtype == np.uint8


def damage(data: bytes, rng: random.Random) -> bytes:
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        action = rng.choice(["flip", "flip", "flip", "cut", "drop", "repeat", "zero"])
        at = rng.randrange(len(damaged))
        if action == "flip":
            damaged[at] ^= 1 << rng.randrange(8)
        elif action == "cut":
            del damaged[at:]
        elif action == "drop":
            del damaged[at:at + rng.randint(1, 64)]
        elif action == "repeat":
            damaged[at:at] = damaged[at:at + rng.randint(1, 64)]
        else:
            damaged[at:at + rng.randint(1, 16)] = bytes(rng.randint(1, 16))
        if not damaged:
            break
    return bytes(damaged)


@pytest.mark.parametrize("kind", ["t2ia", "ora"])
def test_damaged_files_load_or_raise_bad_input(kind, originals, tmp_path):
    rng = random.Random(f"fuzz-{kind}")
    path = tmp_path / f"damaged.{kind}"
    for _ in range(400):
        path.write_bytes(damage(originals[kind], rng))
        load(kind, path)


def _zip_offsets(data: bytes) -> list[tuple[str, int, int]]:
    """(name, first byte, end) of each entry's stored data."""
    import io

    spans = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            spans.append((info.filename, start, start + info.compress_size))
    return spans


@functools.cache
def _structure(data: bytes) -> list[int]:
    """Offsets of the bytes that are zip structure rather than entry data."""
    inside = np.zeros(len(data), bool)
    for _, start, end in _zip_offsets(data):
        inside[start:end] = True
    return np.flatnonzero(~inside).tolist()


@FUZZ
@given(kind=st.sampled_from(["t2ia", "ora"]), data=st.data())
def test_flips_in_the_header_and_directory_regions(originals, tmp_path, kind, data):
    """Hypothesis aims at the zip's own structures: local headers and the central directory."""
    original = originals[kind]
    structure = _structure(original)
    damaged = bytearray(original)
    for position in data.draw(st.lists(st.sampled_from(structure), min_size=1, max_size=4)):
        damaged[position] = data.draw(st.integers(0, 255))
    path = tmp_path / f"header.{kind}"
    path.write_bytes(bytes(damaged))
    load(kind, path)


def _rezip(original: bytes, path: Path, changes: dict[str, bytes]) -> None:
    import io

    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(path, "w") as out:
        for info in source.infolist():
            out.writestr(info.filename, changes.get(info.filename, source.read(info)))


@pytest.mark.parametrize("kind", ["t2ia", "ora"])
def test_damaged_entries_inside_a_sound_zip(kind, originals, tmp_path):
    import io

    rng = random.Random(f"entries-{kind}")
    with zipfile.ZipFile(io.BytesIO(originals[kind])) as zf:
        contents = {name: zf.read(name) for name in zf.namelist()}
    path = tmp_path / f"entry.{kind}"
    names = [n for n in contents if n.endswith((".png", ".xml", ".json"))]
    for _ in range(250):
        name = rng.choice(names)
        _rezip(originals[kind], path, {name: damage(contents[name], rng)})
        load(kind, path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6),
                                                                      children, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@FUZZ
@given(data=st.data())
def test_any_value_anywhere_in_the_manifest(originals, tmp_path, data):
    import io

    with zipfile.ZipFile(io.BytesIO(originals["t2ia"])) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    paths = [p for p in _paths(manifest) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(paths))
        target = manifest
        try:
            for key in where[:-1]:
                target = target[key]
            target[where[-1]] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier swap replaced the container
    text = json.dumps(manifest)
    path = tmp_path / "manifest.t2ia"
    _rezip(originals["t2ia"], path, {"manifest.json": text.encode()})
    load("t2ia", path)


@FUZZ
@given(attribute=st.sampled_from(["x", "y", "opacity", "visibility", "src", "name", "w", "h"]),
       value=st.text(max_size=12), layer=st.integers(0, 3))
def test_any_attribute_value_in_stack_xml(originals, tmp_path, attribute, value, layer):
    import io
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(io.BytesIO(originals["ora"])) as zf:
        root = ET.fromstring(zf.read("stack.xml"))
    value = "".join(ch for ch in value if ch.isprintable())
    element = root if attribute in ("w", "h") else root.find("stack")[layer]
    element.set(attribute, value)
    path = tmp_path / "attr.ora"
    _rezip(originals["ora"], path, {"stack.xml": ET.tostring(root)})
    load("ora", path)
