"""Extend canvas (outpaint): the grown canvas, its fill, mask and generation area, and undo."""

from __future__ import annotations

import numpy as np
import pytest

from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.document.generation_area import GenerationArea
from t2ia_desktop.core.document.outpaint import (
    FILL_NAME,
    MASK_NAME,
    ExtendCanvas,
    Margins,
    margins_for_size,
    outpaint_area,
    outpaint_mask,
)
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.source import mask_image, mask_layer, source_fields
from t2ia_desktop.core.undo.stack import UndoStack


def picture_document(width: int = 96, height: int = 64) -> Document:
    document = Document.with_sketch_layer(width, height)
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    document.add_layer(Layer("Photo", "photo", pixels), 0)
    return document


def test_extend_right_grows_masks_fills_and_moves_the_area():
    document = picture_document()
    photo = document.layers[0].pixels.copy()
    stack = UndoStack(document)
    command = ExtendCanvas(Margins(right=64), overlap=16, side=512)

    assert stack.push(command)

    assert (document.width, document.height) == (160, 64)
    fill, photo_layer = document.layers[0], document.layers[1]
    assert fill.name == FILL_NAME
    assert fill.kind == "photo"
    assert np.array_equal(photo_layer.pixels[:, :96], photo)
    assert not photo_layer.pixels[:, 96:].any()  # the new area is transparent on old layers
    assert (fill.pixels[:, 96:, 3] == 255).all()
    assert not fill.pixels[:, :96].any()
    # the fill continues the border colours (blurred): close to the last column's mean colour
    border = photo[:, -1, :3].astype(float).mean(axis=0)
    assert np.abs(fill.pixels[:, 100:, :3].astype(float).mean(axis=(0, 1)) - border).max() < 40

    mask = np.asarray(mask_image(mask_layer(document)))
    assert mask_layer(document).name == MASK_NAME
    assert (mask[:, 96:] == 255).all()  # the whole new area
    assert not mask[:, :96 - 16].any()  # nothing beyond the overlap
    ramp = mask[0, 96 - 16:96]
    assert (np.diff(ramp.astype(int)) > 0).all()
    assert 0 < ramp[0] < ramp[-1] < 255
    # the area: the new strip plus the old picture, as wide as the canvas allows up to 512
    assert document.generation_area == GenerationArea(0, 0, 160, 64)

    stack.undo()
    assert (document.width, document.height) == (96, 64)
    assert [layer.name for layer in document.layers] == ["Photo", "Sketch"]
    assert np.array_equal(document.layers[0].pixels, photo)
    assert document.custom_area is None
    assert stack.labels == ["Extend canvas (outpaint)"]

    stack.redo()
    assert (document.width, document.height) == (160, 64)
    assert np.array_equal(np.asarray(mask_image(mask_layer(document))), mask)


def test_the_area_reaches_into_a_big_picture_only_as_far_as_needed():
    old = (2048, 1024)
    margins = Margins(left=256)
    area = outpaint_area(old, margins, overlap=24, side=1024)
    assert area == GenerationArea(0, 0, 1024, 1024)  # 256 new + 768 of the old picture
    small = outpaint_area(old, Margins(top=1000 // 8 * 8), overlap=24, side=512)
    assert small.y == 0
    assert small.height == 1000 + 24 + 64
    assert small.width == 2048  # a top strip spans the whole width
    corner = outpaint_area(old, Margins(right=64, bottom=64), overlap=24, side=1024)
    assert corner == GenerationArea(0, 0, 2112, 1088)  # an L-shaped new area: all of it


def test_existing_mask_is_updated_and_shown_in_the_same_step():
    document = picture_document()
    old_mask = np.zeros((64, 96, 4), np.uint8)
    old_mask[10:20, 10:20] = 255
    mask = Layer("My mask", "mask", old_mask.copy(), visible=False)
    document.add_layer(mask)
    stack = UndoStack(document)

    stack.push(ExtendCanvas(Margins(left=32, top=8), overlap=0, side=512))

    assert mask_layer(document) is mask
    assert mask.visible
    expected = outpaint_mask((96, 64), Margins(left=32, top=8), 0)
    assert np.array_equal(mask.pixels[..., 3], expected)
    assert not mask.pixels[8:, 32:, 3].any()  # overlap 0: exactly the new area
    stack.undo()
    assert np.array_equal(mask.pixels, old_mask)
    assert not mask.visible


def test_init_image_keeps_the_old_picture_and_fills_the_margins():
    document = picture_document()
    photo = document.layers[0].pixels.copy()
    UndoStack(document).push(ExtendCanvas(Margins(bottom=32), side=512))
    fields = source_fields(document, "inpaint", 0.8)
    init = np.asarray(fields["init_image"])
    assert np.array_equal(init[:64], photo)
    assert (init[64:, :, 3] == 255).all()  # no transparent paper for the pipeline


@pytest.mark.parametrize(("margins", "words"), [
    (Margins(right=12), "multiple of 8"),
    (Margins(), "at least one side"),
    (Margins(left=-8), "Canvas size"),
    (Margins(right=4096), "at most 4096"),
])
def test_bad_margins_say_what_to_do_and_change_nothing(margins, words):
    document = picture_document()
    stack = UndoStack(document)
    with pytest.raises(BadInput, match=words):
        stack.push(ExtendCanvas(margins))
    assert (document.width, document.height) == (96, 64)
    assert len(document.layers) == 2
    assert not stack.can_undo


def test_a_locked_mask_is_refused_before_anything_changes():
    document = picture_document()
    document.add_layer(Layer("Mask", "mask", np.zeros((64, 96, 4), np.uint8), locked=True))
    with pytest.raises(BadInput, match="locked"):
        UndoStack(document).push(ExtendCanvas(Margins(right=8)))
    assert document.width == 96


def test_margins_for_a_new_size_and_anchor():
    assert margins_for_size((100, 60), (196, 100), (0, 0)) == Margins(0, 0, 96, 40)
    assert margins_for_size((100, 60), (196, 100), (1, 1)) == Margins(48, 16, 48, 24)
    assert margins_for_size((100, 60), (196, 100), (2, 2)) == Margins(96, 40, 0, 0)
    with pytest.raises(BadInput, match="smaller"):
        margins_for_size((100, 60), (80, 100), (1, 1))
