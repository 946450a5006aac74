"""The blend modes beyond the first six (colour dodge/burn, hard/soft light, difference,
exclusion, plus), composited by the app's numpy code, against QPainter's composition modes
(what the canvas draws) on the same pixels, painted at 16 bits a channel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter

from t2ia_desktop.core.document.composite import composite
from t2ia_desktop.core.document.document import Layer

QT_MODES = {
    "color-dodge": QPainter.CompositionMode.CompositionMode_ColorDodge,
    "color-burn": QPainter.CompositionMode.CompositionMode_ColorBurn,
    "hard-light": QPainter.CompositionMode.CompositionMode_HardLight,
    "soft-light": QPainter.CompositionMode.CompositionMode_SoftLight,
    "difference": QPainter.CompositionMode.CompositionMode_Difference,
    "exclusion": QPainter.CompositionMode.CompositionMode_Exclusion,
    "plus": QPainter.CompositionMode.CompositionMode_Plus,
}
W, H = 32, 24


def layers() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    below = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    below[: H // 2, :, 3] = 255  # opaque backdrop above, translucent below
    above = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    above[:, : W // 2, 3] = 255
    return below, above


def qimage(pixels: np.ndarray) -> QImage:
    image = QImage(pixels.tobytes(), W, H, W * 4, QImage.Format.Format_RGBA8888)
    # 16 bits a channel: Qt's dodge and burn divide by (1 − Cs); 8-bit rounding there would
    # swamp the comparison
    return image.convertToFormat(QImage.Format.Format_RGBA64_Premultiplied)


def qt_composite(below: np.ndarray, above: np.ndarray, mode) -> np.ndarray:
    target = qimage(below)
    painter = QPainter(target)
    painter.setCompositionMode(mode)
    painter.drawImage(0, 0, qimage(above))
    painter.end()
    straight = target.convertToFormat(QImage.Format.Format_RGBA8888)
    return np.frombuffer(straight.constBits(), np.uint8).reshape(H, W, 4).astype(np.int32)


@pytest.mark.parametrize("mode", sorted(QT_MODES))
def test_each_mode_matches_what_the_canvas_draws(mode):
    below, above = layers()
    ours = composite([Layer("below", "paint", below), Layer("above", "paint", above,
                                                             blend_mode=mode)], W, H)
    ours = ours.astype(np.int32)
    qt = qt_composite(below, above, QT_MODES[mode])
    seen_ours = ours[..., :3] * ours[..., 3:] / 255
    seen_qt = qt[..., :3] * qt[..., 3:] / 255
    assert np.abs(ours[..., 3] - qt[..., 3]).max() <= 2
    assert np.abs(seen_ours - seen_qt).max() <= 2  # measured: at most 1.0
