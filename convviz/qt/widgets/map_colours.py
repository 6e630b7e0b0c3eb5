"""The colours of the feature maps: the diverging table every map is drawn with, the input
channels' ramps (a colour picture's R, G, B from black to full colour; a drawing in the canvas's
grey), and the colour bar beside the maps (its own widget, so it stays in sight while they
scroll)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core.mosaic import colour_table
from .. import theme

PAD = 10  # pixels around the bar, as around the maps
LEGEND_W = 16  # colour bar width
GAP_RGB = QColor(theme.PANEL).getRgb()[:3]
TABLE = colour_table(theme.DIVERGING_LUT, GAP_RGB)
# an input channel's ramp: its value range from black to the channel's full colour
_RAMP = np.linspace(0.0, 1.0, 256)[:, None]
CHANNEL_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
GREY = QColor(theme.CANVAS_BG).getRgb()[:3], QColor(theme.CANVAS_INK).getRgb()[:3]


def _ramp(dark, full) -> np.ndarray:
    return np.rint(np.asarray(dark) + _RAMP * (np.subtract(full, dark))).astype(np.uint8)


def input_ramps(channels: int) -> list[np.ndarray]:
    """(256, 3) uint8 colours per input channel: three channels red, green, blue from black;
    any other number the canvas's own background-to-ink grey, as the drawing is shown."""
    if channels == 3:
        return [_ramp((0, 0, 0), c) for c in CHANNEL_COLOURS]
    return [_ramp(*GREY)] * channels


def input_tables(channels: int) -> np.ndarray:
    """The ramps stacked, and the gap colour last (see mosaic.colourise_ramps)."""
    return colour_table(np.vstack(input_ramps(channels)), GAP_RGB)


class ColourLegend(QWidget):
    """The diverging colour bar beside the maps, labelled at positions -1 (bottom) .. 1 (top);
    its own widget, so it stays in sight while the maps scroll."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ticks: list[tuple[float, str]] = []
        self._bar = QImage(TABLE[:256][::-1].copy().data, 1, 256, 4, QImage.Format_RGB32).copy()
        font = QFont()
        font.setPointSize(theme.BASE_POINT_SIZE)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Expanding)

    def set_ticks(self, ticks: list[tuple[float, str]]) -> None:
        self.ticks = ticks
        metrics = QFontMetricsF(self.font())
        text = max((metrics.horizontalAdvance(t) for _, t in ticks), default=0.0)
        self.setFixedWidth(int(LEGEND_W + 6 + text + PAD + 1))  # bar, tick, labels, margin
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))  # (a style sheet's window colour else)
        if not self.ticks:
            p.end()
            return
        metrics = QFontMetricsF(self.font())
        top, bottom = PAD + metrics.height() / 2, self.height() - PAD - metrics.height() / 2
        bar = QRectF(0, top, LEGEND_W, bottom - top)
        p.drawImage(bar, self._bar)
        p.setPen(QColor(theme.BORDER))
        p.drawRect(bar)
        p.setPen(QColor(theme.TEXT))
        for at, label in self.ticks:  # at: -1 (bottom) .. 1 (top)
            y = bar.center().y() - at * bar.height() / 2
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y))
            p.drawText(
                QRectF(bar.right() + 6, y - metrics.height() / 2, 200, metrics.height()),
                Qt.AlignLeft | Qt.AlignVCenter,
                label,
            )
        p.end()
