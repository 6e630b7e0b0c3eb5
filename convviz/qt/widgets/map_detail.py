"""One map shown large with its values printed in the cells when they fit (the Feature maps
panel's enlarged map, under the mosaics): the picture, its title, and the numbers sized to the
cells (two decimals as the deck prints them, else one, else a smaller font, else colours only).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

from ...core.numbers import deck_number
from .. import theme

DETAIL_NUMBERS_MAX = 12  # print the values inside cells of maps up to 12x12 (the deck's 7x7)
NUMBER_FILL = 0.86  # a printed value may take this share of its cell's width, no more
MIN_NUMBER_PT = 7.0


class MapDetail:
    """The enlarged map: `view` (the widget to place), `title`, `box`, `image`, `numbers` (the
    text items, made as needed and reused)."""

    def __init__(self):
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(theme.PANEL)
        self.title = self.view.addLabel("", row=0, col=0, color=theme.TEXT)
        self.box = self.view.addViewBox(row=1, col=0)
        self.box.setAspectLocked(True)
        self.box.invertY(True)
        self.box.setMouseEnabled(False, False)
        self.box.setMenuEnabled(False)
        self.image = pg.ImageItem(
            np.zeros((1, 1), np.float32),
            levels=(-1, 1),
            lut=theme.DIVERGING_LUT,
            axisOrder="row-major",
        )
        self.box.addItem(self.image)
        self.numbers: list[pg.TextItem] = []
        self.view.hide()

    def cell_px(self, h: int, w: int) -> float:
        """The side of one cell of an (h, w) map on screen: the box keeps the map square, so
        the shorter of its two sides decides (the width alone overstated it)."""
        return min(self.box.width() / max(w, 1), self.box.height() / max(h, 1))

    def show(self, values: np.ndarray, lut, lo: float, hi: float, level: float, title: str):
        """`values` (h, w) on the colour table `lut` over lo..hi; printed values switch to dark
        text above 0.55 * `level` (the bright cells)."""
        h, w = values.shape
        self.image.setLookupTable(lut)
        self.image.setImage(values, levels=(lo, hi), autoLevels=False)
        self.title.setText(title, color=theme.TEXT)
        self.box.setRange(QRectF(0, 0, w, h), padding=0.02)
        # values printed in the cells when the map is small and the cells are big enough
        fit = (
            detail_number_font(values, self.cell_px(h, w))
            if h <= DETAIL_NUMBERS_MAX and w <= DETAIL_NUMBERS_MAX
            else None
        )
        numbers = fit is not None
        font, decimals = fit if fit else (None, 2)
        while numbers and len(self.numbers) < h * w:
            t = pg.TextItem("", anchor=(0.5, 0.5))
            self.box.addItem(t)
            self.numbers.append(t)
        for k, t in enumerate(self.numbers):
            on = numbers and k < h * w
            t.setVisible(on)
            if on:
                r, c = divmod(k, w)
                v = float(values[r, c])
                t.setFont(font)
                # dark text on the bright (large) values, light text on the dark ones
                t.setColor(theme.CANVAS_BG if abs(v) > 0.55 * level else theme.TEXT)
                t.setText(deck_number(v, decimals))
                t.setPos(c + 0.5, r + 0.5)


def detail_number_font(values: np.ndarray, cell_px: float) -> tuple[QFont, int] | None:
    """The font and decimals that print every value of `values` inside a cell of `cell_px`:
    two decimals (the deck's) at up to the window's type size, else one, else a smaller font
    down to MIN_NUMBER_PT; None when even that does not fit (colours only)."""
    room = cell_px * NUMBER_FILL
    for decimals in (2, 1):
        texts = {deck_number(v, decimals) for v in np.ravel(values)} or {"0"}
        font = QFont()
        size = min(float(theme.BASE_POINT_SIZE), cell_px * 0.3)
        while size >= MIN_NUMBER_PT:
            font.setPointSizeF(size)
            fm = QFontMetricsF(font)
            if max(fm.horizontalAdvance(t) for t in texts) <= room:
                return font, decimals
            size -= 0.5
    return None
