"""Draw the app icon with Pillow and write it as .png (several sizes) and .ico.

Run from the repository root: ``.venv/bin/python packaging/make_icons.py``. The outputs are
committed under ``resources/icons/``; run this again only to change the icon.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
NAME = "t2ia-desktop"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw_icon(size: int = 1024) -> Image.Image:
    """A canvas with a pencil stroke on it, over a sunset gradient: drawing that becomes a
    picture."""
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    # Sunset gradient, clipped to a rounded square.
    gradient = Image.new("RGBA", (size, size))
    top, bottom = (64, 72, 180), (250, 150, 90)
    pixels = gradient.load()
    for y in range(size):
        t = y / (size - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)) + (255,)
        for x in range(size):
            pixels[x, y] = colour
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (size * 0.04, size * 0.04, size * 0.96, size * 0.96), radius=size * 0.2, fill=255)
    icon.paste(gradient, (0, 0), mask)
    draw = ImageDraw.Draw(icon)
    # A sketched hill line and a sun: the "sketch" a T2I-Adapter follows.
    stroke = max(2, size // 28)
    hills = [(0.14, 0.72), (0.3, 0.56), (0.45, 0.66), (0.62, 0.46), (0.86, 0.68)]
    draw.line([(x * size, y * size) for x, y in hills], fill=(255, 255, 255, 255),
              width=stroke, joint="curve")
    sun = (0.66 * size, 0.28 * size, 0.82 * size, 0.44 * size)
    draw.ellipse(sun, outline=(255, 255, 255, 255), width=stroke)
    # The pencil that draws it.
    tip = (0.24 * size, 0.84 * size)
    draw.polygon([tip, (0.2 * size, 0.74 * size), (0.32 * size, 0.8 * size)],
                 fill=(40, 40, 60, 255))
    draw.line([(0.26 * size, 0.77 * size), (0.5 * size, 0.9 * size)], fill=(255, 214, 90, 255),
              width=stroke * 2)
    return icon


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    big = draw_icon()
    for size in PNG_SIZES:
        big.resize((size, size), Image.LANCZOS).save(ICONS / f"{NAME}-{size}.png")
    big.resize((256, 256), Image.LANCZOS).save(ICONS / f"{NAME}.png")
    big.save(ICONS / f"{NAME}.ico", sizes=[(s, s) for s in ICO_SIZES])
    print(f"wrote icons to {ICONS}")


if __name__ == "__main__":
    main()
