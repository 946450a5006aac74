"""`generate --init-image/--strength/--mask/--range` on the demo model."""

from __future__ import annotations

import numpy as np
from PIL import Image

from t2ia_desktop.cli.main import main


def test_inpaint_from_the_command_line_keeps_the_unmasked_pixels(tmp_path, sdxl_demo,
                                                                 sketch_image, capsys):
    photo = Image.fromarray(np.random.default_rng(2).integers(0, 255, (96, 136, 3), np.uint8))
    mask = Image.new("L", photo.size, 0)
    mask.paste(255, (20, 20, 100, 70))
    for name, image in (("photo.png", photo), ("mask.png", mask), ("sketch.png", sketch_image)):
        image.save(tmp_path / name)
    out = tmp_path / "out.png"
    status = main(["generate", "--model", str(sdxl_demo), "--prompt", "a boat", "--steps", "2",
                   "--init-image", str(tmp_path / "photo.png"),
                   "--mask", str(tmp_path / "mask.png"),
                   "--strength", "1", "--control", f"sketch={tmp_path / 'sketch.png'}",
                   "--range", "0.5:1", "--raw-control", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    result = np.array(Image.open(out).convert("RGB"))
    assert result.shape == (96, 136, 3)  # the init image's own size
    keep = np.array(mask) == 0
    np.testing.assert_array_equal(result[keep], np.array(photo)[keep])


def test_bad_ranges_and_a_mask_without_init_are_refused(tmp_path, sdxl_demo, sketch_image,
                                                        capsys):
    sketch_image.save(tmp_path / "sketch.png")
    common = ["generate", "--model", str(sdxl_demo), "--prompt", "a boat", "--raw-control",
              "--control", f"sketch={tmp_path / 'sketch.png'}", "--out", str(tmp_path / "o.png")]
    assert main([*common, "--range", "0.8:0.2"]) == 2
    assert "0 <= start <= end <= 1" in capsys.readouterr().err
    assert main([*common, "--range", "half"]) == 2
    assert "START:END" in capsys.readouterr().err
    assert main([*common, "--mask", str(tmp_path / "sketch.png")]) == 2
    assert "--mask needs --init-image" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()
