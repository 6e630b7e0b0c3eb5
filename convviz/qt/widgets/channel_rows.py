"""The filtering panel's arithmetic, one input channel to a row, as the CS231n demo lays it out:

    R   patch  ×  feature's R slice  =  products   → 3
    G   ...                                        → -1
    B   ...                                        → 2
    + 13 more channels: sum 4.21

- InputStrip: the shown channels' input maps side by side, zero padding around each, the
  feature's window outlined on every one (it covers all channels at once).
- ChannelRows: one row per shown channel (core.stepper_conv.CHANNELS_SHOWN at most) and a line
  for all the others, so 64 or 384 input channels never become an unreadable wall.
The numbers come from a core ConvStep; these widgets only show them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QWidget

from ...core.numbers import deck_number
from ...core.stepper_conv import CHANNELS_SHOWN
from .. import theme
from .cell_grid import CellGrid, symmetric_levels

SMALL_GRID_PX = 48  # px: the least a channel row's grid shrinks to (a 3x3 feature stays seen)
NUMBERS_UP_TO = 3  # rows: features this short keep room for their numbers in every row


def sum_text(v: float) -> str:
    """Sums as the deck says them: whole ones as integers ("sum 9"), else two decimals."""
    return str(round(v)) if abs(v - round(v)) < 1e-6 else deck_number(v)


def _sign(text: str, parent) -> QLabel:
    lab = QLabel(text, parent)
    lab.setStyleSheet(f"font-size: {theme.FIGURE_PX}px; font-weight: bold;")
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return lab


def _small_grid(title: str, parent, tip: str) -> CellGrid:
    g = CellGrid(title, parent, max_cell=56)
    g.setMinimumSize(SMALL_GRID_PX, SMALL_GRID_PX)
    g.setToolTip(tip)
    return g


class InputStrip(QWidget):
    """Up to CHANNELS_SHOWN input maps side by side, each padded, each with the window."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grids = [CellGrid("", self) for _ in range(CHANNELS_SHOWN)]
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        for g in self.grids:
            g.setMinimumSize(56, 56)
            g.setToolTip(
                "An input channel; hatched cells are the zero padding around it, the frame is "
                "the feature, which covers every channel at once"
            )
            lay.addWidget(g, 1)

    def set_inputs(self, inputs: np.ndarray, shown: range, names, padding, levels) -> None:
        """inputs (C, H, W); the channels in `shown` get a grid each, the other grids hide."""
        pr, pc = padding
        for j, g in enumerate(self.grids):
            visible = j < len(shown)
            g.setVisible(visible)
            if visible:
                m = shown[j]
                g.set_title(names[m] if len(shown) > 1 else "Input")
                g.set_values(inputs[m], levels, margin=(pr, pc), margin_zero=True)

    def set_window(self, top: int, left: int, rows: int, cols: int) -> None:
        for g in self.grids:
            if g.isVisibleTo(self):
                g.set_marks(window=(top, left, rows, cols))


class ChannelRow:
    """One channel's row: name, patch × slice = products → its sum."""

    def __init__(self, parent: QWidget, grid: QGridLayout, row: int, titled: bool):
        t = titled
        self.name = QLabel(parent)
        self.name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.patch = _small_grid("Patch" if t else "", parent, "The inputs under the feature")
        self.feature = _small_grid(
            "Feature" if t else "", parent, "The feature's weights for this input channel"
        )
        self.products = _small_grid(
            "Products" if t else "", parent, "Each input times the weight on top of it"
        )
        self.times, self.equals = _sign("×", parent), _sign("=", parent)
        self.sum = QLabel(parent)
        self.sum.setTextFormat(Qt.TextFormat.RichText)
        self.sum.setToolTip("This channel's products added up")
        bold = self.sum.font()
        bold.setBold(True)  # room for a long sum ("-10.00"); the arrow goes above when it must
        # no wider than that: the grids take the width (a 3x3 feature's numbers need 82 px
        # each, and a 1024x768 window's dock has 380 px for everything)
        self.sum.setFixedWidth(QFontMetrics(bold).horizontalAdvance("-10.00") + 4)
        self.sum.setWordWrap(True)
        self.widgets = [
            self.name,
            self.patch,
            self.times,
            self.feature,
            self.equals,
            self.products,
            self.sum,
        ]
        for col, w in enumerate(self.widgets):
            grid.addWidget(w, row, col)

    def set_visible(self, on: bool) -> None:
        for w in self.widgets:
            w.setVisible(on)


class ChannelRows(QWidget):
    """Every shown channel's arithmetic and one line for the rest."""

    def __init__(self, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(2)
        grid.setVerticalSpacing(2)
        self.rows = [ChannelRow(self, grid, i, titled=i == 0) for i in range(CHANNELS_SHOWN)]
        for col in (1, 3, 5):  # the grids share the width; names, signs and sums take what fits
            grid.setColumnStretch(col, 1)
        self.rest = QLabel(self)
        self.rest.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rest.setToolTip(
            "The channels not shown in full: how many, and their products added up"
        )
        grid.addWidget(self.rest, CHANNELS_SHOWN, 0, 1, 7)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def resizeEvent(self, event):  # Qt's name
        super().resizeEvent(event)
        self._cap_height()

    def _cap_height(self) -> None:
        """No taller than the rows can use at this width (their grids' cells are as big as
        the width lets them be): the room left over goes to the input picture above, which
        a projector's audience must see the window move on."""
        grid = self.layout()
        heights = []
        for row in self.rows:
            if not row.patch.isVisibleTo(self):
                continue
            grids = [g.height_for(g.width()) for g in (row.patch, row.feature, row.products)]
            words = [row.sum.heightForWidth(row.sum.width()), row.name.sizeHint().height()]
            heights.append(max(grids + words))
        if self.rest.isVisibleTo(self):
            heights.append(self.rest.sizeHint().height())
        need = sum(heights) + grid.verticalSpacing() * max(0, len(heights) - 1)
        self.setMaximumHeight(max(need, self.minimumSizeHint().height()))

    def fit_window(self, window: tuple[int, int], all_shown: bool) -> None:
        """A small feature (3x3, 1x3) over channels all shown (a picture's R, G, B) gets rows
        tall enough for its numbers (the CS231n demo's arithmetic is read from them); a large
        one, or a deep layer's (its numbers long, its channel picker taking a line), shows
        colours in whatever room there is, so the panel fits a 768-pixel screen."""
        rows = window[0]
        small = rows <= NUMBERS_UP_TO and all_shown
        least = rows * CellGrid.MIN_TEXT_CELL + 4 if small else SMALL_GRID_PX
        for j, row in enumerate(self.rows):
            for g in (row.patch, row.feature, row.products):
                g.setMinimumHeight(max(SMALL_GRID_PX, least + (g._title_height() if j == 0 else 0)))
        self._cap_height()

    def show_step(self, step, shown: range, names, in_levels, w_levels) -> None:
        """step: a core ConvStep; shown: the channels shown in full; names: every channel's."""
        n = len(shown)
        pad = step.on_padding if step.on_padding.any() else None
        p_levels = symmetric_levels(step.products[shown.start : shown.stop])
        for j, row in enumerate(self.rows):
            row.set_visible(j < n)
            if j >= n:
                continue
            m = shown[j]
            row.name.setText(names[m] if n > 1 or step.n_maps > 1 else "")
            row.patch.set_values(step.patches[m], in_levels)
            row.patch.set_marks(hatched=pad)
            row.feature.set_values(step.features[m], w_levels)
            row.products.set_values(step.products[m], p_levels)
            row.products.set_marks(hatched=pad)
            row.sum.setText(f"→ <b>{sum_text(step.channel_sums[m])}</b>")
        others, rest_sum = step.rest(shown)
        self.rest.setVisible(others > 0)
        if others:
            self.rest.setText(
                f"+ {others} more channel{'s' if others != 1 else ''}: sum "
                f"<b>{sum_text(rest_sum)}</b>"
            )
        self._cap_height()  # the values' shape, the rows shown or the sums' lines changed
