"""The ReLU view: one map before and after the rectified linear unit, negatives marked.

before (negative cells framed in red)   →   after (the same cells, now 0, framed)
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.names import map_names
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from .. import theme
from ..widgets.cell_grid import CellGrid, symmetric_levels
from ..widgets.stepper_controls import selector
from ..widgets.stepper_panel import help_label, picker_row

HELP = (
    "ReLU keeps the arithmetic from running away: every negative value becomes 0 and "
    "everything else stays as it is. A red line surrounds the cells that change."
)


class ReluView(QWidget):
    """Before/after of one map through a ReLU layer.

    Interface (same as the stepper panels, without animation):
      set_model(spec, snapshot=None), show_weights(snapshot) (nothing to do: ReLU has no
      weights),
      show_trace(trace), select(layer_name, map_index=0, feature_index=0)
    """

    def __init__(self, session=None, parent=None):
        """`session` (optional): lay out for its network at once."""
        super().__init__(parent)
        self.spec: NetworkSpec | None = None
        self.trace = None
        self._layers: list[tuple[int, str, int]] = []  # (index, name, maps)
        self.layer_combo = selector("Which ReLU layer to look at", self)
        self.map_combo = selector("Which of its maps", self)
        top = picker_row(self, [("ReLU layer", self.layer_combo), ("Map", self.map_combo)])
        explanation = help_label(HELP, self)
        self.before_grid = CellGrid("Before", self)
        self.before_grid.setToolTip("The map as the layer receives it; negative cells framed")
        self.after_grid = CellGrid("After", self)
        self.after_grid.setToolTip("The same map with every negative value set to 0")
        arrow = QLabel("→", self)
        arrow.setStyleSheet(f"font-size: {theme.SIGN_PX}px; font-weight: bold;")
        self.grids = QWidget(self)
        row = QHBoxLayout(self.grids)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.before_grid, 1)
        row.addWidget(arrow, 0)
        row.addWidget(self.after_grid, 1)
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
        col.addWidget(explanation)
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
        """A new network: list its ReLU layers on maps (ReLU has no weights to read)."""
        self.spec, self.trace = spec, None
        self._layers = [
            (i, s.name, s.shape[0])
            for i, s in enumerate(self.spec.shapes())
            if s.kind == "relu" and len(s.shape) == 3
        ]
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems([name for _, name, _ in self._layers])
        self.layer_combo.blockSignals(False)
        self._layer_changed()

    def show_weights(self, snapshot: WeightsSnapshot) -> None:
        """ReLU has no weights; the next trace carries any change."""

    def show_trace(self, trace) -> None:
        if trace is not None and trace.made_by(self.spec):  # (not one of the last network)
            self.trace = trace
            self._refresh()

    def select(self, layer_name: str, map_index: int = 0, feature_index: int = 0) -> None:
        names = [name for _, name, _ in self._layers]
        if layer_name not in names:
            raise ValueError(
                f"no ReLU layer on maps named {layer_name!r} (this network has: "
                f"{', '.join(names) or 'none'})"
            )
        self.layer_combo.setCurrentIndex(names.index(layer_name))
        if not 0 <= map_index < self.map_combo.count():
            raise ValueError(f"{layer_name} has {self.map_combo.count()} maps, not {map_index + 1}")
        self.map_combo.setCurrentIndex(map_index)

    # ---- reactions ----------------------------------------------------------------------
    def _layer_changed(self, *_):
        i = self.layer_combo.currentIndex()
        keep = self.map_combo.currentIndex()
        self.map_combo.blockSignals(True)
        self.map_combo.clear()
        if 0 <= i < len(self._layers):
            n = self._layers[i][2]
            self.map_combo.addItems(map_names(self.spec, n))
            self.map_combo.setCurrentIndex(min(max(keep, 0), n - 1))
        self.map_combo.blockSignals(False)
        self._refresh()

    def before_after(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The shown map before and after, (H, W) each; None when there is nothing to show."""
        i = self.layer_combo.currentIndex()
        if self.trace is None or not 0 <= i < len(self._layers):
            return None
        index, m = self._layers[i][0], max(0, self.map_combo.currentIndex())
        return self.trace.input_of(index)[m], self.trace.layers[index].values[m]

    def _refresh(self, *_):
        pair = self.before_after()
        self.grids.setVisible(pair is not None)
        self.notice.setVisible(pair is None)
        if pair is None:
            self.notice.setText(
                "This network has no ReLU layer on maps."
                if self.spec and not self._layers
                else "Draw something to see ReLU at work."
            )
            self.caption.setText("")
            return
        before, after = pair
        negative = before < 0  # the cells ReLU sets to 0
        levels = symmetric_levels(before)
        self.before_grid.set_values(before, levels)
        self.before_grid.set_marks(marked=negative)
        self.after_grid.set_values(after, levels)
        self.after_grid.set_marks(marked=negative)
        n = int(negative.sum())
        self.caption.setText(
            f"<b>{n}</b> of {negative.size} cells were negative and became 0"
            if n
            else "No cell was negative: nothing changes."
        )
