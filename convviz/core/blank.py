"""What counts as blank: an input with almost no ink, too little to classify. Defined once,
here, and read by the unsure judgement (core/unsure.py), the votes panel and the window."""

from __future__ import annotations

import numpy as np

from .canvas_colour import ink_of

# Below this share of the grid's full ink there is nothing to classify (a blank canvas, a stray
# dot): about 3 full cells of a 28x28 grid. A network still names a class for it, often "sure".
BLANK_INK_SHARE = 0.004


def is_blank(values: np.ndarray, value_range) -> bool:
    """True when `values` (in the network's value range) hold almost no ink. One channel: ink
    is the high end of the range (background low). Several (colour): ink is how far a pixel is
    from the picture's most common colour (the median of each channel stands for the
    background, whatever colour it is)."""
    lo, hi = value_range
    v = np.clip((np.asarray(values, np.float32) - lo) / (hi - lo), 0.0, 1.0)
    if not v.size:
        return True
    if v.ndim == 3 and v.shape[0] > 1:
        background = np.median(v.reshape(len(v), -1), axis=1)
        v = ink_of(v, background)
    return float(v.mean()) < BLANK_INK_SHARE
