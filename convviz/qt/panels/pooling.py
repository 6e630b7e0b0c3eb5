"""The pooling panel: a max-pooling window stepping across one map, the pooled map filling in.

The arithmetic comes from convviz.core.stepper.PoolStepper; this widget only shows it:

    input map (window outlined,   |  the window close up   |  pooled map, filled up to
    winner framed in green)       |  and its maximum       |  the current cell
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...core.names import map_names
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from ...core.stepper import PoolStepper, StepLayer, deck_number, steppable_layers
from .. import theme
from ..widgets.cell_grid import CellGrid, symmetric_levels
from ..widgets.stepper_controls import selector
from ..widgets.stepper_panel import StepperPanel, picker_row

HELP = (
    "Max pooling shrinks a map while keeping its strongest responses. A small window "
    "slides across the map, jumping by the stride; from each position only the largest "
    "value survives and becomes one cell of the smaller map. A window that hangs over the "
    "edge still counts, using only the cells that are there."
)


class PoolingPanel(StepperPanel):
    """Pick a pooling layer and one of its input maps; step the window across it.

    Interface for the main window and the guided tour:
      set_model(spec, snapshot=None)  a new network: rebuild the selectors (pooling has no
                                      weights, so the snapshot is not needed)
      show_weights(snapshot)  weights changed; pooling has none, so only kept for symmetry
      show_trace(trace)  the drawing changed: the animation goes on with the new values
      select(layer_name, map_index=0, feature_index=0)  (feature_index is ignored here)
      play(), pause(), step_forward(), step_back(), jump_to_end(), seek(i), current_step,
      step_changed(int)
    """

    def __init__(self, session=None, parent=None):
        """`session` (optional): lay out for its network at once (the main window's panels are
        made with the session; the values then arrive through show_trace)."""
        super().__init__(parent)
        self.spec: NetworkSpec | None = None
        self.trace = None
        self.stepper: PoolStepper | None = None
        self._layers: list[StepLayer] = []

        self.layer_combo = selector("Which pooling layer to watch", self)
        self.map_combo = selector("Which of the layer's input maps the window walks over", self)
        top = picker_row(self, [("Pooling layer", self.layer_combo), ("Map", self.map_combo)])

        self.input_grid = CellGrid("Input map", self)
        self.input_grid.setToolTip(
            "The map being pooled. The dark frame is the window; the "
            "green frame marks its largest value."
        )
        self.window_grid = CellGrid("Window", self, max_cell=70, nan_hatched=True)
        self.window_grid.setToolTip("The cells under the window, close up")
        self.max_label = QLabel(self)
        self.max_label.setStyleSheet(f"font-size: {theme.FIGURE_PX}px;")
        self.output_grid = CellGrid("Pooled map", self)
        self.output_grid.setToolTip(
            "The smaller map: one cell per window position, filled in as the window moves"
        )
        # the close-up only as tall as it needs: its title then sits right above its cells
        self.window_grid.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        middle = QVBoxLayout()
        middle.addStretch(1)
        middle.addWidget(self.window_grid)
        middle.addWidget(self.max_label, 0, Qt.AlignmentFlag.AlignHCenter)
        middle.addStretch(1)
        grids = QWidget(self)
        row = QHBoxLayout(grids)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.input_grid, 5)
        row.addLayout(middle, 2)
        row.addWidget(self.output_grid, 4)
        self._row = row  # widths follow the maps' columns (see _share_width)

        self.assemble(top, HELP, grids)
        self.layer_combo.currentIndexChanged.connect(self._layer_changed)
        self.map_combo.currentIndexChanged.connect(self._map_changed)
        self._refresh()
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- the interface ------------------------------------------------------------------
    def set_model(self, spec: NetworkSpec, snapshot: WeightsSnapshot | None = None) -> None:
        """A new network: list its pooling layers. The old trace no longer applies."""
        self.spec = spec
        self.trace = None
        self._layers = steppable_layers(self.spec, "pool")
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for sl in self._layers:
            self.layer_combo.addItem(
                f"{sl.name}  ({sl.layer.window}×{sl.layer.window} window, "
                f"stride {sl.layer.stride})",
                sl.name,
            )
        self.layer_combo.blockSignals(False)
        self._layer_changed()

    def show_weights(self, snapshot: WeightsSnapshot) -> None:
        """Pooling has no weights; the next trace carries any change."""

    def select(self, layer_name: str, map_index: int = 0, feature_index: int = 0) -> None:
        """Show `layer_name`'s input map `map_index` (raises ValueError for an unknown one)."""
        self.select_layer(layer_name, "pooling")
        if not 0 <= map_index < self.map_combo.count():
            raise ValueError(
                f"{layer_name} has {self.map_combo.count()} input maps, not {map_index + 1}"
            )
        self.map_combo.setCurrentIndex(map_index)

    @property
    def map_index(self) -> int:
        return max(0, self.map_combo.currentIndex())

    # ---- reactions ----------------------------------------------------------------------
    def _layer_changed(self, *_):
        sl = self.layer
        keep = self.map_combo.currentIndex()
        self.map_combo.blockSignals(True)
        self.map_combo.clear()
        if sl is not None:
            self.map_combo.addItems(map_names(self.spec, sl.in_maps))
            self.map_combo.setCurrentIndex(min(max(keep, 0), sl.in_maps - 1))
        self.map_combo.blockSignals(False)
        self._rebuild_stepper()

    def _map_changed(self, *_):
        self._rebuild_stepper()

    def _rebuild_stepper(self) -> None:
        sl = self.layer
        self._unstepped = _not_square(sl.layer, ("window", "stride")) if sl else ""
        if sl is None or self.trace is None or self._unstepped:
            self.stepper = None
        else:
            values = self.trace.input_of(sl.index)[self.map_index]  # (H, W)
            if (
                self.stepper is not None
                and (self.stepper.window, self.stepper.stride) == (sl.layer.window, sl.layer.stride)
                and self.stepper.values.shape == values.shape
            ):
                self.stepper.set_values(values)
            else:
                self.stepper = PoolStepper(values, sl.layer.window, sl.layer.stride)
            levels = symmetric_levels(self.stepper.values)
            self._levels = levels
            # room around the map for windows hanging over the right and bottom edges
            ho, wo = self.stepper.out_shape
            over = max(
                (ho - 1) * sl.layer.stride + sl.layer.window - values.shape[0],
                (wo - 1) * sl.layer.stride + sl.layer.window - values.shape[1],
                0,
            )
            self.input_grid.set_values(values, levels, margin=over)
            self._share_width(values.shape[1] + 2 * over, sl.layer.window, wo)
        self.controls.set_count(self.stepper.n_steps if self.stepper else 0)
        self._refresh()

    def _share_width(self, in_cols: int, window: int, out_cols: int) -> None:
        """Width in proportion to columns, so the input map's cells are about as big as the
        pooled map's (equal shares drew a 7x7 map with cells half the size of a 4x4 one)."""
        middle = max(window + 1, (in_cols + out_cols) // 4)  # room for the close-up and max
        for i, stretch in enumerate((in_cols, middle, out_cols)):
            self._row.setStretch(i, stretch)

    def _waiting_text(self) -> str:
        if getattr(self, "_unstepped", ""):
            return self._unstepped
        if self.spec is not None and not self._layers:
            return "This network has no pooling layer."
        return "Draw something to watch the pooling window at work."

    def _show_step(self) -> None:
        if self.stepper is None:
            return
        i = self.controls.current_step
        step = self.stepper.step(i)
        k = step.size
        self.input_grid.set_marks(window=(step.top, step.left, k), winner=step.winner)
        win_r, win_c = step.winner[0] - step.top, step.winner[1] - step.left
        self.window_grid.set_values(step.cells, self._levels)
        self.window_grid.set_marks(winner=(win_r, win_c))
        self.output_grid.set_values(self.stepper.output_upto(i), self._levels)
        self.output_grid.set_marks(current=(step.out_row, step.out_col))
        self.max_label.setText(f"max = <b>{deck_number(step.value)}</b>")
        text = (
            f"Largest value in the window: <b>{deck_number(step.value)}</b> "
            f"(row {step.winner[0] + 1}, column {step.winner[1] + 1}) → pooled cell "
            f"(row {step.out_row + 1}, column {step.out_col + 1})"
        )
        if step.overhangs:
            n = int(np.isfinite(step.cells).sum())
            text += (
                f"<br><i>The window hangs over the edge: only its {n} cell"
                f"{'s' if n != 1 else ''} on the map count.</i>"
            )
        self.caption.setText(text)


def _not_square(layer, fields) -> str:
    """Why this view cannot step `layer` yet ("" when it can): a guard (canvas helper) until the
    steppers learn rectangular windows."""
    for what in fields:
        v = getattr(layer, what, 1)
        if isinstance(v, (tuple, list)) and v[0] != v[1]:
            return f"The {what} of {v[0]}x{v[1]} is not stepped through here yet."
    return ""
