"""Photos: File → Import, and dropping a picture file on the canvas for a photo layer or a
remix (a hidden photo and a condition layer detected from it), with a real photo."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QApplication, QMenu

from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.conftest import DOC_HEIGHT, MODELS
from tests.ui.helpers import drop_files, finish_pending

SD15 = ("SD 1.5 (demo)", "demo-sd15", "sd15")
DETECT_TIMEOUT = 60_000


@pytest.fixture
def models() -> list:
    return [*MODELS, SD15]


def drop_menu(qtbot, window: MainWindow, path: str) -> QMenu:
    """Drop ``path`` on the middle of the canvas and return the menu that pops up."""
    canvas = window.canvas
    assert drop_files(canvas, [path], QPoint(canvas.width() // 2, canvas.height() // 2))
    menu = window.condition_actions.drop_menu
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    return menu


def choose(qtbot, menu: QMenu, text: str) -> None:
    """Click the menu entry ``text`` with the mouse."""
    (action,) = [a for a in menu.actions() if a.text() == text]
    assert action.isEnabled()
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


# -- import -----------------------------------------------------------------------------------
def test_ctrl_i_imports_a_photo_fitted_to_the_canvas(qtbot, window, astronaut):
    asked = []
    window.choose_photo = lambda: asked.append(True) or astronaut
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert asked
    sketch, photo = window.document.layers  # above the selected Sketch, selected itself
    assert photo.kind == "photo"
    assert window.layers_panel.selected_layer() is photo
    assert photo.name == "astronaut"
    assert photo.visible
    # 512×512 into 256×192: 192×192, centred, transparent at the sides
    alpha = photo.pixels[..., 3]
    assert alpha[:, 32:224].min() == 255
    assert alpha[:, :31].max() == 0
    assert alpha[:, 225:].max() == 0
    with Image.open(astronaut) as original:
        expected = np.array(original.convert("RGB").resize((192, 192)), dtype=float)
    assert np.abs(photo.pixels[:, 32:224, :3].astype(float) - expected).mean() < 8
    assert window.canvas.composite_image().pixelColor(10, 96).value() == 255  # paper at the side
    assert "Imported “astronaut”" in window.statusBar().currentMessage()
    assert sketch is window.document.sketch_layer()


def test_import_of_a_corrupt_file_says_why_and_changes_nothing(window, tmp_path):
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 20)
    layers = list(window.document.layers)
    window.choose_photo = lambda: str(bad)
    window.import_action.trigger()
    assert window.document.layers == layers
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot import the picture:")
    assert "not a readable image" in message
    window.choose_photo = lambda: ""  # cancelled: nothing, and no message about it
    window.import_action.trigger()
    assert window.document.layers == layers


def test_import_keeps_orientation_and_takes_a_gifs_first_frame(window, tmp_path):
    tall = Image.new("RGB", (40, 80), "red")  # stored on its side: EXIF says "rotate 90° CW"
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = tall.transpose(Image.Transpose.ROTATE_90)
    sideways.save(tmp_path / "phone.jpg", exif=exif)
    photo = window.import_photo(tmp_path / "phone.jpg")
    alpha = photo.pixels[..., 3]
    columns = np.nonzero(alpha.max(axis=0))[0]
    assert columns.max() - columns.min() + 1 == DOC_HEIGHT // 2  # upright: half as wide as tall
    frames = [Image.new("P", (32, 32), index) for index in (1, 2)]
    frames[0].putpalette([0, 0, 0, 0, 200, 0, 0, 0, 200] + [0] * 759)
    frames[0].save(tmp_path / "blink.gif", save_all=True, append_images=frames[1:])
    gif = window.import_photo(tmp_path / "blink.gif")
    assert tuple(gif.pixels[96, 128]) == (0, 200, 0, 255)


# -- drag and drop ----------------------------------------------------------------------------
def test_a_canny_remix_of_a_dropped_photo_is_ready_to_generate(
    qtbot, window, loop, engine, astronaut
):
    document = window.document
    menu = drop_menu(qtbot, window, astronaut)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["astronaut.png", "Add as photo layer", "Pose remix", "Depth remix",
                     "Lineart remix", "Canny remix", "Sketch remix"]
    said: list[str] = []  # a status message may time out on a slow machine: keep each one
    window.statusBar().messageChanged.connect(said.append)
    with qtbot.waitSignal(document.pixels_changed, timeout=DETECT_TIMEOUT,
                          check_params_cb=lambda layer, _rect: layer.kind == "condition"):
        choose(qtbot, menu, "Canny remix")
    sketch, photo, edges = document.layers
    assert (sketch.kind, photo.kind, edges.kind) == ("sketch", "photo", "condition")
    assert photo.name == "astronaut"
    assert not photo.visible
    assert edges.condition.condition == "canny"
    assert edges.condition.source_id == photo.id
    inside = edges.pixels[:, 40:216, :3]
    assert inside.max() > 100
    assert 0.01 < (inside > 30).mean() < 0.5
    assert window.overlay_action.isChecked()
    assert window.canvas.overlay_showing(edges)
    assert window.layers_panel.selected_layer() is edges
    assert window.preview_panel.source_view.layer is photo
    assert any("Canny edges remix" in text for text in said)

    window.generate_panel.prompt_edit.setPlainText("an astronaut in a jungle")
    qtbot.mouseClick(window.generate_panel.generate_button, Qt.MouseButton.LeftButton)
    finish_pending(loop, window)
    (control,) = engine.calls[-1].controls
    assert control.condition == "canny"
    assert control.conditioning_scale == 1.0
    assert np.array_equal(np.array(control.image), edges.pixels[..., :3])


def test_add_as_photo_layer_from_a_drop(qtbot, window, astronaut):
    menu = drop_menu(qtbot, window, astronaut)
    choose(qtbot, menu, "Add as photo layer")
    photo = window.document.layers[1]
    assert photo.kind == "photo"
    assert photo.visible
    assert [layer.kind for layer in window.document.layers] == ["sketch", "photo"]
    assert window.layers_panel.selected_layer() is photo
    assert window.canvas.composite_image().pixelColor(128, 96).value() < 255  # it shows


def test_the_drop_menu_offers_the_remixes_the_family_has_a_guide_for(qtbot, window, astronaut):
    window.generate_panel.model_combo.setCurrentIndex(2)  # SD 1.5: no lineart adapter
    menu = drop_menu(qtbot, window, astronaut)
    enabled = {a.text(): a.isEnabled() for a in menu.actions() if a.text().endswith("remix")}
    assert enabled == {"Pose remix": True, "Depth remix": True, "Lineart remix": True,
                       "Canny remix": True, "Sketch remix": True}
    (lineart,) = [a for a in menu.actions() if a.text() == "Lineart remix"]
    assert "No Lineart adapter for SD15 models: its ControlNet guides it." in lineart.toolTip()
    menu.close()


def test_a_pose_remix_without_detector_weights_shows_the_error_on_its_layer(
    qtbot, window, loop, engine, astronaut, tmp_path, monkeypatch
):
    monkeypatch.setenv("T2IA_ANNOTATORS", str(tmp_path))  # an empty annotators folder; offline
    document = window.document
    menu = drop_menu(qtbot, window, astronaut)
    with qtbot.waitSignal(document.layer_changed, timeout=DETECT_TIMEOUT,
                          check_params_cb=lambda layer: bool(layer.condition
                                                             and layer.condition.error)):
        choose(qtbot, menu, "Pose remix")
    pose = document.layers[2]
    error = pose.condition.error
    assert pose.condition.condition == "openpose"
    assert "body_pose_model.pth" in error
    assert str(tmp_path) in error  # it says where to put the file
    assert error.count("body_pose_model.pth") == 1  # each file named once
    row = window.layers_panel.row_for(pose)
    assert row.error_label.isVisibleTo(row)
    assert row.error_label.text() == "⚠ Detector weights missing"  # one short line
    assert row.error_label.toolTip() == error  # the whole text on hover
    assert "d03030" in row.error_label.styleSheet()  # in red
    assert window.condition_panel.status_label.text() == error  # told in full once, here
    assert "body_pose_model" not in window.preview_panel.status_label.text()  # not again
    asked = []
    window.generation.ask_without = lambda names: asked.append(names) or (True, False)
    window.generate()
    finish_pending(loop, window)
    assert asked == [[pose.name]]
    assert engine.calls[-1].controls == ()  # an empty control image is not sent

    with qtbot.waitSignal(document.pixels_changed, timeout=DETECT_TIMEOUT,
                          check_params_cb=lambda layer, _rect: layer.kind == "condition"):
        choose(qtbot, drop_menu(qtbot, window, astronaut), "Canny remix")
    edges = next(layer for layer in document.layers if layer.condition
                 and layer.condition.condition == "canny")
    assert edges.condition.error == ""
    assert pose.condition.error == error


def test_a_bad_dropped_file_says_why_and_changes_nothing(qtbot, window, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    layers = list(window.document.layers)
    canvas = window.canvas
    assert drop_files(canvas, [str(bad)], QPoint(50, 50))
    assert window.condition_actions.drop_menu is None  # no menu for it
    assert window.document.layers == layers
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot use the dropped file:")
    assert "notes.png" in message


def test_only_files_can_be_dropped(window):
    data = QMimeData()
    data.setText("just some text")
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.canvas, enter)
    assert not enter.isAccepted()


def test_photos_with_the_same_file_name_get_their_own_layer_names(window, astronaut):
    first = window.import_photo(astronaut)
    second = window.import_photo(astronaut)
    assert (first.name, second.name) == ("astronaut", "astronaut 2")
    edges = window.condition_actions.add_condition("canny", second)
    assert edges.name == "Canny edges of astronaut 2"


def test_a_sketch_remix_turns_the_photo_into_light_lines_on_dark(qtbot, window, astronaut):
    with qtbot.waitSignal(window.document.pixels_changed, timeout=DETECT_TIMEOUT,
                          check_params_cb=lambda layer, _rect: layer.kind == "condition"):
        choose(qtbot, drop_menu(qtbot, window, astronaut), "Sketch remix")
    photo, lines = window.document.layers[1:3]
    assert lines.condition.condition == "sketch"
    assert not photo.visible
    # the photo's transparent margins read as white paper: black (nothing) in the sketch
    assert lines.pixels[:, :30, :3].max() == 0
    assert lines.pixels[:, 40:216, :3].max() > 100
