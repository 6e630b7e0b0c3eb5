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
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

from ...core.map_rows import INPUT_ROLE, SKIP, SUM, MapRow
from ...core.mosaic import (
    MosaicLayout,
    colourise,
    colourise_ramps,
    gather_index,
    true_colour,
)
from .. import theme
from .map_colours import TABLE, ColourLegend, input_ramps, input_tables
from .title_lines import RowTitles, title_lines

__all__ = ["TABLE", "MosaicScroller", "MosaicView", "input_ramps"]  # (TABLE: the tests read it)

PAD = 10  # pixels around the maps
GAP_PX = 8  # between one layer's maps and the next layer's title
INDENT_PX = 14  # a row inside a residual block, per block: the bracket's room
# a square map's tile is never drawn smaller (unless the width is smaller): the panel scrolls
# instead. One rule for both (no bigger tiles once scrolling), so hiding a layer never shrinks
# the others; 36 keeps `shapes` whole in a 1024x768 window's dock
MIN_UNIT_PX = 36
WIDTH_SHARE = 0.6  # nor narrower than this share of the width (a wide dock: larger maps)


@dataclass
class MosaicLayer:
    name: str
    title: str
    layout: MosaicLayout
    gather: np.ndarray  # (rows, cols) int32, see mosaic.gather_index
    tile_units: float = 1.0  # a tile's width in units (see core/map_rows.py)
    role: str = "maps"  # core/map_rows.py's roles: the input, a block's skip path or sum
    depth: int = 0  # residual blocks holding it: its indent and bracket
    labels: tuple[str, ...] = ()  # painted on each tile
    level: float = 1.0  # colours span -level..level
    pixels: np.ndarray | None = None  # (rows, cols) uint32, kept alive for `image`
    image: QImage | None = None
    rect: QRectF | None = None  # where the picture is drawn, in widget pixels
    visible: bool = True
    lines: tuple[str, ...] = ()  # the title as drawn: broken into lines that fit (title_lines)
    title_w: float = 0.0  # the width the title's lines fit

    @property
    def shape(self) -> tuple[int, int, int]:
        """(maps, h, w) of the layer."""
        return self.layout.count, self.layout.h, self.layout.w


class MosaicView(RowTitles, QWidget):  # (RowTitles: titles in lines, their tooltips)
    hovered = Signal(str, int, int, int)  # layer, map, row, column under the mouse
    clicked = Signal(str, int)  # layer, map (the network's layers only)
    input_clicked = Signal(int)  # a channel of the input row

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layers: dict[str, MosaicLayer] = {}
        self.legend = ColourLegend()
        self.room: tuple[float, float] | None = None  # (width, height) to fit, from the scroller
        self.scrolls = False  # the rows are taller than the room: the scroller scrolls
        font = QFont()
        font.setPointSize(theme.BASE_POINT_SIZE)
        self.setFont(font)
        self._small = QFont(font)
        self._small.setPointSize(max(7, theme.BASE_POINT_SIZE - 2))
        self.setMouseTracking(True)
        self.setAttribute(Qt.WA_OpaquePaintEvent)  # paints every pixel itself
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    @property
    def legend_ticks(self) -> list[tuple[float, str]]:
        return self.legend.ticks

    def sizeHint(self) -> QSize:
        return QSize(560, 520)

    # ---- contents --------------------------------------------------------------------------
    def set_layers(self, rows: list[MapRow]) -> None:
        """The panel's rows (core/map_rows.py), in order."""
        self.layers = {
            r.name: MosaicLayer(
                r.name,
                r.heading,
                r.layout,
                gather_index(r.layout),
                r.tile_units,
                r.role,
                r.depth,
                r.labels,
            )
            for r in rows
        }
        self._place()
        self.update()

    def set_visible(self, name: str, on: bool) -> None:
        self.layers[name].visible = on
        self._place()
        self.update()

    def show_maps(self, name: str, values: np.ndarray, level: float, title: str) -> None:
        """Colour one layer's (count, h, w) maps on the scale -level..level (a layer with more
        maps than its layout shows: the first ones)."""
        layer = self.layers[name]
        layer.level, layer.title = level, title
        lines = tuple(title_lines(title, QFontMetricsF(self.font()), layer.title_w))
        if len(lines) != len(layer.lines):
            self._place()  # another number of title lines: the rows below move
        else:
            layer.lines = lines
        self._set_pixels(layer, colourise(values[: layer.layout.count], level, layer.gather, TABLE))

    def show_input(self, name: str, values: np.ndarray, lo: float, hi: float) -> None:
        """The input's (C, h, w) channels on their ramps (value range lo..hi); a colour
        picture's last tile is the picture itself."""
        layer = self.layers[name]
        c = values.shape[0]
        layer.level = max(abs(lo), abs(hi))
        pixels = colourise_ramps(values, lo, hi, layer.gather, input_tables(c))
        if layer.layout.count > c:  # the true-colour thumbnail
            layer.layout.tile(pixels, c)[...] = true_colour(values, lo, hi)
        self._set_pixels(layer, pixels)

    def _set_pixels(self, layer: MosaicLayer, pixels: np.ndarray) -> None:
        layer.pixels = pixels
        rows, cols = pixels.shape
        layer.image = QImage(pixels.data, cols, rows, cols * 4, QImage.Format_RGB32)
        self.update()

    def set_legend(self, ticks: list[tuple[float, str]]) -> None:
        """Labels beside the colour bar, at positions -1 (bottom) .. 1 (top)."""
        self.legend.set_ticks(ticks)

    # ---- geometry --------------------------------------------------------------------------
    def fit(self, width: float, height: float, bar: float = 0.0) -> None:
        """Lay the rows out for a scroller's room, and its scroll bar's width, taken from the
        room when the rows scroll."""
        self.room = (width, height, bar)
        self._place()

    def _place(self) -> None:
        """Size the pictures so the shown rows fit the room's height if they can at a readable
        size (MIN_UNIT_PX, WIDTH_SHARE), else at that size with the panel scrolling. A square map's
        tile plus its gap is one unit in every layer (so a map keeps its column through the
        layers); cells are square in every tile (a rectangular map keeps its shape)."""
        shown = [v for v in self.layers.values() if v.visible]
        if not shown:
            return
        room_w, room_h, bar = self.room or (self.width(), self.height(), 0.0)
        self._place_in(shown, room_w, room_h)
        if self.scrolls and bar:
            self._place_in(shown, room_w - bar, room_h)

    def _place_in(self, shown: list[MosaicLayer], room_w: float, room_h: float) -> None:
        metrics = QFontMetricsF(self.font())
        for v in shown:  # each title in as many lines as its width needs (never cut to "co…")
            v.title_w = room_w - 2 * PAD - v.depth * INDENT_PX
            v.lines = tuple(title_lines(v.title, metrics, v.title_w))
        indent = max(v.depth for v in shown) * INDENT_PX
        units_w = max(v.layout.cols * v.tile_units for v in shown)
        # rows of tiles, in units: a tile is tile_units wide and its map's shape tall
        units_h = sum(
            v.layout.rows * v.tile_units * (v.layout.h + 1) / (v.layout.w + 1) for v in shown
        )
        fixed_h = 2 * PAD + sum(self._title_h(v) + GAP_PX for v in shown)
        avail_w = max(room_w - 2 * PAD - indent, 1.0)
        by_width = avail_w / units_w
        fits = (room_h - fixed_h) / max(units_h, 1e-9)
        least = min(by_width, max(MIN_UNIT_PX, WIDTH_SHARE * by_width))
        self.scrolls = fits < least
        unit = max(1.0, min(by_width, max(fits, least)))
        y = PAD
        for v in shown:
            px = unit * v.tile_units / (v.layout.w + 1)  # widget pixels per map pixel
            rows, cols = v.layout.shape
            v.rect = QRectF(PAD + v.depth * INDENT_PX, y + self._title_h(v), cols * px, rows * px)
            y += self._title_h(v) + (rows + 1) * px + GAP_PX
        self.setMinimumHeight(int(y + PAD) if self.room else 0)

    def resizeEvent(self, event):
        if self.room is None:
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
        p.fillRect(event.rect(), QColor(theme.PANEL))
        p.setRenderHint(QPainter.SmoothPixmapTransform, False)  # sharp cells
        metrics = QFontMetricsF(self.font())
        exposed = QRectF(event.rect())
        blocks: dict[int, float] = {}  # open residual brackets: depth -> where they began
        for v in self.layers.values():
            if not v.visible or v.rect is None:
                continue
            top = v.rect.top() - self._title_h(v)
            for d in [d for d in blocks if d > v.depth]:  # a block's rows ended: its bracket
                self._bracket(p, d, blocks.pop(d), top - GAP_PX / 2)
            for d in range(1, v.depth + 1):
                blocks.setdefault(d, top)
            if not exposed.intersects(QRectF(0, top, self.width(), v.rect.bottom() - top)):
                continue  # scrolled out of sight: nothing to paint
            # its lines, each fitted to the width (title_lines), the last just above the maps
            p.setPen(QColor(theme.ACCENT if v.role in (SKIP, SUM) else theme.MUTED))
            for k, line in enumerate(v.lines or (v.title,)):
                box = QRectF(v.rect.left(), top + k * metrics.height(), v.title_w, metrics.height())
                p.drawText(box, Qt.AlignLeft | Qt.AlignBottom, line)
            if v.image is not None:
                p.drawImage(v.rect, v.image)
            if v.labels:
                self._tile_labels(p, v)
        for d, began in blocks.items():
            self._bracket(p, d, began, self.height() - PAD)
        p.end()

    def _bracket(self, p: QPainter, depth: int, top: float, bottom: float) -> None:
        """The line that holds a residual block's inside and skip path together."""
        x = PAD + (depth - 1) * INDENT_PX + 3
        p.setPen(QColor(theme.ACCENT))
        p.drawLine(QPointF(x, top + 4), QPointF(x, bottom))
        p.drawLine(QPointF(x, top + 4), QPointF(x + 6, top + 4))

    def _tile_labels(self, p: QPainter, v: MosaicLayer) -> None:
        """Each tile's label (the input's R, G, B) in its top-left corner, on a dark chip."""
        p.setFont(self._small)
        m = QFontMetricsF(self._small)
        px = v.rect.width() / v.layout.shape[1]
        for i, text in enumerate(v.labels[: v.layout.count]):
            r0, c0 = v.layout.origin(i)
            box = QRectF(
                v.rect.left() + c0 * px,
                v.rect.top() + r0 * px,
                m.horizontalAdvance(text) + 6,
                m.height() + 2,
            )
            p.fillRect(box, QColor(0, 0, 0, 170))
            p.setPen(QColor(theme.TEXT))
            p.drawText(box, Qt.AlignCenter, text)
        p.setFont(self.font())

    def mouseMoveEvent(self, event):
        hit = self.locate(event.position())
        if hit is not None:
            self.hovered.emit(*hit)

    def mousePressEvent(self, event):
        hit = self.locate(event.position())
        if hit is not None and event.button() == Qt.LeftButton:
            if self.layers[hit[0]].role == INPUT_ROLE:
                self.input_clicked.emit(hit[1])
            else:
                self.clicked.emit(hit[0], hit[1])


class MosaicScroller(QScrollArea):
    """The view in a vertical scroller: it lays the rows out for the room it has, reserving
    the scroll bar's width from the start so the bar coming and going never re-lays them."""

    def __init__(self, view: MosaicView, parent=None):
        super().__init__(parent)
        self.view = view
        self.setWidget(view)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAsNeeded)

    def resizeEvent(self, event):
        bar = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        self.view.fit(self.width(), self.height(), bar)
        super().resizeEvent(event)
