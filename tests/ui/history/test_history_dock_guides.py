"""The Image history dock's guide filter, chosen with the mouse and keyboard."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from t2ia_desktop.core.generation.request import DEMO_MODEL, ControlSpec, GenerationRequest
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.session.tool_state import ToolState
from tests.ui.helpers import main_window, shown


@pytest.fixture
def gwindow(qtbot, loop, document, runner, updater, models, tmp_path):
    folder = tmp_path / "history"
    history = History(folder)
    edges = Image.new("RGB", (64, 64))
    for seed, guide in ((1, "adapter"), (2, "controlnet"), (3, "union")):
        control = ControlSpec("canny", edges, None, 1.0, 0.0, 1.0, guide)
        history.add(Image.new("RGB", (64, 64)), GenerationRequest(
            model=DEMO_MODEL, prompt=f"picture {seed}", seed=seed, width=64, height=64,
            controls=(control,)))
    return shown(qtbot, main_window(document, runner, models, updater=updater,
                                    tool_state=ToolState(), history_folder=folder))


def test_the_guide_filter_shows_what_each_guide_made(qtbot, gwindow):
    panel = gwindow.results.image_history.panel
    combo = panel.guide_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Any guide", "T2I-Adapter", "ControlNet", "ControlNet Union"]
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == "ControlNet"
    assert [entry.seed for entry in panel.model.entries] == [2]
    row = panel.model.index(0)
    assert "canny (ControlNet)" in panel.model.data(row, Qt.ItemDataRole.ToolTipRole)
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    assert len(panel.model.entries) == 3
