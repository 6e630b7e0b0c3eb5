"""The lesson's size arithmetic, one dimension at a time, and how it is written for a person."""

from __future__ import annotations

import math


def conv_out(w: int, f: int, s: int, p: int) -> float:
    """(W - F + 2P) / S + 1, unrounded, so a caller can tell a fractional size."""
    return (w - f + 2 * p) / s + 1


# What a pooling does with a last window that hangs over the edge of the map: "keep" counts it
# (torch's ceil_mode=True; the deck pools 7x7 to 4x4), "drop" leaves it out (ceil_mode=False,
# Keras's padding="valid": the TensorFlow tutorials pool 11x11 to 5x5). "keep" is the default
# and is left out of JSON, so files written before the choice existed read and write as before.
EDGES = ("keep", "drop")
DEFAULT_EDGE = "keep"


def edge_field():
    """The optional `edge` field, declared once for convolution and both poolings: "keep"
    (the default, left out of JSON) or "drop" the last window hanging over the edge."""
    from .registry import Field, one_of  # here: the registry's helpers, no import cycle

    return Field("edge", one_of("edge", EDGES), required=False, default=DEFAULT_EDGE, choices=EDGES)


def pool_out(w: int, f: int, s: int, edge: str = DEFAULT_EDGE) -> int:
    """Pooling size. edge "keep": windows hanging over the edge counted (torch ceil_mode=True),
    the last window must still start inside the map; "drop": whole windows only (floor)."""
    if edge == "drop":
        return (w - f) // s + 1
    n = math.ceil((w - f) / s) + 1
    if (n - 1) * s >= w:
        n -= 1
    return n


def per_dimension_text(rows: str, cols: str) -> str:
    """One formula when both dimensions read the same (a square map), else both, named."""
    return rows if rows == cols else f"rows: {rows}; cols: {cols}"
