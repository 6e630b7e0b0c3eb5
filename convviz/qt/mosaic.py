"""Many small maps laid out as one picture: one image item per layer repaints far faster than one
item per map. Plain numpy, so it is easy to test.

A mosaic of C maps of h x w with `cols` columns is rows x cols tiles separated by one-pixel gaps
of NaN (drawn transparent, so the panel's background shows between tiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MosaicLayout:
    count: int  # maps
    h: int
    w: int
    cols: int

    @property
    def rows(self) -> int:
        return math.ceil(self.count / self.cols)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the whole picture in pixels, gaps included."""
        return self.rows * (self.h + 1) - 1, self.cols * (self.w + 1) - 1

    def origin(self, index: int) -> tuple[int, int]:
        """Top-left pixel (row, col) of tile `index`."""
        r, c = divmod(index, self.cols)
        return r * (self.h + 1), c * (self.w + 1)

    def locate(self, row: float, col: float):
        """The tile and the pixel in it under picture position (row, col), or None for a gap or
        outside: (index, r, c)."""
        if row < 0 or col < 0:
            return None
        tr, r = divmod(int(row), self.h + 1)
        tc, c = divmod(int(col), self.w + 1)
        if r >= self.h or c >= self.w or tc >= self.cols:
            return None
        index = tr * self.cols + tc
        return (index, r, c) if index < self.count else None

    def compose(self, maps: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(count, h, w) -> the mosaic picture (float32, NaN in gaps). Reuses `out` when given."""
        rows, cols, h, w = self.rows, self.cols, self.h, self.w
        padded = np.full((rows * cols, h + 1, w + 1), np.nan, np.float32)
        padded[: self.count, :h, :w] = maps
        # (rows, cols, h+1, w+1) -> (rows, h+1, cols, w+1): tiles side by side, row by row
        pic = padded.reshape(rows, cols, h + 1, w + 1).transpose(0, 2, 1, 3)
        pic = pic.reshape(rows * (h + 1), cols * (w + 1))[:-1, :-1]
        if out is None:
            return np.ascontiguousarray(pic)
        out[...] = pic
        return out

    def tile(self, picture: np.ndarray, index: int) -> np.ndarray:
        """The (h, w) map at `index` read back out of a mosaic picture."""
        r0, c0 = self.origin(index)
        return picture[r0:r0 + self.h, c0:c0 + self.w]


def nice_level(m: float) -> float:
    """Round a colour-scale half-width up to 1, 2 or 5 times a power of ten, so the scale does
    not flicker with every small change of the drawing."""
    if m <= 0 or not math.isfinite(m):
        return 1.0
    p = 10 ** math.floor(math.log10(m))
    for step in (1, 2, 5, 10):
        if m <= step * p * (1 + 1e-9):
            return step * p
    return 10 * p
