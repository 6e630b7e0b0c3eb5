"""Small pictures of images in the network's value range: a grayscale QImage (ink white, as the
canvas shows it) and a thumbnail icon, optionally with a patch of it outlined."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap

from .. import theme

THUMB = 72  # pixels


def to_qimage(image: np.ndarray, value_range) -> QImage:
    """(H, W) in the value range -> an 8-bit grayscale QImage, ink white as in the deck."""
    lo, hi = value_range
    a = np.clip(np.nan_to_num((np.asarray(image, np.float32) - lo) / (hi - lo)), 0, 1)
    a = np.ascontiguousarray(np.round(a * 255).astype(np.uint8))
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def grey(image: np.ndarray) -> np.ndarray:
    """(C, H, W) or (H, W) -> (H, W): the one channel, or the channels' mean."""
    a = np.asarray(image, np.float32)
    return a if a.ndim == 2 else a.mean(axis=0)


def thumbnail(image: np.ndarray, value_range, patch=None, side: int = THUMB) -> QIcon:
    """The image (C, H, W) or (H, W) scaled to `side` with crisp pixels; `patch` (top, bottom,
    left, right), bottom and right exclusive, outlined in the accent colour."""
    a = grey(image)
    h, w = a.shape
    scale = side / max(h, w)
    pix = QPixmap.fromImage(
        to_qimage(a, value_range).scaled(
            round(w * scale),
            round(h * scale),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
    )
    if patch is not None:
        top, bottom, left, right = patch
        p = QPainter(pix)
        p.setPen(QPen(QColor(theme.ACCENT), 2))
        p.drawRect(
            QRectF(
                left * scale + 1,
                top * scale + 1,
                (right - left) * scale - 2,
                (bottom - top) * scale - 2,
            )
        )
        p.end()
    return QIcon(pix)
