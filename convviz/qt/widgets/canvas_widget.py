"""The pixel grid a person draws on: a view of a CanvasModel.

Cells are drawn large, with visible grid lines when there is room (the deck's 9x9 pictures);
left button draws, right button erases; an image file dropped on it is offered to
`image_dropped`. The widget only paints; the model holds the drawing.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core.canvas_model import CanvasModel
from ...core.imageio import is_image_path
from .. import theme

GRID_MIN_CELL_PX = 7  # below this grid lines would hide the drawing


def _ramp(a: str, b: str, n: int = 256) -> np.ndarray:
    """(n,) uint32 ARGB colours from a to b, so ink 0..1 maps to a colour by one lookup."""
    ca, cb = np.array(QColor(a).getRgb()[:3], float), np.array(QColor(b).getRgb()[:3], float)
    t = np.linspace(0, 1, n)[:, None]
    rgb = (ca * (1 - t) + cb * t).round().astype(np.uint32)
    return (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)


_INK_COLOURS = _ramp(theme.CANVAS_BG, theme.CANVAS_INK)


class CanvasWidget(QWidget):
    image_dropped = Signal(str)  # path of an image file dropped on the canvas

    def __init__(self, canvas: CanvasModel, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self._pixels = None  # keeps the QImage's buffer alive while it is painted
        self._hover: QPointF | None = None
        self._grid: tuple[tuple, QPixmap] | None = None  # (key, lines + border), see _grid_pixmap
        self._overlay: QImage | None = None  # see set_overlay
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setMinimumSize(240, 240)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.CrossCursor)
        self.setFocusPolicy(Qt.StrongFocus)
        canvas.subscribe(self.update)  # Qt merges many update() calls into one repaint

    # ---- geometry --------------------------------------------------------------------------
    def grid_rect(self) -> QRectF:
        """The square the grid occupies: whole pixels per cell, centred."""
        n = self.canvas.size
        cell = max(1, int(min(self.width() - 16, self.height() - 16) // n))
        side = cell * n
        return QRectF((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    def to_cells(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> (x, y) in cell units, (0, 0) the grid's top-left corner."""
        r = self.grid_rect()
        cell = r.width() / self.canvas.size
        return (pos.x() - r.left()) / cell, (pos.y() - r.top()) / cell

    def cell_centre(self, row: int, col: int) -> QPointF:
        r = self.grid_rect()
        cell = r.width() / self.canvas.size
        return QPointF(r.left() + (col + 0.5) * cell, r.top() + (row + 0.5) * cell)

    def set_overlay(self, rgba) -> None:
        """Paint an (n, n, 4) uint8 RGBA picture over the cells (where the network looked), or
        nothing (None). One of another size (an older network's) is not painted."""
        if rgba is None:
            self._overlay = None
        else:
            a = np.ascontiguousarray(rgba, np.uint8)
            h, w, _ = a.shape
            self._overlay = QImage(a.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()
        self.update()

    # ---- painting --------------------------------------------------------------------------
    def _grid_pixmap(self, r: QRectF, n: int) -> QPixmap:
        """The grid lines and the border, drawn once per size onto a transparent pixmap: a
        repaint then puts them over the cells with one call instead of 2n line draws."""
        key = (int(r.width()), n)
        if self._grid is None or self._grid[0] != key:
            side = int(r.width()) + 4  # 2 pixels of border on each side
            pix = QPixmap(side, side)
            pix.fill(Qt.transparent)
            p = QPainter(pix)
            cell = r.width() / n
            if cell >= GRID_MIN_CELL_PX:
                p.setPen(QPen(QColor(theme.GRID), 1))
                for i in range(1, n):
                    off = 2 + round(i * cell)
                    p.drawLine(off, 2, off, side - 3)
                    p.drawLine(2, off, side - 3, off)
            p.setPen(QPen(QColor(theme.BORDER), 2))
            p.drawRect(QRectF(1, 1, side - 2, side - 2))
            p.end()
            self._grid = (key, pix)
        return self._grid[1]

    def paintEvent(self, event):
        n = self.canvas.size
        r = self.grid_rect()
        cell = r.width() / n
        levels = np.clip(self.canvas.ink * 255.0 + 0.5, 0, 255).astype(np.uint8)
        self._pixels = np.ascontiguousarray(_INK_COLOURS[levels])  # (n, n) uint32
        img = QImage(self._pixels.data, n, n, n * 4, QImage.Format_RGB32)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        p.setRenderHint(QPainter.SmoothPixmapTransform, False)  # sharp cells
        p.drawImage(r, img)
        if self._overlay is not None and self._overlay.width() == n:
            p.drawImage(r, self._overlay)
        p.drawPixmap(int(r.left()) - 2, int(r.top()) - 2, self._grid_pixmap(r, n))
        if self._hover is not None and r.contains(self._hover):
            # the brush outline, so a person sees how much a dab will cover
            radius = max(self.canvas.brush.size, 0.5) / 2.0 * cell
            p.setRenderHint(QPainter.Antialiasing, True)
            p.setPen(QPen(QColor(theme.ACCENT), 1.5))
            p.setBrush(Qt.NoBrush)
            p.drawEllipse(self._hover, radius, radius)
        p.end()

    # ---- drawing with the mouse ------------------------------------------------------------
    def mousePressEvent(self, event):
        if event.button() in (Qt.LeftButton, Qt.RightButton):
            x, y = self.to_cells(event.position())
            self.canvas.begin_stroke(x, y, erase=event.button() == Qt.RightButton)

    def mouseMoveEvent(self, event):
        self._hover = event.position()
        if self.canvas.drawing:
            self.canvas.stroke_to(*self.to_cells(event.position()))
        else:
            self.update()

    def mouseReleaseEvent(self, event):
        if self.canvas.drawing:
            self.canvas.end_stroke()

    def leaveEvent(self, event):
        self._hover = None
        self.update()

    # ---- dropping a picture ----------------------------------------------------------------
    @staticmethod
    def _image_path(event) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        for url in urls:
            path = url.toLocalFile()
            if is_image_path(path):  # the suffixes the decoder reads (core.imageio)
                return path
        return None

    def dragEnterEvent(self, event):
        if self._image_path(event):
            event.acceptProposedAction()

    def dropEvent(self, event):
        path = self._image_path(event)
        if path:
            event.acceptProposedAction()
            self.image_dropped.emit(path)
