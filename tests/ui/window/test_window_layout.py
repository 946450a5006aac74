"""The window's layout: the tool box on the left, one top row that fits at 1280 px, the tool's
own options, the docks' first sizes, and the layout saved and restored between launches."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QScrollArea, QToolBar, QToolButton

from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.common.tool_icons import GLYPHS, SIZE, tool_icon
from t2ia_desktop.ui.window.layout import STATE_FILE, state_path
from t2ia_desktop.ui.window.main_window import MainWindow
from tests.ui.helpers import main_window

TOOLS = ["brush", "eraser", "fill", "picker", "rect_select", "lasso", "transform",
         "area"]


def tool_actions(window: MainWindow) -> dict:
    canvas_actions, selection = window.canvas_actions, window.selection_actions
    return {"brush": window.brush_action, "eraser": window.eraser_action,
            "fill": canvas_actions.fill_action, "picker": canvas_actions.picker_action,
            "rect_select": selection.rectangle_action, "lasso": selection.lasso_action,
            "transform": selection.transform_action,
            "area": window.area_actions.tool_action}


def hidden_overflow(window: MainWindow) -> list[str]:
    """The shown toolbars whose "»" extension button is showing (actions that did not fit)."""
    QApplication.processEvents()
    return [bar.objectName() for bar in window.findChildren(QToolBar) if bar.isVisible()
            and (ext := bar.findChild(QToolButton, "qt_toolbar_ext_button")) is not None
            and ext.isVisible()]


def test_every_toolbar_fits_at_1280_for_every_tool(window):
    window.resize(1280, 800)
    for tool in TOOLS:
        window.tool_state.set_tool(tool)
        assert hidden_overflow(window) == [], tool
        top = [bar for bar in window.findChildren(QToolBar) if bar.isVisible()
               and window.toolBarArea(bar) == Qt.ToolBarArea.TopToolBarArea]
        assert len({bar.y() for bar in top}) == 1, "one row of toolbars"
        assert max(bar.geometry().right() for bar in top) < 1280
    tools_bar = window.findChild(QToolBar, "tools_toolbar")
    right_of_options = window.canvas_actions.options_bar.geometry().right()
    for action in (window.generate_action, window.live.live_action, window.overlay_action,
                   window.results.compare.action):
        button = tools_bar.widgetForAction(action)
        assert button is not None, action.text()
        assert button.isVisible(), action.text()
        assert tools_bar.mapTo(window, button.pos()).x() > right_of_options  # on the right


def test_tool_box_holds_every_tool_as_an_icon_with_its_shortcut(qtbot, window):
    toolbox = window.window_layout.toolbox
    assert window.toolBarArea(toolbox) == Qt.ToolBarArea.LeftToolBarArea
    assert toolbox.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    actions = tool_actions(window)
    assert [action for action in toolbox.actions() if action in actions.values()] == list(
        actions.values())
    assert window.brush_action.toolTip().startswith("Brush (B)\n")
    assert window.canvas_actions.fill_action.toolTip().startswith("Fill (G)\n")
    assert window.area_actions.tool_action.toolTip().startswith("Generation area (A)\n")
    for tool, action in actions.items():
        assert not action.icon().isNull(), tool
        button = toolbox.widgetForAction(action)
        assert button.isVisible(), tool
        assert button.width() < 60, tool
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert window.tool_state.tool == tool
        assert action.isChecked()
    # The colour swatches and Swap sit at the foot of the tool box.
    bar = window.canvas_actions.options_bar
    last_tool = toolbox.widgetForAction(actions["area"])
    for button in (bar.color_button, bar.background_button, bar.swap_button):
        assert button.isVisible()
        assert toolbox.isAncestorOf(button)
        assert button.mapTo(toolbox, button.rect().topLeft()).y() > last_tool.geometry().bottom()
    brush = window.tool_state.brush_color
    qtbot.mouseClick(bar.swap_button, Qt.MouseButton.LeftButton)
    assert window.tool_state.background_color == brush


def test_the_options_bar_shows_only_the_current_tools_options(window):
    bar, layout = window.canvas_actions.options_bar, window.window_layout
    brush_only = [layout.size_spin, layout.size_slider, bar.hardness_slider,
                  bar.pressure_size_check, bar.smoothing_slider]
    window.tool_state.set_tool("fill")
    QApplication.processEvents()
    assert bar.tolerance_spin.isVisible()
    assert bar.opacity_slider.isVisible()
    assert not any(widget.isVisible() for widget in brush_only)
    window.tool_state.set_tool("eraser")
    QApplication.processEvents()
    assert all(widget.isVisible() for widget in brush_only)
    assert bar.opacity_slider.isVisible()
    assert not bar.tolerance_spin.isVisible()
    window.tool_state.set_tool("lasso")
    QApplication.processEvents()
    assert not bar.tolerance_spin.isVisible()
    assert not layout.size_spin.isVisible()
    layout.size_spin.setValue(33)  # still bound while hidden: [ and ] work with any tool
    assert window.tool_state.brush_size == 33


def test_docks_start_with_room_for_each_and_the_canvas_largest(window):
    QApplication.processEvents()  # the first sizes are laid out on the next pass
    assert isinstance(window.generate_dock.widget(), QScrollArea)
    assert window.generate_dock.widget().widget() is window.generate_panel
    generate, layers, queue = (dock.height() for dock in
                               (window.generate_dock, window.layers_dock, window.queue_dock))
    total = generate + layers + queue
    assert generate > max(layers, queue)
    assert layers > 0.25 * total
    assert queue > 0.25 * total
    assert window.preview_dock.width() < window.generate_dock.width()
    assert window.canvas.width() > window.generate_dock.width()
    assert window.canvas.width() * window.canvas.height() > max(
        dock.width() * dock.height() for dock in (window.generate_dock, window.condition_dock))
    # The Generate panel's controls keep their width; the dock scrolls up and down instead.
    assert window.generate_panel.width() <= window.generate_dock.widget().viewport().width()


def make_window(qtbot, document, runner, updater, models) -> MainWindow:
    window = main_window(document, runner, models, updater=updater, tool_state=ToolState())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_layout_comes_back_at_the_next_launch_and_resets(qtbot, loop, document, runner,
                                                              updater, models):
    first = make_window(qtbot, document, runner, updater, models)
    first.history_dock.hide()
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.condition_dock)
    first.close()
    assert state_path().name == STATE_FILE
    assert state_path().is_file()

    second = make_window(qtbot, document, runner, updater, models)
    assert second.window_layout.restored
    assert second.history_dock.isHidden()
    assert second.dockWidgetArea(second.condition_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert second.window_layout.reset_action in second.view_menu.actions()
    second.window_layout.reset_action.trigger()
    QApplication.processEvents()
    assert second.history_dock.isVisible()
    assert second.dockWidgetArea(second.condition_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert "Layout reset" in second.statusBar().currentMessage()
    second.close()


def test_a_damaged_layout_file_gives_the_default_layout(qtbot, loop, document, runner, updater,
                                                         models):
    state_path().parent.mkdir(parents=True, exist_ok=True)
    state_path().write_bytes(b"[General]\nversion=1\nstate=@ByteArray(not a layout)\n")
    window = make_window(qtbot, document, runner, updater, models)
    assert not window.window_layout.restored
    assert window.history_dock.isVisible()
    assert window.generate_dock.isVisible()
    assert hidden_overflow(window) == []
    window.close()


def test_icons_are_drawn_in_the_palettes_text_colour():
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.ButtonText, QColor(235, 235, 235))
    for name in GLYPHS:
        image = tool_icon(name, dark).pixmap(SIZE, SIZE).toImage()
        opaque = [image.pixelColor(x, y) for x in range(image.width())
                  for y in range(image.height()) if image.pixelColor(x, y).alpha() > 120]
        assert len(opaque) > 10, name  # a glyph, not an empty square
        assert all(color.lightness() > 200 for color in opaque), name
    with pytest.raises(KeyError, match="brush"):  # an unknown name says which names exist
        tool_icon("smudge")
