"""Opening a picture onto the canvas: scaled to the grid, in the model's value range."""

from __future__ import annotations

import numpy as np

from convviz.core.errors import DataError


def load_picture(path: str, size: int, value_range: tuple[float, float]) -> np.ndarray:
    """(size, size) float32 in `value_range`, ink high. Raises DataError with one line."""
    try:
        from convviz.core.imageio import load_image
    except ImportError:  # the core's reader has not landed yet: a plain Pillow reading
        return _pillow_picture(path, size, value_range)
    return load_image(path, size, value_range)


def _pillow_picture(path, size, value_range):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            grey = np.asarray(im.convert("L").resize((size, size), Image.BILINEAR), np.float32)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as e:
        raise DataError(f"{path}: not a readable image ({e})") from None
    ink = grey / 255.0
    if ink.mean() > 0.5:  # dark strokes on light paper: ink is the dark part
        ink = 1.0 - ink
    lo, hi = value_range
    return (lo + ink * (hi - lo)).astype(np.float32)
