"""One row of the layers panel: eye, lock, thumbnail, kind badge and name (double-click to
rename), and for control layers a second line with their condition, *Use*, strength and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QToolButton,
    QWidget,
)

from t2ia_desktop.core.conditions.guides import ADAPTER, guide_label
from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.undo.commands import SetLayerProperty
from t2ia_desktop.runtime.detection_cancel import CANCEL_TIP
from t2ia_desktop.ui.common.styles import (
    EDITED_STYLE,
    EDITED_TIP,
    ERROR_STYLE,
    MUTED_STYLE,
    NOTE_STYLE,
    condition_label,
    failure_line,
)
from t2ia_desktop.ui.common.widgets import KIND_WORDS, ElidedLabel, eye_icon, kind_icon

if TYPE_CHECKING:
    from t2ia_desktop.core.conditions.registry import ConditionRegistry
    from t2ia_desktop.core.document.document import Document
    from t2ia_desktop.session.edits import DocumentEdits


class RowOwner(Protocol):
    """What a row needs from the list it sits in (the layers panel)."""

    document: Document
    edits: DocumentEdits
    registry: ConditionRegistry | None

    def family_note(self, condition: str) -> str: ...

    def redetect(self, layer: Layer) -> None: ...

    def cancel_detection(self, layer: Layer) -> bool: ...

THUMBNAIL_SIZE = 36
"""Thumbnails are drawn this many pixels on their longer side."""
_CHECKER = (QColor(204, 204, 204), QColor(255, 255, 255))


def thumbnail(pixels: np.ndarray, size: int = THUMBNAIL_SIZE) -> QPixmap:
    """A small picture of a layer on a checkerboard. Cheap on any canvas: it samples every
    n-th pixel (at most about 2×size per side) before scaling smoothly."""
    height, width = pixels.shape[:2]
    step = max(1, max(width, height) // (2 * size))
    sample = np.ascontiguousarray(pixels[::step, ::step])
    image = QImage(sample.data, sample.shape[1], sample.shape[0], sample.shape[1] * 4,
                   QImage.Format.Format_RGBA8888)
    scale = size / max(width, height)
    shown = QSize(max(1, round(width * scale)), max(1, round(height * scale)))
    pixmap = QPixmap(shown)
    painter = QPainter(pixmap)
    cell = 6
    for y in range(0, shown.height(), cell):
        for x in range(0, shown.width(), cell):
            painter.fillRect(x, y, cell, cell, _CHECKER[(x // cell + y // cell) % 2])
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawImage(QRectF(0, 0, shown.width(), shown.height()), image)
    painter.end()
    return pixmap


def lock_icon() -> QIcon:
    """A padlock: shut when the button is checked (locked), open when not."""
    icon = QIcon()
    for state, shut in ((QIcon.State.On, True), (QIcon.State.Off, False)):
        pixmap = QPixmap(32, 32)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(60, 60, 66) if shut else QColor(150, 150, 156)
        painter.setPen(QPen(colour, 3.2))
        shackle = QPainterPath()
        shackle.moveTo(10, 15)
        shackle.lineTo(10, 10)
        shackle.arcTo(QRectF(10, 4, 12, 12), 180, -180)
        shackle.lineTo(22, 15 if shut else 11)
        painter.drawPath(shackle)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(6, 15, 20, 14), 3, 3)
        painter.end()
        icon.addPixmap(pixmap, QIcon.Mode.Normal, state)
    return icon


class LayerRow(QWidget):
    """One layer in the list; ``refresh()`` redraws it from the layer, ``refresh_thumbnail()``
    its picture."""

    def __init__(self, layer: Layer, panel: RowOwner) -> None:
        super().__init__()
        self.layer = layer
        self._panel = panel
        self._updating = False

        self.visible_button = QToolButton()
        self.visible_button.setCheckable(True)
        self.visible_button.setIcon(eye_icon())
        self.visible_button.setIconSize(QSize(18, 18))
        self.visible_button.setAutoRaise(True)
        self.visible_button.setToolTip("Show or hide this layer on the canvas")
        self.visible_button.toggled.connect(self._on_visible)

        self.lock_button = QToolButton()
        self.lock_button.setCheckable(True)
        self.lock_button.setIcon(lock_icon())
        self.lock_button.setIconSize(QSize(16, 16))
        self.lock_button.setAutoRaise(True)
        self.lock_button.setToolTip(
            "Lock this layer: no painting, clearing, merging or deleting until unlocked")
        self.lock_button.toggled.connect(self._on_locked)

        self.thumbnail_label = QLabel()
        self.thumbnail_label.setFixedSize(THUMBNAIL_SIZE + 2, THUMBNAIL_SIZE + 2)
        self.thumbnail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail_label.setStyleSheet("border: 1px solid palette(mid);")
        self.name_editor: QLineEdit | None = None

        self.kind_label = QLabel()
        self.kind_label.setPixmap(kind_icon(layer.kind).pixmap(QSize(20, 20)))
        self.kind_label.setToolTip(KIND_WORDS.get(layer.kind, layer.kind))
        self.name_label = ElidedLabel()
        self.edited_label = QLabel("hand-edited")
        self.edited_label.setStyleSheet(EDITED_STYLE)
        self.edited_label.setToolTip(EDITED_TIP)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: it moves while the detector runs
        self.busy_bar.setFixedSize(36, 8)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setToolTip("Updating the control image…")
        policy = self.busy_bar.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the row does not jump as it comes and goes
        self.busy_bar.setSizePolicy(policy)
        self.busy_bar.hide()
        self.cancel_detect_button = QToolButton()
        self.cancel_detect_button.setText("×")
        self.cancel_detect_button.setAutoRaise(True)
        self.cancel_detect_button.setToolTip(CANCEL_TIP)
        self.cancel_detect_button.clicked.connect(lambda: self._panel.cancel_detection(self.layer))
        button_policy = self.cancel_detect_button.sizePolicy()
        button_policy.setRetainSizeWhenHidden(True)
        self.cancel_detect_button.setSizePolicy(button_policy)
        self.cancel_detect_button.hide()

        grid = QGridLayout(self)
        grid.setContentsMargins(2, 3, 4, 3)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(1)
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.lock_button)
        top.addWidget(self.thumbnail_label)
        top.addWidget(self.kind_label)
        top.addWidget(self.name_label, 1)
        top.addWidget(self.edited_label)
        top.addWidget(self.busy_bar)
        top.addWidget(self.cancel_detect_button)
        grid.addWidget(self.visible_button, 0, 0)
        grid.addLayout(top, 0, 1)
        grid.setColumnStretch(1, 1)

        self.condition_text: QLabel | None = None
        self.enabled_check: QCheckBox | None = None
        self.scale_spin: QDoubleSpinBox | None = None
        self.redetect_button: QToolButton | None = None
        self.error_label: ElidedLabel | None = None
        if layer.condition is not None:
            self._build_condition_line(grid)
        self.refresh()
        self.refresh_thumbnail()

    def refresh_thumbnail(self) -> None:
        self.thumbnail_label.setPixmap(thumbnail(self.layer.pixels))

    # -- renaming -------------------------------------------------------------------------------
    def mouseDoubleClickEvent(self, event) -> None:
        self.start_rename()
        event.accept()

    def start_rename(self) -> QLineEdit:
        """Put a line editor over the name; Enter or leaving it renames, Escape cancels."""
        if self.name_editor is not None:
            return self.name_editor
        editor = self.name_editor = QLineEdit(self.layer.name, self)
        editor.setToolTip("The layer's new name (Enter to keep it, Escape to cancel)")
        editor.setGeometry(self.name_label.geometry().adjusted(-2, -2, 2, 2))
        editor.selectAll()
        editor.editingFinished.connect(self._finish_rename)
        editor.installEventFilter(self)
        editor.show()
        editor.setFocus()
        return editor

    def eventFilter(self, watched, event) -> bool:
        if (watched is self.name_editor and event.type() == event.Type.KeyPress
                and event.key() == Qt.Key.Key_Escape):
            self._close_editor()
            return True
        return super().eventFilter(watched, event)

    def _finish_rename(self) -> None:
        editor = self.name_editor
        if editor is None:
            return
        name = editor.text().strip()
        self._close_editor()
        if name and name != self.layer.name:
            panel = self._panel
            panel.edits.push(SetLayerProperty(self.layer, "name", name,
                                              f"Rename {self.layer.name} to {name}",
                                              mergeable=False))

    def _close_editor(self) -> None:
        editor, self.name_editor = self.name_editor, None
        if editor is not None:
            editor.editingFinished.disconnect(self._finish_rename)
            editor.hide()
            editor.deleteLater()

    def _build_condition_line(self, grid: QGridLayout) -> None:
        layer = self.layer
        self.condition_text = ElidedLabel()
        self.condition_text.setStyleSheet(MUTED_STYLE)
        self.enabled_check = QCheckBox("Use")
        self.enabled_check.setToolTip(
            "Use this control when generating (apart from showing it on the canvas)"
        )
        self.enabled_check.toggled.connect(self._on_enabled)
        self.scale_spin = QDoubleSpinBox()
        self.scale_spin.setRange(0.0, 2.0)
        self.scale_spin.setSingleStep(0.05)
        self.scale_spin.setDecimals(2)
        self.scale_spin.setKeyboardTracking(False)
        self.scale_spin.setToolTip(
            "Conditioning scale: how strongly this control steers the picture. "
            "0 ignores it, 1 is the adapter's normal strength, 2 follows it rigidly."
        )
        self.scale_spin.valueChanged.connect(self._on_scale)
        self.scale_spin.editingFinished.connect(self._panel.edits.seal)
        line = QHBoxLayout()
        line.setSpacing(6)
        line.addWidget(self.condition_text, 1)
        line.addWidget(self.enabled_check)
        line.addWidget(self.scale_spin)
        if layer.kind == "condition":
            self.redetect_button = QToolButton()
            self.redetect_button.setText("Re-detect")
            self.redetect_button.setToolTip(
                "Run the detector on the source again (and follow it again if hand-edited)"
            )
            self.redetect_button.clicked.connect(lambda: self._panel.redetect(self.layer))
            line.addWidget(self.redetect_button)
        grid.addLayout(line, 1, 1)
        self.error_label = ElidedLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        grid.addWidget(self.error_label, 2, 1)

    def refresh(self) -> None:
        layer = self.layer
        panel = self._panel
        self._updating = True
        try:
            self.visible_button.setChecked(layer.visible)
            self.lock_button.setChecked(layer.locked)
            text = layer.name
            if layer.request is not None:
                text += f"  ·  seed {layer.request.seed}"
            self.name_label.setText(text)
            font = self.name_label.font()
            font.setBold(layer is panel.document.active)
            self.name_label.setFont(font)
            tips = [KIND_WORDS.get(layer.kind, layer.kind) + " (double-click to rename)"]
            if layer.locked:
                tips.append("Locked: unlock it to paint on it, clear, merge or delete it.")
            if layer.blend_mode != "normal":
                tips.append(f"Blend mode: {layer.blend_mode}")
            if layer is panel.document.active:
                tips.append("Active layer: your brush paints here.")
            if layer.request is not None:
                tips.append(layer.request.summary())
            settings = layer.condition
            detached = bool(settings and settings.detached)
            self.edited_label.setVisible(detached)
            if settings is not None:
                source = panel.document.layer_by_id(settings.source_id)
                label = condition_label(panel.registry, settings.condition)
                words = label if source is None else f"{label} from {source.name}"
                if settings.guide != ADAPTER:
                    words += f" · {guide_label(settings.guide)}"
                note = panel.family_note(settings.condition)
                self.condition_text.setText(f"{words} · {note}" if note else words)
                self.condition_text.setStyleSheet(NOTE_STYLE if note else MUTED_STYLE)
                self.condition_text.setToolTip(
                    f"{words}. {note.capitalize()}: it is left out when generating."
                    if note else f"{words}: what the {guide_label(settings.guide)} reads.")
                self.enabled_check.setChecked(settings.enabled)
                self.scale_spin.setValue(settings.conditioning_scale)
                self.scale_spin.setEnabled(settings.enabled)
                missing = bool(panel.updater is not None
                               and panel.updater.scheduler.missing_weights.get(layer.id))
                self.error_label.setText(failure_line(settings.error, missing))
                self.error_label.setToolTip(settings.error)
                self.error_label.setVisible(bool(settings.error))
                if settings.error:
                    tips.append(f"Error: {settings.error}")
                elif panel.updater is not None and layer.id in panel.updater.notes:
                    tips.append(panel.updater.notes[layer.id])
            self.name_label.setToolTip("\n".join(tips))
        finally:
            self._updating = False

    def set_busy(self, busy: bool) -> None:
        """A moving bar and a Cancel (×) while the detector runs for this layer."""
        self.busy_bar.setVisible(busy)
        self.cancel_detect_button.setVisible(busy)

    def _on_locked(self, locked: bool) -> None:
        if not self._updating:
            word = "Lock" if locked else "Unlock"
            self._panel.edits.push(SetLayerProperty(self.layer, "locked", locked,
                                                    f"{word} {self.layer.name}"))

    def _on_visible(self, shown: bool) -> None:
        if not self._updating:
            self._panel.edits.set_visible(self.layer, shown)

    def _on_enabled(self, enabled: bool) -> None:
        if not self._updating and self.layer.condition is not None:
            self._panel.edits.set_condition(self.layer, "enabled", enabled)

    def _on_scale(self, scale: float) -> None:
        if not self._updating and self.layer.condition is not None:
            self._panel.edits.set_condition(self.layer, "conditioning_scale", round(scale, 2))
