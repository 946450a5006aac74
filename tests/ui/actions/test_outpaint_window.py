"""Image → Extend canvas (outpaint)…: the dialog, the one-step grow + mask + area + Inpaint, and a
real demo-model inpaint run that leaves the old picture beyond the overlap exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.document.generation_area import GenerationArea
from t2ia_desktop.core.document.outpaint import FILL_NAME, Margins
from t2ia_desktop.core.generation.jobs import JobState
from t2ia_desktop.core.generation.source import mask_image, mask_layer
from t2ia_desktop.ui.dialogs.outpaint import OutpaintDialog
from tests.ui.helpers import finish_pending


def add_photo(window) -> np.ndarray:
    document = window.document
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (document.height, document.width, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    window.edits.add_layer(Layer("Photo", "photo", pixels), 0)
    return pixels.copy()


def test_dialog_quick_buttons_snap_and_refuse_nothing(qtbot):
    dialog = OutpaintDialog(512, 384, family_side=512)
    qtbot.addWidget(dialog)
    assert dialog.margins() == Margins(right=256)  # half the native side, to the right
    assert dialog.size_label.text().startswith("768 × 384")
    left = next(button for button in dialog.findChildren(QPushButton)
                if button.text() == "← Left")
    qtbot.mouseClick(left, Qt.MouseButton.LeftButton)
    assert dialog.margins() == Margins(left=256)
    dialog.spins["left"].setValue(0)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # nothing to add
    dialog.spins["top"].setValue(61)
    dialog.spins["top"].editingFinished.emit()
    assert dialog.margins() == Margins(top=64)
    assert ok.isEnabled()


def test_extend_from_the_image_menu_then_undo(qtbot, window):
    photo = add_photo(window)
    actions = window.outpaint_actions
    asked = []
    actions.choose_margins = lambda w, h, side: (asked.append((w, h, side)),
                                                 (Margins(left=64), 16))[1]
    image_menu = next(menu for menu in window.menuBar().findChildren(type(window.file_menu))
                      if actions.extend_action in menu.actions())
    assert window.layer_actions.canvas_size_action in image_menu.actions()
    old = (window.document.width, window.document.height)

    actions.extend_action.trigger()

    document = window.document
    assert asked == [(*old, 1024)]  # the demo models are SDXL: 1024 native
    assert (document.width, document.height) == (old[0] + 64, old[1])
    photo_layer = next(layer for layer in document.layers if layer.name == "Photo")
    assert np.array_equal(photo_layer.pixels[:, 64:], photo)
    assert document.layers[0].name == FILL_NAME
    mask = np.asarray(mask_image(mask_layer(document)))
    assert (mask[:, :64] == 255).all()
    assert not mask[:, 64 + 16:].any()
    assert document.generation_area == GenerationArea(0, 0, document.width, document.height)
    assert window.generation_settings.mode == "inpaint"
    assert "Undo (Ctrl+Z)" in window.statusBar().currentMessage()

    window.undo.undo()
    assert (document.width, document.height) == old
    assert [layer.name for layer in document.layers].count(FILL_NAME) == 0
    assert mask_layer(document) is None
    assert window.generation_settings.mode != "inpaint"  # no mask: Inpaint unavailable


def test_bad_margins_leave_a_message_and_the_canvas(qtbot, window):
    old = (window.document.width, window.document.height)
    assert not window.outpaint_actions.extend(Margins(right=4096))
    assert (window.document.width, window.document.height) == old
    assert "at most 4096" in window.statusBar().currentMessage()
    assert not window.undo.can_undo


@pytest.mark.slow
def test_a_real_outpaint_keeps_the_old_picture_beyond_the_overlap(real_window, loop):
    window = real_window
    photo = add_photo(window)  # 128 × 128, opaque
    assert window.outpaint_actions.extend(Margins(right=64), overlap=16)
    document = window.document
    assert (document.width, document.height) == (192, 128)
    panel = window.generate_panel
    assert panel.settings.mode == "inpaint"
    panel.prompt_edit.setPlainText("a wider landscape")
    panel.steps_spin.setValue(2)
    panel.source.strength_slider.setValue(1.0)

    job = window.generate()
    finish_pending(loop, window)

    assert job is not None
    assert job.state is JobState.DONE, job.error
    assert job.request.mode == "inpaint"
    assert (job.request.width, job.request.height) == (192, 128)
    result = document.layers[-1]
    assert result.kind == "result"
    # the old picture outside the overlap: exactly unchanged
    assert np.array_equal(result.pixels[:, :128 - 16], photo[:, :128 - 16])
    # the new area was painted: not the blurred fill the init image had there
    fill = document.layers[0].pixels
    assert not np.array_equal(result.pixels[:, 128:, :3], fill[:, 128:, :3])
    assert (result.pixels[:, 128:, 3] == 255).all()
