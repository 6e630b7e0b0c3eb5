"""Pictures and number grids in, arrays in the model's value range out.

Convention everywhere in convviz: ink is the high end of the value range (1 in the deck, where
the X is drawn in white on black). A picture with a light background, such as a pen drawing on
paper, is inverted first, so dark-on-light and light-on-dark pictures both work.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def is_image_path(path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def decode_gray(path) -> np.ndarray:
    """Decode any image Pillow reads into a float32 (H, W) array, 0 = black .. 1 = white.

    8- and 16-bit, palette and transparent images are handled; transparency is laid over white
    (a transparent background behaves like paper).
    """
    from PIL import Image, UnidentifiedImageError  # imported here: only readers pay for Pillow

    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                a = np.asarray(im, dtype=np.float64)
                top = 65535.0 if a.max() > 255 or im.mode.startswith("I;16") else 255.0
                return np.clip(a / top, 0, 1).astype(np.float32)
            if im.mode == "F":
                a = np.asarray(im, dtype=np.float32)
                return np.clip(a / (255.0 if a.max() > 1 else 1.0), 0, 1)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                im = im.convert("RGBA")
                white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(white, im)
            return np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise DataError(f"{path}: not an image convviz can read") from None
    except (OSError, ValueError, SyntaxError) as e:  # truncated or corrupt data
        raise DataError(f"{path}: the image is damaged ({e})") from None


def ink_from_gray(gray: np.ndarray) -> np.ndarray:
    """0..1 gray -> 0..1 ink. Light background (border mean above one half) -> inverted."""
    g = np.asarray(gray, dtype=np.float32)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    return 1.0 - g if border.mean() > 0.5 else g


def fit_square(ink: np.ndarray, size: int) -> np.ndarray:
    """Pad a (H, W) ink array to a square with background (0) and resample to size x size:
    area averaging when shrinking (thin strokes fade instead of vanishing), bilinear when
    growing."""
    from PIL import Image

    h, w = ink.shape
    n = max(h, w)
    sq = np.zeros((n, n), dtype=np.float32)
    sq[(n - h) // 2:(n - h) // 2 + h, (n - w) // 2:(n - w) // 2 + w] = ink
    if n == size:
        return sq
    method = Image.Resampling.BOX if n > size else Image.Resampling.BILINEAR
    out = Image.fromarray(sq, mode="F").resize((size, size), method)
    return np.clip(np.asarray(out, dtype=np.float32), 0, 1)


def to_range(ink: np.ndarray, value_range) -> np.ndarray:
    lo, hi = value_range
    return (lo + (hi - lo) * np.asarray(ink, dtype=np.float32)).astype(np.float32)


def load_image(path, size: int, value_range=(-1.0, 1.0)) -> np.ndarray:
    """An image file -> (size, size) float32 in `value_range`, ink high."""
    return to_range(fit_square(ink_from_gray(decode_gray(path)), size), value_range)


def load_grid_text(path) -> np.ndarray:
    """A text file of whitespace-separated numbers, one row a line, like the deck's grids."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read it as text ({e.__class__.__name__})") from None
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            rows.append([float(v) for v in line.replace(",", " ").split()])
        except ValueError:
            raise DataError(f"{path}: line {n} holds something that is not a number") from None
    if not rows:
        raise DataError(f"{path}: no numbers in the file")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataError(f"{path}: rows have different lengths ({', '.join(map(str, sorted(widths)))})")
    a = np.array(rows, dtype=np.float32)
    if not np.isfinite(a).all():
        raise DataError(f"{path}: the grid holds a value that is not finite")
    return a


def load_input(path, size: int, value_range=(-1.0, 1.0)) -> np.ndarray:
    """An image file or a number grid, checked against the model's input size."""
    if is_image_path(path):
        return load_image(path, size, value_range)
    grid = load_grid_text(path)
    if grid.shape != (size, size):
        raise DataError(f"{path}: the grid is {grid.shape[0]}x{grid.shape[1]} but the model takes "
                        f"{size}x{size}")
    lo, hi = value_range
    if grid.min() < lo - 1e-6 or grid.max() > hi + 1e-6:
        raise DataError(f"{path}: values must lie in {lo:g}..{hi:g}, found {grid.min():g}.."
                        f"{grid.max():g}")
    return grid


def save_png(path, ink: np.ndarray) -> None:
    """Write 0..1 ink as an 8-bit grayscale PNG, white ink on black like the deck."""
    from PIL import Image

    Image.fromarray(np.round(np.clip(ink, 0, 1) * 255).astype(np.uint8), mode="L").save(path)
