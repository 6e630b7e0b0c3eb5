"""Pictures and number grids in, arrays in the model's value range out.

Convention everywhere in convviz: ink is the high end of the value range (1 in the deck, where
the X is drawn in white on black). A picture with a light background, such as a pen drawing on
paper, is inverted first, so dark-on-light and light-on-dark pictures both work. That rule is for
grayscale drawings: a network taking 3 channels gets the picture's colours as they show (RGB).

Sizes are one side (a square) or (rows, cols): a picture is fitted inside, its aspect kept, and
padded. A number grid gives one channel, or several separated by blank lines: reading one is
grid_text.py's; load_input here takes either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np

from . import limits
from .errors import DataError

# The file suffixes of each format convviz decodes (limits.IMAGE_FORMATS; the content decides,
# the suffix only picks the files to try): folders list these files, and the app's Open dialog
# and drag-and-drop take them. One list for all (tests check it against Pillow's own table).
SUFFIXES_OF_FORMAT = {
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg"),
    "BMP": (".bmp",),
    "GIF": (".gif",),
    "WEBP": (".webp",),
    "TIFF": (".tif", ".tiff"),
}
IMAGE_SUFFIXES = tuple(s for f in limits.IMAGE_FORMATS for s in SUFFIXES_OF_FORMAT[f])
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"  # a file dialog's
FORMAT_NAMES = "PNG, JPEG, BMP, GIF, WebP and TIFF"  # limits.IMAGE_FORMATS, for messages


def is_image_path(path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def shown(path) -> str:
    """A path or file name as one line of text a person can read: bytes that are not UTF-8 (kept
    by Python as surrogates, and used as they are to open the file) shown as \\xNN, control
    characters such as a newline escaped. The CLI and the app show names the same way."""
    s = os.fsdecode(path) if isinstance(path, bytes) else str(path)
    try:
        s = s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from the file system
        s = s.encode("utf-8", "backslashreplace").decode("utf-8")
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in s)


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def check_regular_file(path, max_bytes: int, what: str) -> int:
    """Stat before reading: a missing file, a folder, a device or FIFO (which would block or
    never end) and a file over `max_bytes` are refused in one line. Returns the size."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: no such file") from None
    except OSError as e:
        raise DataError(f"{shown(path)}: cannot read it ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{shown(path)}: not a file")
    if st.st_size > max_bytes:
        raise DataError(
            f"{shown(path)}: the file is {_mb(st.st_size)}, over convviz's limit of "
            f"{_mb(max_bytes)} for {what}"
        )
    return st.st_size


def check_pixels(path, width: int, height: int) -> None:
    """The picture's size as its header states it, before anything that size is decoded."""
    if width < 1 or height < 1:
        raise DataError(f"{shown(path)}: the picture is {width}x{height} pixels (empty)")
    if width * height > limits.IMAGE_MAX_PIXELS:
        raise DataError(
            f"{shown(path)}: the picture is {width}x{height} pixels, over convviz's "
            f"limit of {limits.IMAGE_MAX_PIXELS / 1e6:g} million pixels"
        )


def rows_cols(size) -> tuple[int, int]:
    """One side (a square) or (rows, cols) -> (rows, cols)."""
    if isinstance(size, (tuple, list)):
        rows, cols = size
        return int(rows), int(cols)
    return int(size), int(size)


def fitted(width: int, height: int, size) -> tuple[int, int]:
    """(width, height) scaled to fit inside `size` (one side, or (rows, cols)), the aspect kept:
    the side that limits is exactly the box's, the other rounded (at least 1 pixel)."""
    rows, cols = rows_cols(size)
    if cols * height <= rows * width:  # the width limits
        return cols, max(1, round(height * cols / width))
    return max(1, round(width * rows / height)), rows


# Reductions made by the decoder or by whole-pixel averaging keep at least this many times the
# final size: the last, exact area-averaging step then matches a direct one to within rounding
# (reducing to just above the final size and averaging again blurred thin strokes).
OVERSAMPLE = 4

_pillow_ready = False


def _pillow():
    """Pillow, imported on first use (only readers pay for it). convviz checks the pixel count
    itself, lower than Pillow's decompression-bomb limit, so Pillow's warning about it is noise
    on the terminal; above twice its limit Pillow still refuses (DecompressionBombError). So are
    its warnings about damaged metadata (a cut TIFF printed a dozen lines before the one error):
    the picture is decoded or refused in one line all the same."""
    global _pillow_ready
    from PIL import Image

    if not _pillow_ready:
        import warnings

        warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        _pillow_ready = True
    return Image


def open_image(path):
    """A Pillow image of the listed formats only, recognised by content, its size checked from
    the header; nothing decoded yet. Never a format whose plugin runs a program (EPS: Ghostscript).
    """
    Image = _pillow()
    from PIL import UnidentifiedImageError

    check_regular_file(path, limits.IMAGE_MAX_FILE_BYTES, "an image")
    try:
        im = Image.open(path, formats=limits.IMAGE_FORMATS)
    except UnidentifiedImageError:
        raise DataError(
            f"{shown(path)}: not an image convviz can read (it reads {FORMAT_NAMES}, "
            f"recognised by their content)"
        ) from None
    except Image.DecompressionBombError:
        raise DataError(
            f"{shown(path)}: the picture is over convviz's limit of "
            f"{limits.IMAGE_MAX_PIXELS / 1e6:g} million pixels"
        ) from None
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: no such file") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise DataError(f"{shown(path)}: the image is damaged ({_one_line(e)})") from None
    try:
        check_pixels(path, *im.size)
    except DataError:
        im.close()
        raise
    return im


def _one_line(e) -> str:
    return shown(str(e).split("\n")[0])[:200]


def decode_gray(path, fit: int | None = None) -> np.ndarray:
    """Decode a picture into a float32 (H, W) array, 0 = black .. 1 = white.

    8- and 16-bit, palette and transparent images are handled; transparency is laid over white
    (a transparent background behaves like paper). With `fit`, a picture larger than needed for
    a fit x fit square is decoded reduced: a JPEG by its decoder (1/2 to 1/8, `draft`), any
    picture by whole-pixel box averaging (`reduce`) before it is converted, so that no array
    made after the decoder's own is larger than 8 fit x 8 fit (OVERSAMPLE), whatever the aspect
    ratio.
    """
    return _decoded(path, fit, _gray)


def decode_rgb(path, fit: int | None = None) -> np.ndarray:
    """Decode a picture into a float32 (H, W, 3) RGB array, 0..1 a channel, reduced as
    decode_gray does. A grayscale picture (8- or 16-bit) is repeated into all three channels; a
    palette picture takes its palette's colours; transparency is laid over white, as in
    decode_gray."""
    return _decoded(path, fit, _rgb)


def _decoded(path, fit, convert) -> np.ndarray:
    im = open_image(path)
    try:
        with im:
            if fit and im.format == "JPEG":
                width, height = im.size
                im.draft(im.mode, fitted(width, height, OVERSAMPLE * fit))
            im.load()
            return convert(im, fit, path)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: no such file") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # truncated or corrupt data
        raise DataError(f"{shown(path)}: the image is damaged ({_one_line(e)})") from None
    except MemoryError:
        raise DataError(f"{shown(path)}: not enough memory to decode the picture") from None


def _transparent(im) -> bool:
    return im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)


def _over_white(im, fit):
    """A transparent picture reduced, then laid over white: RGBA."""
    Image = _pillow()
    im = _reduced(im if im.mode in ("RGBA", "LA") else im.convert("RGBA"), fit).convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im)


def _rgb(im, fit, path) -> np.ndarray:
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F", "L"):  # gray: the gray path's scaling
        return np.repeat(_gray(im, fit, path)[..., None], 3, axis=2)
    if _transparent(im):
        im = _over_white(im, fit).convert("RGB")
    else:
        im = _reduced(im if mode == "RGB" else im.convert("RGB"), fit)
    return np.asarray(im, dtype=np.float32) / 255.0


def _reduced(im, fit):
    """Box-average by a whole factor so the longer side stays at least OVERSAMPLE x `fit`
    (Pillow's reduce): under 2 x OVERSAMPLE x fit after it."""
    factor = max(1, max(im.size) // (OVERSAMPLE * fit)) if fit else 1
    return im.reduce(factor) if factor > 1 else im


def _gray(im, fit, path) -> np.ndarray:
    mode = im.mode
    if mode.startswith("I;16") or mode == "I":
        if mode != "I":
            im = im.convert("I")  # reduce and getextrema take I, not every I;16 flavour
        hi = im.getextrema()[1]  # the whole picture's brightest, before reducing
        top = 65535.0 if hi > 255 or mode.startswith("I;16") else 255.0
        im = _reduced(im, fit)
        return np.clip(np.asarray(im, dtype=np.float64) / top, 0, 1).astype(np.float32)
    if mode == "F":
        a = np.asarray(_reduced(im, fit), dtype=np.float32)  # box sums carry NaN/inf along
        if not np.isfinite(a).all():
            raise DataError(
                f"{shown(path)}: the picture holds pixels that are not finite "
                f"numbers (NaN or infinity)"
            )
        return np.clip(a / (255.0 if a.max() > 1 else 1.0), 0, 1)
    if _transparent(im):
        im = _over_white(im, fit).convert("L")
    else:
        im = _reduced(im if mode == "L" else im.convert("L"), fit)  # no copy of what is gray
    return np.asarray(im, dtype=np.float32) / 255.0


def ink_from_gray(gray: np.ndarray) -> np.ndarray:
    """0..1 gray -> 0..1 ink. Light background (border mean above one half) -> inverted."""
    g = np.asarray(gray, dtype=np.float32)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    return 1.0 - g if border.mean() > 0.5 else g


def fit_to(ink: np.ndarray, size) -> np.ndarray:
    """Resample a (H, W) or (C, H, W) array so it fits inside `size` (one side, or (rows, cols)),
    the aspect kept, then pad it to the box with background (0), centred: area averaging when
    shrinking (thin strokes fade instead of vanishing), bilinear when growing; every channel the
    same way. Scaling before padding keeps every array here at most the box's size beyond the
    input (padding a 1 x 20000 picture to a square first took 1.6 GB)."""
    rows, cols = rows_cols(size)
    a = np.asarray(ink, dtype=np.float32)
    planes = a if a.ndim == 3 else a[None]
    h, w = planes.shape[1:]
    fw, fh = fitted(w, h, (rows, cols))
    if (fh, fw) != (h, w):
        Image = _pillow()
        shrink = fw < w or fh < h
        method = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
        planes = np.stack(
            [
                np.asarray(
                    Image.fromarray(np.ascontiguousarray(p)).resize((fw, fh), method),
                    dtype=np.float32,
                )
                for p in planes
            ]
        )
        planes = np.clip(planes, 0, 1)
    out = np.zeros((len(planes), rows, cols), dtype=np.float32)
    top, left = (rows - fh) // 2, (cols - fw) // 2
    out[:, top : top + fh, left : left + fw] = planes
    return out if a.ndim == 3 else out[0]


def to_range(ink: np.ndarray, value_range) -> np.ndarray:
    lo, hi = value_range
    return (lo + (hi - lo) * np.asarray(ink, dtype=np.float32)).astype(np.float32)


COLOUR_CHANNELS = 3  # a picture loads as 1 channel (grayscale) or this many (RGB)
# How a picture of another aspect meets the input: "letterbox" keeps all of it (background bars
# at two sides), "crop" fills the input and cuts what overhangs, centred. The first is the default.
PICTURE_FITS = ("letterbox", "crop")


def crop_to_aspect(a: np.ndarray, size) -> np.ndarray:
    """The centre of an (H, W) or (C, H, W) array with the aspect of `size` (one side or (rows,
    cols)): the longer way trimmed equally at both ends, at least one pixel kept."""
    rows, cols = rows_cols(size)
    h, w = a.shape[-2:]
    if w * rows > h * cols:  # too wide: trim the sides
        keep = max(1, min(w, round(h * cols / rows)))
        left = (w - keep) // 2
        return a[..., :, left : left + keep]
    keep = max(1, min(h, round(w * rows / cols)))  # too tall (or exact): trim top and bottom
    top = (h - keep) // 2
    return a[..., top : top + keep, :]


def load_image(
    path, size, value_range=(-1.0, 1.0), channels: int = 1, fit: str = "letterbox"
) -> np.ndarray:
    """An image file -> float32 in `value_range`, fitted into `size` (one side or (rows, cols))
    and padded with 0 (black) before the mapping, or with `fit="crop"` cropped to the input's
    aspect first (PICTURE_FITS). One channel: (rows, cols) grayscale, ink high (a light
    background inverted). Three: (3, rows, cols) RGB as the picture shows it, each channel
    mapped the same way (a gray picture repeated in all three)."""
    if fit not in PICTURE_FITS:
        raise DataError(f"a picture fits as {' or '.join(PICTURE_FITS)}, not {fit!r}")
    rows, cols = rows_cols(size)
    decode_fit = max(rows, cols)

    def placed(a):
        return fit_to(crop_to_aspect(a, (rows, cols)) if fit == "crop" else a, (rows, cols))

    if channels == 1:
        return to_range(placed(ink_from_gray(decode_gray(path, fit=decode_fit))), value_range)
    if channels == COLOUR_CHANNELS:
        rgb = decode_rgb(path, fit=decode_fit).transpose(2, 0, 1)
        return to_range(placed(rgb), value_range)
    raise DataError(
        f"{shown(path)}: a picture loads as 1 channel (grayscale) or 3 (RGB) but the "
        f"model takes {channels}; give it a number grid per channel instead"
    )


def load_input(path, size, value_range=(-1.0, 1.0), channels: int = 1) -> np.ndarray:
    """An image file or a number grid, checked against the model's input: `size` one side (a
    square) or (rows, cols). (rows, cols) for one channel, else (channels, rows, cols)."""
    from .grid_text import load_grid_input  # (it reads this module's file checks: imported here)

    rows, cols = rows_cols(size)
    if is_image_path(path):
        return load_image(path, (rows, cols), value_range, channels)
    grid = load_grid_input(path, rows, cols, channels)
    lo, hi = value_range
    if grid.min() < lo - 1e-6 or grid.max() > hi + 1e-6:
        raise DataError(
            f"{shown(path)}: values must lie in {lo:g}..{hi:g}, found {grid.min():g}.."
            f"{grid.max():g}"
        )
    return grid


def save_png(path, ink: np.ndarray) -> None:
    """Write 0..1 values as an 8-bit PNG: (H, W) grayscale, white ink on black like the deck, or
    (3, H, W) RGB."""
    from PIL import Image

    a = np.round(np.clip(ink, 0, 1) * 255).astype(np.uint8)
    if a.ndim == 3:
        Image.fromarray(np.ascontiguousarray(a.transpose(1, 2, 0)), mode="RGB").save(path)
    else:
        Image.fromarray(a, mode="L").save(path)
