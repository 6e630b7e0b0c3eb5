"""CellGrid: a map drawn as square cells in the deck's style, values printed in the cells when
they are big enough to read on a projector, with overlays (the window, the winning cell, the cell
just written, marked cells) and optional rings around the map (zero padding, or room for a window
hanging over the edge). The step-by-step panels (filtering, pooling, ReLU) are made of these.
What a cell shows (its colour index, its printed number, the symmetric scale) is worked out in
cell_values.py (`symmetric_levels` still importable from here); the padding ring, grid lines and
numbers are painted by cell_paint.py, the overlays by cell_marks.py.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from .cell_marks import CellMarks
from .cell_paint import CELL_LUMA, CELL_LUT, PADDING_COLOR, PADDING_HATCH, CellPaint
from .cell_values import cell_texts, colour_indices, symmetric_levels

_LUT, _LUMA = CELL_LUT, CELL_LUMA  # (declared in cell_paint.py; the tests read _LUMA here)

# Not filled in yet: darker than every value colour (the palest, near zero, is almost white),
# so a filled cell stands out from an empty one whatever its value. Opaque: cheaper to fill.
EMPTY_COLOR = QColor(40, 45, 54)
EMPTY_HATCH = QColor(255, 255, 255, 45)  # off-map cells: a light hatch on the dark empty colour
FRAME_COLOR = QColor(110, 110, 110)


def _pair(v) -> tuple[int, int]:
    """3 -> (3, 3); (1, 2) -> (1, 2): a margin the same all round, or per dimension."""
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool((a == b).all())


class CellGrid(CellMarks, CellPaint, QWidget):
    """One map as square cells. `values` (H, W): NaN cells are drawn empty (not filled yet)."""

    MIN_TEXT_CELL = 26  # px: smaller cells show colour only

    def __init__(self, title: str = "", parent=None, max_cell: int = 64, nan_hatched: bool = False):
        super().__init__(parent)
        self._title = title
        self._tip_title = ""  # the tooltip shown_title() set (a tooltip set by others is kept)
        self.nan_hatched = nan_hatched  # NaN cells lie off the map (else: not filled in yet)
        self.max_cell = max_cell
        self._values = np.zeros((0, 0), np.float32)
        self._idx = np.zeros((0, 0), np.intp)
        self._image: QImage | None = None
        self._margin, self._margin_zero = (0, 0), False  # rings of cells: (rows, cols)
        self._window: tuple[int, int, int, int] | None = None  # (top, left, rows, cols)
        self._winner: tuple[int, int] | None = None
        self._current: tuple[int, int] | None = None
        self._marked: np.ndarray | None = None
        self._hatched: np.ndarray | None = None
        self._base: QPixmap | None = None  # cells, grid and numbers, drawn once per values
        self._key = None  # (margin, margin_zero, levels) of the values shown
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(90, 90)

    # ---- data ---------------------------------------------------------------------------
    def set_title(self, title: str) -> None:
        self._title = title
        self._base = None
        self.update()

    def set_values(
        self,
        values: np.ndarray,
        levels: tuple[float, float] | None = None,
        margin: int = 0,
        margin_zero: bool = False,
    ) -> None:
        """`margin` rings of extra cells around the map (one number, or (rows, cols): above and
        below, left and right): zero padding when `margin_zero`, else empty room for a window
        that hangs over the edge."""
        v = np.asarray(values, np.float32)
        margin = _pair(margin)
        key = (margin, bool(margin_zero), levels)
        if (
            key == self._key
            and self._image is not None
            and v.shape == self._values.shape
            and np.array_equal(v, self._values, equal_nan=True)
        ):
            return  # the same numbers (a feature while it steps): keep the drawn cells
        self._key = key
        if v.shape != self._values.shape or margin != self._margin:
            self.updateGeometry()  # the size hint follows the map's shape
        self._values = v
        self._texts: list[list[str]] | None = None  # made when first painted with numbers
        self._base = None
        self._margin, self._margin_zero = margin, bool(margin_zero)
        self._idx = colour_indices(v, levels or symmetric_levels(v))
        rgba = np.empty((*v.shape, 4), np.uint8)
        rgba[..., :3] = _LUT[self._idx]
        rgba[..., 3] = np.where(np.isnan(v), 0, 255)
        self._rgba = np.ascontiguousarray(rgba)  # QImage borrows this buffer: keep it alive
        h, w = v.shape
        # premultiplied ARGB is the format the raster painter blits fastest (a copy: the
        # numpy buffer may go)
        self._image = (
            QImage(self._rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).convertToFormat(
                QImage.Format.Format_ARGB32_Premultiplied
            )
            if v.size
            else None
        )
        self.update()

    def set_marks(self, window=None, winner=None, current=None, marked=None, hatched=None) -> None:
        """window (top, left, rows, cols) or (top, left, size) in map cells (may reach outside);
        winner / current (r, c);
        marked: (H, W) bool cells drawn with a red frame; hatched: (H, W) bool cells drawn
        hatched (e.g. a patch's cells on the zero padding)."""
        if window is not None and len(window) == 3:  # a square window: (top, left, size)
            window = (*window, window[2])
        self._window = None if window is None else tuple(int(v) for v in window)
        self._winner, self._current = winner, current
        self._marked = None if marked is None else np.asarray(marked, bool)
        hatched = None if hatched is None else np.asarray(hatched, bool)
        if not _same(hatched, self._hatched):  # hatching is part of the cached cells
            self._base = None
        self._hatched = hatched
        self.update()

    @property
    def values(self) -> np.ndarray:
        return self._values

    # ---- geometry -----------------------------------------------------------------------
    def _title_height(self) -> int:
        return 24 if self._title else 0

    def cell_size(self) -> float:
        rows, cols = self._values.shape
        n_r, n_c = rows + 2 * self._margin[0], cols + 2 * self._margin[1]
        if not n_r or not n_c:
            return 0.0
        avail_w, avail_h = self.width() - 4, self.height() - self._title_height() - 4
        return float(max(1, min(self.max_cell, int(min(avail_w / n_c, avail_h / n_r)))))

    def height_for(self, width: int) -> int:
        """The height past which this grid, `width` px wide, gains nothing (its cells are as big
        as the width lets them be); at least its minimum height."""
        rows, cols = self._values.shape
        n_r, n_c = rows + 2 * self._margin[0], cols + 2 * self._margin[1]
        if not n_r or not n_c:
            return self.minimumHeight()
        cell = max(1, min(self.max_cell, int((width - 4) / n_c)))
        return max(self.minimumHeight(), cell * n_r + 4 + self._title_height())

    def _origin(self, cell: float) -> QPointF:
        rows, cols = self._values.shape
        mr, mc = self._margin
        gw, gh = (cols + 2 * mc) * cell, (rows + 2 * mr) * cell
        x = (self.width() - gw) / 2 + mc * cell
        y = self._title_height() + (self.height() - self._title_height() - gh) / 2 + mr * cell
        return QPointF(round(x), round(y))

    def sizeHint(self) -> QSize:
        rows, cols = self._values.shape if self._values.size else (5, 5)
        n_r, n_c = rows + 2 * self._margin[0], cols + 2 * self._margin[1]
        # square cells: a 1x46 map asks for a strip, not a square
        cell = min(self.max_cell, max(12, 360 // max(n_r, n_c, 1)))
        w, h = int(cell * n_c) + 4, int(cell * n_r) + 4
        return QSize(max(w, 90), max(h, 40) + self._title_height())

    # ---- painting -----------------------------------------------------------------------
    def resizeEvent(self, event):
        self._base = None
        super().resizeEvent(event)

    def paintEvent(self, event):  # Qt's name
        # The cells, grid and numbers change only with the values: they are drawn once into a
        # pixmap, so a step (which moves only the marks) costs one drawPixmap plus the marks.
        dpr = self.devicePixelRatioF()
        if self._base is None:
            self._base = QPixmap(max(1, int(self.width() * dpr)), max(1, int(self.height() * dpr)))
            self._base.setDevicePixelRatio(dpr)
            self._base.fill(Qt.GlobalColor.transparent)
            bp = QPainter(self._base)
            try:
                self._paint_base(bp)
            finally:
                bp.end()
        p = QPainter(self)
        try:
            p.drawPixmap(0, 0, self._base)
            if self._image is not None:
                cell = self.cell_size()
                self._paint_marks(p, self._origin(cell), cell, *self._values.shape)
        finally:
            p.end()

    def _paint_base(self, p: QPainter) -> None:
        rows, cols = self._values.shape
        cell = self.cell_size()
        o = self._origin(cell)
        mr, mc = self._margin
        full = QRectF(
            o.x() - mc * cell, o.y() - mr * cell, (cols + 2 * mc) * cell, (rows + 2 * mr) * cell
        )
        if self._title:  # right above the cells: in a tall panel it stays with them
            self._paint_title(p, full)
        if self._image is None:
            return
        area = QRectF(o.x(), o.y(), cols * cell, rows * cell)
        show_text = cell >= self.MIN_TEXT_CELL
        font = QFont(self.font())
        font.setPixelSize(self._text_pixels(cell))
        p.setFont(font)
        padded = bool((mr or mc) and self._margin_zero)
        if padded:
            self._paint_padding(p, o, cell, full, show_text)
        p.fillRect(area, EMPTY_COLOR)
        if self.nan_hatched and np.isnan(self._values).any():  # NaN = off the map
            p.fillRect(area, QBrush(EMPTY_HATCH, Qt.BrushStyle.BDiagPattern))
        p.drawImage(area, self._image)  # nearest-neighbour scaling: crisp cells
        if self._hatched is not None:
            for r, c in zip(*np.nonzero(self._hatched), strict=True):
                rect = self._cell_rect(o, cell, int(r), int(c))
                p.fillRect(rect, PADDING_COLOR)
                p.fillRect(rect, QBrush(PADDING_HATCH, Qt.BrushStyle.BDiagPattern))
        if cell >= 6:  # grid lines (over the padding too, but not over empty room)
            self._paint_grid_lines(p, full if padded else area, cell)
        p.setPen(QPen(FRAME_COLOR, 1))
        p.drawRect(area)
        if show_text:
            self._paint_numbers(p, o, cell, font)

    def _paint_title(self, p: QPainter, full: QRectF) -> None:
        p.setFont(self.title_font())
        p.setPen(self.palette().windowText().color())
        top = max(0.0, full.top() - self._title_height()) if self._image is not None else 0.0
        p.drawText(
            QRectF(0, top, self.width(), 22), Qt.AlignmentFlag.AlignCenter, self.shown_title()
        )

    def title_font(self) -> QFont:
        """The title's font: bold 15 px, smaller (down to 11 px) when the grid is narrow."""
        f = QFont(self.font())
        f.setBold(True)
        for px in range(15, 10, -1):
            f.setPixelSize(px)
            if QFontMetricsF(f).horizontalAdvance(self._title) <= self.width() - 4:
                break
        return f

    def shown_title(self) -> str:
        """The title as painted: whole, or cut with "…" (then the tooltip says it whole): a
        centred title wider than the grid lost both its ends ("ut map with 2 rings of zero
        padd")."""
        fm = QFontMetricsF(self.title_font())
        shown = fm.elidedText(self._title, Qt.TextElideMode.ElideRight, max(0, self.width() - 4))
        tip = self._title if shown != self._title else ""
        if self.toolTip() in ("", self._tip_title) and tip != self._tip_title:
            self.setToolTip(tip)
            self._tip_title = tip
        return shown

    def texts(self) -> list[list[str]]:
        if self._texts is None:
            self._texts = cell_texts(self._values)
        return self._texts

    def _text_pixels(self, cell: float) -> int:
        """As large as fits: about 40% of the cell, less for long numbers like -0.11."""
        if cell < self.MIN_TEXT_CELL:
            return 8
        longest = max((len(t) for row in self.texts() for t in row), default=1)
        return max(8, int(min(cell * 0.4, cell * 0.8 / (0.6 * max(longest, 1)))))

    def _cell_rect(self, o: QPointF, cell: float, r: int, c: int, h: int = 1, w: int = 1) -> QRectF:
        return QRectF(o.x() + c * cell, o.y() + r * cell, w * cell, h * cell)
