"""Affine transforms of a layer's content (move, scale, rotate, flip), pure numpy and Pillow.

A transform is a 3×3 matrix taking a document point (x, y, 1) where the content is now to where
it goes; pixel (i, j) covers the square [i, i + 1) × [j, j + 1), so its centre is (i + ½, j + ½).
Positive angles turn clockwise on screen (y points down), as Qt's ``QTransform.rotate`` does.

A quarter turn or a flip whose linear part is a signed permutation moves whole pixels: it is
snapped to the pixel grid and done with numpy (exactly ``np.rot90`` / ``np.flip``, no blur).
Anything else is resampled by Pillow on premultiplied alpha (no dark fringes), bicubic by
default, and only over the rectangle the content covers before and after.

With a ``mask`` (a selection) only the selected pixels are lifted: the hole is left transparent
and the transformed piece is laid over what is underneath; unselected pixels elsewhere are
untouched. :func:`transformed_mask` moves the selection itself the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.document.selection import Selection
from t2ia_desktop.core.undo.commands import Command

Rect = tuple[int, int, int, int]  # x, y, width, height
Matrix = np.ndarray  # (3, 3) float64

RESAMPLING = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
              "bicubic": Image.Resampling.BICUBIC}
"""Resampling names an artist picks from (Pillow filters)."""
_EPSILON = 1e-6
_MARGIN = 2


# -- matrices ---------------------------------------------------------------------------------
def translation(dx: float, dy: float) -> Matrix:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def scaling(sx: float, sy: float) -> Matrix:
    return np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


def rotation(degrees: float) -> Matrix:
    """A clockwise turn (on screen) about the origin; quarter turns are exact."""
    turns = degrees / 90.0
    if abs(turns - round(turns)) < 1e-12:
        cos, sin = [(1, 0), (0, 1), (-1, 0), (0, -1)][round(turns) % 4]
    else:
        cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]], float)


def about(matrix: Matrix, cx: float, cy: float) -> Matrix:
    """``matrix`` done about the point (cx, cy) instead of the origin."""
    return translation(cx, cy) @ matrix @ translation(-cx, -cy)


def frame_matrix(source: tuple[float, float, float, float],
                 target: tuple[float, float, float, float], degrees: float = 0.0,
                 flip_x: bool = False, flip_y: bool = False) -> Matrix:
    """The content in the ``source`` box (x, y, w, h) scaled into the ``target`` box, mirrored
    across the box's centre lines, then turned by ``degrees`` about the target's centre."""
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    stretch = scaling((-1 if flip_x else 1) * tw / max(sw, _EPSILON),
                      (-1 if flip_y else 1) * th / max(sh, _EPSILON))
    return (translation(tx + tw / 2, ty + th / 2) @ rotation(degrees) @ stretch
            @ translation(-(sx + sw / 2), -(sy + sh / 2)))


def map_point(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    px, py, _ = matrix @ np.array([x, y, 1.0])
    return float(px), float(py)


def mapped_bounds(matrix: Matrix, rect: tuple[float, float, float, float]
                  ) -> tuple[float, float, float, float]:
    """The axis-aligned box (left, top, right, bottom) around ``rect``'s four corners mapped."""
    x, y, w, h = rect
    corners = np.array([[x, y, 1.0], [x + w, y, 1.0], [x + w, y + h, 1.0], [x, y + h, 1.0]])
    mapped = corners @ matrix.T
    return (float(mapped[:, 0].min()), float(mapped[:, 1].min()), float(mapped[:, 0].max()),
            float(mapped[:, 1].max()))


def whole_pixel_turn(matrix: Matrix) -> tuple[int, int, int, int] | None:
    """(a, b, c, d) when the linear part is a flip and/or quarter turn (a signed permutation),
    else None."""
    linear = matrix[:2, :2]
    rounded = np.round(linear)
    if not np.allclose(linear, rounded, atol=1e-9):
        return None
    a, b, c, d = (int(v) for v in rounded.ravel())
    if sorted((abs(a), abs(b), abs(c), abs(d))) != [0, 0, 1, 1] or abs(a * d - b * c) != 1:
        return None
    return a, b, c, d


def snapped(matrix: Matrix) -> Matrix:
    """A flip or quarter turn nudged (at most half a pixel) so pixel centres land on pixel
    centres: whole pixels move and nothing blurs. Other matrices come back unchanged."""
    if whole_pixel_turn(matrix) is None:
        return matrix
    cx, cy = map_point(matrix, 0.5, 0.5)
    out = matrix.copy()
    out[0, 2] += math.floor(cx) + 0.5 - cx
    out[1, 2] += math.floor(cy) + 0.5 - cy
    return out


def is_identity(matrix: Matrix) -> bool:
    return bool(np.allclose(matrix, np.eye(3), atol=1e-9))


# -- pixels -----------------------------------------------------------------------------------
def _bounds(flags: np.ndarray) -> Rect:
    rows = np.flatnonzero(flags.any(axis=1))
    if not rows.size:
        return 0, 0, 0, 0
    columns = np.flatnonzero(flags.any(axis=0))
    return (int(columns[0]), int(rows[0]), int(columns[-1] - columns[0] + 1),
            int(rows[-1] - rows[0] + 1))


def _clip(rect: Rect, width: int, height: int) -> Rect:
    x, y, w, h = rect
    left, top = max(0, x), max(0, y)
    right, bottom = min(width, x + max(0, w)), min(height, y + max(0, h))
    return left, top, max(0, right - left), max(0, bottom - top)


def union(*rects: Rect) -> Rect:
    """The smallest rectangle around every non-empty one ((0, 0, 0, 0) when none)."""
    rects = tuple(r for r in rects if r[2] > 0 and r[3] > 0)
    if not rects:
        return 0, 0, 0, 0
    left, top = min(r[0] for r in rects), min(r[1] for r in rects)
    right = max(r[0] + r[2] for r in rects)
    bottom = max(r[1] + r[3] for r in rects)
    return left, top, right - left, bottom - top


@dataclass
class Piece:
    """Pixels lifted off a layer: ``pixels`` (straight RGBA, transparent where not lifted) whose
    top-left corner sits at ``origin`` on the canvas."""

    pixels: np.ndarray
    origin: tuple[int, int]

    @property
    def rect(self) -> Rect:
        return (*self.origin, self.pixels.shape[1], self.pixels.shape[0])


def lift(pixels: np.ndarray, mask: np.ndarray | None = None) -> Piece:
    """The layer's content (its non-transparent pixels), or only the selected part of it."""
    chosen = pixels[..., 3] > 0
    if mask is not None:
        chosen &= mask
    x, y, w, h = _bounds(chosen)
    piece = pixels[y:y + h, x:x + w].copy()
    if mask is not None:
        piece[~mask[y:y + h, x:x + w]] = 0
    return Piece(piece, (x, y))


def place(piece: Piece, matrix: Matrix, size: tuple[int, int],
          resample: str = "bicubic") -> Piece:
    """``piece`` transformed by ``matrix``, cropped to a ``size`` (width, height) canvas.

    Flips and quarter turns move whole pixels (exact); other transforms are resampled by
    Pillow on premultiplied alpha over the covered rectangle only.
    """
    if resample not in RESAMPLING:
        raise ValueError(f"unknown resampling {resample!r} (use {', '.join(RESAMPLING)})")
    width, height = size
    h, w = piece.pixels.shape[:2]
    if not w or not h:
        return Piece(np.zeros((0, 0, 4), np.uint8), (0, 0))
    matrix = snapped(matrix)
    left, top, right, bottom = mapped_bounds(matrix, (*piece.origin, w, h))
    turn = whole_pixel_turn(matrix)
    if turn is not None:
        return _crop(Piece(_turned(piece.pixels, turn), (round(left), round(top))), width,
                     height)
    left, top = math.floor(left) - 1, math.floor(top) - 1  # room for the soft edge
    right, bottom = math.ceil(right) + 1, math.ceil(bottom) + 1
    box = _clip((left, top, right - left, bottom - top), width, height)
    bx, by, bw, bh = box
    if not bw or not bh:
        return Piece(np.zeros((0, 0, 4), np.uint8), (0, 0))
    # Pillow samples the source at each output pixel's inverse-mapped centre; a margin of
    # repeated edge pixels keeps the colour there, the box's coverage then softens the edge
    padded = np.pad(piece.pixels, ((_MARGIN, _MARGIN), (_MARGIN, _MARGIN), (0, 0)), "edge")
    ox, oy = piece.origin[0] - _MARGIN, piece.origin[1] - _MARGIN
    back = translation(-ox, -oy) @ np.linalg.inv(matrix) @ translation(bx, by)
    source = Image.fromarray(padded, "RGBA").convert("RGBa")
    out = np.array(source.transform((bw, bh), Image.Transform.AFFINE,
                                    tuple(back[:2].ravel()), resample=RESAMPLING[resample]))
    cover = _coverage(back, (bw, bh), (w, h))
    edge = cover < 1.0  # only the rim is partly covered: scale just those pixels
    out[edge] = np.rint(out[edge] * cover[edge][:, None]).astype(np.uint8)
    return Piece(np.array(Image.fromarray(out, "RGBa").convert("RGBA")), (bx, by))


def _coverage(back: Matrix, size: tuple[int, int], box: tuple[int, int]) -> np.ndarray:
    """How much of each output pixel the transformed source box covers (0…1), from the signed
    distance of its centre to the box's four edges, in output pixels."""
    (width, height), (w, h) = size, box
    xs = (np.arange(width, dtype=np.float32) + 0.5)[None, :]
    ys = (np.arange(height, dtype=np.float32) + 0.5)[:, None]
    b = back.astype(np.float32)
    u = b[0, 0] * xs + b[0, 1] * ys + (b[0, 2] - _MARGIN)
    v = b[1, 0] * xs + b[1, 1] * ys + (b[1, 2] - _MARGIN)
    u_step, v_step = math.hypot(*back[0, :2]), math.hypot(*back[1, :2])
    cover = np.ones((height, width), np.float32)
    for distance, step in ((u, u_step), (w - u, u_step), (v, v_step), (h - v, v_step)):
        cover *= np.clip(distance / max(step, _EPSILON) + 0.5, 0.0, 1.0)
    return cover


def _turned(pixels: np.ndarray, turn: tuple[int, int, int, int]) -> np.ndarray:
    """``pixels`` under x' = a·x + b·y, y' = c·x + d·y, as whole pixels."""
    a, b, c, d = turn
    if b == 0:  # no swap of axes: flips only
        out = pixels[:, ::-1] if a < 0 else pixels
        return np.ascontiguousarray(out[::-1] if d < 0 else out)
    out = pixels.transpose(1, 0, 2)  # rows follow x, columns follow y
    out = out[:, ::-1] if b < 0 else out
    return np.ascontiguousarray(out[::-1] if c < 0 else out)


def _crop(piece: Piece, width: int, height: int) -> Piece:
    x, y = piece.origin
    cx, cy, cw, ch = _clip(piece.rect, width, height)
    return Piece(piece.pixels[cy - y:cy - y + ch, cx - x:cx - x + cw], (cx, cy))


def lay_over(patch: np.ndarray, piece: np.ndarray) -> None:
    """Composite straight-RGBA ``piece`` over ``patch`` in place (source-over)."""
    top_alpha = piece[..., 3:4].astype(np.float32) / 255
    under_alpha = patch[..., 3:4].astype(np.float32) / 255
    alpha = top_alpha + under_alpha * (1 - top_alpha)
    colour = (piece[..., :3] * top_alpha + patch[..., :3] * under_alpha * (1 - top_alpha))
    colour = np.divide(colour, alpha, out=np.zeros_like(colour), where=alpha > 0)
    patch[..., :3] = np.clip(np.rint(colour), 0, 255).astype(np.uint8)
    patch[..., 3:4] = np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)


def transformed_region(pixels: np.ndarray, matrix: Matrix, mask: np.ndarray | None = None,
                       resample: str = "bicubic", piece: Piece | None = None
                       ) -> tuple[Rect, np.ndarray]:
    """The rectangle a transform changes and its new pixels (the layer is not touched).

    Without ``mask`` the whole content moves; with one only the selected pixels move, the hole
    they leave is transparent and they land over the pixels there. ``piece`` (from
    :func:`lift` with the same mask) saves lifting again.
    """
    height, width = pixels.shape[:2]
    if mask is not None and mask.shape != (height, width):
        raise ValueError(f"a mask of {mask.shape[1::-1]} does not fit a {width}×{height} layer")
    piece = piece if piece is not None else lift(pixels, mask)
    placed = place(piece, matrix, (width, height), resample)
    region = _clip(union(piece.rect, placed.rect), width, height)
    x, y, w, h = region
    patch = pixels[y:y + h, x:x + w].copy()
    if mask is None:
        patch[...] = 0  # the whole content was lifted
    else:
        sx, sy, sw, sh = piece.rect
        lifted = mask[sy:sy + sh, sx:sx + sw]
        patch[sy - y:sy - y + sh, sx - x:sx - x + sw][lifted] = 0
    px, py, pw, ph = placed.rect
    if pw and ph and mask is None:  # over transparency: the piece as it is
        patch[py - y:py - y + ph, px - x:px - x + pw] = placed.pixels
    elif pw and ph:
        lay_over(patch[py - y:py - y + ph, px - x:px - x + pw], placed.pixels)
    return region, patch


def transformed_mask(mask: np.ndarray, matrix: Matrix) -> np.ndarray:
    """A selection mask moved by the same transform as its pixels (canvas-sized, bool)."""
    height, width = mask.shape
    x, y, w, h = _bounds(mask)
    out = np.zeros_like(mask, bool)
    if not w:
        return out
    coverage = np.where(mask[y:y + h, x:x + w], 255, 0).astype(np.uint8)
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 3] = coverage
    rgba[..., :3] = 255
    placed = place(Piece(rgba, (x, y)), matrix, (width, height), "bilinear")
    px, py, pw, ph = placed.rect
    out[py:py + ph, px:px + pw] = placed.pixels[..., 3] >= 128
    return out


def quarter_turn_matrix(rect: Rect, turns: int) -> Matrix:
    """Turn the box ``rect`` by ``turns`` quarter turns clockwise about its centre."""
    x, y, w, h = rect
    return snapped(about(rotation(90.0 * turns), x + w / 2, y + h / 2))


class MaskChange(Command):
    """A selection moved with the pixels it selects (part of a transform's undo step): the
    before and after masks of the rectangle where they differ."""

    def __init__(self, selection: Selection, rect: Rect, before: np.ndarray,
                 after: np.ndarray, label: str = "Move selection") -> None:
        self.selection = selection
        self.rect = rect
        self.before = before
        self.after = after
        self.label = label

    @classmethod
    def between(cls, selection: Selection, before: np.ndarray, after: np.ndarray,
                label: str = "Move selection") -> MaskChange:
        x, y, w, h = _bounds(before != after)
        return cls(selection, (x, y, w, h), before[y:y + h, x:x + w].copy(),
                   after[y:y + h, x:x + w].copy(), label)

    def redo(self, document: Document | None) -> None:
        self._put(self.after)

    def undo(self, document: Document | None) -> None:
        self._put(self.before)

    def _put(self, patch: np.ndarray) -> None:
        x, y, w, h = self.rect
        mask = self.selection.mask.copy()
        mask[y:y + h, x:x + w] = patch
        self.selection.set_mask(mask)

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes

    def is_noop(self) -> bool:
        return self.rect[2] == 0 or self.rect[3] == 0
