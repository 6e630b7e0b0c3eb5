"""The pooling panel: a max or average pooling window stepping across one map, the pooled map
filling in.

The arithmetic comes from convviz.core.stepper.PoolStepper; this widget only shows it:

    input map (window outlined,   |  the window close up,  |  pooled map, filled up to
    max: winner framed in green)  |  its maximum, or its   |  the current cell
                                  |  sum ÷ count = mean    |
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ...core.layers.registry import by
from ...core.names import map_names
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from ...core.stepper import PoolStepper, StepLayer, deck_number, steppable_layers
from .. import theme
from ..widgets.cell_grid import CellGrid, symmetric_levels
from ..widgets.stepper_controls import selector
from ..widgets.stepper_panel import StepperPanel, picker_row

HELP = (
    "Pooling shrinks a map. A small window slides across the map, jumping by the stride; "
    "max pooling keeps only the largest value under it, average pooling the mean of its "
    "values, and that becomes one cell of the smaller map. A window that hangs over the "
    "edge still counts, using only the cells that are there, unless the layer drops it "
    "(edge: drop, as Keras's 'valid' pooling does)."
)


STRIP_RATIO = 6  # a map this many times wider than tall is laid out as a strip (_share_room)


def _dn(v: float) -> str:
    """Whole numbers as the deck says them ("sum 9"), else two decimals."""
    return str(round(v)) if abs(v - round(v)) < 1e-6 else deck_number(v)


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
        top = picker_row(self, [("Layer", self.layer_combo), ("Map", self.map_combo)])

        self.input_grid = CellGrid("Input map", self)
        self.input_grid.setToolTip(
            "The map being pooled. The dark frame is the window; in max pooling the "
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
        self._row = row  # widths follow the maps' columns (see _share_room)

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
            kind = "average" if sl.is_average else "max"
            sr, sc = sl.stride
            stride = f"{sr}" if sr == sc else f"{sr}×{sc}"
            edge = ", edge drop" if sl.edge == "drop" else ""  # "keep" is the usual: not said
            window = by(sl.window).replace("x", "×")
            self.layer_combo.addItem(
                f"{sl.label}  ({kind}, {window} window, stride {stride}{edge})", sl.name
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
        if sl is None or self.trace is None:
            self.stepper = None
        else:
            values = sl.inputs(self.trace)[self.map_index]  # (H, W)
            mode = "avg" if sl.is_average else "max"
            st = self.stepper
            if (
                st is not None
                and (st.window, st.stride, st.mode, st.edge)
                == (sl.window, sl.stride, mode, sl.edge)
                and st.values.shape == values.shape
            ):
                st.set_values(values)
            else:
                self.stepper = PoolStepper(values, sl.window, sl.stride, mode, sl.edge)
            levels = symmetric_levels(self.stepper.values)
            self._levels = levels
            # room around the map for windows hanging over the right and bottom edges
            (ho, wo), (kr, kc), (sr, sc) = self.stepper.out_shape, sl.window, sl.stride
            over = (
                max(0, (ho - 1) * sr + kr - values.shape[0]),
                max(0, (wo - 1) * sc + kc - values.shape[1]),
            )
            self.input_grid.set_values(values, levels, margin=over)
            self._share_room(values.shape, over, kc, wo)
        self.controls.set_count(self.stepper.n_steps if self.stepper else 0)
        self._refresh()

    def _share_room(self, shape, over, window: int, out_cols: int) -> None:
        """A map much wider than tall (a spectrogram's 1x46 strip) goes above the close-up and
        the pooled map below, each the panel's whole width (side by side its cells were 3 px).
        Otherwise side by side, widths in proportion to columns, so the input map's cells are
        about as big as the pooled map's (equal shares drew a 7x7 map with cells half the size
        of a 4x4 one)."""
        rows, cols = shape[0] + 2 * over[0], shape[1] + 2 * over[1]
        strip = cols >= STRIP_RATIO * rows
        self._row.setDirection(
            QBoxLayout.Direction.TopToBottom if strip else QBoxLayout.Direction.LeftToRight
        )
        if strip:
            shares = (1, 2, 1)  # the close-up and its sum keep their room
        else:
            middle = max(window + 1, (cols + out_cols) // 4)  # room for the close-up and max
            shares = (cols, middle, out_cols)
        for i, stretch in enumerate(shares):
            self._row.setStretch(i, stretch)

    def _waiting_text(self) -> str:
        if self.spec is not None and not self._layers:
            if any(layer.kind == "gap" for layer in self.spec.layers):
                return (
                    "This network has no pooling layer with a window to step: its global "
                    "average pooling turns each whole map into one number (see Feature maps)."
                )
            return "This network has no pooling layer."
        return "Draw something to watch the pooling window at work."

    def _show_step(self) -> None:
        if self.stepper is None:
            return
        i = self.controls.current_step
        step = self.stepper.step(i)
        kr, kc = step.window
        self.input_grid.set_marks(window=(step.top, step.left, kr, kc), winner=step.winner)
        self.window_grid.set_values(step.cells, self._levels)
        if step.winner is not None:
            win_r, win_c = step.winner[0] - step.top, step.winner[1] - step.left
            self.window_grid.set_marks(winner=(win_r, win_c))
        else:
            self.window_grid.set_marks()
        self.output_grid.set_values(self.stepper.output_upto(i), self._levels)
        self.output_grid.set_marks(current=(step.out_row, step.out_col))
        self.max_label.setText(self._result_text(step))
        self.caption.setText(self._caption(step))

    @staticmethod
    def _result_text(step) -> str:
        """Under the close-up: the maximum, or sum ÷ count = mean."""
        if step.mode == "max":
            return f"max = <b>{deck_number(step.value)}</b>"
        return f"{_dn(step.total)} ÷ {step.count} = <b>{deck_number(step.value)}</b>"

    @staticmethod
    def _caption(step) -> str:
        where = f"pooled cell (row {step.out_row + 1}, column {step.out_col + 1})"
        n = step.count
        cells = f"{n} cell{'s' if n != 1 else ''}"
        if step.mode == "max":
            text = (
                f"Largest value in the window: <b>{deck_number(step.value)}</b> "
                f"(row {step.winner[0] + 1}, column {step.winner[1] + 1}) → {where}"
            )
        else:
            text = (
                f"The window's {cells} {'add' if n != 1 else 'adds'} up to "
                f"<b>{_dn(step.total)}</b>; "
                f"÷ {n} = mean <b>{deck_number(step.value)}</b> → {where}"
            )
        if step.overhangs:
            divide = ", so the sum is divided by " + str(n) if step.mode == "avg" else ""
            text += (
                f"<br><i>The window hangs over the edge: only its {cells} on the map "
                f"count{divide}.</i>"
            )
        return text
