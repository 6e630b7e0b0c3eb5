"""A small picture, (H, W, 3) uint8, scaled to fit its widget: square, whole pixels kept sharp.
Used by the "Where it looked" panel and Fool it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget


class MapView(QWidget):
    """An (H, W, 3) uint8 picture scaled to fit, square, whole pixels kept sharp."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rgb = None
        self._image = None
        self.setMinimumSize(120, 120)

    def set_rgb(self, rgb) -> None:
        self.rgb = np.ascontiguousarray(rgb, np.uint8)
        h, w, _ = self.rgb.shape
        self._image = QImage(self.rgb.data, w, h, 3 * w, QImage.Format_RGB888)
        self.update()

    def paintEvent(self, event):
        if self._image is None:
            return
        side = min(self.width(), self.height())
        p = QPainter(self)
        p.drawImage(
            QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side), self._image
        )
        p.end()
