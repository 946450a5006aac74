"""Line-drawn icons for the tool box and the toolbar, painted at runtime with QPainter.

Each glyph is drawn on a 24 × 24 grid in the palette's text colour, so it reads on light and
dark themes alike, at 1× and 2× (a sharp pixmap for high-density screens). No image files.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QIcon,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
)

SIZE = 24
"""Icons are drawn on a SIZE × SIZE grid of logical pixels."""

Glyph = Callable[[QPainter, QColor], None]


def _pen(color: QColor, width: float = 1.6, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    return pen


def _brush(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color, 2.2))
    p.drawLine(QPointF(20, 4), QPointF(12, 12))  # the handle
    p.setPen(_pen(color, 1.4))
    tip = QPainterPath(QPointF(12.5, 9.5))
    tip.cubicTo(QPointF(16, 13), QPointF(13, 18), QPointF(8, 18.5))
    tip.cubicTo(QPointF(6, 19), QPointF(4.5, 20), QPointF(4, 21))
    tip.cubicTo(QPointF(3.5, 17), QPointF(5, 12), QPointF(9.5, 11.5))
    tip.closeSubpath()
    p.setBrush(QBrush(color))
    p.drawPath(tip)


def _eraser(p: QPainter, color: QColor) -> None:
    p.save()
    p.translate(12, 11)
    p.rotate(-40)
    p.setPen(_pen(color))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(-8, -4.5, 16, 9), 1.5, 1.5)
    p.setBrush(QBrush(color))
    p.drawRoundedRect(QRectF(-8, -4.5, 6, 9), 1.5, 1.5)  # the rubber end
    p.restore()
    p.setPen(_pen(color, 1.2))
    p.drawLine(QPointF(9, 20.5), QPointF(21, 20.5))


def _fill(p: QPainter, color: QColor) -> None:
    p.save()
    p.translate(10, 13)
    p.rotate(-35)
    p.setPen(_pen(color))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(-5.5, -5, 11, 11))  # the bucket
    p.drawArc(QRectF(-4, -11, 8, 10), 0, 180 * 16)  # its handle
    p.restore()
    drop = QPainterPath(QPointF(19.5, 12))
    drop.cubicTo(QPointF(21.5, 15), QPointF(22, 16.5), QPointF(22, 17.5))
    drop.cubicTo(QPointF(22, 19.5), QPointF(17, 19.5), QPointF(17, 17.5))
    drop.cubicTo(QPointF(17, 16.5), QPointF(17.5, 15), QPointF(19.5, 12))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(color))
    p.drawPath(drop)


def _picker(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(14.5, 9.5), QPointF(5.5, 18.5))  # the glass tube
    p.drawLine(QPointF(5.5, 18.5), QPointF(4, 20))
    p.drawLine(QPointF(11.5, 8), QPointF(16, 12.5))  # the collar
    p.setBrush(QBrush(color))
    p.drawEllipse(QPointF(17.5, 6.5), 3.2, 3.2)  # the bulb


def _rect_select(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color, 1.5, Qt.PenStyle.DashLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(4, 6, 16, 12))


def _lasso(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color, 1.5, Qt.PenStyle.DashLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(QRectF(3.5, 4, 17, 11))
    p.setPen(_pen(color, 1.5))
    tail = QPainterPath(QPointF(8, 14.5))
    tail.cubicTo(QPointF(6, 17), QPointF(9, 18), QPointF(8, 21))
    p.drawPath(tail)


def _arrow_head(p: QPainter, tip: QPointF, angle: float, size: float = 3.5) -> None:
    """A filled triangle pointing along ``angle`` (radians) with its point at ``tip``."""
    left = QPointF(tip.x() - size * math.cos(angle - 0.5), tip.y() - size * math.sin(angle - 0.5))
    right = QPointF(tip.x() - size * math.cos(angle + 0.5),
                    tip.y() - size * math.sin(angle + 0.5))
    p.drawPolygon(QPolygonF([tip, left, right]))


def _transform(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color))
    p.drawLine(QPointF(12, 3.5), QPointF(12, 20.5))
    p.drawLine(QPointF(3.5, 12), QPointF(20.5, 12))
    p.setBrush(QBrush(color))
    for tip, angle in ((QPointF(12, 2.5), -math.pi / 2), (QPointF(12, 21.5), math.pi / 2),
                       (QPointF(2.5, 12), math.pi), (QPointF(21.5, 12), 0.0)):
        _arrow_head(p, tip, angle)


def _generation_area(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color, 1.8))
    for x, y, dx, dy in ((3, 3, 1, 1), (21, 3, -1, 1), (3, 21, 1, -1), (21, 21, -1, -1)):
        p.drawLine(QPointF(x, y), QPointF(x + 5 * dx, y))
        p.drawLine(QPointF(x, y), QPointF(x, y + 5 * dy))
    star = QPainterPath(QPointF(12, 6.5))  # a four-pointed sparkle: what gets generated
    for point, control in ((QPointF(17.5, 12), QPointF(13, 11)),
                           (QPointF(12, 17.5), QPointF(13, 13)),
                           (QPointF(6.5, 12), QPointF(11, 13)),
                           (QPointF(12, 6.5), QPointF(11, 11))):
        star.quadTo(control, point)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(color))
    p.drawPath(star)


def _turn(p: QPainter, color: QColor, mirrored: bool) -> None:
    if mirrored:
        p.translate(SIZE, 0)
        p.scale(-1, 1)
    p.setPen(_pen(color, 1.8))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(7, 9))
    path.lineTo(QPointF(14, 9))
    path.cubicTo(QPointF(22, 9), QPointF(22, 19), QPointF(14, 19))
    path.lineTo(QPointF(9, 19))
    p.drawPath(path)
    p.setBrush(QBrush(color))
    p.setPen(_pen(color, 1.2))
    p.drawPolygon(QPolygonF([QPointF(3, 9), QPointF(8, 5), QPointF(8, 13)]))


def _undo(p: QPainter, color: QColor) -> None:
    _turn(p, color, mirrored=False)


def _redo(p: QPainter, color: QColor) -> None:
    _turn(p, color, mirrored=True)


def _swap(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(6, 17))
    path.cubicTo(QPointF(6, 9), QPointF(9, 6), QPointF(17, 6))
    p.drawPath(path)
    p.setBrush(QBrush(color))
    _arrow_head(p, QPointF(20, 6), 0.0, 4.5)
    _arrow_head(p, QPointF(6, 20), math.pi / 2, 4.5)


def _overlay(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color, 1.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(3.5, 3.5, 12, 12))  # the canvas
    faint = QColor(color)
    faint.setAlphaF(0.45)
    p.setBrush(QBrush(faint))
    p.drawRect(QRectF(8.5, 8.5, 12, 12))  # the control image laid over it


def _compare(p: QPainter, color: QColor) -> None:
    p.setPen(_pen(color, 1.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(3.5, 5.5, 17, 13))
    faint = QColor(color)
    faint.setAlphaF(0.45)
    p.fillRect(QRectF(12, 5.5, 8.5, 13), faint)  # the right side shows what lies below
    p.setPen(_pen(color, 1.8))
    p.drawLine(QPointF(12, 2.5), QPointF(12, 21.5))


GLYPHS: dict[str, Glyph] = {
    "brush": _brush,
    "eraser": _eraser,
    "fill": _fill,
    "picker": _picker,
    "rect_select": _rect_select,
    "lasso": _lasso,
    "transform": _transform,
    "generation_area": _generation_area,
    "undo": _undo,
    "redo": _redo,
    "swap": _swap,
    "overlay": _overlay,
    "compare": _compare,
}
"""Every icon this module draws, by name."""


def text_color(palette: QPalette | None = None) -> QColor:
    """The colour glyphs are drawn in: the palette's button text (light on dark themes)."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)


def glyph_pixmap(name: str, color: QColor, scale: int = 1) -> QPixmap:
    """``name``'s glyph in ``color`` on a transparent SIZE × SIZE pixmap at ``scale``×."""
    pixmap = QPixmap(SIZE * scale, SIZE * scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    pixmap.setDevicePixelRatio(scale)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    GLYPHS[name](painter, color)
    painter.end()
    return pixmap


def tool_icon(name: str, palette: QPalette | None = None) -> QIcon:
    """The icon ``name`` (a key of :data:`GLYPHS`) drawn in ``palette``'s text colour; Qt greys
    it out by itself for disabled actions."""
    if name not in GLYPHS:
        raise KeyError(f"No icon named {name!r}; the icons are: {', '.join(GLYPHS)}")
    color = text_color(palette)
    icon = QIcon()
    for scale in (1, 2):
        icon.addPixmap(glyph_pixmap(name, color, scale))
    return icon
