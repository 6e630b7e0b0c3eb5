"""Whole-picture operations behind the canvas, for one channel (ink) or three (RGB colour).

A picture here is (C, rows, cols) float32 in 0..1 with a background value per channel: ink 0 for
a grayscale drawing, the chosen background colour for a colour one. Every tool brings in
background at the edges, and "ink" is how far a pixel is from the background (the largest
difference over its channels), so thickening and thinning act on what was drawn, in any colour.
Plain numpy: no Qt, no torch.
"""

from __future__ import annotations

import numpy as np


def _bg(background, channels: int) -> np.ndarray:
    return np.asarray(background, np.float32).reshape(channels, 1, 1)


def ink_of(pixels: np.ndarray, background) -> np.ndarray:
    """(rows, cols) in 0..1: how far each pixel is from the background colour (0: background)."""
    p = np.asarray(pixels, np.float32)
    return np.abs(p - _bg(background, len(p))).max(axis=0)


def shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """A (..., H, W) array moved by (dy, dx) cells, with 0 coming in at the edges."""
    out = np.zeros_like(a)
    h, w = a.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:
        return out
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = a[..., ys, xs]
    return out


def shift_picture(pixels, background, dy: int, dx: int) -> np.ndarray:
    bg = _bg(background, len(pixels))
    return shifted(pixels - bg, dy, dx) + bg


def resample(a: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Bilinear resampling of an (H, W) plane: output cell centre p reads the input at
    matrix @ (p - centre) + centre. Points outside the grid read 0."""
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
    return out.astype(np.float32)


def resample_picture(pixels, background, matrix) -> np.ndarray:
    """Every channel resampled the same way; background comes in from outside the grid."""
    bg = _bg(background, len(pixels))
    moved = np.stack([resample(p, matrix) for p in pixels - bg]) + bg
    return np.clip(moved, 0.0, 1.0).astype(np.float32)


def spread(pixels, background, thicker: bool) -> np.ndarray:
    """Each pixel takes the colour of the neighbour (3x3, itself included) with the most ink
    (thicker: a dilation carrying the nearest ink's colour) or the least (thinner: an erosion).
    Outside the grid counts as background. With one channel this is grey dilation / erosion."""
    bg = _bg(background, len(pixels))
    rel = np.asarray(pixels, np.float32) - bg
    ink = np.abs(rel).max(axis=0)
    offsets = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    inks = np.stack([shifted(ink, dy, dx) for dy, dx in offsets])  # (9, H, W)
    pick = inks.argmax(axis=0) if thicker else inks.argmin(axis=0)
    out = np.zeros_like(rel)
    for i, (dy, dx) in enumerate(offsets):
        here = pick == i
        if here.any():
            out[:, here] = shifted(rel, dy, dx)[:, here]
    return (out + bg).astype(np.float32)


def cell_groups(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, g) indices: which input cells along one axis each output cell is made of.
    Growing, each output cell reads the one input cell under its centre (nearest: whole-cell
    blocks, no blur). Shrinking, each input cell belongs to the output cell its centre falls
    in, so every input cell is read and none twice (a group's last index is repeated to fill
    the row). The two are the same assignment, so growing and shrinking back is exact. Integer
    arithmetic: no rounding decides a cell."""
    if n_out >= n_in:
        return ((2 * np.arange(n_out) + 1) * n_in // (2 * n_out))[:, None]
    owner = (2 * np.arange(n_in) + 1) * n_out // (2 * n_in)  # non-decreasing, hits every cell
    starts = np.searchsorted(owner, np.arange(n_out), side="left")
    ends = np.searchsorted(owner, np.arange(n_out), side="right")
    width = int((ends - starts).max())
    return np.minimum(starts[:, None] + np.arange(width)[None, :], ends[:, None] - 1)


def _fit_cells(rel: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A (C, H, W) picture relative to its background -> (C, rows, cols): each output cell
    takes the colour of the input cell in its group with the most ink. Growing this is
    nearest-neighbour; shrinking it is a max-pool of ink that carries the colour along, so a
    one-cell stroke survives at full ink in its own colour instead of fading into the
    background (an average would leave a 64-grid line at a third of its ink on 28 cells, and
    mix a red stroke on blue into purple)."""
    gr = cell_groups(rel.shape[1], rows)  # (rows, a)
    gc = cell_groups(rel.shape[2], cols)  # (cols, b)
    if gr.shape[1] == gc.shape[1] == 1:  # growing both ways: one cell each, nothing to choose
        return rel[:, gr[:, 0, None], gc[None, :, 0]]
    block = rel[:, gr[:, :, None, None], gc[None, None, :, :]]  # (C, rows, a, cols, b)
    block = block.transpose(0, 1, 3, 2, 4).reshape(len(rel), rows, cols, -1)
    pick = np.abs(block).max(axis=0).argmax(axis=-1)  # the first of equal inks
    return np.take_along_axis(block, pick[None, :, :, None], axis=-1)[..., 0]


def resize_picture(pixels, shape, background) -> np.ndarray:
    """A (C, H, W) picture fitted into `shape` (rows, cols), its aspect kept, centred, the rest
    background: switching to a network with another input keeps the drawing undistorted, and
    crisp (_fit_cells: whole-cell blocks growing, the most ink of each block shrinking)."""
    p = np.asarray(pixels, np.float32)
    rows, cols = shape
    h, w = p.shape[1:]
    if (h, w) == (rows, cols):
        return p.copy()
    scale = min(rows / h, cols / w)
    fh, fw = max(1, min(rows, round(h * scale))), max(1, min(cols, round(w * scale)))
    out = np.broadcast_to(_bg(background, len(p)), (len(p), rows, cols)).copy()
    top, left = (rows - fh) // 2, (cols - fw) // 2
    bg = _bg(background, len(p))
    out[:, top : top + fh, left : left + fw] = _fit_cells(p - bg, fh, fw) + bg
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def resize_ink(ink: np.ndarray, size) -> np.ndarray:
    """A grayscale ink grid (0 = background) resized to `size` (one side, or (rows, cols))."""
    shape = (size, size) if np.isscalar(size) else tuple(size)
    return resize_picture(np.asarray(ink, np.float32)[None], shape, (0.0,))[0]


def recolour(pixels, old_background, new_background) -> np.ndarray:
    """A new background colour under the drawing: each pixel moves by the change of background
    in proportion to how much background it holds (1 - its ink), so soft edges follow."""
    c = len(pixels)
    keep = 1.0 - np.clip(ink_of(pixels, old_background), 0.0, 1.0)
    change = _bg(new_background, c) - _bg(old_background, c)
    return np.clip(pixels + change * keep[None], 0.0, 1.0).astype(np.float32)


def to_channels(pixels, channels: int, background, colour) -> np.ndarray:
    """A picture turned into one of `channels` channels: gray ink laid in `colour` on
    `background`, or colour read back as ink (how far from the background)."""
    p = np.asarray(pixels, np.float32)
    if len(p) == channels:
        return p.copy()
    if channels == 1:
        return ink_of(p, background)[None]
    ink = p[0][None]
    bg, fg = _bg(background, channels), _bg(colour, channels)
    return (bg + (fg - bg) * ink).astype(np.float32)
