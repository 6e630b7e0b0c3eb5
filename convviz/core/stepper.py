"""The arithmetic of one window at a time, as the deck's slides walk through it (Qt-free).

A *step* is one position of the window: step `i` produces output cell (i // cols, i % cols), the
windows moving left to right, then top to bottom, by the layer's stride. For every step the
dataclasses below hold everything a panel shows: where the window sits (in input coordinates,
negative or past the edge where it hangs over or sits on padding), the cells under it, the
winner (pooling) or the products, sums, divisor and bias (filtering), and the value that lands in
the output cell. The panels only display these numbers.

Everything is computed from a trace's input to the layer and a weight snapshot (plain numpy), so
a stepper never touches a model that may be training in another thread.

Shapes: C = input maps, H/W = input rows/cols, Ho/Wo = output rows/cols, k = window/feature size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .layers import square
from .numbers import deck_number  # noqa: F401 - one formatter for every panel, there
from .spec import Conv, MaxPool, NetworkSpec, conv_out, pool_out

if TYPE_CHECKING:
    from .snapshot import WeightsSnapshot
    from .trace import Trace


# ---- which layers can be stepped ----------------------------------------------------------------
@dataclass(frozen=True)
class StepLayer:
    """A steppable layer: its position in model.layers / trace.layers, its name and spec."""

    index: int
    name: str
    layer: Conv | MaxPool
    in_maps: int  # C of its input
    out_maps: int  # maps it produces


def steppable_layers(spec: NetworkSpec, kind: str) -> list[StepLayer]:
    """Every layer of `kind` ("conv" or "pool") in order, with the number of maps around it."""
    shapes = spec.shapes()
    out: list[StepLayer] = []
    in_maps = spec.channels
    for i, (layer, s) in enumerate(zip(spec.layers, shapes, strict=False)):
        if layer.kind == kind and isinstance(layer, (Conv, MaxPool)):
            out.append(StepLayer(i, s.name, layer, in_maps, s.shape[0]))
        if len(s.shape) == 3:
            in_maps = s.shape[0]
    return out


def find_layer(spec: NetworkSpec, kind: str, name: str) -> StepLayer:
    layers = steppable_layers(spec, kind)
    for sl in layers:
        if sl.name == name:
            return sl
    known = ", ".join(sl.name for sl in layers) or "none"
    raise ValueError(f"no {kind} layer named {name!r} in {spec.name!r} (it has: {known})")


def conv_divisor(in_maps: int, layer: Conv) -> float:
    """What the deck divides the sum by (the rule network.DeckConv uses, from the spec)."""
    return layer.divisor(in_maps)


def _grid_origin(step: int, out_cols: int, stride: int, padding: int):
    r, c = divmod(step, out_cols)
    return r, c, r * stride - padding, c * stride - padding


def _check_step(step: int, n: int) -> None:
    if not 0 <= step < n:
        raise IndexError(f"step {step} is outside 0..{n - 1}")


# ---- pooling --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolStep:
    index: int
    out_row: int
    out_col: int
    top: int  # window's top-left cell in input coordinates
    left: int
    size: int  # k
    cells: np.ndarray  # (k, k) float: the values under the window, NaN where it hangs over
    winner: tuple[int, int]  # (row, col) of the maximum, in input coordinates
    value: float  # the maximum: what lands in output cell (out_row, out_col)

    @property
    def overhangs(self) -> bool:
        """True when part of the window lies beyond the map (those cells do not count)."""
        return bool(np.isnan(self.cells).any())


class PoolStepper:
    """Max pooling of one map, one window at a time; `values` is the (H, W) map pooled."""

    def __init__(self, values: np.ndarray, window: int, stride: int):
        self.window, self.stride = int(window), int(stride)
        self.set_values(values)

    @classmethod
    def from_trace(
        cls, spec: NetworkSpec, trace: Trace, layer_name: str, map_index: int = 0
    ) -> PoolStepper:
        sl = find_layer(spec, "pool", layer_name)
        assert isinstance(sl.layer, MaxPool)  # (find_layer gives a layer of the kind asked)
        return cls(
            trace.input_of(sl.index)[map_index],
            square(sl.layer.window, "pooling window"),
            square(sl.layer.stride, "pooling stride"),
        )

    def set_values(self, values: np.ndarray) -> None:
        """A new drawing: same windows, new numbers (the current step stays meaningful)."""
        v = np.asarray(values, dtype=np.float32)
        if v.ndim != 2:
            raise ValueError(f"pooling steps over one (H, W) map, got shape {v.shape}")
        self.values = v
        h, w = v.shape
        self.out_shape = (
            pool_out(h, self.window, self.stride),
            pool_out(w, self.window, self.stride),
        )
        # Pad with NaN up to whole windows so every window is a full (k, k) view: (Ho, Wo, k, k)
        ho, wo = self.out_shape
        ph = (ho - 1) * self.stride + self.window
        pw = (wo - 1) * self.stride + self.window
        padded = np.full((max(ph, h), max(pw, w)), np.nan, np.float32)
        padded[:h, :w] = v
        views = np.lib.stride_tricks.sliding_window_view(padded, (self.window, self.window))
        self._windows = views[:: self.stride, :: self.stride][:ho, :wo]
        self.output = np.nanmax(self._windows, axis=(2, 3)).astype(np.float32)  # (Ho, Wo)

    @property
    def n_steps(self) -> int:
        return self.out_shape[0] * self.out_shape[1]

    def step(self, i: int) -> PoolStep:
        _check_step(i, self.n_steps)
        r, c, top, left = _grid_origin(i, self.out_shape[1], self.stride, 0)
        cells = self._windows[r, c].copy()
        # First maximum in reading order, as torch's max_pool2d picks among ties
        flat = int(np.nanargmax(cells))
        wr, wc = divmod(flat, self.window)
        return PoolStep(
            i, r, c, top, left, self.window, cells, (top + wr, left + wc), float(cells[wr, wc])
        )

    def output_upto(self, i: int) -> np.ndarray:
        """The output map as it stands after step `i`: later cells are NaN (not yet filled);
        i = -1 gives an empty map."""
        return _filled_upto(self.output, i)


# ---- filtering (convolution) ----------------------------------------------------------------
@dataclass(frozen=True)
class ConvStep:
    index: int
    out_row: int
    out_col: int
    top: int  # feature's top-left cell in input coordinates (negative on the padding)
    left: int
    size: int  # k
    patch: np.ndarray  # (k, k) the chosen input map under the feature, 0 on padding
    on_padding: np.ndarray  # (k, k) bool: cell lies on the zero padding
    feature: np.ndarray  # (k, k) the feature's weights for the chosen input map
    products: np.ndarray  # (k, k) patch * feature
    map_sum: float  # products.sum(): the chosen map's share
    total_sum: float  # the same sum over every input map (= map_sum with one input map)
    n_maps: int  # C
    divisor: float  # 1 when the layer does not divide
    bias: float  # 0 when the layer has no bias
    value: float  # total_sum / divisor + bias: what lands in the output cell


class ConvStepper:
    """One feature of a convolution layer stepping across its input maps.

    `inputs` (C, H, W) is what the layer receives, `weight` (F, C, k, k) and `bias` (F,) or None
    come from a snapshot; `feature` picks the feature (output map) and `map_index` the input map
    whose products are shown.
    """

    def __init__(
        self,
        inputs: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None,
        stride: int,
        padding: int,
        divisor: float,
        feature: int = 0,
        map_index: int = 0,
    ):
        self.stride, self.padding, self.divisor = int(stride), int(padding), float(divisor)
        self.feature, self.map_index = int(feature), int(map_index)
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
        map_index: int = 0,
    ) -> ConvStepper:
        sl = find_layer(spec, "conv", layer_name)
        assert isinstance(sl.layer, Conv)  # (find_layer gives a layer of the kind asked)
        return cls(
            trace.input_of(sl.index),
            snapshot.weight(layer_name),
            snapshot.bias(layer_name),
            square(sl.layer.stride, "stride"),
            square(sl.layer.padding, "padding"),
            conv_divisor(sl.in_maps, sl.layer),
            feature,
            map_index,
        )

    def set_weights(self, weight: np.ndarray, bias: np.ndarray | None) -> None:
        w = np.asarray(weight, dtype=np.float64)  # (F, C, k, k); float64 so sums stay exact
        if w.ndim != 4 or w.shape[2] != w.shape[3]:
            raise ValueError(f"convolution weights must be (F, C, k, k), got {w.shape}")
        if not (0 <= self.feature < w.shape[0] and 0 <= self.map_index < w.shape[1]):
            raise IndexError(
                f"feature {self.feature} / input map {self.map_index} outside "
                f"{w.shape[0]} features x {w.shape[1]} maps"
            )
        self.weight = w
        self.size = w.shape[2]
        self.bias = 0.0 if bias is None else float(np.asarray(bias)[self.feature])
        if hasattr(self, "inputs"):
            self._compute_output()

    def set_inputs(self, inputs: np.ndarray) -> None:
        """A new drawing: the same windows on new numbers."""
        x = np.asarray(inputs, dtype=np.float64)
        if x.ndim != 3 or x.shape[0] != self.weight.shape[1]:
            raise ValueError(f"inputs must be ({self.weight.shape[1]}, H, W), got {x.shape}")
        self.inputs = x
        p = self.padding
        self.padded = np.pad(x, ((0, 0), (p, p), (p, p)))  # (C, H+2P, W+2P), zeros around
        h, w = x.shape[1:]
        self.out_shape = (
            int(conv_out(h, self.size, self.stride, p)),
            int(conv_out(w, self.size, self.stride, p)),
        )
        self._compute_output()

    def _compute_output(self) -> None:
        k, s = self.size, self.stride
        ho, wo = self.out_shape
        # (C, Ho', Wo', k, k) every window of every map, then every stride-th one
        views = np.lib.stride_tricks.sliding_window_view(self.padded, (k, k), axis=(1, 2))
        views = views[:, ::s, ::s][:, :ho, :wo]
        sums = np.einsum("chwij,cij->hw", views, self.weight[self.feature])
        self.output = (sums / self.divisor + self.bias).astype(np.float32)  # (Ho, Wo)

    @property
    def n_steps(self) -> int:
        return self.out_shape[0] * self.out_shape[1]

    def step(self, i: int) -> ConvStep:
        _check_step(i, self.n_steps)
        k, p = self.size, self.padding
        r, c, top, left = _grid_origin(i, self.out_shape[1], self.stride, p)
        windows = self.padded[:, top + p : top + p + k, left + p : left + p + k]  # (C, k, k)
        every = windows * self.weight[self.feature]  # (C, k, k) products of every map
        patch = windows[self.map_index].copy()
        rows = np.arange(top, top + k)[:, None]
        cols = np.arange(left, left + k)[None, :]
        h, w = self.inputs.shape[1:]
        on_padding = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
        products = every[self.map_index].copy()
        total = float(every.sum())
        return ConvStep(
            i,
            r,
            c,
            top,
            left,
            k,
            patch,
            on_padding,
            self.weight[self.feature, self.map_index].copy(),
            products,
            float(products.sum()),
            total,
            self.weight.shape[1],
            self.divisor,
            self.bias,
            total / self.divisor + self.bias,
        )

    def output_upto(self, i: int) -> np.ndarray:
        return _filled_upto(self.output, i)


def _filled_upto(full: np.ndarray, i: int) -> np.ndarray:
    out = np.full(full.shape, np.nan, np.float32)
    n = max(0, min(i + 1, full.size))
    out.reshape(-1)[:n] = full.reshape(-1)[:n]
    return out


# ---- the play head --------------------------------------------------------------------------
class Playhead:
    """Which step is shown, out of how many; every move is clamped to 0..n_steps-1."""

    def __init__(self, n_steps: int = 0):
        self.n_steps, self.current = max(0, int(n_steps)), 0

    def resize(self, n_steps: int) -> None:
        """A new layer or network: keep the step if it still exists."""
        self.n_steps = max(0, int(n_steps))
        self.current = min(self.current, max(0, self.n_steps - 1))

    def seek(self, i: int) -> bool:
        new = min(max(0, int(i)), max(0, self.n_steps - 1))
        moved, self.current = new != self.current, new
        return moved

    def forward(self) -> bool:
        return self.seek(self.current + 1)

    def back(self) -> bool:
        return self.seek(self.current - 1)

    @property
    def at_end(self) -> bool:
        return self.current >= self.n_steps - 1
