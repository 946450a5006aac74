from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def sdxl_demo(tmp_path_factory):
    from t2ia_desktop.engine.demo.model import write_demo_model

    return write_demo_model(tmp_path_factory.mktemp("models") / "sdxl", "sdxl")


@pytest.fixture(scope="session")
def sd15_demo(tmp_path_factory):
    from t2ia_desktop.engine.demo.model import write_demo_model

    return write_demo_model(tmp_path_factory.mktemp("models") / "sd15", "sd15")


@pytest.fixture(scope="session")
def sketch_image() -> Image.Image:
    """White strokes on black: a ring and a cross."""
    yy, xx = np.mgrid[:128, :128]
    ring = np.abs(np.hypot(xx - 64, yy - 64) - 40) < 3
    cross = (np.abs(xx - yy) < 2) | (np.abs(xx + yy - 127) < 2)
    return Image.fromarray(((ring | cross) * 255).astype(np.uint8), "L")


@pytest.fixture(scope="session")
def depth_image() -> Image.Image:
    rng = np.random.default_rng(7)
    gradient = np.linspace(0, 255, 128, dtype=np.float32)[None, :, None].repeat(128, 0)
    noise = rng.normal(0, 20, (128, 128, 3))
    return Image.fromarray(np.clip(gradient + noise, 0, 255).astype(np.uint8), "RGB")
