"""The filtering (convolution) panel: one feature lined up with one image patch after another.

The arithmetic comes from convviz.core.stepper.ConvStepper; this widget only shows it:

    input map (zero padding hatched, feature outlined)      output map, filling in
    patch  ×  feature  =  products        sum, ÷ divisor or + bias, the value that lands
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.names import map_names
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from ...core.stepper import ConvStepper, StepLayer, deck_number, steppable_layers
from .. import theme
from ..widgets.cell_grid import CellGrid, symmetric_levels
from ..widgets.stepper_controls import selector
from ..widgets.stepper_panel import StepperPanel, picker_row

HELP = (
    "Filtering slides a feature across the map. At each position, multiply every pixel "
    "under the feature by the feature's pixel on top of it, add all the products up, then "
    "scale (divide) or shift (add the bias) as the layer does. The result is one cell of the "
    "output map: large where the patch looks like the feature."
)


def _op_label(text: str, parent) -> QLabel:
    lab = QLabel(text, parent)
    lab.setStyleSheet(f"font-size: {theme.SIGN_PX}px; font-weight: bold;")
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return lab


class FilteringPanel(StepperPanel):
    """Pick a convolution layer, a feature and an input map; step the feature across the map.

    Interface for the main window and the guided tour:
      set_model(spec, snapshot=None)  a new network: rebuild the selectors; the snapshot
                                      (None while the network loads) gives the features
      show_weights(snapshot)  weights changed (e.g. while training, or the network finished
                              loading): features and products follow
      show_trace(trace)  the drawing changed: the animation goes on with the new values
      select(layer_name, map_index=0, feature_index=0)
      play(), pause(), step_forward(), step_back(), jump_to_end(), seek(i), current_step,
      step_changed(int)
    For a layer with several input maps the output cell is the sum over all maps (plus bias):
    the panel shows the chosen map's products and their sum, then the total over all maps.
    """

    def __init__(self, session=None, parent=None):
        """`session` (optional): lay out for its network at once."""
        super().__init__(parent)
        self.spec: NetworkSpec | None = None
        self.snapshot: WeightsSnapshot | None = None
        self.trace = None
        self.stepper: ConvStepper | None = None
        self._layers: list[StepLayer] = []

        self.layer_combo = selector("Which convolution layer to watch", self)
        self.feature_combo = selector(
            "Which feature (filter) slides across the map; each feature makes one output map", self
        )
        self.map_combo = selector(
            "The layer sees several maps at once; pick the one whose products are shown", self
        )
        self.map_caption = QLabel("Input map", self)
        top = picker_row(
            self,
            [
                ("Convolution layer", self.layer_combo),
                ("Feature", self.feature_combo),
                (self.map_caption, self.map_combo),
            ],
        )

        self.input_grid = CellGrid("Input map", self)
        self.input_grid.setToolTip(
            "The map the feature slides over; hatched cells are the zero padding around it"
        )
        self.output_grid = CellGrid("Output map", self)
        self.output_grid.setToolTip("One cell per position of the feature, filled in as it moves")
        self.patch_grid = CellGrid("Patch", self, max_cell=56)
        self.patch_grid.setToolTip("The pixels under the feature (0 on the padding)")
        self.feature_grid = CellGrid("Feature", self, max_cell=56)
        self.feature_grid.setToolTip("The feature's weights for this input map")
        self.products_grid = CellGrid("Products", self, max_cell=56)
        self.products_grid.setToolTip("Each patch pixel times the feature pixel on top of it")

        grids = QWidget(self)
        big = QHBoxLayout()
        big.addWidget(self.input_grid, 1)
        big.addWidget(_op_label("→", self), 0)
        big.addWidget(self.output_grid, 1)
        small = QHBoxLayout()
        small.addWidget(self.patch_grid, 1)
        small.addWidget(_op_label("×", self), 0)
        small.addWidget(self.feature_grid, 1)
        small.addWidget(_op_label("=", self), 0)
        small.addWidget(self.products_grid, 1)
        col = QVBoxLayout(grids)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(big, 3)
        col.addLayout(small, 2)

        self.assemble(top, HELP, grids)
        self.layer_combo.currentIndexChanged.connect(self._layer_changed)
        self.feature_combo.currentIndexChanged.connect(self._rebuild_stepper)
        self.map_combo.currentIndexChanged.connect(self._rebuild_stepper)
        self._refresh()
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- the interface ------------------------------------------------------------------
    def set_model(self, spec: NetworkSpec, snapshot: WeightsSnapshot | None = None) -> None:
        """A new network: list its convolution layers. `snapshot` is a CPU copy of its weights
        (never the live model: training may be changing it), or None while it loads."""
        self.spec = spec
        self.snapshot = snapshot if snapshot is not None and snapshot.made_by(spec) else None
        self.trace = None
        self.stepper = None
        self._layers = steppable_layers(self.spec, "conv")
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for sl in self._layers:
            c = sl.layer
            self.layer_combo.addItem(
                f"{sl.name}  ({sl.out_maps} features of {c.size}×{c.size},"
                f" stride {c.stride}, padding {c.padding})",
                sl.name,
            )
        self.layer_combo.blockSignals(False)
        self._layer_changed()

    def show_weights(self, snapshot: WeightsSnapshot) -> None:
        """New weights (e.g. during training): the feature and products follow at once."""
        if not snapshot.made_by(self.spec):
            return  # weights of another network, still on their way
        self.snapshot = snapshot
        sl = self.layer
        if self.stepper is None:
            self._rebuild_stepper()  # the weights were the missing piece (network loading)
        elif sl is not None:
            self.stepper.set_weights(snapshot.weight(sl.name), snapshot.bias(sl.name))
            self._set_levels()
            self._show_step()

    def select(self, layer_name: str, map_index: int = 0, feature_index: int = 0) -> None:
        """Show feature `feature_index` of `layer_name` over input map `map_index`."""
        self.select_layer(layer_name, "convolution")
        sl = self.layer
        if not 0 <= feature_index < sl.out_maps:
            raise ValueError(f"{layer_name} has {sl.out_maps} features, not {feature_index + 1}")
        if not 0 <= map_index < sl.in_maps:
            raise ValueError(f"{layer_name} has {sl.in_maps} input maps, not {map_index + 1}")
        self.feature_combo.setCurrentIndex(feature_index)
        self.map_combo.setCurrentIndex(map_index)

    @property
    def feature_index(self) -> int:
        return max(0, self.feature_combo.currentIndex())

    @property
    def map_index(self) -> int:
        return max(0, self.map_combo.currentIndex())

    # ---- reactions ----------------------------------------------------------------------
    def _layer_changed(self, *_):
        sl = self.layer
        for combo, n in (
            (self.feature_combo, sl.out_maps if sl else 0),
            (self.map_combo, sl.in_maps if sl else 0),
        ):
            keep = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            if n:
                combo.addItems(
                    map_names(self.spec, n)
                    if combo is self.map_combo or sl.layer.fixed is not None
                    else [f"feature {i + 1}" for i in range(n)]
                )
                combo.setCurrentIndex(min(max(keep, 0), n - 1))
            combo.blockSignals(False)
        several = sl is not None and sl.in_maps > 1
        self.map_combo.setVisible(several)
        self.map_caption.setVisible(several)
        self._rebuild_stepper()

    def _rebuild_stepper(self, *_):
        sl = self.layer
        self._unstepped = _not_square(sl.layer, ("size", "stride", "padding")) if sl else ""
        if sl is None or self.trace is None or self.snapshot is None or self._unstepped:
            self.stepper = None
        else:
            self.stepper = ConvStepper.from_trace(
                self.spec, self.trace, self.snapshot, sl.name, self.feature_index, self.map_index
            )
            self._set_levels()
        self.controls.set_count(self.stepper.n_steps if self.stepper else 0)
        self._refresh()

    def _set_levels(self) -> None:
        st = self.stepper
        x = st.inputs[st.map_index]
        self._in_levels = symmetric_levels(x)
        self._w_levels = symmetric_levels(st.weight[st.feature])
        self._out_levels = symmetric_levels(st.output)
        p = st.padding
        self.input_grid.set_values(x, self._in_levels, margin=p, margin_zero=True)
        self.input_grid.set_title(
            "Input map" + (f" with {p} ring{'s' if p > 1 else ''} of zero padding" if p else "")
        )
        self.output_grid.set_title(f"Output map (feature {st.feature + 1})")

    def _waiting_text(self) -> str:
        if getattr(self, "_unstepped", ""):
            return self._unstepped
        if self.spec is not None and not self._layers:
            return "This network has no convolution layer."
        if self.trace is not None and self.snapshot is None:
            return "Waiting for the network's weights…"
        return "Draw something to watch the features at work."

    def _show_step(self) -> None:
        if self.stepper is None:
            return
        i = self.controls.current_step
        s = self.stepper.step(i)
        self.input_grid.set_marks(window=(s.top, s.left, s.size))
        self.patch_grid.set_values(s.patch, self._in_levels)
        self.patch_grid.set_marks(hatched=s.on_padding)
        self.products_grid.set_marks(hatched=s.on_padding)
        self.feature_grid.set_values(s.feature, self._w_levels)
        self.products_grid.set_values(s.products, symmetric_levels(s.products))
        self.output_grid.set_values(self.stepper.output_upto(i), self._out_levels)
        self.output_grid.set_marks(current=(s.out_row, s.out_col))
        self.caption.setText(self._formula(s))

    @staticmethod
    def _formula(s) -> str:
        """The step's arithmetic in one line, ending with the value that lands in the output."""
        n = s.size * s.size

        def dn(v: float) -> str:  # whole sums as the deck says them ("sum 9"), else 2 decimals
            return str(round(v)) if abs(v - round(v)) < 1e-6 else deck_number(v)

        if s.n_maps > 1:
            text = (
                f"This map's {n} products add up to <b>{dn(s.map_sum)}</b>. "
                f"All {s.n_maps} maps: {dn(s.total_sum)}"
            )
        else:
            text = f"The {n} products add up to <b>{dn(s.total_sum)}</b>"
        if s.divisor != 1:
            text += f" ÷ {s.divisor:g}"
        if s.bias != 0:
            text += f" + bias {dn(s.bias)}"
        if s.n_maps > 1 or s.divisor != 1 or s.bias != 0:
            text += " ="
        value = f"<b style='font-size:{theme.FIGURE_INLINE_PX}px'>{deck_number(s.value)}</b>"
        text += f" {value} → output cell (row {s.out_row + 1}, column {s.out_col + 1})"
        pad = int(s.on_padding.sum())
        if pad:
            text += f"<br><i>{pad} of the patch's cells lie on the zero padding (zeros).</i>"
        return text


def _not_square(layer, fields) -> str:
    """Why this view cannot step `layer` yet ("" when it can): a guard (canvas helper) until the
    steppers learn rectangular windows."""
    for what in fields:
        v = getattr(layer, what, 1)
        if isinstance(v, (tuple, list)) and v[0] != v[1]:
            return f"The {what} of {v[0]}x{v[1]} is not stepped through here yet."
    return ""
