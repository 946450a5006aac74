"""The rotate cursor the Transform tool shows outside its frame (Qt has no built-in one)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

SIZE = 24


@cache
def rotate_cursor() -> QCursor:
    """A curved two-headed arrow, white with a dark outline so it shows on any picture."""
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    arc = QPainterPath()
    box = QRectF(5, 5, SIZE - 10, SIZE - 10)
    arc.arcMoveTo(box, 200)
    arc.arcTo(box, 200, -220)
    heads = [QPolygonF([QPointF(2, 13), QPointF(9, 13), QPointF(5.5, 18)]),
             QPolygonF([QPointF(15, 3), QPointF(15, 10), QPointF(20, 6.5)])]
    for colour, width in ((QColor(20, 20, 20), 4.0), (QColor(255, 255, 255), 2.0)):
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(arc)
        painter.setBrush(colour)
        painter.setPen(QPen(colour, width - 2.0 if width > 2 else 0.5))
        for head in heads:
            painter.drawPolygon(head)
    painter.end()
    return QCursor(pixmap, SIZE // 2, SIZE // 2)
