"""Nothing changes under a scrolling wheel: over the Generate panel the wheel scrolls the panel,
and a slider, spin box or combo box takes it only once the artist has clicked or tabbed into it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget


def wheel(widget: QWidget, notches: int) -> None:
    """Turn the wheel ``notches`` clicks (negative: towards the artist) over ``widget``'s
    middle, as the window system sends it."""
    middle = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(middle, QPointF(widget.mapToGlobal(middle.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_generate_panel_and_changes_nothing(qtbot, window):
    panel = window.generate_panel
    window.generate_dock.resize(window.generate_dock.width(), 220)  # a laptop-sized dock
    area = window.generate_dock.widget()
    area.setFixedHeight(180)
    QApplication.processEvents()
    bar = area.verticalScrollBar()
    assert bar.maximum() > 0  # the panel is taller than its dock: it scrolls
    bar.setValue(0)
    settings = window.generation_settings
    steps, factor, scheduler = settings.steps, settings.adapter_conditioning_factor, \
        settings.scheduler
    for widget in (panel.steps_spin, panel.step_fraction_slider.slider,
                   panel.sampling.scheduler_combo):
        wheel(widget, -3)
    assert (settings.steps, settings.adapter_conditioning_factor, settings.scheduler) == (
        steps, factor, scheduler)
    assert bar.value() > 0  # the panel scrolled instead


def test_a_focused_spin_box_takes_the_wheel(qtbot, window):
    panel = window.generate_panel
    spin = panel.steps_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    before = window.generation_settings.steps
    wheel(spin, 2)
    assert window.generation_settings.steps == before + 2
