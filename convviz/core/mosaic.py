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
        return picture[r0 : r0 + self.h, c0 : c0 + self.w]


def nice_level(m: float, steps=(1, 2, 5)) -> float:
    """Round a colour-scale half-width (or an axis's top) up to one of `steps` times a power of
    ten, so the scale does not flicker with every small change of the drawing."""
    if m <= 0 or not math.isfinite(m):
        return 1.0
    p = 10 ** math.floor(math.log10(m))
    for step in (*steps, 10):
        if m <= step * p * (1 + 1e-9):
            return step * p
    return 10 * p


# ---- colours ------------------------------------------------------------------------------
# A mosaic is coloured straight into 32-bit pixels (0xAARRGGBB, what QImage.Format_RGB32 reads):
# one gather puts every map value at its place in the picture, one lookup turns it into a colour.
# Gaps get one extra colour (the panel's background), so no NaNs and no alpha blending.


def colour_table(lut: np.ndarray, gap_rgb: tuple[int, int, int]) -> np.ndarray:
    """(256, 3) uint8 colours + the gap colour -> (257,) uint32 pixels; index 256 is the gap."""
    rgb = np.vstack([np.asarray(lut, np.uint32)[:, :3], np.asarray(gap_rgb, np.uint32)[None]])
    return (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)


def gather_index(layout: MosaicLayout) -> np.ndarray:
    """(rows, cols) int32 picture: the flat index into the (count, h, w) maps of the value shown
    at each pixel, or count*h*w (one past the end) for a gap."""
    n = layout.count * layout.h * layout.w
    picture = layout.compose(
        np.arange(n, dtype=np.float32).reshape(layout.count, layout.h, layout.w)
    )  # exact < 2**24
    return np.where(np.isnan(picture), n, picture).astype(np.int32)


def colour_indices(values: np.ndarray, level: float) -> np.ndarray:
    """Values -> LUT indices 0..255 on the symmetric scale -level..level (0 -> 128, the neutral
    middle colour), as pyqtgraph maps a 256-colour LUT with levels (-level, level)."""
    t = np.asarray(values, np.float32).reshape(-1) * np.float32(128.0 / level)
    t += np.float32(128.0)
    np.clip(t, 0, 255, out=t)
    return t.astype(np.uint16)


def colourise(
    values: np.ndarray, level: float, gather: np.ndarray, table: np.ndarray
) -> np.ndarray:
    """(count, h, w) values -> (rows, cols) uint32 mosaic pixels (gaps in the gap colour)."""
    q = np.empty(values.size + 1, np.uint16)
    q[:-1] = colour_indices(values, level)
    q[-1] = len(table) - 1
    return table[q[gather]]


# ---- tiles of any shape --------------------------------------------------------------------
MAX_UNITS = 8  # a layer's tiles span at most this many units across (conv2 of `shapes`: 8)


def tile_columns(count: int, h: int, w: int, max_units: int = MAX_UNITS) -> tuple[int, float]:
    """(columns, tile width in units) for `count` maps of h x w, a unit being a square map's
    tile. A square map takes one unit; a wide one (a spectrogram's 1 x 46) up to the whole row,
    so its cells stay square and large enough to see instead of a hair-thin strip. The columns
    are balanced (10 maps: two rows of 5, not 8 and 2)."""
    t = min(max(1.0, (w + 1) / (h + 1)), float(max_units))
    most = max(1, int(max_units // t))
    rows = math.ceil(count / most)
    return max(1, math.ceil(count / rows)), t


def ramp_indices(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values -> ramp indices 0..255 with lo -> 0 and hi -> 255 (an input channel's value range:
    the background dark, full ink the channel's full colour), clipped outside."""
    span = np.float32(255.0 / (hi - lo)) if hi != lo else np.float32(0.0)
    t = (np.asarray(values, np.float32).reshape(-1) - np.float32(lo)) * span
    np.clip(t, 0, 255, out=t)
    return t.astype(np.uint16)


def true_colour(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """(3, h, w) input in lo..hi -> (h, w) uint32 pixels 0xFFRRGGBB, as the canvas shows it."""
    rgb = ramp_indices(values, lo, hi).astype(np.uint32).reshape(values.shape)
    return (0xFF000000 | (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]).astype(np.uint32)


def colourise_ramps(
    values: np.ndarray, lo: float, hi: float, gather: np.ndarray, tables: np.ndarray
) -> np.ndarray:
    """(C, h, w) input channels -> mosaic pixels, channel k through ramp k: `tables` is
    (K * 256 + 1,) uint32, ramp k at k*256.., the gap colour last. Tiles past the C channels
    (the true-colour thumbnail's place) stay gap-coloured for the caller to fill."""
    c, hw = values.shape[0], values[0].size
    q = np.full(int(gather.max()) + 1, len(tables) - 1, np.uint16)  # the gap colour by default
    for k in range(c):  # each channel's own ramp: one offset into the stacked tables
        q[k * hw : (k + 1) * hw] = ramp_indices(values[k], lo, hi) + np.uint16(256 * k)
    return tables[q[gather]]


# ---- colour kernels ------------------------------------------------------------------------
def kernel_rgb(weight: np.ndarray, level: float) -> np.ndarray:
    """(F, 3, kh, kw) first-layer weights of a colour network -> (F, kh, kw, 3) uint8 pictures,
    each kernel's red, green and blue weights as its colour, scaled symmetric around 0 as the
    AlexNet paper's figure shows them: a weight w becomes 128 + 127 * w / level per channel, so
    0 is mid grey, +level full and -level none of that colour (level: the layer's largest
    |weight|, one scale for every kernel so they compare)."""
    t = np.asarray(weight, np.float32) * np.float32(127.0 / level) + np.float32(128.0)
    np.clip(np.rint(t), 0, 255, out=t)
    return t.astype(np.uint8).transpose(0, 2, 3, 1)


def compose_rgb(layout: MosaicLayout, tiles: np.ndarray, gap_rgb) -> np.ndarray:
    """(count, h, w, 3) uint8 tiles -> one (rows, cols, 3) uint8 picture, gaps in `gap_rgb`."""
    out = np.empty((*layout.shape, 3), np.uint8)
    out[...] = np.asarray(gap_rgb, np.uint8)
    for i in range(layout.count):
        r0, c0 = layout.origin(i)
        out[r0 : r0 + layout.h, c0 : c0 + layout.w] = tiles[i]
    return out
