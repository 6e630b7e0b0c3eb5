"""The Activation view: one map before and after an activation layer (ReLU, leaky ReLU, sigmoid,
tanh; a residual block's inside included), the function's curve over the map's values, and the
words for it (core/activations.py).

    [layer ▾] [map ▾]
    what the function does
    before (changed cells framed)   →   after        the curve f(x)
    how many cells changed
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.activations import (
    ActivationLayer,
    activation_layers,
    before_values,
    caption,
    changed_cells,
    explanation,
)
from ...core.layers import words
from ...core.names import map_names
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from .. import theme
from ..widgets.cell_grid import CellGrid, symmetric_levels
from ..widgets.curve_plot import CurvePlot
from ..widgets.stepper_controls import selector
from ..widgets.stepper_panel import help_label, picker_row

NONE_HERE = "This network has no activation layer on maps (ReLU, leaky ReLU, sigmoid or tanh)."


class ReluView(QWidget):
    """Before/after of one map through an activation layer.

    Interface (same as the stepper panels, without animation):
      set_model(spec, snapshot=None), show_weights(snapshot) (nothing to do: activations have
      no weights), show_trace(trace), select(layer_name, map_index=0, feature_index=0)
    """

    def __init__(self, session=None, parent=None):
        """`session` (optional): lay out for its network at once."""
        super().__init__(parent)
        self.spec: NetworkSpec | None = None
        self.trace = None
        self._before: dict[str, np.ndarray] = {}
        self._layers: list[ActivationLayer] = []
        self.layer_combo = selector("Which activation layer to look at", self)
        self.map_combo = selector("Which of its maps", self)
        top = picker_row(self, [("Layer", self.layer_combo), ("Map", self.map_combo)])
        self.explanation = help_label("", self)
        self.before_grid = CellGrid("Before", self)
        self.before_grid.setToolTip("The map as the layer receives it; changed cells framed")
        self.after_grid = CellGrid("After", self)
        self.after_grid.setToolTip("The same map after the layer's function")
        self.curve = CurvePlot(self)
        self.curve.setMaximumHeight(200)  # the maps come first
        self.arrow = arrow = QLabel("→", self)
        arrow.setAlignment(Qt.AlignmentFlag.AlignCenter)
        arrow.setStyleSheet(f"font-size: {theme.SIGN_PX}px; font-weight: bold;")
        self.grids = QWidget(self)
        grids = QVBoxLayout(self.grids)
        grids.setContentsMargins(0, 0, 0, 0)
        grids.setSpacing(0)  # (the curve may shrink to nothing in a low dock: no gap left)
        # side by side; a wide map (a spectrogram's 1 x 46) one above the other, full width
        self.pair_row = row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        row.addWidget(self.before_grid, 1)
        row.addWidget(arrow, 0)
        row.addWidget(self.after_grid, 1)
        grids.addLayout(row, 3)
        grids.addWidget(self.curve, 1)
        self.caption = QLabel(self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)  # "77 of 784 cells ..." is wider than a narrow dock
        f = QFont(self.caption.font())
        f.setPixelSize(theme.CAPTION_PX)
        self.caption.setFont(f)
        self.notice = QLabel(self)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 6, 6, 6)
        col.addLayout(top)
        col.addWidget(self.explanation)
        col.addWidget(self.grids, 1)
        col.addWidget(self.notice, 1)
        col.addWidget(self.caption)
        self.layer_combo.currentIndexChanged.connect(self._layer_changed)
        self.map_combo.currentIndexChanged.connect(self._refresh)
        self._refresh()
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- the interface ------------------------------------------------------------------
    def set_model(self, spec: NetworkSpec, snapshot: WeightsSnapshot | None = None) -> None:
        """A new network: list its activation layers on maps (they have no weights)."""
        self.spec, self.trace, self._before = spec, None, {}
        self._layers = activation_layers(spec)
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for k, a in enumerate(self._layers):  # the name says the kind (relu1, tanh1, ...)
            self.layer_combo.addItem(a.name)
            self.layer_combo.setItemData(k, words(a.kind)[0], Qt.ItemDataRole.ToolTipRole)
        self.layer_combo.blockSignals(False)
        self._layer_changed()

    def show_weights(self, snapshot: WeightsSnapshot) -> None:
        """Activations have no weights; the next trace carries any change."""

    def show_trace(self, trace) -> None:
        if trace is not None and trace.made_by(self.spec):  # (not one of the last network)
            self.trace = trace
            self._before = before_values(trace)
            self._refresh()

    def layer_names(self) -> list[str]:
        return [a.name for a in self._layers]

    def select(self, layer_name: str, map_index: int = 0, feature_index: int = 0) -> None:
        names = self.layer_names()
        if layer_name not in names:
            raise ValueError(
                f"no activation layer on maps named {layer_name!r} (this network has: "
                f"{', '.join(names) or 'none'})"
            )
        self.layer_combo.setCurrentIndex(names.index(layer_name))
        if not 0 <= map_index < self.map_combo.count():
            raise ValueError(f"{layer_name} has {self.map_combo.count()} maps, not {map_index + 1}")
        self.map_combo.setCurrentIndex(map_index)

    # ---- reactions ----------------------------------------------------------------------
    def _current(self) -> ActivationLayer | None:
        i = self.layer_combo.currentIndex()
        return self._layers[i] if 0 <= i < len(self._layers) else None

    def _layer_changed(self, *_):
        layer = self._current()
        keep = self.map_combo.currentIndex()
        self.map_combo.blockSignals(True)
        self.map_combo.clear()
        if layer is not None:
            self.map_combo.addItems(map_names(self.spec, layer.maps))
            self.map_combo.setCurrentIndex(min(max(keep, 0), layer.maps - 1))
            self.explanation.setText(explanation(layer))
        self.map_combo.blockSignals(False)
        self._refresh()

    def before_after(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The shown map before and after, (H, W) each; None when there is nothing to show."""
        layer = self._current()
        if self.trace is None or layer is None:
            return None
        m = max(0, self.map_combo.currentIndex())
        return self._before[layer.name][m], self.trace.layer(layer.name).values[m]

    def _refresh(self, *_):
        pair = self.before_after()
        self.grids.setVisible(pair is not None)
        self.notice.setVisible(pair is None)
        self.explanation.setVisible(bool(self._layers))
        for combo in (self.layer_combo, self.map_combo):  # nothing to choose from
            combo.setEnabled(bool(self._layers))
        if pair is None:
            self.notice.setText(
                NONE_HERE
                if self.spec and not self._layers
                else "Draw something to see the activation at work."
            )
            self.caption.setText("")
            return
        layer = self._current()
        before, after = pair
        wide = before.shape[1] > 3 * before.shape[0]
        self.pair_row.setDirection(
            QBoxLayout.Direction.TopToBottom if wide else QBoxLayout.Direction.LeftToRight
        )
        self.arrow.setText("↓" if wide else "→")
        marked = changed_cells(layer.kind, before)
        levels = symmetric_levels(before)
        self.before_grid.set_values(before, levels)
        self.before_grid.set_marks(marked=marked)
        # ReLU's after keeps the before's scale (the kept values look the same); a squashing
        # function's after gets its own (0..1 would look blank on a before's +-20 scale)
        squash = layer.kind in ("sigmoid", "tanh")
        self.after_grid.set_values(after, symmetric_levels(after) if squash else levels)
        self.after_grid.set_marks(marked=marked)
        self.curve.set_curve(layer.kind, float(before.min()), float(before.max()), layer.slope)
        self.caption.setText(caption(layer.kind, before))
