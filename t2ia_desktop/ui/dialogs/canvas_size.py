"""Image → Canvas size: a new size (the New dialog's presets) and where the picture stays."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QToolButton,
    QWidget,
)

from t2ia_desktop.ui.dialogs.new_document import NewDocumentDialog

ANCHOR_ARROWS = ("↖", "↑", "↗", "←", "•", "→", "↙", "↓", "↘")
ANCHOR_WORDS = ("top left", "top", "top right", "left", "centre", "right", "bottom left",
                "bottom", "bottom right")


class CanvasSizeDialog(NewDocumentDialog):
    """The New dialog's size controls plus a 3×3 anchor grid: which edge or corner of the
    picture stays put while the canvas grows (transparent margins) or shrinks (cropped)."""

    def __init__(self, width: int, height: int, parent: QWidget | None = None) -> None:
        super().__init__(width, height, parent)
        self.setWindowTitle("Canvas size")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Resize")
        ok.setToolTip("Pad or crop every layer to the new size (Ctrl+Z undoes it)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip(
            "Keep the canvas as it is")
        self.anchor_group = QButtonGroup(self)
        self.anchor_group.setExclusive(True)
        grid = QGridLayout()
        grid.setSpacing(2)
        for cell, (arrow, words) in enumerate(zip(ANCHOR_ARROWS, ANCHOR_WORDS, strict=True)):
            button = QToolButton()
            button.setText(arrow)
            button.setCheckable(True)
            button.setFixedSize(28, 28)
            button.setToolTip(f"Keep the picture's {words} where it is")
            self.anchor_group.addButton(button, cell)
            grid.addWidget(button, cell // 3, cell % 3)
        self.anchor_group.button(4).setChecked(True)
        form = self.layout().itemAt(0).layout()
        assert isinstance(form, QFormLayout)
        form.addRow("Anchor", grid)

    def anchor(self) -> tuple[int, int]:
        """The anchor cell as (column, row), each 0, 1 or 2."""
        cell = self.anchor_group.checkedId()
        return cell % 3, cell // 3

    def set_anchor(self, column: int, row: int) -> None:
        self.anchor_group.button(row * 3 + column).setChecked(True)


def ask_canvas_size(parent: QWidget, width: int,
                    height: int) -> tuple[int, int, tuple[int, int]] | None:
    """Show the dialog (modal): (width, height, anchor), or None when cancelled."""
    dialog = CanvasSizeDialog(width, height, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return (*dialog.size(), dialog.anchor())
    finally:
        dialog.deleteLater()
