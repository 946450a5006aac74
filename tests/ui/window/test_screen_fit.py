"""The window on a laptop screen: at most the screen's free area, Generate's controls and button
without scrolling, three queue rows, a wrapping Image history, stored layouts fitted back."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QToolButton, QWidget

from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.image_history.store import History
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.window.main_window import MainWindow
from t2ia_desktop.ui.window.screen_fit import (
    COMPACT,
    DEFAULT_SIZE,
    REGULAR,
    first_geometry,
    fitted,
)
from tests.builders import request
from tests.ui.helpers import main_window, shown

LAPTOP = QRect(0, 0, 1280, 800)
FULL_HD = QRect(0, 0, 1920, 1080)


def on_laptop(window: MainWindow, screen: QRect = LAPTOP) -> MainWindow:
    """``window`` fitted to a 1280×800 screen (or ``screen``), as at its first launch there."""
    window.window_layout.fit_to_screen(screen)
    QApplication.processEvents()
    QApplication.processEvents()
    return window


def seen_in(widget: QWidget, area: QScrollArea) -> bool:
    """Whether the whole of ``widget`` lies inside ``area``'s visible part (no scrolling)."""
    viewport = area.viewport()
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    return (widget.isVisible() and viewport.rect().contains(
        QRect(top_left, widget.size())))


def test_the_first_window_fits_the_screen_it_opens_on():
    geometry, maximised = first_geometry(LAPTOP)
    assert (geometry, maximised) == (LAPTOP, True)
    assert first_geometry(QRect(0, 0, 1920, 1050)) == (QRect(0, 0, 1920, 1050), True)
    desktop = QRect(0, 0, 2560, 1400)
    geometry, maximised = first_geometry(desktop)
    assert not maximised
    assert geometry.size() == DEFAULT_SIZE
    assert desktop.contains(geometry)
    assert geometry.center() == desktop.center()


def test_a_rectangle_larger_than_the_screen_is_shrunk_onto_it():
    assert fitted(QRect(-300, 50, 2600, 1600), LAPTOP) == LAPTOP
    assert fitted(QRect(900, 500, 800, 600), LAPTOP) == QRect(480, 200, 800, 600)
    assert fitted(QRect(10, 20, 300, 200), LAPTOP) == QRect(10, 20, 300, 200)


@pytest.mark.parametrize("screen", [LAPTOP, FULL_HD])
def test_generate_its_button_and_the_canvas_all_show(window, screen):
    on_laptop(window, screen)
    assert screen.contains(window.frameGeometry())
    assert window.window_layout.compact == (screen == LAPTOP)
    area = window.generate_dock.widget()
    assert isinstance(area, QScrollArea)
    assert area.verticalScrollBar().value() == 0
    panel = window.generate_panel
    for widget in (panel.prompt_edit, panel.negative_edit, panel.generate_button,
                   panel.model_combo, panel.source.mode_combo):
        assert seen_in(widget, area), widget.objectName() or type(widget).__name__
    assert window.statusBar().isVisible()
    assert screen.contains(QRect(window.statusBar().mapTo(window, QPoint(0, 0)),
                                 window.statusBar().size()).translated(window.pos()))
    # The canvas keeps the most room; Layers shows in front of its tabs.
    assert window.canvas.width() > COMPACT.left_width
    assert not window.layers_dock.visibleRegion().isEmpty()


@pytest.mark.parametrize("screen", [LAPTOP, FULL_HD])
def test_the_queue_shows_three_rows(window, runner, screen):
    on_laptop(window, screen)
    runner.queue.set_paused(True)  # they wait: three rows
    for prompt in ("a lighthouse", "a cat on a roof", "a barn in snow"):
        runner.submit(request(prompt=prompt))
    window.queue_dock.raise_()
    QApplication.processEvents()
    listing = window.queue_panel.list_widget
    viewport = listing.viewport().rect()
    rows = [listing.visualItemRect(listing.item(row)) for row in range(listing.count())]
    assert len(rows) == 3
    assert all(viewport.contains(row) for row in rows), (viewport, rows)
    runner.queue.set_paused(False)


def test_at_1280_by_800_the_image_history_is_a_wrapping_grid(qtbot, loop, document, runner,
                                                             updater, models, tmp_path):
    folder = tmp_path / "history"
    history = History(folder)
    for seed in range(8):
        history.add(Image.new("RGB", (64, 64), (30 * seed, 90, 160)),
                    GenerationRequest(model="demo", prompt=f"a kite {seed}", seed=seed,
                                      width=64, height=64, steps=4))
    window = shown(qtbot, main_window(document, runner, models, updater=updater,
                                      tool_state=ToolState(), history_folder=folder))
    on_laptop(window)
    dock = window.results.image_history.dock
    dock.raise_()
    QApplication.processEvents()
    panel = window.results.image_history.panel
    assert dock.widget() is panel  # no scroll area around the panel: one scroll bar at most
    listing = panel.list_view
    assert listing.isWrapping()
    assert not listing.horizontalScrollBar().isVisible()
    viewport = listing.viewport().rect()
    rects = [listing.visualRect(panel.model.index(row)) for row in range(8)]
    assert len({rect.top() for rect in rects}) > 1, "thumbnails wrap onto more rows"
    assert all(viewport.left() <= rect.left() and rect.right() <= viewport.right()
               for rect in rects)
    # The filters and the actions fit the dock's width.
    for widget in (panel.search_edit, panel.condition_combo, panel.model_combo,
                   panel.date_combo, panel.starred_check, panel.toolbar):
        right = widget.mapTo(panel, QPoint(widget.width(), 0)).x()
        assert right <= panel.width(), type(widget).__name__
    assert panel.toolbar.findChild(QToolButton, "qt_toolbar_ext_button") is not None \
        or all(button.isVisible() for button in panel.buttons.values())
    window.close()


def make_window(qtbot, document, runner, updater, models) -> MainWindow:
    return shown(qtbot, main_window(document, runner, models, updater=updater,
                                    tool_state=ToolState()))


def test_a_stored_window_larger_than_the_screen_is_fitted_to_it(qtbot, loop, document, runner,
                                                                updater, models):
    first = make_window(qtbot, document, runner, updater, models)
    first.showNormal()
    first.setGeometry(QRect(-200, -100, 2600, 1700))  # the last session had a larger monitor
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.condition_dock)
    first.close()
    second = make_window(qtbot, document, runner, updater, models)
    QApplication.processEvents()
    assert second.window_layout.restored
    screen = second.screen().availableGeometry()
    assert screen.size() == QSize(1920, 1080)
    assert screen.contains(second.frameGeometry())
    # Its docks were placed for a larger window: this screen's first arrangement instead.
    assert second.dockWidgetArea(second.condition_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    second.close()


@pytest.mark.parametrize("dock_name", ["preview_dock", "generate_dock"])
def test_a_column_widened_by_a_long_message_comes_back_at_its_first_width(
        qtbot, loop, document, runner, updater, models, dock_name):
    first = make_window(qtbot, document, runner, updater, models)
    QApplication.processEvents()
    dock = getattr(first, dock_name)
    first.resizeDocks([dock], [900], Qt.Orientation.Horizontal)
    QApplication.processEvents()
    assert dock.width() > 600  # a message forced it wide
    first.close()
    second = make_window(qtbot, document, runner, updater, models)
    QApplication.processEvents()
    first_width = (REGULAR.left_width if dock_name == "preview_dock" else REGULAR.right_width)
    assert getattr(second, dock_name).width() <= 1.6 * first_width
    second.close()
