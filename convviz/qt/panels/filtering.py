"""The filtering (convolution) panel: one feature lined up with one window after another,
across every input channel at once, as the CS231n demo shows it.

The arithmetic comes from convviz.core.stepper.ConvStepper; this widget only shows it:

    input channels (zero padding hatched, the feature outlined on each)  →  output map, filling
    one row per channel: patch × the feature's slice = products → the channel's sum
    (+ one line for the channels not shown in full)
    caption: the channels' sums added up, ÷ divisor, + bias = the value that lands
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.layers.registry import by
from ...core.names import map_names
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from ...core.stepper import ConvStepper, StepLayer, deck_number, steppable_layers
from ...core.stepper_conv import CHANNELS_SHOWN, shown_channels
from .. import theme
from ..widgets.cell_grid import CellGrid, symmetric_levels
from ..widgets.channel_rows import ChannelRows, InputStrip, sum_text
from ..widgets.stepper_controls import selector
from ..widgets.stepper_panel import StepperPanel, picker_row

HELP = (
    "The feature covers every input channel at once: each channel's patch × its slice of "
    "the feature, added up; the channels' sums and the bias make one output cell."
)
COLOUR_NAMES = ("R", "G", "B")


def channel_names(spec: NetworkSpec, sl: StepLayer) -> list[str]:
    """Short names for the layer's input channels: R, G, B for a colour picture."""
    if sl.source is None and sl.in_maps == len(COLOUR_NAMES):
        return list(COLOUR_NAMES)
    if sl.source is None:
        return ["input"] if sl.in_maps == 1 else [f"ch {i + 1}" for i in range(sl.in_maps)]
    return map_names(spec, sl.in_maps)


def _sizes(v) -> str:
    """2 -> '2'; (1, 2) -> '1×2'."""
    return by(v).replace("x", "×") if isinstance(v, (tuple, list)) else str(v)


def _op_label(text: str, parent) -> QLabel:
    lab = QLabel(text, parent)
    lab.setStyleSheet(f"font-size: {theme.SIGN_PX}px; font-weight: bold;")
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return lab


class FilteringPanel(StepperPanel):
    """Pick a convolution layer and a feature; step the feature across all input channels.

    Interface for the main window and the guided tour:
      set_model(spec, snapshot=None)  a new network: rebuild the selectors; the snapshot
                                      (None while the network loads) gives the features
      show_weights(snapshot)  weights changed (e.g. while training, or the network finished
                              loading): features and products follow
      show_trace(trace)  the drawing changed: the animation goes on with the new values
      select(layer_name, map_index=0, feature_index=0)  map_index: a channel to show in full
      play(), pause(), step_forward(), step_back(), jump_to_end(), seek(i), current_step,
      step_changed(int)
    With more than CHANNELS_SHOWN input channels the channel picker chooses which ones are
    shown in full; the others are added up on one line.
    """

    def __init__(self, session=None, parent=None):
        """`session` (optional): lay out for its network at once."""
        super().__init__(parent)
        self.spec: NetworkSpec | None = None
        self.snapshot: WeightsSnapshot | None = None
        self.trace = None
        self.stepper: ConvStepper | None = None
        self._layers: list[StepLayer] = []
        self._names: list[str] = []

        self.layer_combo = selector("Which convolution layer to watch", self)
        self.feature_combo = selector(
            "Which feature (filter) slides across the input; each feature makes one output map",
            self,
        )
        self.map_combo = selector(
            "The layer adds up all its input channels; pick the ones shown in full", self
        )
        self.map_caption = QLabel("Channels", self)
        top = picker_row(
            self,
            [
                ("Layer", self.layer_combo),
                ("Feature", self.feature_combo),
                (self.map_caption, self.map_combo),
            ],
        )

        self.input_strip = InputStrip(self)
        self.output_grid = CellGrid("Output", self)
        self.output_grid.setToolTip(
            "The feature's output map: one cell per position of the feature, filled in as it moves"
        )
        self.channel_rows = ChannelRows(self)
        grids = QWidget(self)
        big = QHBoxLayout()
        big.addWidget(self.input_strip, 3)
        big.addWidget(_op_label("→", self), 0)
        big.addWidget(self.output_grid, 1)
        col = QVBoxLayout(grids)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(big, 2)
        col.addWidget(self.channel_rows, 3)  # the numbers need the room more than the maps

        self.assemble(top, HELP, grids)
        self.layer_combo.currentIndexChanged.connect(self._layer_changed)
        self.feature_combo.currentIndexChanged.connect(self._rebuild_stepper)
        self.map_combo.currentIndexChanged.connect(self._channels_changed)
        self._refresh()
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- the first shown channel's grids, by their old names -----------------------------
    @property
    def patch_grid(self) -> CellGrid:
        return self.channel_rows.rows[0].patch

    @property
    def feature_grid(self) -> CellGrid:
        return self.channel_rows.rows[0].feature

    @property
    def products_grid(self) -> CellGrid:
        return self.channel_rows.rows[0].products

    @property
    def input_grid(self) -> CellGrid:
        return self.input_strip.grids[0]

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
            edge = ", edge drop" if c.edge == "drop" else ""  # "keep" is the usual: not said
            self.layer_combo.addItem(
                f"{sl.label}  ({sl.out_maps} features of {by(c.size).replace('x', '×')}"
                f"×{sl.in_maps},"
                f" stride {_sizes(c.stride)}, padding {_sizes(c.padding)}{edge})",
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
        """Show feature `feature_index` of `layer_name`, with input channel `map_index` among
        those shown in full."""
        self.select_layer(layer_name, "convolution")
        sl = self.layer
        if not 0 <= feature_index < sl.out_maps:
            raise ValueError(f"{layer_name} has {sl.out_maps} features, not {feature_index + 1}")
        if not 0 <= map_index < sl.in_maps:
            raise ValueError(f"{layer_name} has {sl.in_maps} input maps, not {map_index + 1}")
        self.feature_combo.setCurrentIndex(feature_index)
        self.map_combo.setCurrentIndex(map_index // CHANNELS_SHOWN)

    @property
    def feature_index(self) -> int:
        return max(0, self.feature_combo.currentIndex())

    @property
    def shown(self) -> range:
        """The input channels shown in full."""
        sl = self.layer
        n = sl.in_maps if sl else 0
        return shown_channels(n, max(0, self.map_combo.currentIndex()) * CHANNELS_SHOWN)

    @property
    def map_index(self) -> int:
        """The first input channel shown in full."""
        return self.shown.start if self.layer else 0

    # ---- reactions ----------------------------------------------------------------------
    def _layer_changed(self, *_):
        sl = self.layer
        self._names = channel_names(self.spec, sl) if sl else []
        keep_f, keep_m = self.feature_combo.currentIndex(), self.map_combo.currentIndex()
        for combo in (self.feature_combo, self.map_combo):
            combo.blockSignals(True)
            combo.clear()
        if sl is not None:
            self.feature_combo.addItems(
                map_names(self.spec, sl.out_maps)
                if sl.layer.fixed is not None
                else [f"feature {i + 1}" for i in range(sl.out_maps)]
            )
            self.feature_combo.setCurrentIndex(min(max(keep_f, 0), sl.out_maps - 1))
            groups = [shown_channels(sl.in_maps, s) for s in range(0, sl.in_maps, CHANNELS_SHOWN)]
            self.map_combo.addItems([f"{g.start + 1}–{g.stop} of {sl.in_maps}" for g in groups])
            self.map_combo.setCurrentIndex(min(max(keep_m, 0), len(groups) - 1))
        for combo in (self.feature_combo, self.map_combo):
            combo.blockSignals(False)
        several = sl is not None and sl.in_maps > CHANNELS_SHOWN
        self.map_combo.setVisible(several)
        self.map_caption.setVisible(several)
        self.map_combo.parentWidget().setVisible(several)  # its box: no room kept in the row
        self._rebuild_stepper()

    def _channels_changed(self, *_):
        if self.stepper is not None:
            self._set_levels()
        self._refresh()

    def _rebuild_stepper(self, *_):
        sl = self.layer
        if sl is None or self.trace is None or self.snapshot is None:
            self.stepper = None
        else:
            self.stepper = ConvStepper.from_trace(
                self.spec, self.trace, self.snapshot, sl.name, self.feature_index
            )
            self._set_levels()
            self.channel_rows.fit_window(self.stepper.window, sl.in_maps <= CHANNELS_SHOWN)
        self.controls.set_count(self.stepper.n_steps if self.stepper else 0)
        self._refresh()

    def _set_levels(self) -> None:
        st = self.stepper
        self._in_levels = symmetric_levels(st.inputs)
        self._w_levels = symmetric_levels(st.weight[st.feature])
        self._out_levels = symmetric_levels(st.output)
        self.input_strip.set_inputs(st.inputs, self.shown, self._names, st.padding, self._in_levels)
        self.output_grid.set_title(f"Output {st.feature + 1}")

    def _waiting_text(self) -> str:
        if self.spec is not None and not self._layers:
            return "This network has no convolution layer to step."
        if self.trace is not None and self.snapshot is None:
            return "Waiting for the network's weights…"
        return "Draw something to watch the features at work."

    def _show_step(self) -> None:
        if self.stepper is None:
            return
        i = self.controls.current_step
        s = self.stepper.step(i)
        self.input_strip.set_window(s.top, s.left, *s.window)
        self.channel_rows.show_step(s, self.shown, self._names, self._in_levels, self._w_levels)
        self.output_grid.set_values(self.stepper.output_upto(i), self._out_levels)
        self.output_grid.set_marks(current=(s.out_row, s.out_col))
        self.caption.setText(self._formula(s, self.shown))

    @staticmethod
    def _formula(s, shown: range) -> str:
        """The step's arithmetic in one line, ending with the value that lands in the output."""
        if s.n_maps > 1:
            terms = [sum_text(s.channel_sums[m]) for m in shown]
            others, rest = s.rest(shown)
            if others:
                terms.append(f"{sum_text(rest)} ({others} more)")
            added = " + ".join(t if not t.startswith("-") else f"({t})" for t in terms)
            text = f"Channels: {added} = <b>{sum_text(s.total_sum)}</b>"
        else:
            n = s.window[0] * s.window[1]
            text = f"The {n} products add up to <b>{sum_text(s.total_sum)}</b>"
        if s.divisor != 1:
            text += f" ÷ {s.divisor:g}"
        if s.has_bias:
            b = sum_text(s.bias)
            text += f" + bias {b}" if s.bias >= 0 else f" + bias ({b})"
        text += " =" if s.divisor != 1 or s.has_bias else ":"
        value = f"<b style='font-size:{theme.FIGURE_INLINE_PX}px'>{deck_number(s.value)}</b>"
        text += f" {value} → output (row {s.out_row + 1}, column {s.out_col + 1})"
        pad = int(s.on_padding.sum())
        if pad:
            text += f" <i>({pad} cells on the zero padding)</i>"
        return text
