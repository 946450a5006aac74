"""The Image history dock in the window: search, filters, star, delete and the actions on a
picture, with entries written by the real worker (fake engine) or by ``History.add``."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from t2ia_desktop.core.generation.jobs import JobQueue
from t2ia_desktop.core.generation.request import (
    DEFAULT_SDXL_MODEL,
    DEMO_MODEL,
    ControlSpec,
    GenerationRequest,
)
from t2ia_desktop.core.image_history.store import TRASH, History
from t2ia_desktop.runtime.runner import JobRunner
from t2ia_desktop.runtime.worker import EngineWorker
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.helpers import finish_pending, main_window, menu_action, shown


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "history"


@pytest.fixture
def history_runner(qapp, engine, folder) -> Iterator[JobRunner]:
    job_runner = JobRunner(JobQueue(), EngineWorker(lambda: engine, history=History(folder)))
    yield job_runner
    job_runner.shutdown()


def seed_history(folder) -> History:
    history = History(folder)
    sketch = (ControlSpec("sketch", Image.new("L", (64, 64), 0), None, 0.8),)
    for prompt, seed, model, controls, colour in (
        ("a red kite over the sea", 11, DEMO_MODEL, sketch, (200, 20, 20)),
        ("a barn in snow", 22, DEFAULT_SDXL_MODEL, (), (20, 200, 20)),
        ("a blue kite at dusk", 33, "someone/unknown-model", sketch, (20, 20, 200)),
    ):
        request = GenerationRequest(model=model, prompt=prompt, seed=seed, width=64, height=64,
                                    steps=9, guidance_scale=4.5, negative_prompt="text",
                                    adapter_conditioning_factor=0.6, controls=controls)
        history.add(Image.new("RGB", (64, 64), colour), request)
    return history


@pytest.fixture
def hwindow(qtbot, loop, document, history_runner, updater, models, folder):
    seed_history(folder)
    main = shown(qtbot, main_window(document, history_runner, models, updater=updater,
                                    tool_state=ToolState(), history_folder=folder))
    yield main
    main.close()


def panel_of(window: MainWindow):
    return window.results.image_history.panel


def prompts(panel) -> list[str]:
    return [entry.prompt for entry in panel.model.entries]


def choose(qtbot, panel, seed: int) -> None:
    """Click the thumbnail of the picture with ``seed``."""
    row = next(i for i, e in enumerate(panel.model.entries) if e.seed == seed)
    index = panel.model.index(row)
    panel.list_view.scrollTo(index)
    qtbot.mouseClick(panel.list_view.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.list_view.visualRect(index).center())
    assert panel.selected_entry().seed == seed


def press_for(qtbot, window: MainWindow, seed: int, button: str):
    """Choose the picture with ``seed`` in the history panel and press ``button``; returns the
    panel."""
    panel = panel_of(window)
    choose(qtbot, panel, seed)
    panel.buttons[button].click()
    return panel


def test_search_typing_and_filters(qtbot, hwindow):
    panel = panel_of(hwindow)
    assert prompts(panel) == ["a blue kite at dusk", "a barn in snow", "a red kite over the sea"]
    assert panel.count_label.text() == "3 pictures"
    qtbot.keyClicks(panel.search_edit, "KITE")
    assert prompts(panel) == ["a blue kite at dusk", "a red kite over the sea"]
    assert panel.count_label.text() == "2 of 3 pictures"
    panel.model_combo.setCurrentIndex(panel.model_combo.findData(DEMO_MODEL))
    assert prompts(panel) == ["a red kite over the sea"]
    panel.search_edit.clear()
    panel.model_combo.setCurrentIndex(0)
    panel.condition_combo.setCurrentIndex(panel.condition_combo.findText("No controls"))
    assert prompts(panel) == ["a barn in snow"]
    panel.condition_combo.setCurrentIndex(panel.condition_combo.findText("Sketch"))
    assert len(prompts(panel)) == 2
    panel.condition_combo.setCurrentIndex(0)
    panel.date_combo.setCurrentIndex(panel.date_combo.findText("Today"))
    assert len(prompts(panel)) == 3


def test_star_is_kept_and_filters(qtbot, hwindow, folder):
    panel = press_for(qtbot, hwindow, 22, "★")
    assert panel.star_action.isChecked()
    row = panel.model.row_of(panel.selected_entry().id)
    assert panel.model.data(panel.model.index(row)).startswith("★")
    panel.starred_check.click()
    assert prompts(panel) == ["a barn in snow"]
    assert History(folder).starred() == {panel.model.entries[0].id}  # on disk


def test_delete_asks_and_moves_the_files_to_the_trash(qtbot, hwindow, folder):
    panel = panel_of(hwindow)
    choose(qtbot, panel, 11)
    entry = panel.selected_entry()
    panel.confirm_delete = lambda _entry: False
    panel.buttons["Delete"].click()
    assert entry.image.is_file()
    assert len(panel.model.entries) == 3
    asked = []
    panel.confirm_delete = lambda chosen: asked.append(chosen) or True
    panel.buttons["Delete"].click()
    assert asked == [entry]
    assert not entry.image.exists()
    assert (folder / TRASH / entry.image.name).is_file()
    assert 11 not in [e.seed for e in panel.model.entries]
    assert "trash" in hwindow.statusBar().currentMessage()


def test_add_as_layer_is_one_undoable_step(qtbot, hwindow):
    press_for(qtbot, hwindow, 22, "Add as layer")
    document = hwindow.document
    layer = document.layers[-1]
    assert layer.kind == "result"
    assert layer.request.seed == 22
    assert layer.request.prompt == "a barn in snow"
    assert tuple(layer.pixels[10, 10]) == (20, 200, 20, 255)  # scaled to the canvas
    assert layer.size == (document.width, document.height)
    hwindow.undo_action.trigger()
    assert [lay.kind for lay in document.layers] == ["sketch"]
    hwindow.redo_action.trigger()
    assert document.layers[-1].kind == "result"


def test_restore_settings_fills_the_generate_panel(qtbot, hwindow):
    panel = press_for(qtbot, hwindow, 22, "Restore settings")
    generate = hwindow.generate_panel
    assert generate.prompt_edit.toPlainText() == "a barn in snow"
    assert generate.negative_edit.toPlainText() == "text"
    assert generate.seed_spin.value() == 22
    assert generate.steps_spin.value() == 9
    assert generate.guidance_spin.value() == 4.5
    assert generate.step_fraction_slider.value() == pytest.approx(0.6)
    assert generate.model_combo.currentData()[0] == DEFAULT_SDXL_MODEL
    choose(qtbot, panel, 33)  # a model this machine does not list: the rest still comes back
    panel.restore_action.trigger()
    assert generate.prompt_edit.toPlainText() == "a blue kite at dusk"
    assert generate.model_combo.currentData()[0] == DEFAULT_SDXL_MODEL
    assert "kept the current model" in hwindow.statusBar().currentMessage()


def test_use_as_control_source_adds_a_photo_and_offers_a_condition(qtbot, hwindow):
    press_for(qtbot, hwindow, 11, "Use as control")
    document = hwindow.document
    photo = document.layers[1]  # above the selected Sketch, as every photo lands
    assert photo.kind == "photo"
    assert tuple(photo.pixels[96, 128]) == (200, 20, 20, 255)
    assert hwindow.layers_panel.selected_layer() is photo
    menu = hwindow.condition_actions.add_condition_menu
    assert menu.isVisible()  # offered at once
    menu.hide()
    action = menu_action(hwindow, "canny")
    assert action.isEnabled()
    action.trigger()
    edges = document.layers[2]
    assert edges.kind == "condition"
    assert edges.condition.source_id == photo.id
    hwindow.undo_action.trigger()
    hwindow.undo_action.trigger()
    assert [layer.kind for layer in document.layers] == ["sketch"]


def test_new_results_appear_as_jobs_finish(qtbot, hwindow, loop, folder):
    panel = panel_of(hwindow)
    hwindow.generate_panel.prompt_edit.setPlainText("a fresh harbour")
    hwindow.generate_panel.steps_spin.setValue(2)
    job = hwindow.generate()
    finish_pending(loop, hwindow)
    assert job.saved_to
    assert prompts(panel)[0] == "a fresh harbour"
    assert panel.count_label.text() == "4 pictures"


def test_show_in_folder_opens_the_history_folder(qtbot, hwindow, folder):
    panel = panel_of(hwindow)
    opened = []
    panel.open_url = opened.append
    panel.buttons["Show in folder"].click()
    assert [url.toLocalFile() for url in opened] == [str(folder)]


def test_a_missing_picture_is_skipped_with_a_note(qtbot, loop, document, history_runner,
                                                  updater, models, folder):
    history = seed_history(folder)
    history.entries()[0].image.unlink()
    main = main_window(document, history_runner, models, updater=updater,
                       tool_state=ToolState(), history_folder=folder)
    qtbot.addWidget(main)
    panel = panel_of(main)
    assert len(panel.model.entries) == 2
    assert not panel.note_label.isHidden()
    assert "skipped" in panel.note_label.text()
    main.close()


def test_thumbnails_load_lazily(qtbot, loop, document, history_runner, updater, models,
                                folder):
    history = History(folder)
    for seed in range(150):
        history.add(Image.new("RGB", (32, 32), (seed, 0, 0)),
                    GenerationRequest(model=DEMO_MODEL, prompt=f"picture {seed}", seed=seed,
                                      width=64, height=64))
    main = main_window(document, history_runner, models, updater=updater,
                       tool_state=ToolState(), history_folder=folder)
    qtbot.addWidget(main)
    main.show()
    main.results.image_history.dock.raise_()
    panel = panel_of(main)
    panel.list_view.resize(300, 300)
    qtbot.waitUntil(lambda: panel.model.thumbnails_loaded > 0)
    qtbot.wait(50)
    assert 0 < panel.model.thumbnails_loaded < 150  # only the ones in view were read
    first = panel.model.data(panel.model.index(0), Qt.ItemDataRole.DecorationRole)
    assert np.array(first.toImage().pixelColor(5, 5).getRgb()[:3]).tolist() == [149, 0, 0]
    main.close()
