"""Every layer's feature maps in one widget painted by QPainter: per layer a title and one mosaic
picture (see convviz/core/mosaic.py), stacked top to bottom with the same column for the same
map, and a colour legend on the right.

The pictures are coloured in numpy (one gather and one lookup per layer) and drawn scaled
without smoothing, so a repaint is a handful of drawImage calls (a pyqtgraph scene of image and
text items took about 2 ms per update for the same picture).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core.mosaic import MosaicLayout, colour_table, colourise, gather_index
from .. import theme

PAD = 10  # pixels around the maps
GAP_PX = 8  # between one layer's maps and the next layer's title
LEGEND_W = 16  # colour bar width
TABLE = colour_table(theme.DIVERGING_LUT, QColor(theme.PANEL).getRgb()[:3])


@dataclass
class MosaicLayer:
    name: str
    title: str
    layout: MosaicLayout
    gather: np.ndarray  # (rows, cols) int32, see mosaic.gather_index
    level: float = 1.0  # colours span -level..level
    pixels: np.ndarray | None = None  # (rows, cols) uint32, kept alive for `image`
    image: QImage | None = None
    rect: QRectF | None = None  # where the picture is drawn, in widget pixels
    visible: bool = True

    @property
    def shape(self) -> tuple[int, int, int]:
        """(maps, h, w) of the layer."""
        return self.layout.count, self.layout.h, self.layout.w


class MosaicView(QWidget):
    hovered = Signal(str, int, int, int)  # layer, map, row, column under the mouse
    clicked = Signal(str, int)  # layer, map

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layers: dict[str, MosaicLayer] = {}
        self.legend_ticks: list[tuple[float, str]] = []  # (-1..1 position, label)
        self._legend = QImage(TABLE[:256][::-1].copy().data, 1, 256, 4, QImage.Format_RGB32).copy()
        font = QFont()
        font.setPointSize(theme.BASE_POINT_SIZE)
        self.setFont(font)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WA_OpaquePaintEvent)  # paints every pixel itself
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(560, 520)

    # ---- contents --------------------------------------------------------------------------
    def set_layers(self, layers: list[tuple[str, str, MosaicLayout]]) -> None:
        """(name, title, layout) per layer, in network order."""
        self.layers = {
            name: MosaicLayer(name, title, layout, gather_index(layout))
            for name, title, layout in layers
        }
        self._place()
        self.update()

    def set_visible(self, name: str, on: bool) -> None:
        self.layers[name].visible = on
        self._place()
        self.update()

    def show_maps(self, name: str, values: np.ndarray, level: float, title: str) -> None:
        """Colour one layer's (count, h, w) maps on the scale -level..level."""
        layer = self.layers[name]
        layer.level, layer.title = level, title
        layer.pixels = colourise(values, level, layer.gather, TABLE)
        rows, cols = layer.pixels.shape
        layer.image = QImage(layer.pixels.data, cols, rows, cols * 4, QImage.Format_RGB32)
        self.update()

    def set_legend(self, ticks: list[tuple[float, str]]) -> None:
        """Labels beside the colour bar, at positions -1 (bottom) .. 1 (top)."""
        self.legend_ticks = ticks
        self._place()  # the labels' width takes room from the maps
        self.update()

    # ---- geometry --------------------------------------------------------------------------
    def _legend_width(self) -> float:
        metrics = QFontMetricsF(self.font())
        text = max((metrics.horizontalAdvance(t) for _, t in self.legend_ticks), default=0.0)
        return PAD + LEGEND_W + 6 + text + PAD  # gap before, bar, tick, labels, margin

    def _place(self) -> None:
        """Size the pictures so all shown layers fit: a tile plus its gap is one unit wide in
        every layer (so a map keeps its column through the layers), units as large as fit."""
        shown = [v for v in self.layers.values() if v.visible]
        if not shown:
            return
        title_h = QFontMetricsF(self.font()).height() + 4
        units_w = max(v.layout.cols for v in shown)
        units_h = sum(v.layout.rows for v in shown)  # rows of tiles, each 1 unit tall (square)
        avail_w = self.width() - 2 * PAD - self._legend_width()
        avail_h = self.height() - 2 * PAD - len(shown) * (title_h + GAP_PX)
        unit = max(1.0, min(avail_w / units_w, avail_h / max(units_h, 1)))
        left = PAD + max(0.0, (avail_w - unit * units_w) / 2)
        y = PAD + max(0.0, (avail_h - unit * units_h) / 2)
        for v in shown:
            px = unit / (v.layout.w + 1)  # widget pixels per map pixel
            rows, cols = v.layout.shape
            v.rect = QRectF(left, y + title_h, cols * px, rows * px)
            y += title_h + (rows + 1) * px + GAP_PX
        self._left = left

    def resizeEvent(self, event):
        self._place()
        super().resizeEvent(event)

    def locate(self, pos: QPointF):
        """Widget position -> (layer, map, row, col) or None (a gap, a title, outside)."""
        for v in self.layers.values():
            if v.visible and v.rect is not None and v.rect.contains(pos):
                px = v.rect.width() / v.layout.shape[1]
                hit = v.layout.locate((pos.y() - v.rect.top()) / px, (pos.x() - v.rect.left()) / px)
                return None if hit is None else (v.name, *hit)
        return None

    # ---- painting and the mouse ------------------------------------------------------------
    def paintEvent(self, event):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        p.setRenderHint(QPainter.SmoothPixmapTransform, False)  # sharp cells
        metrics = QFontMetricsF(self.font())
        p.setPen(QColor(theme.MUTED))
        for v in self.layers.values():
            if not v.visible or v.rect is None:
                continue
            # up to the legend, cut short with "…" if the panel is too narrow for all of it
            width = self.width() - self._legend_width() - v.rect.left()
            title_rect = QRectF(
                v.rect.left(), v.rect.top() - metrics.height() - 4, width, metrics.height()
            )
            p.drawText(
                title_rect,
                Qt.AlignLeft | Qt.AlignBottom,
                metrics.elidedText(v.title, Qt.ElideRight, width),
            )
            if v.image is not None:
                p.drawImage(v.rect, v.image)
        self._paint_legend(p, metrics)
        p.end()

    def _paint_legend(self, p: QPainter, metrics: QFontMetricsF) -> None:
        if not self.legend_ticks:
            return
        x = self.width() - self._legend_width() + PAD
        top, bottom = PAD + metrics.height() / 2, self.height() - PAD - metrics.height() / 2
        bar = QRectF(x, top, LEGEND_W, bottom - top)
        p.drawImage(bar, self._legend)
        p.setPen(QColor(theme.BORDER))
        p.drawRect(bar)
        p.setPen(QColor(theme.TEXT))
        for at, label in self.legend_ticks:  # at: -1 (bottom) .. 1 (top)
            y = bar.center().y() - at * bar.height() / 2
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y))
            p.drawText(
                QRectF(bar.right() + 6, y - metrics.height() / 2, 200, metrics.height()),
                Qt.AlignLeft | Qt.AlignVCenter,
                label,
            )

    def mouseMoveEvent(self, event):
        hit = self.locate(event.position())
        if hit is not None:
            self.hovered.emit(*hit)

    def mousePressEvent(self, event):
        hit = self.locate(event.position())
        if hit is not None and event.button() == Qt.LeftButton:
            self.clicked.emit(hit[0], hit[1])
