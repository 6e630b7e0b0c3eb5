"""How every panel writes a value: one formatter, so a number reads the same wherever it shows.

The deck prints two decimals cut, not rounded (7/9 -> 0.77, -7/9 -> -0.77, 5/9 -> 0.55), and
so does convviz: the steppers, the enlarged feature map, its hover read-out and the ReLU view
all call `deck_number`. Fewer decimals (a small cell) cut the same way.
"""

from __future__ import annotations

import math

DECIMALS = 2  # the deck's


def deck_number(v: float, decimals: int = DECIMALS) -> str:
    """`v` with `decimals` decimals cut towards zero, as the deck prints them: 7/9 -> 0.77,
    -1/9 -> -0.11. A hair of tolerance keeps float32's 0.9999999 printing as 1.00; -0.00 prints
    as 0.00; NaN and infinities print nothing."""
    v = float(v)
    if not math.isfinite(v):
        return ""
    scale = 10**decimals
    t = math.trunc(v * scale + math.copysign(1e-4, v)) / scale
    return f"{t + 0.0:.{decimals}f}"  # + 0.0 turns -0.00 into 0.00
