"""Filtering (convolution): one feature stepping across ALL its input channels at once, as the
CS231n demo shows it. For each window: every channel's patch (zeros on the padding), that
channel's slice of the feature, their products and the channel's sum; then the sum over the
channels, the divisor (the deck's X/O network divides) and the bias give the output cell.
Feature sizes, strides and padding may differ per dimension. See stepper.py for what a step is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .layers import pair
from .layers.conv import kept_out
from .stepper import check_step, conv_divisor, filled_upto, find_layer, grid_origin

if TYPE_CHECKING:
    from .snapshot import WeightsSnapshot
    from .spec import NetworkSpec
    from .trace import Trace

# With many input channels a panel shows this many in full, and one line for all the others
# (16, 64 or 384 rows of grids would be an unreadable wall).
CHANNELS_SHOWN = 3


@dataclass(frozen=True)
class ConvStep:
    index: int
    out_row: int
    out_col: int
    top: int  # feature's top-left cell in input coordinates (negative on the padding)
    left: int
    window: tuple[int, int]  # (rows, cols) of the feature
    patches: np.ndarray  # (C, kr, kc) every channel under the feature, 0 on padding
    on_padding: np.ndarray  # (kr, kc) bool: cell lies on the zero padding
    features: np.ndarray  # (C, kr, kc) the feature's weights, one slice per input channel
    products: np.ndarray  # (C, kr, kc) patches * features
    channel_sums: np.ndarray  # (C,) each channel's products added up
    total_sum: float  # channel_sums.sum(): the sum over every channel
    divisor: float  # 1 when the layer does not divide
    bias: float  # 0 when the layer has no bias
    value: float  # total_sum / divisor + bias: what lands in the output cell
    has_bias: bool = True  # the layer adds a bias (which may be 0)

    @property
    def n_maps(self) -> int:
        return int(self.patches.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        return self.window

    def rest(self, shown: range) -> tuple[int, float]:
        """(how many channels, their sum) of the channels outside `shown`."""
        keep = np.ones(self.n_maps, bool)
        keep[shown.start : shown.stop] = False
        return int(keep.sum()), float(self.channel_sums[keep].sum())


def shown_channels(n_maps: int, first: int = 0, n: int = CHANNELS_SHOWN) -> range:
    """The channels shown in full: `n` from `first` (moved back so that n fit)."""
    first = max(0, min(int(first), n_maps - n))
    return range(first, min(n_maps, first + n))


class ConvStepper:
    """One feature of a convolution layer stepping across all its input channels.

    `inputs` (C, H, W) is what the layer receives, `weight` (F, C, kr, kc) and `bias` (F,) or
    None come from a snapshot; `stride` and `padding` one number or (rows, cols); `feature`
    picks the feature (output map)."""

    def __init__(
        self,
        inputs: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None,
        stride,
        padding,
        divisor: float,
        feature: int = 0,
    ):
        self.stride, self.padding, self.divisor = pair(stride), pair(padding), float(divisor)
        self.feature = int(feature)
        self.set_weights(weight, bias)
        self.set_inputs(inputs)

    @classmethod
    def from_trace(
        cls,
        spec: NetworkSpec,
        trace: Trace,
        snapshot: WeightsSnapshot,
        layer_name: str,
        feature: int = 0,
    ) -> ConvStepper:
        sl = find_layer(spec, "conv", layer_name)
        return cls(
            sl.inputs(trace),
            snapshot.weight(layer_name),
            snapshot.bias(layer_name),
            sl.stride,
            sl.padding,
            conv_divisor(sl.in_maps, sl.layer),  # type: ignore[arg-type]  # a conv: found by kind
            feature,
        )

    def set_weights(self, weight: np.ndarray, bias: np.ndarray | None) -> None:
        w = np.asarray(weight, dtype=np.float64)  # (F, C, kr, kc); float64 so sums stay exact
        if w.ndim != 4:
            raise ValueError(f"convolution weights must be (F, C, rows, cols), got {w.shape}")
        if not 0 <= self.feature < w.shape[0]:
            raise IndexError(f"feature {self.feature} outside {w.shape[0]} features")
        self.weight = w
        self.window = (int(w.shape[2]), int(w.shape[3]))
        self.bias = 0.0 if bias is None else float(np.asarray(bias)[self.feature])
        self.has_bias = bias is not None
        if hasattr(self, "inputs"):
            self._compute_output()

    @property
    def size(self) -> tuple[int, int]:
        return self.window

    @property
    def n_maps(self) -> int:
        return int(self.weight.shape[1])

    def set_inputs(self, inputs: np.ndarray) -> None:
        """A new drawing: the same windows on new numbers."""
        x = np.asarray(inputs, dtype=np.float64)
        if x.ndim != 3 or x.shape[0] != self.weight.shape[1]:
            raise ValueError(f"inputs must be ({self.weight.shape[1]}, H, W), got {x.shape}")
        self.inputs = x
        pr, pc = self.padding
        self.padded = np.pad(x, ((0, 0), (pr, pr), (pc, pc)))  # (C, H+2Pr, W+2Pc), zeros around
        h, w = x.shape[1:]
        (kr, kc), (sr, sc) = self.window, self.stride
        # the layer's own sizes: a stride that leaves the last rows out (edge "drop") steps only
        # the windows that fit, as torch computes them
        self.out_shape = (kept_out(h, kr, sr, pr), kept_out(w, kc, sc, pc))
        self._compute_output()

    def _compute_output(self) -> None:
        (kr, kc), (sr, sc) = self.window, self.stride
        ho, wo = self.out_shape
        # (C, Ho', Wo', kr, kc) every window of every channel, then every stride-th one
        views = np.lib.stride_tricks.sliding_window_view(self.padded, (kr, kc), axis=(1, 2))
        views = views[:, ::sr, ::sc][:, :ho, :wo]
        sums = np.einsum("chwij,cij->hw", views, self.weight[self.feature])
        self.output = (sums / self.divisor + self.bias).astype(np.float32)  # (Ho, Wo)

    @property
    def n_steps(self) -> int:
        return self.out_shape[0] * self.out_shape[1]

    def step(self, i: int) -> ConvStep:
        check_step(i, self.n_steps)
        (kr, kc), (pr, pc) = self.window, self.padding
        r, c, top, left = grid_origin(i, self.out_shape[1], self.stride, self.padding)
        patches = self.padded[:, top + pr : top + pr + kr, left + pc : left + pc + kc].copy()
        features = self.weight[self.feature].copy()  # (C, kr, kc)
        products = patches * features + 0.0  # (+ 0.0: a product -0 prints as 0)
        sums = products.sum(axis=(1, 2))
        rows = np.arange(top, top + kr)[:, None]
        cols = np.arange(left, left + kc)[None, :]
        h, w = self.inputs.shape[1:]
        on_padding = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
        total = float(sums.sum())
        return ConvStep(
            i,
            r,
            c,
            top,
            left,
            self.window,
            patches,
            on_padding,
            features,
            products,
            sums,
            total,
            self.divisor,
            self.bias,
            total / self.divisor + self.bias,
            self.has_bias,
        )

    def output_upto(self, i: int) -> np.ndarray:
        return filled_upto(self.output, i)
