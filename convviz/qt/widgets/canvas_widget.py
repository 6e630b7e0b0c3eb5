"""The pixel grid a person draws on: a view of a CanvasModel.

Cells are drawn large and square (a rectangular grid is letterboxed in the widget), with visible
grid lines when there is room (the deck's 9x9 pictures); a colour canvas in its colours. Left
button draws, right button erases; an image file dropped on it is offered to `image_dropped`.
Axis words (a spectrogram's "time →", "frequency ↑") are painted beside the grid when set. The
widget only paints; the model holds the drawing.
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
MARGIN_PX = 8  # around the grid
AXIS_PX = 18  # room for an axis word below and left of the grid


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
        self.axis_words: tuple[str, str] | None = None  # (across, up), see set_axis_words
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setMinimumSize(240, 240)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.CrossCursor)
        self.setFocusPolicy(Qt.StrongFocus)
        canvas.subscribe(self.update)  # Qt merges many update() calls into one repaint

    # ---- geometry --------------------------------------------------------------------------
    def set_axis_words(self, across: str | None, up: str | None = None) -> None:
        """Words along the bottom and up the left side of the grid (None: none)."""
        self.axis_words = (across, up) if across or up else None
        self.update()

    def cell_px(self) -> int:
        """Whole pixels per cell, the same across and down: the cells stay square."""
        axis = AXIS_PX if self.axis_words else 0
        c = self.canvas
        room_w = self.width() - 2 * MARGIN_PX - axis
        room_h = self.height() - 2 * MARGIN_PX - axis
        return max(1, int(min(room_w // c.cols, room_h // c.rows)))

    def grid_rect(self) -> QRectF:
        """The rectangle the grid occupies: whole square pixels per cell, centred (beside the
        axis words when there are some)."""
        c, cell = self.canvas, self.cell_px()
        axis = AXIS_PX if self.axis_words else 0
        w, h = cell * c.cols, cell * c.rows
        left = axis + (self.width() - axis - w) // 2
        top = (self.height() - axis - h) // 2
        return QRectF(left, top, w, h)

    def to_cells(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> (x, y) in cell units, (0, 0) the grid's top-left corner."""
        r, cell = self.grid_rect(), self.cell_px()
        return (pos.x() - r.left()) / cell, (pos.y() - r.top()) / cell

    def cell_centre(self, row: int, col: int) -> QPointF:
        r, cell = self.grid_rect(), self.cell_px()
        return QPointF(r.left() + (col + 0.5) * cell, r.top() + (row + 0.5) * cell)

    def set_overlay(self, rgba) -> None:
        """Paint a (rows, cols, 4) uint8 RGBA picture over the cells (where the network looked),
        or nothing (None). One of another size (an older network's) is not painted."""
        if rgba is None:
            self._overlay = None
        else:
            a = np.ascontiguousarray(rgba, np.uint8)
            h, w, _ = a.shape
            self._overlay = QImage(a.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()
        self.update()

    # ---- painting --------------------------------------------------------------------------
    def _grid_pixmap(self, r: QRectF, rows: int, cols: int) -> QPixmap:
        """The grid lines and the border, drawn once per size onto a transparent pixmap: a
        repaint then puts them over the cells with one call instead of rows + cols line draws."""
        key = (int(r.width()), int(r.height()), rows, cols)
        if self._grid is None or self._grid[0] != key:
            w, h = int(r.width()) + 4, int(r.height()) + 4  # 2 pixels of border on each side
            pix = QPixmap(w, h)
            pix.fill(Qt.transparent)
            p = QPainter(pix)
            cell = r.width() / cols
            if cell >= GRID_MIN_CELL_PX:
                p.setPen(QPen(QColor(theme.GRID), 1))
                for i in range(1, cols):
                    off = 2 + round(i * cell)
                    p.drawLine(off, 2, off, h - 3)
                for i in range(1, rows):
                    off = 2 + round(i * cell)
                    p.drawLine(2, off, w - 3, off)
            p.setPen(QPen(QColor(theme.BORDER), 2))
            p.drawRect(QRectF(1, 1, w - 2, h - 2))
            p.end()
            self._grid = (key, pix)
        return self._grid[1]

    def _cells_image(self) -> QImage:
        """The drawing as a (rows x cols) image: ink through the theme's ramp, or the colours."""
        c = self.canvas
        if c.channels == 1:
            levels = np.clip(c.pixels[0] * 255.0 + 0.5, 0, 255).astype(np.uint8)
            self._pixels = np.ascontiguousarray(_INK_COLOURS[levels])  # (rows, cols) uint32
        else:
            rgb = np.clip(c.pixels * 255.0 + 0.5, 0, 255).astype(np.uint32)
            argb = 0xFF000000 | (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
            self._pixels = np.ascontiguousarray(argb)  # (rows, cols) uint32
        return QImage(self._pixels.data, c.cols, c.rows, c.cols * 4, QImage.Format_RGB32)

    def _paint_axis_words(self, p: QPainter, r: QRectF) -> None:
        across, up = self.axis_words
        p.setPen(QColor(theme.MUTED))
        if across:
            p.drawText(QRectF(r.left(), r.bottom() + 3, r.width(), AXIS_PX), Qt.AlignCenter, across)
        if up:
            p.save()
            p.translate(r.left() - 3, r.center().y())
            p.rotate(-90)  # read bottom to top, as the axis grows
            p.drawText(QRectF(-r.height() / 2, -AXIS_PX, r.height(), AXIS_PX), Qt.AlignCenter, up)
            p.restore()

    def paintEvent(self, event):
        c = self.canvas
        r = self.grid_rect()
        cell = r.width() / c.cols
        img = self._cells_image()
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        p.setRenderHint(QPainter.SmoothPixmapTransform, False)  # sharp cells
        p.drawImage(r, img)
        ov = self._overlay
        if ov is not None and (ov.height(), ov.width()) == (c.rows, c.cols):
            p.drawImage(r, ov)
        p.drawPixmap(int(r.left()) - 2, int(r.top()) - 2, self._grid_pixmap(r, c.rows, c.cols))
        if self.axis_words:
            self._paint_axis_words(p, r)
        if self._hover is not None and r.contains(self._hover):
            # the brush outline, so a person sees how much a dab will cover
            radius = max(c.brush.size, 0.5) / 2.0 * cell
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
