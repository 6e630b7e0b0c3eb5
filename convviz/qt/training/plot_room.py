"""Keeps the Training dock's two plots (loss, validation accuracy) readable in the room they get.

At 1024x768 the dock gives them about 360x135 px: stacked, each plot's own area was ~20 px tall
with no curve to see, the two rotated axis labels ran into each other ("ccuracy (%)oss"), and at
any size pyqtgraph draws its largest tick level's numbers even when they overlap (80/60/40/20
printed on top of each other). So:
- side by side while the room is wider than tall (a docked panel), stacked, sharing one x axis,
  only when it is taller (a floating or very tall dock);
- no axis labels on the left: each plot's title says what it plots;
- ticks with room between their numbers (spaced_ticks below), on every axis;
- the legend in the loss plot's title, in the lines' colours: inside the plot it covered the
  curve (the plots' tooltip says what each line is too).
The panel (training/panel.py) builds the plots and calls `keep_readable` once.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFontMetricsF

from .. import theme

SIDE_BY_SIDE_RATIO = 1.3  # wider than tall by this much: the two plots side by side
TICK_GAP_LINES = 1.3  # neighbouring numbers up an axis at least this many text lines apart
NICE_STEPS = (1.0, 2.0, 2.5, 5.0)  # tick spacings: these times a power of ten


# The loss plot's title is its legend, in the lines' colours: a legend inside the plot covered
# the curve in a low plot. (A title is as wide as its words at least: side by side, the shorter
# words fit 1024x768's dock.)
def _coloured(colour, words: str) -> str:
    return f"<span style='color: {pg.mkColor(colour).name()}'>{words}</span>"


def _key(batch: str, trend: str, validation: str) -> str:
    return (
        f"{_coloured(theme.LOSS_RAW, batch)}, {_coloured(theme.LOSS_TREND, trend)}, "
        f"{_coloured(theme.LOSS_VALIDATION, validation)}"
    )


# side by side: the first pair whose titles fit the width (a title is as wide as its words at
# least, and the plots went past the dock's edge); stacked: the full words
SIDE_TITLES = (
    (f"Loss: {_key('each batch', 'trend', '● validation')}", "Accuracy (%)"),
    (f"Loss: {_key('batch', 'trend', '● val.')}", "Accuracy (%)"),
    ("Loss", "Accuracy"),
)
STACKED_TITLES = (
    f"Loss (cross-entropy), lower is better: {_key('each batch', 'trend', '● validation')}",
    "Validation accuracy (%) after each epoch",
)
TOOLTIP = (
    "Loss (cross-entropy, lower is better): each batch's, its trend, and the validation images' "
    "after each epoch. Accuracy: the share of the validation images the network got right after "
    "each epoch."
)


def _nice_at_least(step: float) -> float:
    """The smallest spacing from NICE_STEPS x 10^k that is at least `step` (> 0)."""
    power = 10.0 ** _floor_log10(step)
    for k in (1, 10):
        for s in NICE_STEPS:
            if s * power * k >= step:
                return s * power * k
    return 10 * power


def _floor_log10(x: float) -> int:
    return math.floor(math.log10(x))


def spaced_ticks(axis: pg.AxisItem):
    """`axis.tickSpacing` made to keep its numbers apart: pyqtgraph picks its spacing from the
    axis's length alone and always draws the largest level's numbers."""
    original = axis.tickSpacing

    def spacing(min_val: float, max_val: float, size: float):
        levels = original(min_val, max_val, size)
        span = abs(max_val - min_val)
        if not levels or span == 0 or size <= 0:
            return levels
        m = QFontMetricsF(axis.style.get("tickFont") or axis.font())
        vertical = axis.orientation in ("left", "right")
        # a number's room: a line of text up the side, the widest of a few digits along x
        room = m.height() * TICK_GAP_LINES if vertical else m.horizontalAdvance("0000  ")
        least = span / size * room
        major = levels[0][0]
        if major >= least:
            return levels
        major = _nice_at_least(least)
        return [(major, 0.0)]

    axis.tickSpacing = spacing  # pyqtgraph asks the instance each time it lays out the ticks
    return spacing


class PlotRoom(QObject):
    """Lays the two plots out for the room they have, on every resize of their widget."""

    def __init__(self, widget: pg.GraphicsLayoutWidget, loss: pg.PlotItem, acc: pg.PlotItem):
        super().__init__(widget)
        self.widget, self.loss, self.acc = widget, loss, acc
        self.side_by_side: bool | None = None
        for plot in (loss, acc):
            plot.getAxis("left").showLabel(False)  # the title says what it is
            for name in ("left", "bottom"):
                spaced_ticks(plot.getAxis(name))
            plot.getAxis("left").setWidth(
                QFontMetricsF(plot.getAxis("left").font()).horizontalAdvance("0.000") + 8
            )
        if loss.legend is not None:
            loss.legend.hide()  # its words are in the title (KEY)
        widget.setToolTip(TOOLTIP)
        widget.installEventFilter(self)
        # the curves are drawn downsampled to about two points a pixel of the width they had: a
        # plot made narrower (laid side by side) drew up to twice as many points as it has room
        loss.vb.sigResized.connect(self._curves_to_width)
        self.arrange()

    def eventFilter(self, obj, event):
        if obj is self.widget and event.type() == QEvent.Type.Resize:
            self.arrange()
        return False

    def _curves_to_width(self, *_args) -> None:
        for item in self.loss.listDataItems():
            item.viewRangeChanged()

    def arrange(self) -> None:
        w, h = self.widget.width(), self.widget.height()
        titles = self._side_titles(w) if w >= SIDE_BY_SIDE_RATIO * h else None
        side = titles is not None
        if side != self.side_by_side:
            self.side_by_side = side
            grid = self.widget.ci
            for plot in (self.loss, self.acc):
                grid.removeItem(plot)
            lay = grid.layout
            grid.addItem(self.loss, row=0, col=0)
            grid.addItem(self.acc, row=0 if side else 1, col=1 if side else 0)
            lay.setRowStretchFactor(0, 1 if side else 3)
            lay.setRowStretchFactor(1, 0 if side else 2)
            lay.setColumnStretchFactor(0, 3 if side else 1)
            lay.setColumnStretchFactor(1, 2 if side else 0)
            # stacked, the x axis (shared: the plots are linked) is written once, at the bottom
            self.loss.setLabel("bottom", "batches trained" if side else "")  # (shows the axis)
            self.loss.showAxis("bottom", side)
        self._title(titles or STACKED_TITLES)

    def _title(self, titles: tuple[str, str]) -> None:
        for plot, title in zip((self.loss, self.acc), titles, strict=True):
            if plot.titleLabel.text != title:
                plot.setTitle(title, size="9pt")

    def _side_titles(self, width: float) -> tuple[str, str] | None:
        """The longest titles with which the two plots fit side by side in `width`."""
        least = Qt.SizeHint.MinimumSize
        for titles in SIDE_TITLES:
            self._title(titles)
            need = sum(
                max(p.titleLabel.effectiveSizeHint(least).width(), 0)
                + p.getAxis("left").effectiveSizeHint(least).width()
                for p in (self.loss, self.acc)
            )
            if need + 24 <= width:  # (the layout's margins and spacing)
                return titles
        return None


def keep_readable(widget: pg.GraphicsLayoutWidget, loss: pg.PlotItem, acc: pg.PlotItem):
    """Make the two plots keep readable (see the module's words); returns the keeper."""
    return PlotRoom(widget, loss, acc)
