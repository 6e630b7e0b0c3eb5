"""Pooling one map, one window at a time: max pooling (the winner) or average pooling (the sum,
the count of cells inside the map, the mean). Windows and strides may differ per dimension
(the spectrogram's 1x2 pools). See stepper.py for what a step is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .layers import pair, pool_out
from .layers.sizes import DEFAULT_EDGE, EDGES
from .stepper import check_step, filled_upto, find_layer, grid_origin

if TYPE_CHECKING:
    from .spec import NetworkSpec
    from .trace import Trace

POOL_MODES = ("max", "avg")


@dataclass(frozen=True)
class PoolStep:
    index: int
    out_row: int
    out_col: int
    top: int  # window's top-left cell in input coordinates
    left: int
    window: tuple[int, int]  # (rows, cols)
    cells: np.ndarray  # (rows, cols) float: the values under the window, NaN where it hangs over
    mode: str  # "max" or "avg"
    winner: tuple[int, int] | None  # max: (row, col) of the maximum, in input coordinates
    total: float  # avg: the sum of the cells inside the map (max: the same, for the curious)
    count: int  # the cells inside the map: what an average divides by
    value: float  # the maximum or the mean: what lands in output cell (out_row, out_col)

    @property
    def size(self) -> tuple[int, int]:
        return self.window

    @property
    def overhangs(self) -> bool:
        """True when part of the window lies beyond the map (those cells do not count)."""
        return bool(np.isnan(self.cells).any())


class PoolStepper:
    """Max or average pooling of one map, one window at a time; `values` is the (H, W) map
    pooled, `window` and `stride` one number or (rows, cols), `edge` the layer's: "keep" steps
    the window hanging over the edge too, "drop" only whole windows (core/layers/sizes.py)."""

    def __init__(
        self, values: np.ndarray, window, stride, mode: str = "max", edge: str = DEFAULT_EDGE
    ):
        if mode not in POOL_MODES:
            raise ValueError(f"pooling mode must be one of {POOL_MODES}, got {mode!r}")
        if edge not in EDGES:
            raise ValueError(f"pooling edge must be one of {EDGES}, got {edge!r}")
        self.window, self.stride, self.mode, self.edge = pair(window), pair(stride), mode, edge
        self.set_values(values)

    @classmethod
    def from_trace(
        cls, spec: NetworkSpec, trace: Trace, layer_name: str, map_index: int = 0
    ) -> PoolStepper:
        sl = find_layer(spec, "pool", layer_name)
        return cls(
            sl.inputs(trace)[map_index],
            sl.window,
            sl.stride,
            "avg" if sl.is_average else "max",
            sl.edge,
        )

    def set_values(self, values: np.ndarray) -> None:
        """A new drawing: same windows, new numbers (the current step stays meaningful)."""
        v = np.asarray(values, dtype=np.float32)
        if v.ndim != 2:
            raise ValueError(f"pooling steps over one (H, W) map, got shape {v.shape}")
        self.values = v
        (h, w), (kr, kc), (sr, sc) = v.shape, self.window, self.stride
        self.out_shape = (pool_out(h, kr, sr, self.edge), pool_out(w, kc, sc, self.edge))
        # Pad with NaN up to whole windows so every window is a full (kr, kc) view:
        # (Ho, Wo, kr, kc); NaN cells lie beyond the map and never count
        ho, wo = self.out_shape
        ph, pw = (ho - 1) * sr + kr, (wo - 1) * sc + kc
        padded = np.full((max(ph, h), max(pw, w)), np.nan, np.float32)
        padded[:h, :w] = v
        views = np.lib.stride_tricks.sliding_window_view(padded, (kr, kc))
        self._windows = views[::sr, ::sc][:ho, :wo]
        if self.mode == "max":
            self.output = np.nanmax(self._windows, axis=(2, 3)).astype(np.float32)  # (Ho, Wo)
        else:  # average over the cells inside the map (count_include_pad=False, avgpool.py)
            inside = np.isfinite(self._windows).sum(axis=(2, 3))
            sums = np.nansum(self._windows.astype(np.float64), axis=(2, 3))
            self.output = (sums / inside).astype(np.float32)

    @property
    def n_steps(self) -> int:
        return self.out_shape[0] * self.out_shape[1]

    def step(self, i: int) -> PoolStep:
        check_step(i, self.n_steps)
        r, c, top, left = grid_origin(i, self.out_shape[1], self.stride, (0, 0))
        cells = self._windows[r, c].copy()
        inside = np.isfinite(cells)
        count = int(inside.sum())
        total = float(cells[inside].astype(np.float64).sum())
        if self.mode == "max":
            # first maximum in reading order, as torch's max_pool2d picks among ties
            wr, wc = divmod(int(np.nanargmax(cells)), self.window[1])
            winner, value = (top + wr, left + wc), float(cells[wr, wc])
        else:
            winner, value = None, total / count
        return PoolStep(
            i, r, c, top, left, self.window, cells, self.mode, winner, total, count, value
        )

    def output_upto(self, i: int) -> np.ndarray:
        """The output map as it stands after step `i` (later cells NaN)."""
        return filled_upto(self.output, i)
