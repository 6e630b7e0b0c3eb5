"""The lesson's size arithmetic, one dimension at a time, and how it is written for a person."""

from __future__ import annotations

import math


def conv_out(w: int, f: int, s: int, p: int) -> float:
    """(W - F + 2P) / S + 1, unrounded, so a caller can tell a fractional size."""
    return (w - f + 2 * p) / s + 1


def pool_out(w: int, f: int, s: int) -> int:
    """Pooling size with windows hanging over the edge counted (torch ceil_mode=True): the last
    window must still start inside the map."""
    n = math.ceil((w - f) / s) + 1
    if (n - 1) * s >= w:
        n -= 1
    return n


def per_dimension_text(rows: str, cols: str) -> str:
    """One formula when both dimensions read the same (a square map), else both, named."""
    return rows if rows == cols else f"rows: {rows}; cols: {cols}"
