"""The drawing behind the canvas: a grid of ink values, brush strokes, undo/redo and the deck's
"trickier cases" (shift, rotate, scale, thicken, thin). Plain numpy: no Qt, no torch.

Ink is stored as a (size, size) float32 array in 0..1 (0 = background, 1 = full ink); the
network sees it mapped into its own value range by `as_input()` (the deck's -1..1 for xo).
Every whole stroke or tool is one undo step. Listeners are plain callables, called after each
change, so a Qt view (or a test) can follow the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

UNDO_LIMIT = 200  # grids are tiny (32x32 floats = 4 KiB), so whole copies are cheap
# Below this share of the grid's full ink there is nothing to classify (a blank canvas, a stray
# dot): about 3 full cells of a 28x28 grid. A network still names a class for it, often "sure".
BLANK_INK_SHARE = 0.004


def is_blank(values: np.ndarray, value_range) -> bool:
    """True when `values` (in the network's value range, background low) hold almost no ink."""
    lo, hi = value_range
    ink = np.clip((np.asarray(values, np.float32) - lo) / (hi - lo), 0.0, 1.0)
    return float(ink.mean()) < BLANK_INK_SHARE if ink.size else True


@dataclass
class Brush:
    """`size`: diameter in cells; `softness`: 0 = hard edge, 1 = ink fades over the whole
    radius."""

    size: float = 2.0
    softness: float = 0.3


def brush_alpha(size: int, x0: float, y0: float, x1: float, y1: float, brush: Brush) -> np.ndarray:
    """How much ink a brush dragged from (x0, y0) to (x1, y1) leaves in each cell, (size, size)
    in 0..1. Coordinates are in cells, (0, 0) the top-left corner of the grid; a cell's centre
    is at (col + 0.5, row + 0.5). Uses the distance from each cell centre to the segment, so a
    fast stroke leaves no gaps."""
    c = np.arange(size, dtype=np.float32) + 0.5
    px, py = c[None, :], c[:, None]  # (1, W), (H, 1)
    dx, dy = x1 - x0, y1 - y0
    seg2 = dx * dx + dy * dy
    if seg2 > 0:
        t = np.clip(((px - x0) * dx + (py - y0) * dy) / seg2, 0.0, 1.0)
    else:
        t = np.zeros((1, 1), np.float32)
    dist = np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))  # (H, W)
    radius = max(brush.size, 0.5) / 2.0 + 0.5 * brush.softness  # soft brushes reach further
    fringe = max(radius * brush.softness, 1e-3)
    # full ink up to radius - fringe, then falling linearly to nothing at the radius; a hard
    # brush of size 1 inks exactly the cell under the pen
    return np.clip((radius - dist) / fringe, 0.0, 1.0).astype(np.float32)


def _shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """`a` moved by (dy, dx) cells, with background (0) coming in at the edges."""
    out = np.zeros_like(a)
    h, w = a.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = a[ys, xs]
    return out


def _neighbourhood(a: np.ndarray, reduce) -> np.ndarray:
    """3x3 max or min filter (grey dilation / erosion), background outside the grid."""
    stack = [_shifted(a, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    return reduce(np.stack(stack), axis=0)


def _resample(a: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Bilinear resampling: output cell centre p maps to input point matrix @ (p - centre) +
    centre. Points outside the grid read background."""
    h, w = a.shape
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    src_x = matrix[0, 0] * (xx - cx) + matrix[0, 1] * (yy - cy) + cx
    src_y = matrix[1, 0] * (xx - cx) + matrix[1, 1] * (yy - cy) + cy
    x0, y0 = np.floor(src_x).astype(int), np.floor(src_y).astype(int)
    fx, fy = src_x - x0, src_y - y0
    padded = np.pad(a, 1)  # a ring of background so neighbours just outside read 0

    def at(yi, xi):
        yi, xi = yi + 1, xi + 1
        ok = (yi >= 0) & (yi < h + 2) & (xi >= 0) & (xi < w + 2)
        return np.where(ok, padded[np.clip(yi, 0, h + 1), np.clip(xi, 0, w + 1)], 0.0)

    out = (
        at(y0, x0) * (1 - fx) * (1 - fy)
        + at(y0, x0 + 1) * fx * (1 - fy)
        + at(y0 + 1, x0) * (1 - fx) * fy
        + at(y0 + 1, x0 + 1) * fx * fy
    )
    return np.clip(out, 0.0, 1.0).astype(np.float32)


class CanvasModel:
    """A square grid of ink with stroke-level undo/redo.

    Drawing: `begin_stroke(x, y, erase)`, `stroke_to(x, y)` for each pen move, `end_stroke()`.
    Tools (each one undo step): clear, set_ink, shift, rotate, scale, thicken, thin.
    """

    def __init__(self, size: int, value_range: tuple[float, float] = (-1.0, 1.0)):
        self.size = int(size)
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self.ink = np.zeros((self.size, self.size), np.float32)
        self.brush = Brush()
        self._undo: list[np.ndarray] = []
        self._redo: list[np.ndarray] = []
        self._pen: tuple[float, float] | None = None
        self._erasing = False
        self._listeners: list[Callable[[], None]] = []

    # ---- listening -------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for cb in list(self._listeners):
            cb()

    def resize(self, size: int, value_range: tuple[float, float]) -> None:
        """Follow a new model's input: the drawing (and its undo history) is resampled to the
        new grid rather than thrown away."""
        self.end_stroke()
        self.value_range = (float(value_range[0]), float(value_range[1]))
        if int(size) != self.size:
            self.size = int(size)
            self.ink = resize_ink(self.ink, self.size)
            self._undo = [resize_ink(a, self.size) for a in self._undo]
            self._redo = [resize_ink(a, self.size) for a in self._redo]
        self._changed()

    # ---- what the network sees -------------------------------------------------------------
    def as_input(self) -> np.ndarray:
        """(size, size) float32 in the model's value range: background -> low, ink -> high."""
        lo, hi = self.value_range
        return (lo + self.ink * (hi - lo)).astype(np.float32)

    # ---- undo ------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def _remember(self) -> None:
        self._undo.append(self.ink.copy())
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()

    def undo(self) -> bool:
        if self._pen is not None:
            self.end_stroke()
        if not self._undo:
            return False
        self._redo.append(self.ink)
        self.ink = self._undo.pop()
        self._changed()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.ink)
        self.ink = self._redo.pop()
        self._changed()
        return True

    # ---- strokes ---------------------------------------------------------------------------
    @property
    def drawing(self) -> bool:
        return self._pen is not None

    def begin_stroke(self, x: float, y: float, erase: bool = False) -> None:
        """Put the pen down at (x, y) in cell units; the whole stroke is one undo step."""
        if self._pen is not None:
            self.end_stroke()
        self._remember()
        self._erasing = erase
        self._pen = (x, y)
        self._dab(x, y, x, y)

    def stroke_to(self, x: float, y: float) -> None:
        if self._pen is None:
            return
        x0, y0 = self._pen
        self._pen = (x, y)
        self._dab(x0, y0, x, y)

    def end_stroke(self) -> None:
        self._pen = None

    def _dab(self, x0, y0, x1, y1) -> None:
        alpha = brush_alpha(self.size, x0, y0, x1, y1, self.brush)
        if self._erasing:
            np.minimum(self.ink, 1.0 - alpha, out=self.ink)
        else:
            np.maximum(self.ink, alpha, out=self.ink)
        self._changed()

    # ---- whole-drawing tools ---------------------------------------------------------------
    def _apply(self, new_ink: np.ndarray) -> None:
        self.end_stroke()
        self._remember()
        self.ink = np.clip(np.asarray(new_ink, np.float32), 0.0, 1.0).copy()
        self._changed()

    def clear(self) -> None:
        self._apply(np.zeros_like(self.ink))

    def set_ink(self, ink: np.ndarray) -> None:
        """Replace the drawing with (size, size) ink in 0..1 (e.g. an opened image)."""
        ink = np.asarray(ink, np.float32)
        if ink.shape != self.ink.shape:
            raise ValueError(
                f"drawing must be {self.size}x{self.size}, got {'x'.join(map(str, ink.shape))}"
            )
        self._apply(ink)

    def set_input(self, image: np.ndarray) -> None:
        """Replace the drawing with an image already in the model's value range."""
        lo, hi = self.value_range
        self.set_ink((np.asarray(image, np.float32) - lo) / (hi - lo))

    def shift(self, dx: int, dy: int) -> None:
        """Move the drawing by whole cells (dx right, dy down); what leaves the grid is lost."""
        self._apply(_shifted(self.ink, int(dy), int(dx)))

    def rotate(self, degrees: float) -> None:
        """Turn the drawing about the grid centre, clockwise on screen for positive degrees."""
        t = math.radians(degrees)
        # output point p reads input R(-t) p; rows grow downwards, so this turns clockwise
        m = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
        self._apply(_resample(self.ink, m))

    def scale(self, factor: float) -> None:
        """Grow (factor > 1) or shrink the drawing about the grid centre."""
        self._apply(_resample(self.ink, np.eye(2) / float(factor)))

    def thicken(self) -> None:
        """Strokes one cell wider on every side (3x3 grey dilation)."""
        self._apply(_neighbourhood(self.ink, np.max))

    def thin(self) -> None:
        """Strokes one cell narrower on every side (3x3 grey erosion)."""
        self._apply(_neighbourhood(self.ink, np.min))


def resize_ink(ink: np.ndarray, size: int) -> np.ndarray:
    """Area-average / bilinear resize of a square ink grid to size x size (used when switching
    presets keeps the drawing)."""
    ink = np.asarray(ink, np.float32)
    n = ink.shape[0]
    if n == size:
        return ink.copy()
    # sample at cell centres of the new grid, in the old grid's coordinates
    pos = (np.arange(size) + 0.5) * n / size - 0.5
    p0 = np.clip(np.floor(pos).astype(int), 0, n - 1)
    p1 = np.clip(p0 + 1, 0, n - 1)
    f = np.clip(pos - p0, 0, 1)
    rows = ink[p0] * (1 - f)[:, None] + ink[p1] * f[:, None]
    out = rows[:, p0] * (1 - f)[None, :] + rows[:, p1] * f[None, :]
    return np.clip(out, 0, 1).astype(np.float32)
