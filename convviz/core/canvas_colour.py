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


def _resize_plane(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Bilinear resize of an (H, W) plane to (rows, cols), sampled at the new cell centres."""
    h, w = a.shape

    def axis(n_in, n_out):
        pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        p0 = np.clip(np.floor(pos).astype(int), 0, n_in - 1)
        return p0, np.clip(p0 + 1, 0, n_in - 1), np.clip(pos - p0, 0, 1)

    r0, r1, fr = axis(h, rows)
    c0, c1, fc = axis(w, cols)
    by_rows = a[r0] * (1 - fr)[:, None] + a[r1] * fr[:, None]
    return by_rows[:, c0] * (1 - fc)[None, :] + by_rows[:, c1] * fc[None, :]


def resize_picture(pixels, shape, background) -> np.ndarray:
    """A (C, H, W) picture fitted into `shape` (rows, cols), its aspect kept, centred, the rest
    background: switching to a network with another input keeps the drawing undistorted."""
    p = np.asarray(pixels, np.float32)
    rows, cols = shape
    h, w = p.shape[1:]
    if (h, w) == (rows, cols):
        return p.copy()
    scale = min(rows / h, cols / w)
    fh, fw = max(1, min(rows, round(h * scale))), max(1, min(cols, round(w * scale)))
    out = np.broadcast_to(_bg(background, len(p)), (len(p), rows, cols)).copy()
    top, left = (rows - fh) // 2, (cols - fw) // 2
    out[:, top : top + fh, left : left + fw] = [_resize_plane(plane, fh, fw) for plane in p]
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
