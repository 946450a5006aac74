"""The keypose adapter's drawing: COCO-17 skeletons, coloured by side, on black."""

from __future__ import annotations

import numpy as np
import pytest

from t2ia_desktop.core.conditions.keypose import (
    CENTRE,
    LEFT,
    RIGHT,
    coco_from_openpose,
    draw_keypose,
    joint_colour,
    line_width,
)

BLACK = (0, 0, 0)


def body(**points):
    """A COCO body with the named joints (by COCO index ``j<i>``), the rest unseen."""
    coco = [None] * 17
    for name, point in points.items():
        coco[int(name[1:])] = point
    return coco


# nose alone (eyes unseen), both shoulders, the left elbow and hip, the right wrist alone
POSE = body(j0=(0.5, 0.1), j5=(0.7, 0.3), j6=(0.3, 0.3), j7=(0.7, 0.6), j11=(0.7, 0.8),
            j10=(0.1, 0.9))


def colours_near(pixels, x, y, reach=3):
    patch = pixels[y - reach:y + reach + 1, x - reach:x + reach + 1].reshape(-1, 3)
    return {tuple(int(v) for v in p) for p in patch}


@pytest.fixture(scope="module")
def drawn():
    return np.asarray(draw_keypose((512, 512), [POSE]))


def test_only_the_four_colours_on_black(drawn):
    assert {tuple(p) for p in drawn.reshape(-1, 3)} == {BLACK, LEFT, RIGHT, CENTRE}


@pytest.mark.parametrize(("where", "colour"), [
    ((0.7, 0.45), LEFT),     # left upper arm: shoulder 5 to elbow 7
    ((0.5, 0.3), CENTRE),    # shoulder to shoulder: torso
    ((0.7, 0.55), LEFT),     # the left side again, further down the arm
    ((0.7, 0.7), CENTRE),    # left shoulder to left hip: torso, not the side's green
    ((0.1, 0.9), RIGHT),     # the right wrist, a lone joint
    ((0.5, 0.1), CENTRE),    # the nose, a lone joint of the head
])
def test_limbs_and_joints_have_their_colours_where_expected(drawn, where, colour):
    x, y = round(where[0] * 512), round(where[1] * 512)
    assert colours_near(drawn, x, y, reach=1) - {BLACK} == {colour}


@pytest.mark.parametrize("where", [
    (0.2, 0.45),   # right upper arm: the right elbow is unseen, so no limb
    (0.5, 0.2),    # nose to shoulders: COCO has no such link (the neck is not a joint)
    (0.4, 0.6),    # far from everything
])
def test_no_limb_where_a_joint_is_missing_or_no_link_exists(drawn, where):
    x, y = round(where[0] * 512), round(where[1] * 512)
    assert colours_near(drawn, x, y) == {BLACK}


def test_lines_are_two_pixels_at_512_and_scale_with_the_short_side():
    assert line_width((512, 512)) == 2
    assert line_width((1024, 2048)) == 4
    assert line_width((96, 64)) == 1
    column = np.asarray(draw_keypose((1024, 1024), [POSE]))[200:400, 512]  # shoulder line
    lit = 200 + np.flatnonzero((column == CENTRE).all(axis=1))
    assert 3 <= len(lit) <= 5
    assert lit.max() - lit.min() == len(lit) - 1
    assert abs(lit.mean() - 0.3 * 1024) <= 1.5


def test_joint_colours_follow_mmpose_sides():
    assert [joint_colour(i) for i in range(5)] == [CENTRE] * 5
    assert joint_colour(5) == LEFT  # odd: the body's left
    assert joint_colour(15) == LEFT
    assert joint_colour(6) == RIGHT
    assert joint_colour(16) == RIGHT


def test_openpose_points_are_reordered_into_coco_and_the_neck_dropped():
    openpose = [(i / 20, i / 40) for i in range(18)]
    coco = coco_from_openpose(openpose)
    assert len(coco) == 17
    assert coco[0] == openpose[0]  # nose
    assert coco[1:3] == [openpose[15], openpose[14]]  # left eye, right eye
    assert coco[5:7] == [openpose[5], openpose[2]]  # left, right shoulder
    assert coco[16] == openpose[10]  # right ankle
    assert openpose[1] not in coco  # the neck


def test_no_bodies_is_a_black_picture_and_wrong_lengths_are_refused():
    assert not np.asarray(draw_keypose((64, 48), [])).any()
    with pytest.raises(ValueError, match="18 points"):
        coco_from_openpose([None] * 17)
    with pytest.raises(ValueError, match="17 points"):
        draw_keypose((64, 64), [[None] * 18])
