"""Selections as document state in the window: each change a named History step that Ctrl+Z
and Ctrl+Shift+Z take back and redo; saved in the project and shown again when it reopens;
kept by autosave's recovery copy; the marching ants drawn from a cache."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from t2ia_desktop.core.document.selection import document_selection, rectangle_mask
from t2ia_desktop.core.files.project import load_project
from t2ia_desktop.session.tool_state import ToolState
from tests.ui.helpers import drag, main_window, shown

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
WRITE_TIMEOUT = 20_000


def focused_canvas(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    return window.canvas


def history(window) -> list[str]:
    items = window.history_panel.list_widget
    return [items.item(row).text() for row in range(1, items.count())]


def rectangle_drag(canvas, a, b, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    canvas.tool_state.set_tool("rect_select")
    points = [canvas.from_document(QPointF(*a)).toPoint(),
              canvas.from_document(QPointF(*b)).toPoint()]
    if modifier == Qt.KeyboardModifier.NoModifier:
        drag(canvas, points)
    else:
        from tests.ui.tools.test_selection_tools import modified_drag
        modified_drag(canvas, points, modifier)


def test_every_selection_change_is_a_named_step_undone_and_redone_exactly(qtbot, window):
    canvas = focused_canvas(qtbot, window)
    selection = window.selection_actions.selection
    width, height = selection.size
    states = [selection.mask.copy()]
    rectangle_drag(canvas, (10, 10), (60, 50))
    states.append(selection.mask.copy())
    rectangle_drag(canvas, (40, 30), (90, 70), SHIFT)
    states.append(selection.mask.copy())
    window.tool_state.set_tool("lasso")
    drag(canvas, [canvas.from_document(QPointF(x, y)).toPoint()
                  for x, y in ((5, 5), (30, 5), (30, 30), (5, 30), (5, 6))])
    states.append(selection.mask.copy())
    for key, modifiers in ((Qt.Key.Key_I, CTRL | SHIFT), (Qt.Key.Key_A, CTRL),
                           (Qt.Key.Key_A, CTRL | SHIFT)):
        qtbot.keyClick(canvas, key, modifiers)
        states.append(selection.mask.copy())
    assert history(window) == ["Select rectangle", "Add rectangle to selection", "Select lasso",
                               "Invert selection", "Select all", "Deselect"]
    assert np.array_equal(states[1], rectangle_mask(width, height, (10, 10), (60, 50)))
    assert selection.is_empty()
    assert not window.selection_actions.deselect_action.isEnabled()
    qtbot.keyClick(canvas, Qt.Key.Key_D, CTRL)  # nothing selected: no step
    assert len(history(window)) == 6
    for index in range(len(states) - 2, -1, -1):
        qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
        assert np.array_equal(selection.mask, states[index])
    assert not window.selection_actions.deselect_action.isEnabled()
    for index in range(1, len(states)):
        qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL | SHIFT)
        assert np.array_equal(selection.mask, states[index])
    window.history_panel.list_widget.setCurrentRow(2)  # a click in the History dock
    assert np.array_equal(selection.mask, states[2])
    assert window.selection_actions.deselect_action.isEnabled()


def test_a_saved_selection_reopens_and_the_canvas_shows_its_ants(qtbot, window, tmp_path):
    canvas = focused_canvas(qtbot, window)
    rectangle_drag(canvas, (20, 16), (80, 60))
    chosen = window.selection_actions.selection.mask.copy()
    path = tmp_path / "selected.t2ia"
    window.files.ask_save_path = lambda *_: str(path)
    assert window.files.save_as()
    qtbot.keyClick(canvas, Qt.Key.Key_D, CTRL)
    assert window.files.open_path(path, confirmed=True)
    selection = window.selection_actions.selection
    assert selection is document_selection(window.document)
    assert document_selection(window.canvas.document) is selection  # what the tools clip to
    assert np.array_equal(selection.mask, chosen)
    assert window.selection_actions.deselect_action.isEnabled()
    assert not window.files.is_dirty()  # opening is not a change
    picture = window.canvas.grab().toImage()

    def row(y: int) -> set[tuple[int, int, int]]:
        """The colours on screen over canvas pixel row ``y``, columns 24 to 75."""
        top, bottom = (round(window.canvas.from_document(QPointF(50, v)).y()) for v in (y, y + 1))
        return {picture.pixelColor(round(window.canvas.from_document(QPointF(x + 0.5, y)).x()),
                                   widget_y).getRgb()[:3]
                for x in range(24, 76) for widget_y in range(top, max(top + 1, bottom))}

    assert {(0, 0, 0), (255, 255, 255)} <= row(16)  # black and white ants on the border
    assert (0, 0, 0) not in row(26)  # none inside


def test_the_marching_ants_reuse_their_raster_until_the_selection_changes(qtbot, window):
    canvas = focused_canvas(qtbot, window)
    tools = window.selection_actions.tools
    rectangle_drag(canvas, (20, 16), (80, 60))
    canvas.repaint()
    built = tools.outline.builds
    assert built >= 1
    before = canvas.grab().toImage()
    tools._march()  # one step of the ants: only their colours change
    canvas.repaint()
    after = canvas.grab().toImage()
    assert tools.outline.builds == built
    assert before != after
    qtbot.keyClick(canvas, Qt.Key.Key_I, CTRL | SHIFT)
    canvas.repaint()
    assert tools.outline.builds == built + 1
    canvas.set_zoom(canvas.view.zoom * 4)  # another zoom level: built again, at that level
    canvas.repaint()
    assert tools.outline.builds == built + 2


def test_autosave_keeps_the_selection_for_recovery(qtbot, loop, document, runner, updater,
                                                   models):
    main = shown(qtbot, main_window(document, runner, models, updater=updater,
                                    tool_state=ToolState(), autosave_seconds=0.05))
    try:
        canvas = focused_canvas(qtbot, main)
        saver = main.autosaver
        with qtbot.waitSignal(saver.written, timeout=WRITE_TIMEOUT):
            rectangle_drag(canvas, (12, 8), (70, 44))  # a selection alone is unsaved work
        recovered, _settings = load_project(saver.document_path)
        assert np.array_equal(document_selection(recovered).mask,
                              main.selection_actions.selection.mask)
    finally:
        main.close()
