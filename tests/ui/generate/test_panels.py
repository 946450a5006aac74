"""The generate, layers and queue panels on their own."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont

from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.generation.jobs import JobQueue
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.settings import MAX_SEED
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.generate.panel import GeneratePanel
from t2ia_desktop.ui.layers.panel import LayersPanel
from t2ia_desktop.ui.queue.panel import QueuePanel, prompt_excerpt
from tests.ui.conftest import MODELS
from tests.ui.helpers import generate_panel


@pytest.fixture
def panel(qtbot, document) -> GeneratePanel:
    widget = generate_panel(document, MODELS)
    qtbot.addWidget(widget)
    return widget


def ink(document, x0: int, x1: int, y: int) -> None:
    sketch = document.sketch_layer()
    sketch.pixels[y - 2 : y + 3, x0:x1] = (20, 20, 20, 255)
    document.notify_pixels_changed(sketch, (x0, y - 2, x1 - x0, 5))


# -- generate panel ---------------------------------------------------------------------------
def test_defaults_and_readouts(panel):
    assert panel.settings.entry(panel.settings.model) == MODELS[0]
    assert (
        panel.conditioning_scale_slider.value() == 1.0
    )
    assert (
        panel.step_fraction_slider.value() == 1.0
    )
    assert panel.guidance_spin.value() == 7.5
    assert panel.steps_spin.maximum() == 150
    panel.conditioning_scale_slider.setValue(1.35)
    assert (
        panel.conditioning_scale_slider.value() == 1.35
    )
    assert (
        panel.conditioning_scale_slider.readout.text() == "1.35"
    )
    panel.conditioning_scale_slider.slider.setValue(
        panel.conditioning_scale_slider.slider.maximum()
    )
    assert panel.conditioning_scale_slider.value() == 2.0
    panel.step_fraction_slider.slider.setValue(1)
    assert (
        panel.step_fraction_slider.value() == 0.05
    )
    assert (
        panel.step_fraction_slider.readout.text() == "0.05"
    )
    assert "denoising steps" in panel.step_fraction_slider.toolTip()


def test_dice_and_new_seed_each_time(panel, document, monkeypatch):
    seeds = iter([11, 22, 33])
    monkeypatch.setattr("t2ia_desktop.core.generation.settings.random.randint",
                        lambda a, b: next(seeds))
    settings = panel.settings

    def next_request():  # what Generate does: the next run's seed, then the request
        settings.seed_for_next_run()
        return settings.build_request(document, panel.registry)[0]

    assert panel.new_seed_check.isChecked()  # by default each Generate is a new picture
    panel.new_seed_check.setChecked(False)
    panel.dice_button.click()
    assert panel.seed_spin.value() == 11
    assert next_request().seed == 11
    assert next_request().seed == 11  # kept until asked otherwise
    panel.new_seed_check.setChecked(True)
    assert next_request().seed == 22
    assert panel.seed_spin.value() == 22  # the seed used is the one shown
    assert panel.seed_spin.maximum() == MAX_SEED


def test_request_follows_the_panel_and_the_sketch(panel, document):
    assert panel.settings.build_request(document, panel.registry)[0].controls == ()
    ink(document, 10, 60, 40)
    panel.prompt_edit.setPlainText("  a fox in snow \n")
    panel.conditioning_scale_slider.setValue(0.4)
    request = panel.settings.build_request(document, panel.registry)[0]
    assert request.prompt == "a fox in snow"
    assert request.model == MODELS[0][1]
    (control,) = request.controls
    assert control.conditioning_scale == 0.4
    assert control.image.mode == "L"
    assert np.array(control.image)[40, 30] == 255
    assert np.array(control.image)[100, 30] == 0
    assert request.validate() is request


def test_sketch_strength_is_the_sketch_layers_conditioning_scale(panel, document):
    sketch = document.sketch_layer()
    assert panel.sketch_strength_slider is panel.conditioning_scale_slider
    panel.sketch_strength_slider.slider.setValue(10)  # 10 steps of 0.05
    assert sketch.condition.conditioning_scale == 0.5
    sketch.condition.conditioning_scale = 1.7  # changed elsewhere, e.g. in its Layers row
    document.layer_changed.emit(sketch)
    assert panel.sketch_strength_slider.value() == 1.7
    assert panel.sketch_strength_slider.readout.text() == "1.70"
    assert sketch.condition.conditioning_scale == 1.7  # the echo did not round it back


def test_generate_button_asks_for_generation(qtbot, panel):
    with qtbot.waitSignal(panel.generate_requested):
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)


# -- layers panel -----------------------------------------------------------------------------
@pytest.fixture
def layers(qtbot, document) -> LayersPanel:
    widget = LayersPanel(Session(document))
    qtbot.addWidget(widget)
    return widget


def test_layers_top_first_with_visibility_and_active_highlight(qtbot, layers, document):
    document.add_result(Image.new("RGB", (document.width, document.height), "blue"))
    result, sketch = document.layers[-1], document.sketch_layer()
    rows = [layers.list_widget.itemWidget(layers.list_widget.item(i))
            for i in range(layers.list_widget.count())]
    assert [row.layer for row in rows] == [result, sketch]
    assert rows[0].name_label.text() == "Result 1"
    assert rows[1].name_label.text() == "Sketch"
    assert layers.row_for(sketch).name_label.font().weight() == QFont.Weight.Bold
    assert layers.row_for(result).name_label.font().weight() != QFont.Weight.Bold
    assert "Active layer" in layers.row_for(sketch).name_label.toolTip()

    layers.show()
    qtbot.waitExposed(layers)
    eye = layers.row_for(result).visible_button
    assert eye.isChecked()
    assert eye.toolTip()
    qtbot.mouseClick(eye, Qt.MouseButton.LeftButton)
    assert result.visible is False
    assert not eye.isChecked()
    qtbot.mouseClick(eye, Qt.MouseButton.LeftButton)
    assert result.visible is True
    document.set_visible(result, False)  # changed elsewhere: the row follows
    assert not layers.row_for(result).visible_button.isChecked()


def test_selecting_a_photo_makes_it_the_brushs_layer(qtbot, layers, document):
    photo = Layer("Photo", "photo", np.zeros((document.height, document.width, 4), np.uint8))
    document.add_layer(photo, 0)
    layers.show()
    qtbot.waitExposed(layers)
    box = layers.list_widget.visualItemRect(layers.item_for(photo))
    with qtbot.waitSignal(layers.selection_changed) as selected:
        qtbot.mouseClick(layers.list_widget.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(box.center().x(), box.top() + 6))
    assert selected.args == [photo]
    assert document.active is photo
    assert layers.row_for(photo).name_label.font().weight() == QFont.Weight.Bold
    assert layers.row_for(document.sketch_layer()).name_label.font().weight() != QFont.Weight.Bold


def test_clear_sketch_when_there_is_something_to_clear(qtbot, layers, document):
    assert not layers.clear_sketch_action.isEnabled()
    ink(document, 10, 60, 40)
    assert layers.clear_sketch_action.isEnabled()
    with qtbot.waitSignal(layers.message) as told:
        layers.clear_sketch_action.trigger()
    assert document.sketch_layer().is_blank()
    assert not layers.clear_sketch_action.isEnabled()
    assert "Ctrl+Z" in told.args[0]


def test_delete_any_layer_but_the_sketch(layers, document):
    document.add_result(Image.new("RGB", (document.width, document.height), "blue"))
    document.add_layer(Layer("Photo", "photo", np.zeros((document.height, document.width, 4),
                                                          np.uint8)), 0)
    layers.select(document.sketch_layer())
    assert not layers.delete_action.isEnabled()
    layers.delete_selected()
    assert len(document.layers) == 3
    for kind in ("result", "photo"):
        layers.select(next(layer for layer in document.layers if layer.kind == kind))
        assert layers.delete_action.isEnabled()
        layers.delete_action.trigger()
    assert [layer.kind for layer in document.layers] == ["sketch"]
    assert layers.list_widget.count() == 1


# -- queue panel ------------------------------------------------------------------------------
class Canceller:
    """Stands in for the runner: the panel only asks it to cancel jobs."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue
        self.asked: list = []

    def cancel(self, job) -> None:
        self.asked.append(job)
        self.queue.cancel(job)


def test_queue_rows_follow_the_queue(qtbot):
    queue = JobQueue()
    canceller = Canceller(queue)
    panel = QueuePanel(queue, canceller)
    qtbot.addWidget(panel)
    assert panel.empty_label.isVisibleTo(panel)
    assert not panel.clear_button.isEnabled()

    job = queue.add(GenerationRequest(model="demo", prompt="x" * 80, steps=5))
    row = panel.rows[job.id]
    assert not panel.empty_label.isVisibleTo(panel)
    assert row.prompt_label.text() == prompt_excerpt(job)
    assert len(row.prompt_label.text()) < 80
    assert row.prompt_label.toolTip() == "x" * 80
    assert row.state_label.text() == "Waiting"
    queue.mark_running(job, 5)
    queue.mark_progress(job, 3, 5)
    assert row.state_label.text() == "Generating"
    assert (row.progress_bar.value(), row.progress_bar.maximum()) == (3, 5)
    assert row.progress_bar.text() == "3/5"

    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    assert canceller.asked == [job]
    assert job.cancel_event.is_set()
    assert row.state_label.text() == "Cancelling…"
    assert not row.cancel_button.isEnabled()
    queue.mark_failed(job, "Out of memory: try a smaller size or fewer controls.")
    assert row.error_label.text().startswith("Out of memory")
    assert row.progress_bar.isHidden()
    assert panel.clear_button.isEnabled()

    newer = queue.add(GenerationRequest(model="demo", prompt="newer"))
    assert panel.list_widget.itemWidget(panel.list_widget.item(1)) is panel.rows[newer.id]
    panel.clear_button.click()
    assert list(panel.rows) == [newer.id]


def test_queue_panel_drops_its_connections_when_closed(qtbot):
    queue = JobQueue()
    panel = QueuePanel(queue, Canceller(queue))
    qtbot.addWidget(panel)
    assert len(queue.job_added) == 1
    panel.close()
    assert len(panel.connections) == 0
    assert len(queue.job_added) == 0
    queue.add(GenerationRequest(model="demo", prompt="after close"))
    assert panel.rows == {}


def test_the_list_follows_a_reordered_stack(layers, document):
    photo = Layer("Photo", "photo", np.zeros((document.height, document.width, 4), np.uint8))
    document.add_layer(photo, 0)
    assert [layers.list_widget.itemWidget(layers.list_widget.item(i)).layer
            for i in range(2)] == [document.sketch_layer(), photo]
    document.layers.reverse()  # as a move would, then it says the layer changed
    document.layer_changed.emit(photo)
    assert [layers.list_widget.itemWidget(layers.list_widget.item(i)).layer
            for i in range(2)] == [photo, document.sketch_layer()]


def test_generate_twice_gives_two_seeds_and_a_typed_seed_is_kept(qtbot, panel, document):
    settings = panel.settings
    first = settings.seed_for_next_run()
    second = settings.seed_for_next_run()
    assert first != second  # a new picture each time by default
    panel.seed_spin.setFocus()
    panel.seed_spin.lineEdit().selectAll()
    qtbot.keyClicks(panel.seed_spin.lineEdit(), "1234")
    assert not settings.new_seed_each_time  # the fixed seed: one keystroke away
    assert not panel.new_seed_check.isChecked()
    assert settings.seed_for_next_run() == 1234
    assert settings.seed_for_next_run() == 1234
