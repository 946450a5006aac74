"""The keypose adapter's control image: bodies drawn as COCO-17 skeletons on black.

TencentARC's ``t2iadapter_keypose_sd14v1`` was trained on mmpose's COCO keypoints drawn the
way mmpose draws them: the 17 COCO joints as small filled circles and their 19 links as lines,
coloured by side — the body's left in green, its right in orange, the head and the torso in
light blue — at a radius and line width of 2 pixels on 512-pixel images (the T2I-Adapter
repository's ``imshow_keypoints``). Bodies found by OpenPose (18 points, with a neck that COCO
lacks, in another order) are re-ordered into COCO's 17 here and drawn the same way; the line
width and radius scale with the picture's short side so that a large picture looks like the
512-pixel ones the adapter saw.

Pure numpy/Pillow: the detector (engine/detectors.py) finds the points, this draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PIL import Image, ImageDraw

Point = tuple[float, float]
"""A joint at (x, y), as fractions of the picture's width and height (0..1)."""

LEFT: tuple[int, int, int] = (0, 255, 0)
RIGHT: tuple[int, int, int] = (255, 128, 0)
CENTRE: tuple[int, int, int] = (51, 153, 255)

#: COCO-17 joint order: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles
#: (each pair left first). Entry i is the OpenPose-18 index of COCO joint i (OpenPose: nose,
#: neck, right shoulder/elbow/wrist, left shoulder/elbow/wrist, right hip/knee/ankle, left
#: hip/knee/ankle, right eye, left eye, right ear, left ear).
OPENPOSE_FOR_COCO: tuple[int, ...] = (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10)

_HEAD = tuple(range(5))

#: The links between COCO joints, in the order they are drawn, each with its colour.
LIMBS: tuple[tuple[int, int, tuple[int, int, int]], ...] = (
    (15, 13, LEFT), (13, 11, LEFT), (16, 14, RIGHT), (14, 12, RIGHT),  # legs
    (11, 12, CENTRE), (5, 11, CENTRE), (6, 12, CENTRE), (5, 6, CENTRE),  # torso
    (5, 7, LEFT), (6, 8, RIGHT), (7, 9, LEFT), (8, 10, RIGHT),  # arms
    (1, 2, CENTRE), (0, 1, CENTRE), (0, 2, CENTRE), (1, 3, CENTRE), (2, 4, CENTRE),  # face
    (3, 5, CENTRE), (4, 6, CENTRE),  # ears to shoulders
)

TRAINED_SIDE = 512
"""The short side of the images the adapter was trained on, where lines are 2 pixels wide."""
TRAINED_WIDTH = 2


def joint_colour(index: int) -> tuple[int, int, int]:
    """The colour of COCO joint ``index``: the head's light blue, else its side's."""
    if index in _HEAD:
        return CENTRE
    return LEFT if index % 2 else RIGHT


def coco_from_openpose(points: Sequence[Point | None]) -> list[Point | None]:
    """OpenPose's 18 body points (None: not found) as COCO's 17; the neck is dropped."""
    if len(points) != 18:
        raise ValueError(f"an OpenPose body has 18 points, not {len(points)}")
    return [points[i] for i in OPENPOSE_FOR_COCO]


def line_width(size: tuple[int, int]) -> int:
    """Limb width and joint radius for a picture of ``size``: 2 at a short side of 512."""
    return max(1, round(TRAINED_WIDTH * min(size) / TRAINED_SIDE))


def draw_keypose(size: tuple[int, int], bodies: Iterable[Sequence[Point | None]]) -> Image.Image:
    """An RGB picture of ``size`` with each body (17 COCO points, None: not seen) drawn on
    black: joints first, then the links between joints both seen, as mmpose draws them."""
    width, height = size
    canvas = Image.new("RGB", size, "black")
    pen = ImageDraw.Draw(canvas)
    thickness = line_width(size)

    def pixel(point: Point) -> tuple[float, float]:
        return point[0] * width, point[1] * height

    for body in bodies:
        if len(body) != len(OPENPOSE_FOR_COCO):
            raise ValueError(f"a COCO body has 17 points, not {len(body)}")
        for index, point in enumerate(body):
            if point is not None:
                x, y = pixel(point)
                pen.ellipse((x - thickness, y - thickness, x + thickness, y + thickness),
                            fill=joint_colour(index))
        for start, end, colour in LIMBS:
            if body[start] is not None and body[end] is not None:
                pen.line((pixel(body[start]), pixel(body[end])), fill=colour, width=thickness)
    return canvas
