"""Image → Extend canvas (outpaint)…: pixels to add on each side, and how far the seam reaches."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.document.outpaint import DEFAULT_OVERLAP, MAX_OVERLAP, OUTPAINT_STEP, Margins

MAX_MARGIN = 2048
SIDES = ("left", "top", "right", "bottom")


class OutpaintDialog(QDialog):
    """Four margins (multiples of 8) and the overlap; quick buttons for common cases."""

    def __init__(self, width: int, height: int, family_side: int = 1024,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Extend canvas (outpaint)")
        self.old = (width, height)
        form = QFormLayout()
        self.spins: dict[str, QSpinBox] = {}
        for side in SIDES:
            spin = QSpinBox()
            spin.setRange(0, MAX_MARGIN)
            spin.setSingleStep(OUTPAINT_STEP)
            spin.setSuffix(" px")
            spin.setToolTip(f"Pixels of new canvas to add on the {side} (a multiple of 8); "
                            "Inpaint paints them")
            spin.editingFinished.connect(lambda spin=spin: self._snap(spin))
            spin.valueChanged.connect(self._update)
            self.spins[side] = spin
            form.addRow(side.capitalize(), spin)
        quick = QHBoxLayout()
        half = max(OUTPAINT_STEP, family_side // 2 // OUTPAINT_STEP * OUTPAINT_STEP)
        for text, sides in (("← Left", ("left",)), ("Right →", ("right",)),
                            ("↑ Top", ("top",)), ("↓ Bottom", ("bottom",)),
                            ("All sides", SIDES)):
            button = QPushButton(text)
            button.setToolTip(f"Add {half} px on {' and '.join(sides)} (half the model's "
                              "native size), nothing elsewhere")
            button.clicked.connect(lambda _=False, sides=sides: self.set_margins(
                Margins(**{side: half for side in sides})))
            quick.addWidget(button)
        form.addRow("Quick", quick)
        self.overlap_spin = QSpinBox()
        self.overlap_spin.setRange(0, MAX_OVERLAP)
        self.overlap_spin.setSingleStep(OUTPAINT_STEP)
        self.overlap_spin.setValue(DEFAULT_OVERLAP)
        self.overlap_spin.setSuffix(" px")
        self.overlap_spin.setToolTip(
            "How far the mask reaches into the old picture, fading out, so the seam is "
            "repainted; the picture beyond stays exactly as it is")
        form.addRow("Overlap", self.overlap_spin)
        self.size_label = QLabel()
        form.addRow("New canvas", self.size_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Extend")
        ok.setToolTip("Grow the canvas, mask the new area and switch Generate to Inpaint "
                      "(Ctrl+Z undoes it)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.set_margins(Margins(right=half))

    def margins(self) -> Margins:
        return Margins(**{side: self.spins[side].value() for side in SIDES})

    def set_margins(self, margins: Margins) -> None:
        for side in SIDES:
            self.spins[side].setValue(getattr(margins, side))

    def overlap(self) -> int:
        return self.overlap_spin.value()

    def _snap(self, spin: QSpinBox) -> None:
        spin.setValue(round(spin.value() / OUTPAINT_STEP) * OUTPAINT_STEP)

    def _update(self) -> None:
        margins = self.margins()
        width, height = margins.new_size(self.old)
        self.size_label.setText(f"{width} × {height} (now {self.old[0]} × {self.old[1]})")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        valid = any(getattr(margins, side) for side in SIDES)
        ok.setEnabled(valid)


def ask_outpaint(parent: QWidget, width: int, height: int,
                 family_side: int) -> tuple[Margins, int] | None:
    """Show the dialog (modal): (margins, overlap), or None when cancelled."""
    dialog = OutpaintDialog(width, height, family_side, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        for spin in dialog.spins.values():
            dialog._snap(spin)
        return dialog.margins(), dialog.overlap()
    finally:
        dialog.deleteLater()
