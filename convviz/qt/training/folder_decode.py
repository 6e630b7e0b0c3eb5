"""A QImage decoder for labelled folders: the same contract and result as
convviz.core.folders.pillow_decode, (path, (rows, cols)) -> (rows, cols) float32 ink 0..1, or
(path, (rows, cols), 3) -> (3, rows, cols) RGB 0..1, raising DataError on an unreadable file.
Like imageio.load_image it lays transparency over white, turns a light background dark (ink
high; grayscale only), keeps the aspect ratio and pads to the input's box with background.

QImage decodes small PNGs about 2.5x faster than Pillow, and PySide6 releases the GIL while it
decodes and scales, so two loader threads really run side by side on large pictures (512x512:
1.9x). On small ones (28x28) the Python work around each decode dominates and a second thread
only fights for the GIL, so `decode_threads` picks one. QImage is safe to use off the GUI thread
(QPixmap is not).
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader

from ...core import limits
from ...core.errors import ConvvizError, DataError
from ...core.folders import LabelledImages, list_folder, load_folder, pillow_decode
from ...core.imageio import (
    COLOUR_CHANNELS,
    FORMAT_NAMES,
    OVERSAMPLE,
    check_pixels,
    check_regular_file,
    fitted,
    ink_from_gray,
    rows_cols,
)
from ..background import BackgroundJobs, Job, one_line

_F = QImage.Format
_SMOOTH = Qt.TransformationMode.SmoothTransformation
_FIT = Qt.AspectRatioMode.KeepAspectRatio
_SCALED = QImageIOHandler.ImageOption.ScaledSize
# Qt's names for the formats convviz reads (limits.IMAGE_FORMATS): anything else Qt recognises
# (SVG, XPM, TGA, ICO, ...) is refused, whatever the file's suffix says
_QT_FORMATS = {name.lower() for name in limits.IMAGE_FORMATS}
# Qt refuses to decode a picture larger than this (its own default: 256 MB): at convviz's pixel
# limit and 4 bytes a pixel, so a 16-bit RGBA picture (8 bytes a pixel) is left to Pillow, which
# reads it as 8-bit.
QImageReader.setAllocationLimit(
    min(QImageReader.allocationLimit(), limits.IMAGE_MAX_PIXELS * 4 // 2**20)
)


def _rows(img: QImage, bytes_per_pixel: int, dtype) -> np.ndarray:
    """The pixels of a scaled QImage as (H, W * channels) without the row padding."""
    h, w = img.height(), img.width()
    buf = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
    rows = buf.reshape(h, img.bytesPerLine())[:, : w * bytes_per_pixel]
    return rows.view(dtype) if dtype is not np.uint8 else rows


def _reader(path: str) -> tuple[QImageReader, QBuffer | None]:
    """A reader for a file Qt can name; a path holding bytes that are not UTF-8 (which a QString
    cannot carry) is read here and handed over in memory, so such files load as in the CLI."""
    check_regular_file(path, limits.IMAGE_MAX_FILE_BYTES, "an image")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        with open(path, "rb") as f:
            buffer = QBuffer()
            buffer.setData(QByteArray(f.read(limits.IMAGE_MAX_FILE_BYTES)))
        return QImageReader(buffer), buffer
    return QImageReader(path), None


def read_image(path: str, fit: int) -> QImage:
    """Decode only the listed formats, recognised by content; the size checked from the header;
    a JPEG decoded straight at the size needed (its decoder's own 1/2..1/8 scaling). `fit`: the
    longer side of the box the picture goes into."""
    reader, _buffer = _reader(path)  # _buffer: kept alive while the reader reads
    # Qt takes the handler the suffix names only if that handler accepts the content (each checks
    # its format's signature), else the one whose signature matches: format(), asked before
    # read(), is the content's format (an SVG named .jpg says "svg"). Cheaper than
    # setDecideFormatFromContent, which probes every handler for every file (36 us against 25).
    fmt = bytes(reader.format().data()).decode("ascii", "replace")
    if fmt not in _QT_FORMATS:
        raise DataError(
            f"not an image convviz can read (it reads {FORMAT_NAMES}, recognised by their content)"
        )
    dims = reader.size()
    if dims.isValid():
        check_pixels(path, dims.width(), dims.height())
        big = OVERSAMPLE * fit  # as imageio: the last averaging step is ours, from 4x
        if max(dims.width(), dims.height()) > big and reader.supportsOption(_SCALED):
            reader.setScaledSize(QSize(*fitted(dims.width(), dims.height(), big)))
    return reader.read()  # null when Qt cannot decode it


def qimage_decode(path: str, size, channels: int = 1) -> np.ndarray:
    rows, cols = rows_cols(size)
    img = read_image(path, max(rows, cols))
    if img.isNull():
        # a listed format Qt cannot decode (a damaged file, a TIFF flavour, a picture over Qt's
        # allocation limit): Pillow's answer, so the app takes what the CLI takes, or says why not
        return pillow_decode(path, (rows, cols), channels)
    if channels == COLOUR_CHANNELS:
        return _padded(_rgb_fitted(img, rows, cols), rows, cols)
    gray = _gray_fitted(img, rows, cols)  # (h, w), fitted inside rows x cols
    h, w = gray.shape
    if (h, w) == (rows, cols):
        return gray  # the loader applies the polarity rule to all images at once: cheaper
    return _padded(ink_from_gray(gray)[None], rows, cols)[0]


def _padded(planes: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(C, h, w) -> (C, rows, cols), centred on background (0), like imageio.fit_to."""
    c, h, w = planes.shape
    if (h, w) == (rows, cols):
        return planes
    out = np.zeros((c, rows, cols), np.float32)
    top, left = (rows - h) // 2, (cols - w) // 2
    out[:, top : top + h, left : left + w] = planes
    return out


def _scaled(img: QImage, fmt, rows: int, cols: int) -> QImage:
    small = img.convertToFormat(fmt).scaled(
        *fitted(img.width(), img.height(), (rows, cols)),
        Qt.AspectRatioMode.IgnoreAspectRatio,
        _SMOOTH,
    )
    return small if small.format() == fmt else small.convertToFormat(fmt)


def _rgb_fitted(img: QImage, rows: int, cols: int) -> np.ndarray:
    """(3, h, w) 0..1 RGB fitted inside rows x cols; transparency laid over white."""
    if img.hasAlphaChannel():
        small = _scaled(img, _F.Format_ARGB32_Premultiplied, rows, cols)
        px = _rows(small, 4, np.uint8).reshape(small.height(), small.width(), 4)
        px = px.astype(np.float32)
        bgr = px[..., :3] + (255.0 - px[..., 3:])  # premultiplied over white
        rgb = bgr[..., ::-1]  # little-endian BGRA
    else:
        small = _scaled(img, _F.Format_RGB888, rows, cols)
        rgb = _rows(small, 3, np.uint8).reshape(small.height(), small.width(), 3)
    return np.clip(
        np.divide(np.asarray(rgb, np.float32), np.float32(255)).transpose(2, 0, 1), 0.0, 1.0
    )


def _gray_fitted(img: QImage, rows: int, cols: int) -> np.ndarray:
    """0..1 gray, fitted inside rows x cols (area averaging when shrinking)."""
    fmt = img.format()
    if img.hasAlphaChannel():
        # premultiplied: scaling averages colour and coverage together, and compositing over
        # white is then just rgb + (1 - alpha)
        small = _scaled(img, _F.Format_ARGB32_Premultiplied, rows, cols)
        px = _rows(small, 4, np.uint8).reshape(small.height(), small.width(), 4)
        px = px.astype(np.float32)
        b, g, r, a = px[..., 0], px[..., 1], px[..., 2], px[..., 3]  # little-endian BGRA
        return np.clip((0.299 * r + 0.587 * g + 0.114 * b + (255.0 - a)) / 255.0, 0.0, 1.0)
    if fmt in (_F.Format_Grayscale16, _F.Format_RGBX64, _F.Format_RGBA64):
        small = _scaled(img, _F.Format_Grayscale16, rows, cols)
        return _rows(small, 2, np.uint16).astype(np.float32) / 65535.0
    if fmt != _F.Format_Grayscale8:
        # colour: Pillow's luma, in its integer arithmetic (ITU-R 601, rounded). Qt's own gray
        # (11r + 16g + 5b) / 32 made a red picture 0.03 lighter than the CLI saw it
        small = _scaled(img, _F.Format_RGB888, rows, cols)
        px = _rows(small, 3, np.uint8).reshape(small.height(), small.width(), 3)
        px = px.astype(np.uint32)
        luma = (px[..., 0] * 19595 + px[..., 1] * 38470 + px[..., 2] * 7471 + 0x8000) >> 16
        return np.divide(luma.astype(np.float32), np.float32(255), dtype=np.float32)
    if (img.height(), img.width()) == (rows, cols):
        small = img  # already what the model takes (typical of prepared data sets): no copies
    else:
        small = _scaled(img, _F.Format_Grayscale8, rows, cols)
    # divided, as Pillow's path does, not multiplied by 1/255 (one ulp apart on some values):
    # the app and `convviz train` then read a folder into the very same numbers
    return np.divide(_rows(small, 1, np.uint8), np.float32(255), dtype=np.float32)


SMALL_PICTURE = 128 * 128  # pixels: up to this, one decoding thread is as fast or faster


def decode_threads(paths: list[str], sample: int = 16) -> int:
    """1 for folders of small pictures, else 2 (see the module's note). Reads only the headers of
    up to `sample` files spread over the folder."""
    from PySide6.QtGui import QImageReader

    if not paths:
        return 1
    picks = paths[:: max(1, len(paths) // sample)][:sample]
    areas = []
    for path in picks:
        if not os.path.isfile(path):  # Qt would open a FIFO and wait for a writer for ever
            continue
        size = QImageReader(path).size()  # from the header; invalid (-1) for unreadable files
        if size.isValid():
            areas.append(size.width() * size.height())
    return 2 if areas and max(areas) > SMALL_PICTURE else 1


class FolderLoader(QObject):
    """Loads a labelled folder off the window's thread, with progress and cancel: one job of
    BackgroundJobs (qt/background.py), the pattern every background job of the window follows.

    Signals arrive on the GUI thread: `progress(done, total)`, then one of `loaded(images)`
    (LabelledImages), `failed(message)` or `cancelled()`. A new `start` cancels the load still
    running (newest wins). Call `cancel()` and `wait()` before the owner goes away.
    """

    progress = Signal(int, int)
    loaded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None, threads: int | None = None):
        super().__init__(parent)
        self.threads = threads  # None: decode_threads() chooses from the pictures' size
        self.jobs = BackgroundJobs(self)
        self.jobs.progress.connect(self.progress)

    def start(self, root, size, value_range, channels: int = 1) -> None:
        """`size`: one side or (rows, cols); `channels`: 1 loads grayscale, 3 colour."""
        self.jobs.submit(
            "folder",
            lambda job: self.load(job, root, size, value_range, channels),
            self.loaded.emit,
            self.failed.emit,
            cancelled=self.cancelled.emit,
        )

    def load(self, job: Job, root, size, value_range, channels: int = 1) -> LabelledImages:
        """The job itself, on its thread."""
        try:
            listing = list_folder(root, should_cancel=job.cancelled)
            threads = self.threads or decode_threads([path for path, _ in listing.files])
            return load_folder(
                root,
                size,
                value_range,
                decoder=qimage_decode,
                threads=threads,
                progress=job.progress,
                should_cancel=job.cancelled,
                listing=listing,
                channels=channels,
            )
        except ConvvizError:
            raise
        except Exception as e:  # say it in one line, never crash the dialog
            raise DataError(f"cannot load the folder: {one_line(e)}") from e

    def cancel(self) -> None:
        self.jobs.cancel()

    def is_running(self) -> bool:
        return bool(self.jobs.running())

    def wait(self, timeout: float | None = None) -> bool:
        """Cancel any load and wait for its thread (at most `timeout` seconds): True when none
        is left."""
        return self.jobs.shutdown(timeout)
