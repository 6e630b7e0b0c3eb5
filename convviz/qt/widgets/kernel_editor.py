"""Draw a feature by hand, as the deck's were: one kernel of a convolution layer as a grid of
cells. Left button paints +value, right button -value (drag to paint several); the value is
typed in the box beside it, so typing an exact number is "set the value, click the cell". In
"raise / lower" mode each click adds the value (left) or takes it away (right) instead, once per
cell entered, for gradual changes a class can follow.
Apply puts the kernel into the live network as one what-if edit (core/whatif.py); Clear
empties the grid to draw a feature from scratch. `KernelEditorDialog` is the same editor in a
window of its own with large cells (a click on a kernel in the Kernels panel opens it), big
enough to paint in front of a class.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.mosaic import colour_indices
from .. import theme
from .cell_grid import symmetric_levels
from .flow_layout import WrapRow

SET, NUDGE = "set", "nudge"  # what a click does: set the cell to ±value, or add ±value to it
PAINT_MODES = {SET: "paint ±value", NUDGE: "raise / lower"}


class KernelPaint(QWidget):
    """A (k, k) grid of numbers, coloured on the app's diverging scale, painted with the mouse."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values = np.zeros((3, 3))
        self.paint_value = 1.0
        self.mode = SET
        self._last_cell = None  # the cell the pen is on (raise / lower acts once per cell)
        self.setMinimumSize(90, 90)
        self.setToolTip("Left button paints +value, right button -value")

    def sizeHint(self) -> QSize:
        return QSize(110, 110)

    def set_values(self, values) -> None:
        self.values = np.array(values, dtype=np.float64)
        self.update()

    def _cell_at(self, pos):
        k = self.values.shape[0]
        side = min(self.width(), self.height())
        col, row = int(pos.x() * k // side), int(pos.y() * k // side)
        return (row, col) if 0 <= row < k and 0 <= col < k else None

    def _paint_at(self, event) -> None:
        cell = self._cell_at(event.position())
        buttons = event.buttons()
        if cell is None or not buttons & (Qt.LeftButton | Qt.RightButton):
            return
        sign = 1.0 if buttons & Qt.LeftButton else -1.0
        if self.mode == NUDGE:
            if cell == self._last_cell:
                return
            new = self.values[cell] + sign * self.paint_value
        else:
            new = sign * self.paint_value
        self._last_cell = cell
        if self.values[cell] != new:
            self.values[cell] = new
            self.update()
            self.changed.emit()

    def mousePressEvent(self, event):
        self._last_cell = None  # a new click acts even on the cell of the last one
        self._paint_at(event)

    mouseMoveEvent = _paint_at

    def paintEvent(self, event):
        k = self.values.shape[0]
        side = min(self.width(), self.height())
        cell = side / k
        # the one colour pipeline: values -> LUT indices (core.mosaic) -> the theme's LUT
        level = symmetric_levels(self.values)[1]
        idx = colour_indices(self.values, level).reshape(self.values.shape)
        lut = theme.DIVERGING_LUT
        p = QPainter(self)
        for (r, c), i in np.ndenumerate(idx):
            p.fillRect(QRectF(c * cell, r * cell, cell - 1, cell - 1), QColor(*lut[i]))
        p.end()


class KernelEditor(QWidget):
    """Layer, feature and input map choosers, the grid, the paint value and Apply."""

    apply_kernel = Signal(str, int, object)  # layer, feature (0-based), (C, k, k) values

    def __init__(self, parent=None):
        super().__init__(parent)
        self.snapshot, self.spec, self._convs = None, None, []
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The convolution layer whose feature to draw")
        self.feature_box = QSpinBox()
        self.feature_box.setPrefix("feature ")
        self.channel_box = QSpinBox()
        self.channel_box.setPrefix("reading map ")
        self.value_box = QDoubleSpinBox()
        self.value_box.setRange(0.0, 100.0)
        self.value_box.setValue(1.0)
        self.value_box.setPrefix("paint ±")
        self.value_box.setToolTip("What a click paints: +value (left) or -value (right)")
        self.mode_box = QComboBox()
        for key, words in PAINT_MODES.items():
            self.mode_box.addItem(words, key)
        self.mode_box.setToolTip(
            "A click sets the cell to ±value, or raises (left) / lowers (right) it by the value"
        )
        self.grid = KernelPaint()
        self.apply_button = QPushButton("Apply feature")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("All cells 0: draw the feature from scratch")
        # the choosers on two lines left of the grid, each stacking in a narrow dock (a
        # 1024-pixel projector) rather than making the tab scroll sideways
        which = WrapRow(
            (QLabel("Draw a feature"), self.layer_box, self.feature_box, self.channel_box)
        )
        how = WrapRow((self.mode_box, self.value_box, self.clear_button, self.apply_button))
        lines = QVBoxLayout()
        lines.addWidget(which)
        lines.addWidget(how)
        lines.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(lines)
        row.addWidget(self.grid)
        row.addStretch(1)
        self.layer_box.currentIndexChanged.connect(self._load)
        self.feature_box.valueChanged.connect(self._load)
        self.channel_box.valueChanged.connect(self._load)
        self.value_box.valueChanged.connect(lambda v: setattr(self.grid, "paint_value", v))
        self.mode_box.currentIndexChanged.connect(
            lambda _: setattr(self.grid, "mode", self.mode_box.currentData())
        )
        self.apply_button.clicked.connect(self._apply)
        self.clear_button.clicked.connect(
            lambda: self.grid.set_values(np.zeros_like(self.grid.values))
        )

    def choose(self, layer: str, feature: int, channel: int = 0) -> None:
        """Show feature `feature` (0-based) of `layer`, as it reads input map `channel`."""
        self.layer_box.setCurrentText(layer)
        self._load()
        self.feature_box.setValue(feature + 1)
        self.channel_box.setValue(channel + 1)
        self._load()

    def set_network(self, spec, snapshot) -> None:
        """The convolutions of `spec`, their kernels read from `snapshot` (a CPU copy)."""
        self.spec, self.snapshot = spec, snapshot
        self._convs = [s.name for s in spec.shapes() if s.kind == "conv"]
        current = self.layer_box.currentText()
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems(self._convs)
        if current in self._convs:
            self.layer_box.setCurrentText(current)
        self.layer_box.blockSignals(False)
        self._load()

    def _kernel(self):
        name = self.layer_box.currentText()
        if self.snapshot is None or name not in self._convs or not self.snapshot.made_by(self.spec):
            return None
        return self.snapshot.weight(name)  # (F, C, k, k)

    def _load(self, *_) -> None:
        w = self._kernel()
        if w is None:
            return
        for box, n in ((self.feature_box, w.shape[0]), (self.channel_box, w.shape[1])):
            box.blockSignals(True)
            box.setRange(1, n)
            box.blockSignals(False)
        self.channel_box.setVisible(w.shape[1] > 1)
        self.grid.set_values(w[self.feature_box.value() - 1, self.channel_box.value() - 1])

    def _apply(self) -> None:
        w = self._kernel()
        if w is None:
            return
        f = self.feature_box.value() - 1
        kernel = np.array(w[f], dtype=np.float64)  # (C, k, k): the other input maps kept
        kernel[self.channel_box.value() - 1] = self.grid.values
        self.apply_kernel.emit(self.layer_box.currentText(), f, kernel)


class KernelEditorDialog(QDialog):
    """The editor in a window of its own, its cells large (see the module's docstring)."""

    CELLS_PX = 300  # the grid's side: cells a class can see from the back of the room

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("What if: edit a feature")
        self.editor = KernelEditor()
        self.editor.grid.setMinimumSize(self.CELLS_PX, self.CELLS_PX)
        self.status = QLabel(
            "Left button paints +value, right button -value; Apply puts the "
            "feature into the network (Undo in Where it looked)."
        )
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.editor)
        lay.addWidget(self.status)
