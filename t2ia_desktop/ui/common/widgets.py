"""Small widgets and helpers shared by the panels."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QIcon,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSlider,
    QTableWidget,
    QWidget,
)

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.session.session import Session


class ModelConnections:
    """Connections from a model's psygnal signals to a view, kept so the view can drop them.

    A view calls :meth:`disconnect_all` when it closes; :meth:`drop_with` also ties that to the
    Qt object's destruction so a deleted widget is never called back.
    """

    def __init__(self) -> None:
        self._pairs: list[tuple[Any, Callable[..., Any]]] = []

    def connect(self, signal: Any, callback: Callable[..., Any]) -> None:
        signal.connect(callback)
        self._pairs.append((signal, callback))

    def disconnect_all(self) -> None:
        pairs, self._pairs = self._pairs, []
        for signal, callback in pairs:
            signal.disconnect(callback)

    def drop_with(self, widget: QWidget) -> None:
        # The slot must not reference the widget itself, or it would keep it alive.
        widget.destroyed.connect(lambda *_: self.disconnect_all())

    def __len__(self) -> int:
        return len(self._pairs)


class DocumentPanel(QWidget):
    """Base of the panels that show one document and can follow another (a new or opened one).

    A panel connects to its document's signals in ``_bind`` through ``self.connections``, calls
    :meth:`_listen` once its widgets exist and :meth:`_follow` to change documents; closing or
    deleting it drops the connections.
    """

    document: Document

    def _listen(self, session: Session) -> None:
        """Connect to the session's document now and to each document it opens later."""
        self.connections = ModelConnections()
        self.connections.drop_with(self)
        self._bind(session.document)
        session.document_changed.connect(self.set_document)

    def set_document(self, document: Document) -> None:
        """Show another document (a new or opened one)."""
        self._follow(document)

    def _bind(self, document: Document) -> None:
        """Connect to ``document``'s signals through ``self.connections``."""
        raise NotImplementedError(f"{type(self).__name__} must say which signals it follows")

    def _follow(self, document: Document) -> None:
        """Drop the connections to the current document and listen to ``document`` instead."""
        self.connections.disconnect_all()
        self.document = document
        self._bind(document)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.connections.disconnect_all()
        super().closeEvent(event)


def add_item_with_tooltip(combo: QComboBox, text: str, data: Any, tooltip: str) -> None:
    """Add an entry to ``combo`` that explains itself when the pointer rests on it."""
    combo.addItem(text, data)
    combo.setItemData(combo.count() - 1, tooltip, Qt.ItemDataRole.ToolTipRole)


class ValueSlider(QWidget):
    """A horizontal slider over floats in fixed steps, with its value read out beside it."""

    valueChanged = Signal(float)

    def __init__(
        self,
        minimum: float,
        maximum: float,
        step: float,
        value: float,
        *,
        decimals: int = 2,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._minimum = minimum
        self._step = step
        self._decimals = decimals
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, round((maximum - minimum) / step))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(max(1, round(0.1 * (maximum - minimum) / step)))
        self.readout = QLabel()
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        width = self.readout.fontMetrics().horizontalAdvance(f"{maximum:.{decimals}f}") + 6
        self.readout.setFixedWidth(width)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        self.slider.valueChanged.connect(self._on_slider)
        self.setValue(value)
        self._on_slider(self.slider.value())

    def value(self) -> float:
        return round(self._minimum + self.slider.value() * self._step, 6)

    def setValue(self, value: float) -> None:
        self.slider.setValue(round((value - self._minimum) / self._step))

    def setToolTip(self, text: str) -> None:
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.readout.setToolTip(text)

    def _on_slider(self, _position: int) -> None:
        value = self.value()
        self.readout.setText(f"{value:.{self._decimals}f}")
        self.valueChanged.emit(value)


def conditioning_scale_slider(tooltip: str) -> ValueSlider:
    """A slider for a control's conditioning scale, 0 to 2 in steps of 0.05, at 1 (the
    adapter's normal strength)."""
    slider = ValueSlider(0.0, 2.0, 0.05, 1.0)
    slider.setToolTip(tooltip)
    return slider


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A label for ``buddy``: its mnemonic (``&``) focuses it, and it shows the same tooltip."""
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setToolTip(buddy.toolTip())
    return label


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with "…" to the width it is given.

    ``text()`` stays the full text; the full text is also its tooltip unless one is set.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(20)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._elide()

    def text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.width() - 2)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        super().setText(shown if width > 0 else self._full)


# -- icons ------------------------------------------------------------------------------------
KIND_COLOURS = {
    "sketch": QColor(70, 120, 210),
    "paint": QColor(60, 150, 110),
    "photo": QColor(200, 130, 40),
    "condition": QColor(150, 80, 190),
    "result": QColor(200, 70, 90),
    "mask": QColor(110, 110, 110),
}
KIND_WORDS = {
    "sketch": "Sketch layer: your strokes are the sketch control",
    "paint": "Paint layer",
    "photo": "Photo layer",
    "condition": "Condition layer: a control image made by a detector from its source",
    "result": "Generated picture",
    "mask": "Mask layer",
}


def _icon_pixmap(size: int = 32) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    return pixmap


def kind_icon(kind: str) -> QIcon:
    """A small drawn badge per layer kind: pencil, brush dot, mountain, half moon, star."""
    pixmap = _icon_pixmap()
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(KIND_COLOURS.get(kind, QColor(120, 120, 120)))
    painter.drawRoundedRect(QRectF(1, 1, 30, 30), 7, 7)
    white = QColor(255, 255, 255)
    painter.setBrush(white)
    if kind == "sketch":  # a pencil: a slanted bar with a pointed tip
        pen = QPen(white, 4.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(22, 8), QPointF(12, 18))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawPolygon(QPolygonF([QPointF(9.5, 16), QPointF(14.5, 21), QPointF(7, 24)]))
    elif kind == "paint":  # a round brush dab
        painter.drawEllipse(QPointF(16, 16), 7.5, 7.5)
    elif kind == "photo":  # mountains and a sun
        painter.drawPolygon(QPolygonF([QPointF(5, 25), QPointF(13, 13), QPointF(18, 20),
                                       QPointF(21, 16), QPointF(27, 25)]))
        painter.drawEllipse(QPointF(22, 9), 3, 3)
    elif kind == "condition":  # half light, half dark: a map made from a picture
        painter.setPen(QPen(white, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(16, 16), 8, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(white)
        painter.drawPie(QRectF(8, 8, 16, 16), 90 * 16, 180 * 16)
    elif kind == "result":  # a four-pointed sparkle
        points = []
        for index in range(8):
            radius = 11 if index % 2 == 0 else 3.5
            angle = math.pi / 4 * index - math.pi / 2
            points.append(QPointF(16 + radius * math.cos(angle), 16 + radius * math.sin(angle)))
        painter.drawPolygon(QPolygonF(points))
    else:
        painter.drawRect(QRectF(10, 10, 12, 12))
    painter.end()
    return QIcon(pixmap)


def eye_icon() -> QIcon:
    """An open eye when checked (shown), a struck-through one when not (hidden)."""
    icon = QIcon()
    for state, shown in ((QIcon.State.On, True), (QIcon.State.Off, False)):
        pixmap = _icon_pixmap()
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(40, 40, 44) if shown else QColor(150, 150, 150)
        painter.setPen(QPen(colour, 2.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        outline = QPainterPath(QPointF(3, 16))
        outline.quadTo(QPointF(16, 3), QPointF(29, 16))
        outline.quadTo(QPointF(16, 29), QPointF(3, 16))
        painter.drawPath(outline)
        painter.setBrush(colour)
        painter.drawEllipse(QPointF(16, 16), 4.5, 4.5)
        if not shown:
            painter.setPen(QPen(colour, 2.6))
            painter.drawLine(QPointF(6, 26), QPointF(26, 6))
        painter.end()
        icon.addPixmap(pixmap, QIcon.Mode.Normal, state)
    return icon


def open_error_box(window: QWidget, previous: QMessageBox | None, title: str,
                   text: str) -> QMessageBox:
    """A warning dialog over ``window`` that does not block, replacing ``previous``, with the
    same words in the log and in the status bar of ``window``'s main window (when it is in
    one); returns the new box so callers can keep (and close) it."""
    main_window = window.window()
    if isinstance(main_window, QMainWindow):
        show_status = main_window.statusBar().showMessage
    else:
        def show_status(_text: str, _timeout: int) -> None:
            return None
    return open_warning_box(window, previous, title, text, show_status)


def open_warning_box(parent: QWidget, previous: QMessageBox | None, title: str, text: str,
                     show_status: Callable[[str, int], None]) -> QMessageBox:
    """:func:`open_error_box` for a part that is told where the status line is: the dialog
    opens over ``parent`` and ``show_status(text, timeout_ms)`` shows the same words."""
    logging.getLogger("t2ia_desktop.ui").warning("%s: %s", title, text)
    show_status(f"{title}: {text}", 15000)
    if previous is not None:
        previous.close()
        previous.deleteLater()
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                      parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def ask_restore_or_discard(window: QWidget, title: str, question: str, found: str) -> bool:
    """A modal Restore / Discard question with ``found`` as its details; True for Restore."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, title, question,
                      buttons.Yes | buttons.Discard, window)
    box.setInformativeText(found)
    box.button(buttons.Yes).setText("Restore")
    box.setDefaultButton(buttons.Yes)
    answer = box.exec()
    box.deleteLater()
    return answer == buttons.Yes


def read_only_table(columns: list[str] | tuple[str, ...]) -> QTableWidget:
    """A table of whole-row, single selections that are not edited in place; columns fit their
    contents and the last one takes the rest of the width."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(columns) - 1, QHeaderView.ResizeMode.Stretch)
    return table
