"""Project files from the window: New, Open, Save, Save As, Export, recent files, the dirty
marker, "Save changes?", errors that leave the open document alone, and the GUI entry."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from t2ia_desktop.core.document.document import Document, Layer, blank_pixels
from t2ia_desktop.core.files.ora import export_ora
from t2ia_desktop.core.files.project import load_project, save_project
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.core.paths import data_dir
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.actions.projects import ProjectFiles
from t2ia_desktop.ui.canvas.view import CanvasView
from t2ia_desktop.ui.dialogs.new_document import PRESETS, NewDocumentDialog
from t2ia_desktop.ui.layers.undo_steps import HistoryPanel
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.builders import pixel_centre
from tests.ui.conftest import DOC_HEIGHT, DOC_WIDTH
from tests.ui.helpers import add_canny, click_row, detected, drag, finish_pending

CTRL = Qt.KeyboardModifier.ControlModifier


def stroke(window: MainWindow, y: int) -> None:
    drag(window.canvas, [pixel_centre(window.canvas, x, y) for x in (40, 120, 200)])


def answer_save_path(window: MainWindow, path: Path, asked: list | None = None) -> None:
    def ask(title: str, suggested: str, filters: str) -> str:
        if asked is not None:
            asked.append((title, suggested, filters))
        return str(path)

    window.files.ask_save_path = ask


def key(qtbot, window: MainWindow, key: Qt.Key, modifiers=CTRL) -> None:
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, key, modifiers)


def signal_connections(document: Document) -> int:
    return sum(len(signal) for signal in (document.layer_added, document.layer_removed,
                                          document.layer_changed, document.pixels_changed,
                                          document.layer_moved))


# -- the dirty marker -------------------------------------------------------------------------
def test_the_title_marks_unsaved_changes_and_follows_undo(window):
    assert window.windowTitle() == "Untitled — t2ia desktop"
    assert not window.files.is_dirty()
    stroke(window, 60)
    assert window.windowTitle() == "Untitled* — t2ia desktop"
    assert window.files.is_dirty()
    window.undo_actions.undo_step()
    assert window.windowTitle() == "Untitled — t2ia desktop"
    window.generate_panel.prompt_edit.setPlainText("a heron")  # settings are saved too
    assert window.windowTitle() == "Untitled* — t2ia desktop"


# -- Save, Open -------------------------------------------------------------------------------
def test_save_as_then_open_brings_back_layers_and_settings(qtbot, window, tmp_path, loop):
    stroke(window, 60)
    panel = window.generate_panel
    panel.prompt_edit.setPlainText("a lighthouse")
    panel.negative_edit.setPlainText("fog")
    panel.steps_spin.setValue(4)
    panel.seed_spin.setValue(4321)
    panel.guidance_spin.setValue(5.5)
    panel.step_fraction_slider.setValue(0.6)
    panel.model_combo.setCurrentIndex(1)
    window.generate()
    finish_pending(loop, window)
    document = window.document
    path = tmp_path / "harbour.t2ia"
    asked = []
    answer_save_path(window, path, asked)
    key(qtbot, window, Qt.Key.Key_S)  # the first Ctrl+S asks where
    assert asked
    assert asked[0][1].endswith("Untitled.t2ia")
    assert path.is_file()
    assert window.windowTitle() == "harbour.t2ia — t2ia desktop"
    assert window.undo.is_clean
    assert window.undo.labels

    stroke(window, 120)
    assert window.windowTitle() == "harbour.t2ia* — t2ia desktop"
    asked.clear()
    key(qtbot, window, Qt.Key.Key_S)  # then it saves where it did
    assert not asked
    assert window.windowTitle() == "harbour.t2ia — t2ia desktop"
    saved = [layer.pixels.copy() for layer in document.layers]

    window.files.new_document = None  # not used: opening replaces the document directly
    panel.prompt_edit.setPlainText("something else")
    panel.seed_spin.setValue(1)
    panel.model_combo.setCurrentIndex(0)
    window.files.ask_save_changes = lambda _name: "discard"
    window.files.ask_open_path = lambda: str(path)
    key(qtbot, window, Qt.Key.Key_O)
    reopened = window.document
    assert reopened is not document
    assert [layer.kind for layer in reopened.layers] == ["sketch", "result"]
    assert all(np.array_equal(layer.pixels, pixels)
               for layer, pixels in zip(reopened.layers, saved, strict=False))
    assert reopened.layers[1].request.prompt == "a lighthouse"
    assert panel.prompt_edit.toPlainText() == "a lighthouse"
    assert panel.negative_edit.toPlainText() == "fog"
    assert (panel.steps_spin.value(), panel.seed_spin.value()) == (4, 4321)
    assert panel.guidance_spin.value() == 5.5
    assert panel.step_fraction_slider.value() == 0.6
    assert panel.model_combo.currentIndex() == 1
    assert window.windowTitle() == "harbour.t2ia — t2ia desktop"
    assert window.undo.labels == []
    assert window.history_panel.list_widget.item(0).text() == (
        "Opened harbour.t2ia")
    assert "Opened" in window.statusBar().currentMessage()


def test_save_as_adds_the_suffix_and_saves_there(window, tmp_path):
    answer_save_path(window, tmp_path / "plain")
    assert window.files.save_as()
    assert (tmp_path / "plain.t2ia").is_file()
    assert window.files.path == tmp_path / "plain.t2ia"
    document, settings = load_project(tmp_path / "plain.t2ia")
    assert settings["prompt"] == ""
    assert settings["steps"] == 30
    assert (document.width, document.height) == (DOC_WIDTH, DOC_HEIGHT)


def test_a_reopened_project_keeps_its_condition_layers_live(qtbot, window, tmp_path,
                                                            square_photo):
    photo, edges = add_canny(qtbot, window, square_photo)
    window.condition_panel.scale_slider.setValue(0.7)
    path = tmp_path / "edges.t2ia"
    answer_save_path(window, path)
    assert window.files.save()
    old = window.document
    assert window.files.open_path(path)
    assert signal_connections(old) == 0  # nothing of the window listens to the old one
    document = window.document
    photo, edges = document.layers[1], document.layers[2]  # above the Sketch
    assert edges.condition.conditioning_scale == 0.7
    assert not edges.visible
    assert window.current_condition is edges
    assert window.condition_panel.layer is edges
    assert window.preview_panel.source_view.layer is photo
    assert window.layers_panel.row_for(edges).scale_spin.value() == 0.7
    click_row(qtbot, window, photo)
    window.tool_state.set_brush_size(10)
    with detected(qtbot, document, edges):  # the detector follows the new document's layers
        drag(window.canvas, [pixel_centre(window.canvas, x, 160) for x in (160, 230)])
    assert edges.pixels[150:171, 150:240, :3].max() > 30
    assert window.undo.labels == ["Brush on square"]
    window.undo_actions.undo_step()
    assert photo.pixels[160, 200, 3] == 255
    assert photo.pixels[160, 200, 0] > 200


def test_open_an_openraster_file_and_save_it_as_a_project(window, tmp_path):
    source = Document(DOC_WIDTH, DOC_HEIGHT)
    paint = Layer("Ink", "paint", blank_pixels(DOC_WIDTH, DOC_HEIGHT))
    paint.pixels[10:20, 10:20] = (200, 30, 30, 255)
    source.add_layer(paint)
    export_ora(source, tmp_path / "krita.ora")
    assert window.files.open_path(tmp_path / "krita.ora")
    assert [layer.name for layer in window.document.layers] == ["Ink"]
    assert window.windowTitle() == "krita.ora — t2ia desktop"
    assert window.files.path is None
    asked = []
    answer_save_path(window, tmp_path / "krita.t2ia", asked)
    assert window.files.save()  # Save asks: an .ora is not where a project is kept
    assert asked[0][1].endswith("krita.t2ia")
    assert (tmp_path / "krita.t2ia").is_file()


# -- errors leave the document alone ----------------------------------------------------------
@pytest.mark.parametrize(("content", "words"), [
    (b"not a zip at all", "not readable zip"),
    (None, "newer version"),
])
def test_a_bad_file_is_told_and_the_open_document_stays(window, tmp_path, content, words):
    path = tmp_path / "bad.t2ia"
    if content is None:  # a project written by a future version
        save_project(Document.with_sketch_layer(64, 64), path)
        with zipfile.ZipFile(path) as archive:
            entries = {name: archive.read(name) for name in archive.namelist()}
        manifest = json.loads(entries["manifest.json"])
        manifest["format_version"] = 99
        entries["manifest.json"] = json.dumps(manifest).encode()
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
    else:
        path.write_bytes(content)
    stroke(window, 60)
    document = window.document
    pixels = document.sketch_layer().pixels.copy()
    assert not window.files.open_path(path, confirmed=True)
    assert window.document is document
    assert np.array_equal(document.sketch_layer().pixels,
                                                            pixels)
    box = window.files.error_box
    assert box is not None
    assert box.isVisible()
    assert words in box.text().replace("a readable",
                                                                                 "readable")
    assert "Cannot open" in window.statusBar().currentMessage()
    assert window.windowTitle() == "Untitled* — t2ia desktop"
    assert window.undo.labels
    box.close()


def test_saving_into_a_read_only_folder_is_told_and_nothing_changes(
    window, tmp_path, monkeypatch
):
    from t2ia_desktop.core.files import atomic_file

    def refused(*_args, **_kwargs):  # what a read-only folder answers (root ignores chmod)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic_file.tempfile, "mkstemp", refused)
    stroke(window, 60)
    answer_save_path(window, tmp_path / "x.t2ia")
    assert not window.files.save()
    text = window.files.error_box.text()
    assert "Could not save" in text
    assert "Permission denied" in text
    assert list(tmp_path.iterdir()) == []
    assert window.files.is_dirty()
    assert window.files.path is None
    assert window.windowTitle() == "Untitled* — t2ia desktop"


def test_saving_over_a_folder_is_told(window, tmp_path):
    (tmp_path / "taken.t2ia").mkdir()
    stroke(window, 60)
    answer_save_path(window, tmp_path / "taken.t2ia")
    assert not window.files.save()
    assert window.files.error_box.isVisible()
    assert window.files.path is None
    assert window.files.is_dirty()
    assert "Cannot save" in window.statusBar().currentMessage()


# -- "Save changes?" --------------------------------------------------------------------------
def test_new_asks_to_save_changes_first(window, tmp_path):
    stroke(window, 60)
    document = window.document
    questions = []
    window.files.ask_new_size = lambda width, height: (512, 768)
    window.files.ask_save_changes = lambda name: questions.append(name) or "cancel"
    assert not window.files.new_document()
    assert window.document is document
    assert questions == ["Untitled"]

    answer_save_path(window, tmp_path / "kept.t2ia")
    window.files.ask_save_changes = lambda _name: "save"
    assert window.files.new_document()
    assert (tmp_path / "kept.t2ia").is_file()
    assert load_project(tmp_path / "kept.t2ia")[0].sketch_layer().pixels[60, 100, 3] == 255
    new = window.document
    assert (new.width, new.height) == (512, 768)
    assert new.sketch_layer().is_blank()
    assert window.windowTitle() == "Untitled — t2ia desktop"
    assert window.canvas.composite_image().size().toTuple() == (512, 768)
    assert window.history_panel.list_widget.item(0).text() == "New 512 × 768"

    stroke(window, 60)  # the new document is the one painted, with its own history
    assert not new.sketch_layer().is_blank()
    assert window.undo.labels == ["Brush on Sketch"]
    window.files.ask_save_changes = lambda _name: "discard"
    window.files.ask_new_size = lambda width, height: None  # the dialog cancelled
    assert not window.files.new_document()
    assert window.document is new


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(window, tmp_path):
    stroke(window, 60)
    window.files.ask_save_changes = lambda _name: "cancel"
    assert not window.close()
    assert window.isVisible()
    assert len(window.canvas.connections) > 0  # the views still follow the document
    assert len(window.layers_panel.connections) > 0
    window.files.ask_save_changes = lambda _name: "save"
    (tmp_path / "taken.t2ia").mkdir()
    answer_save_path(window, tmp_path / "taken.t2ia")  # a folder: the save fails, it stays
    assert not window.close()
    assert window.isVisible()
    window.files.error_box.close()
    answer_save_path(window, tmp_path / "last.t2ia")
    assert window.close()
    assert (tmp_path / "last.t2ia").is_file()


def test_closing_a_saved_document_asks_nothing(window, tmp_path):
    window.files.ask_save_changes = lambda _name: pytest.fail("nothing to save")
    assert window.close()


# -- recent files, export ---------------------------------------------------------------------
def test_recent_files_are_kept_and_a_missing_one_is_dropped(window, tmp_path):
    for name in ("one", "two"):
        answer_save_path(window, tmp_path / f"{name}.t2ia")
        assert window.files.save_as()
    stored = json.loads((data_dir() / "recent.json").read_text())
    assert stored["recent"] == [str(tmp_path / "two.t2ia"), str(tmp_path / "one.t2ia")]
    menu = window.files.recent_menu
    menu.aboutToShow.emit()
    entries = [action for action in menu.actions() if action.toolTip().endswith(".t2ia")]
    assert [action.text() for action in entries] == ["&1  two.t2ia", "&2  one.t2ia"]
    entries[1].trigger()
    assert window.files.path == tmp_path / "one.t2ia"
    assert window.files.recent.paths()[0] == tmp_path / "one.t2ia"

    (tmp_path / "two.t2ia").unlink()
    menu.aboutToShow.emit()
    missing = next(a for a in menu.actions() if a.toolTip() == str(tmp_path / "two.t2ia"))
    missing.trigger()
    assert "no such file" in window.files.error_box.text()
    assert window.files.recent.paths() == [tmp_path / "one.t2ia"]
    assert window.files.path == tmp_path / "one.t2ia"


def test_export_png_carries_the_results_request_and_ora_keeps_layers(window, loop, tmp_path):
    window.generate_panel.prompt_edit.setPlainText("a quiet harbour")
    window.generate_panel.steps_spin.setValue(3)
    window.generate()
    finish_pending(loop, window)
    answer_save_path(window, tmp_path / "picture")  # no suffix: a PNG
    assert window.files.ask_export()
    with Image.open(tmp_path / "picture.png") as image:
        metadata = json.loads(image.text["t2ia"])
        assert metadata["prompt"] == "a quiet harbour"
        assert metadata["steps"] == 3
    assert window.files.export_to(tmp_path / "layers.ora")
    with zipfile.ZipFile(tmp_path / "layers.ora") as archive:
        assert "stack.xml" in archive.namelist()
    assert not window.files.export_to(tmp_path / "picture.gif")
    assert "export to .png" in window.files.error_box.text()


def test_settings_from_a_file_are_checked(window):
    panel = window.generate_panel
    ignored = panel.settings.update_from_dict({"prompt": "ok", "steps": "many", "seed": -5,
                                    "guidance_scale": float("nan"), "model": "someone/else",
                                    "new_seed_each_time": 1, "adapter_conditioning_factor": 0.25})
    assert panel.prompt_edit.toPlainText() == "ok"
    assert panel.step_fraction_slider.value() == 0.25
    assert sorted(ignored) == ["guidance_scale", "model", "new_seed_each_time", "seed", "steps"]


# -- what the files need ----------------------------------------------------------------------
def test_project_files_need_no_main_window(qtbot, document, models, tool_state, tmp_path):
    session = Session(document)
    settings = GenerationSettings.for_models(models)
    parent, canvas, history = QWidget(), CanvasView(session, tool_state), HistoryPanel(session.undo)
    for widget in (parent, canvas, history):
        qtbot.addWidget(widget)
    said: list[str] = []
    files = ProjectFiles(session, settings, canvas=canvas, history_panel=history,
                         say=said.append, parent=parent)
    assert parent.windowTitle() == "Untitled — t2ia desktop"
    assert files.save_action in parent.actions()  # Ctrl+S wherever the focus is in it
    settings.prompt = "a harbour at dawn"
    assert parent.windowTitle() == "Untitled* — t2ia desktop"
    path = tmp_path / "alone.t2ia"
    files.ask_save_path = lambda *_: str(path)
    assert files.save()
    assert said == [f"Saved {path}."]
    assert parent.windowTitle() == "alone.t2ia — t2ia desktop"
    settings.prompt = "something else"
    files.ask_save_changes = lambda _name: "discard"
    assert files.open_path(path)
    assert session.document is not document
    assert settings.prompt == "a harbour at dawn"
    assert history.start_label == "Opened alone.t2ia"
    assert not files.open_path(tmp_path / "missing.t2ia", confirmed=True)
    assert files.error_box is not None
    assert files.error_box.parent() is parent
    files.error_box.close()
    files.connections.disconnect_all()
    canvas.connections.disconnect_all()
    session.close()


# -- the New dialog ---------------------------------------------------------------------------
def test_the_new_dialog_offers_presets_and_custom_sizes_in_multiples_of_8(qtbot):
    dialog = NewDocumentDialog(1024, 1024)
    qtbot.addWidget(dialog)
    combo = dialog.preset_combo
    assert combo.count() == len(PRESETS) + 1
    assert combo.itemText(combo.count() - 1) == "Custom"
    assert combo.currentText().startswith("1024 × 1024")
    sizes = [combo.itemText(i).split("  ·")[0] for i in range(len(PRESETS))]
    assert sizes == ["1024 × 1024", "1152 × 896", "896 × 1152", "1216 × 832", "832 × 1216",
                     "1344 × 768", "768 × 1344", "512 × 512", "512 × 768"]
    combo.setCurrentIndex(5)
    assert dialog.size() == (1344, 768)
    dialog.swap()
    assert dialog.size() == (768, 1344)
    assert combo.currentIndex() == 6
    dialog.width_spin.setValue(1001)  # typed: becomes Custom, snapped to a multiple of 8
    dialog.width_spin.editingFinished.emit()
    assert dialog.size() == (1000, 1344)
    assert combo.currentText() == "Custom"
    dialog.height_spin.setValue(5000)
    assert dialog.height_spin.value() == 4096
    dialog.height_spin.setValue(10)
    assert dialog.size() == (1000, 64)
    assert "megapixels" in dialog.info_label.text()
    odd = NewDocumentDialog(101, 99)
    qtbot.addWidget(odd)
    assert odd.size() == (104, 96)
    assert odd.preset_combo.currentText() == "Custom"


def test_ctrl_n_opens_a_new_document_of_the_chosen_size(qtbot, window):
    asked = []
    window.files.ask_new_size = lambda width, height: asked.append((width, height)) or (1152,
                                                                                          896)
    key(qtbot, window, Qt.Key.Key_N)
    assert asked == [(512, 512)]  # the demo model: small and fast
    assert (window.document.width, window.document.height) == (1152, 896)


def test_new_offers_the_chosen_models_native_size(qtbot, window):
    asked = []
    window.files.ask_new_size = lambda width, height: asked.append((width, height)) or None
    window.generate_panel.model_combo.setCurrentIndex(1)  # SDXL base 1.0
    key(qtbot, window, Qt.Key.Key_N)
    assert asked == [(1024, 1024)]
    window.generation_settings.set_models([("SD 1.5 (demo)", "demo-sd15", "sd15")])
    key(qtbot, window, Qt.Key.Key_N)
    assert asked[-1] == (512, 512)


# -- the GUI entry ----------------------------------------------------------------------------
def test_the_command_line_opens_a_project_in_the_app(monkeypatch, tmp_path):
    import t2ia_desktop.app
    from t2ia_desktop.cli.main import main

    opened = []
    monkeypatch.setattr(t2ia_desktop.app, "run_gui",
                        lambda argv=None, project=None: opened.append(project) or 0)
    assert main([str(tmp_path / "a.t2ia")]) == 0
    assert main(["gui", str(tmp_path / "b.ora")]) == 0
    assert main([]) == 0
    assert opened == [str(tmp_path / "a.t2ia"), str(tmp_path / "b.ora"), None]
    assert main(["no-such-command"]) == 2  # not a file: still a usage error
