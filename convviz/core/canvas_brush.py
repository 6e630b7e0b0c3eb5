"""The canvas's brush: how much ink a pen dragged across the grid leaves in each cell. Pure
geometry on a grid of cells, plain numpy; CanvasModel lays the ink (or a colour) with it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .imageio import rows_cols


@dataclass
class Brush:
    """`size`: diameter in cells; `softness`: 0 = hard edge, 1 = ink fades over the whole
    radius."""

    size: float = 2.0
    softness: float = 0.3


def brush_alpha(size, x0: float, y0: float, x1: float, y1: float, brush: Brush) -> np.ndarray:
    """How much ink a brush dragged from (x0, y0) to (x1, y1) leaves in each cell, (rows, cols)
    in 0..1 (`size` one side, or (rows, cols)). Coordinates are in cells, (0, 0) the top-left
    corner of the grid; a cell's centre is at (col + 0.5, row + 0.5). Uses the distance from
    each cell centre to the segment, so a fast stroke leaves no gaps."""
    rows, cols = rows_cols(size)
    px = np.arange(cols, dtype=np.float32)[None, :] + 0.5  # (1, W)
    py = np.arange(rows, dtype=np.float32)[:, None] + 0.5  # (H, 1)
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
