"""What a CellGrid's cells show, worked out from the values (numpy, no drawing): the colour
index of each cell on a symmetric scale, the number each prints, and that scale. Split from
cell_grid.py, which draws them (the names stay importable from there)."""

from __future__ import annotations

import numpy as np

from ...core.mosaic import colour_indices as mosaic_colour_indices
from ...core.numbers import deck_number


def colour_indices(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """LUT indices of a map on its symmetric scale (symmetric_levels): the mosaic's mapping
    (core.mosaic.colour_indices), with NaN (off the map) as zero."""
    level = max(abs(levels[0]), abs(levels[1])) or 1.0
    v = np.nan_to_num(np.asarray(values, np.float32), nan=0.0)
    return mosaic_colour_indices(v, level).reshape(v.shape).astype(np.intp)


def cell_texts(values: np.ndarray) -> list[list[str]]:
    """What the cells print: a grid of whole numbers as they are (the deck's 1 and -1),
    otherwise two decimals cut as the deck does (7/9 -> 0.77); NaN prints nothing."""
    finite = values[np.isfinite(values)]
    whole = (
        finite.size
        and np.all(np.abs(finite - np.round(finite)) < 1e-6)
        and np.all(np.abs(finite) < 1e4)
    )
    if whole:
        return [["" if v != v else str(round(v)) for v in row] for row in values.tolist()]
    return [[deck_number(v) for v in row] for row in values.tolist()]


def symmetric_levels(*arrays) -> tuple[float, float]:
    """(-a, a) with a the largest magnitude: zero is always the neutral middle colour."""
    a = max(
        (float(np.nanmax(np.abs(x))) for x in arrays if x.size and np.isfinite(x).any()),
        default=1.0,
    )
    a = a if a > 1e-12 else 1.0
    return (-a, a)
